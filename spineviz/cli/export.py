"""``spineviz export``: the model as files for other programs."""

from __future__ import annotations

import argparse
from pathlib import Path

from spineviz.render.export import FORMATS

from .options import add_model_options, add_state_options, parts_from_args, state_from_args
from .scenes import add_static_options, run_static

FORMAT_HELP = {
    "vtp": "one <part name>.vtp per part (ParaView, PyVista)",
    "glb": "spineviz.glb, binary glTF with one named node per part (Blender, three.js)",
    "html": "spineviz.html, one interactive page that opens offline (needs the app extras)",
}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="export the model as VTP files, a glTF binary or an HTML page",
        description="Export the lumbar model's parts for other programs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="formats:\n" + "\n".join(f"  {k:5s} {v}" for k, v in FORMAT_HELP.items()),
    )
    p.add_argument("--format", choices=FORMATS, help="file format (see below)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output directory (created if needed)")
    add_static_options(p)
    add_model_options(p)
    add_state_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from spineviz.render import export

    from . import UsageError

    if args.static is not None:
        return run_static(args)
    if args.format is None or args.out is None:
        raise UsageError("--format and --out are required (or --static DIR for the web site of the scenes)")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out: {str(args.out)!r} is a file; give a directory")
    state = state_from_args(args)
    if args.format == "html":
        from spineviz.render import offscreen

        offscreen.begin_check()
    parts = parts_from_args(args, state)
    if not parts:
        raise UsageError("--hide: every part is hidden; nothing left to export")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.format == "vtp":
        written = export.export_vtp(parts, args.out)
        print(f"{len(written)} files in {args.out}")
    elif args.format == "glb":
        print(export.export_glb(parts, args.out / "spineviz.glb"))
    else:
        print(export.export_html(parts, args.out / "spineviz.html"))
    return 0
