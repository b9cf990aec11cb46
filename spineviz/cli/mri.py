"""``spineviz mri``: a synthetic MR image, or a T1 | T2 | STIR figure, of one state."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import add_state_options, levels_type, state_from_args

EPILOG = """\
examples:
  spineviz mri --sequence t2 --plane sagittal -o t2.png
  spineviz mri --sequence t1 --plane axial --position L4-L5 --modic 1 -o ax.png
  spineviz mri --sequence stir --plane sagittal --position 20 --field 3 -o foramen.png
  spineviz mri --figure --stage modic1 --lang nb -o figur.png
  spineviz mri --innervation --lang nb -o nerver.png

position: sagittal x in mm (0 midline, +20 the left foramen); axial a disc (L4-L5, the
default), a vertebra (L4) or a height z in mm; coronal y in mm.

what a scan can and cannot show: the sequence and the field strength change how
Modic changes look (T1 is longer at 3 T, so T1 contrast shifts), and a fat-suppressed
sequence such as STIR finds more type 1 changes than T1/T2 alone (Finkenstaedt:
156 vs 93 segments). These images are made from the model, not from a patient;
see docs/mri.md.
"""


OPTION_NAMES = ("position", "plane", "sequence", "field", "size", "spacing", "lang")
"""Arguments whose ValueError messages are shown as usage errors."""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "mri",
        help="synthetic MRI slice (T1, T2, STIR) of a state",
        description="Make a synthetic MR image of the lumbar model with its findings.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    p.add_argument("-o", "--out", required=True, type=Path, metavar="PNG", help="output image file")
    p.add_argument("--sequence", default="t2", metavar="SEQ", help="t1, t2 or stir (default t2)")
    p.add_argument("--plane", default="sagittal", metavar="PLANE", help="sagittal, axial or coronal")
    p.add_argument("--position", default=None, metavar="MM|LEVEL", help="where the slice lies (see below)")
    p.add_argument("--field", default="1.5", metavar="T", help="field strength in tesla: 1.5 or 3")
    p.add_argument(
        "--seed", default="0", metavar="N", help="noise seed (same seed, same image); 'none' for none"
    )
    p.add_argument("--size", default="256", metavar="PX", help="pixels of the longer side (default 256)")
    p.add_argument("--spacing", default="1", metavar="MM", help="voxel size: 1 (default) or 0.5")
    p.add_argument(
        "--figure", action="store_true", help="labelled T1 | T2 | STIR panels instead of one image"
    )
    p.add_argument(
        "--innervation",
        action="store_true",
        help="the disc's nerve supply, healthy against worn (an illustration, not MRI)",
    )
    p.add_argument("--lang", default="en", metavar="LANG", help="figure labels: en or nb")
    p.add_argument(
        "--levels",
        type=levels_type,
        default=None,
        metavar="RANGE",
        help="vertebrae to build (default: the two round the disc with findings)",
    )
    add_state_options(p)
    p.set_defaults(run=run)


def _choice(flag: str, value: str, allowed) -> str:
    from . import UsageError

    v = str(value).strip().lower()
    if v not in allowed:
        raise UsageError(f"{flag}: {value!r} is not allowed; choose one of {', '.join(allowed)}")
    return v


def _number(flag: str, value: str, kind=float, allowed=None):
    from . import UsageError

    try:
        n = kind(value)
    except ValueError:
        raise UsageError(f"{flag}: {value!r} is not a number") from None
    if allowed is not None and n not in allowed:
        raise UsageError(f"{flag}: {value!r} is not allowed; choose one of {', '.join(map(str, allowed))}")
    return n


def run(args: argparse.Namespace) -> int:
    from spineviz.render.mri.figures import save_png, sequence_figure, state_slice

    from . import UsageError

    if args.out.suffix.lower() != ".png":
        raise UsageError(f"--out: {str(args.out)!r} must end in .png")
    seq = _choice("--sequence", args.sequence, ("t1", "t2", "stir"))
    plane = _choice("--plane", args.plane, ("sagittal", "axial", "coronal"))
    lang = _choice("--lang", args.lang, ("en", "nb"))
    field = _number("--field", args.field, float, (1.5, 3.0))
    seed = None if str(args.seed).lower() == "none" else _number("--seed", args.seed, int)
    size = _number("--size", args.size, int)
    if not 32 <= size <= 2048:
        raise UsageError(f"--size: {size} is out of range; use 32–2048 pixels")
    spacing = _number("--spacing", args.spacing, float, (0.5, 1.0))
    state = state_from_args(args)
    levels = str(args.levels) if args.levels is not None else None
    try:
        if args.innervation:
            from spineviz.render.mri.innervation import innervation_figure

            image = innervation_figure(lang=lang, disc=state.level)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            image.save(args.out)
        elif args.figure:
            image = sequence_figure(
                state,
                plane=plane,
                position=args.position,
                field=field,
                seed=seed if seed is not None else 0,
                lang=lang,
                levels=levels,
            )
            args.out.parent.mkdir(parents=True, exist_ok=True)
            image.save(args.out)
        else:
            sl = state_slice(
                state,
                seq=seq,
                plane=plane,
                position=args.position,
                field=field,
                seed=seed,
                levels=levels,
                spacing=spacing,
                size=size,
            )
            args.out.parent.mkdir(parents=True, exist_ok=True)
            save_png(sl, args.out)
    except ValueError as err:
        # The MRI layer's messages start with the argument's name ("position: …");
        # any other error is not a usage error and keeps its traceback.
        if str(err).split(":")[0] not in OPTION_NAMES:
            raise
        raise UsageError(f"--{err}") from None
    print(args.out)
    return 0
