"""``spineviz render``: one image of the model."""

from __future__ import annotations

import argparse
from pathlib import Path

from spineviz.render.cameras import CAMERAS, PRESETS
from spineviz.render.scene import ANTI_ALIASING, DEFAULT_ANTI_ALIASING

from .options import add_model_options, add_state_options, parts_from_args, size_type, state_from_args
from .scenes import add_render_options as add_scene_render_options
from .scenes import run_render as run_scene_render


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "render",
        help="render the model to a PNG image",
        description="Render the lumbar model offscreen to a PNG image.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="cameras:\n" + "\n".join(f"  {k:10s} {v.description}" for k, v in PRESETS.items()),
    )
    p.add_argument("-o", "--out", type=Path, metavar="PNG", help="output image file (a folder with --all)")
    p.add_argument(
        "--size", type=size_type, default=(1920, 1080), metavar="WxH", help="image size (default 1920x1080)"
    )
    p.add_argument("--camera", choices=CAMERAS, default="lateral", help="viewpoint (default: lateral)")
    # An atlas plate of a segment leaves the back muscles out: they cover the arches.
    add_model_options(p, hide_default=("muscle",))
    add_state_options(p)
    p.add_argument(
        "--transparent", action="store_true", help="transparent background instead of the gradient"
    )
    add_scene_render_options(p)
    p.add_argument(
        "--aa",
        choices=ANTI_ALIASING,
        default=DEFAULT_ANTI_ALIASING,
        help=f"edge smoothing: fxaa is fast, ssaa smoothest (default: {DEFAULT_ANTI_ALIASING})",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from spineviz.render import offscreen
    from spineviz.render.scene import render_png

    from . import UsageError

    if args.scene or args.all:
        return run_scene_render(args)
    if args.out is None:
        raise UsageError("--out: give the image file to write, e.g. --out view.png")
    if args.out.suffix.lower() != ".png":
        raise UsageError(f"--out: {str(args.out)!r} must end in .png")
    state = state_from_args(args)  # bad findings fail before any work
    offscreen.begin_check()  # runs while the model builds
    parts = parts_from_args(args, state)
    if not parts:
        raise UsageError("--hide: every part is hidden; nothing left to render")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    render_png(
        parts,
        args.out,
        size=args.size,
        camera=args.camera,
        transparent=args.transparent,
        anti_aliasing=args.aa,
    )
    print(args.out)
    return 0
