"""``spineviz scenes``: work with scene files (``scenes check`` validates them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scenes",
        help="check scene files (scenes/*.toml)",
        description="Scene files describe the tour steps, screenshots and web pages (see docs/scenes.md).",
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
