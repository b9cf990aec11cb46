"""``spineviz scenes``: work with scene files (``scenes check`` validates them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scenes",
        help="check scene files (scenes/*.toml)",
        description="Scene files describe tour steps, screenshots and web pages (README, section Scenes).",
    )
    sub = p.add_subparsers(dest="scenes_command", metavar="ACTION")
    check = sub.add_parser(
        "check",
        help="validate scene files (default: every shipped scene)",
        description=(
            "Validate scene files. Each bad file gets one line naming the file, the key and what is "
            "allowed; the exit status is 2 if any file is bad, 0 if all are fine."
        ),
    )
    check.add_argument("files", nargs="*", type=Path, metavar="FILE", help="scene files or folders of them")
    check.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    check.set_defaults(run=run_check)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


def _expand(files: list[Path]) -> list[Path]:
    from spineviz.render.scenes import scene_paths

    if not files:
        return scene_paths()
    out: list[Path] = []
    for f in files:
        out += scene_paths(f) if f.is_dir() else [f]
    return out


def run_check(args: argparse.Namespace) -> int:
    from spineviz.render.scenes import SceneError, load_scene

    files = _expand(args.files)
    if not files:
        print("spineviz scenes check: error: no scene files found", file=sys.stderr)
        return 2
    bad = 0
    ids: dict[str, str] = {}
    for path in files:
        try:
            scene = load_scene(path)
            if scene.id in ids:
                raise SceneError(
                    "id",
                    f"{scene.id!r} is also the id of {ids[scene.id]}; ids must be unique",
                    path=str(path),
                )
        except SceneError as err:
            bad += 1
            print(err, file=sys.stderr)
            continue
        ids[scene.id] = str(path)
        if not args.quiet:
            print(f"ok  {path}  ({scene.order}: {scene.title['en']})")
    if len(files) > 1 and (not args.quiet or bad):
        print(
            f"{len(files) - bad} of {len(files)} scene files are valid",
            file=sys.stderr if bad else sys.stdout,
        )
    return 2 if bad else 0


# -- ``spineviz render --scene FILE`` / ``--all --out DIR`` ------------------------------------------
# The options live here, with the scenes, and ``render`` adds them to its parser.


def add_render_options(parser: argparse.ArgumentParser) -> None:
    """Scene options of ``spineviz render``."""
    from spineviz.render.scenes.shots import SIZE_PRESETS

    group = parser.add_argument_group(
        "scenes", "render scene files (README, section Scenes); the file sets state, camera, parts and labels"
    )
    group.add_argument(
        "--scene", type=Path, action="append", metavar="FILE", help="render a scene file (repeatable)"
    )
    group.add_argument("--all", action="store_true", help="render every shipped scene into --out DIR")
    group.add_argument(
        "--size-preset",
        choices=tuple(SIZE_PRESETS),
        metavar="NAME",
        help="hero 1920x1080, card 800x600 or square 1080x1080 (instead of --size)",
    )
    group.add_argument(
        "--scale", type=int, choices=(1, 2, 3), default=1, help="pixel density, 2 for retina screens"
    )
    group.add_argument("--lang", choices=("nb", "en"), default="nb", help="language of labels (default nb)")
    group.add_argument("--no-contact-sheet", action="store_true", help="with --all: skip contact-sheet.png")


def run_render(args: argparse.Namespace) -> int:
    """Render scene files: one PNG per scene, named by its id."""
    from spineviz.render import offscreen
    from spineviz.render.scenes import SceneError, load_scene, load_scenes
    from spineviz.render.scenes.shots import SIZE_PRESETS, render_scenes

    from . import UsageError

    if args.scene and args.all:
        raise UsageError("--scene and --all: give one of them")
    try:
        scenes = load_scenes() if args.all else [load_scene(p) for p in args.scene]
    except SceneError as err:
        raise UsageError(str(err)) from None
    out = args.out
    if args.all or len(scenes) > 1:
        if out is None:
            raise UsageError("--out: give a folder for the images, e.g. --out shots/")
        if out.suffix.lower() == ".png":
            raise UsageError(f"--out: {str(out)!r} must be a folder when rendering several scenes")
        folder, single = out, None
    else:
        single = out or Path(f"{scenes[0].id}.png")
        if single.suffix.lower() != ".png":
            single = single / f"{scenes[0].id}.png"
        folder = single.parent
    size = SIZE_PRESETS[args.size_preset] if args.size_preset else args.size
    offscreen.begin_check()
    paths = render_scenes(
        scenes,
        folder,
        size=size,
        scale=args.scale,
        transparent=args.transparent,
        lang=args.lang,
        detail=args.detail,
        sheet=not args.no_contact_sheet,
    )
    if single is not None and paths[0] != single:
        paths[0].replace(single)
        paths[0] = single
    for path in paths:
        print(path)
    return 0


# -- ``spineviz export --static DIR`` --------------------------------------------------------------


def add_static_options(parser: argparse.ArgumentParser) -> None:
    """The static-site option of ``spineviz export``."""
    parser.add_argument(
        "--static",
        type=Path,
        metavar="DIR",
        help="write a static web site of the scenes (index, one page per scene, shared viewer) into DIR",
    )
    parser.add_argument(
        "--scenes",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="with --static: these scene files instead of the shipped set",
    )
    parser.add_argument("--no-thumbnails", action="store_true", help="with --static: skip the thumbnails")


def run_static(args: argparse.Namespace) -> int:
    """Write the static site and print its size."""
    from spineviz.render import offscreen
    from spineviz.render.scenes import SceneError, load_scenes
    from spineviz.render.static_site import StaticExportError, export_static

    from . import UsageError

    if args.static.exists() and not args.static.is_dir():
        raise UsageError(f"--static: {str(args.static)!r} is a file; give a folder")
    try:
        scenes = load_scenes(args.scenes) if args.scenes else load_scenes()
    except SceneError as err:
        raise UsageError(str(err)) from None
    if not args.no_thumbnails:
        offscreen.begin_check()
    try:
        report = export_static(args.static, scenes, detail=args.detail, thumbnails=not args.no_thumbnails)
    except StaticExportError as err:
        print(f"spineviz export: error: {err}", file=sys.stderr)
        return 1
    by_folder = ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(report.sizes_by_folder().items()))
    print(f"{args.static / 'index.html'}")
    print(
        f"{len(scenes)} scenes, {report.meshes} distinct meshes, "
        f"{report.total_bytes / 1e6:.2f} MB in all ({by_folder})"
    )
    return 0
