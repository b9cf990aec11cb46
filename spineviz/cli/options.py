"""Flags shared by several subcommands, and turning them into parts."""

from __future__ import annotations

import argparse
import re

from spineviz.geometry.model import DETAILS
from spineviz.geometry.names import GROUPS, Levels


def levels_type(text: str) -> Levels:
    try:
        return Levels.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix("levels: ")) from None


def size_type(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not m:
        msg = f"{text!r} is not WIDTHxHEIGHT; use e.g. 1920x1080"
        raise argparse.ArgumentTypeError(msg)
    width, height = int(m.group(1)), int(m.group(2))
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        msg = f"{text!r} is out of range; width and height must be 16–8192 pixels"
        raise argparse.ArgumentTypeError(msg)
    return width, height


def add_model_options(parser: argparse.ArgumentParser, *, hide_default: tuple[str, ...] = ()) -> None:
    """``--levels``, ``--detail`` and ``--hide``: what to build and show."""
    parser.add_argument(
        "--levels",
        type=levels_type,
        default=Levels("L4", "L5"),
        metavar="RANGE",
        help="vertebrae to build, e.g. L4-L5 (default) or L1-S1",
    )
    parser.add_argument(
        "--detail", choices=DETAILS, default="medium", help="mesh resolution (default: medium)"
    )
    parser.add_argument(
        "--hide",
        action="append",
        choices=(*GROUPS, "none"),
        default=None,
        metavar="GROUP",
        help=(
            f"leave out a structure group; repeat for more ({', '.join(GROUPS)}); "
            f"default: {', '.join(hide_default) or 'none'}; 'none' shows everything"
        ),
    )
    parser.set_defaults(hide_default=tuple(hide_default))


def hidden_groups(args: argparse.Namespace) -> set[str]:
    """The groups ``--hide`` leaves out (its default when not given; nothing for ``none``)."""
    chosen = args.hide if args.hide is not None else list(args.hide_default)
    return set() if "none" in chosen else set(chosen)


def add_state_options(parser: argparse.ArgumentParser) -> None:
    """One flag per field of the condition vocabulary (``--modic``, ``--pfirrmann`` …).

    Values are checked by :class:`spineviz.conditions.State`, not by argparse,
    so a bad value reads the same here as in scene files and the browser.
    """
    from spineviz.conditions.state import cli_flags

    group = parser.add_argument_group(
        "findings", "what the segment shows; the defaults are a healthy segment"
    )
    for flag in cli_flags():
        group.add_argument(flag.flag, dest=flag.dest, default=None, metavar="VALUE", help=flag.help)


def state_from_args(args: argparse.Namespace):
    """The validated :class:`~spineviz.conditions.State` the flags describe."""
    from spineviz.conditions.state import StateError, state_from_flags

    from . import UsageError

    try:
        return state_from_flags(args)
    except StateError as err:
        flag = "--" + err.field.replace("_", "-")
        raise UsageError(f"{flag}{str(err).removeprefix(err.field)}") from None


def parts_from_args(args: argparse.Namespace, state=None) -> dict:
    """Build the model the flags describe and return its visible parts (name → mesh).

    This is the one place where the condition state meets the model; render
    and export only ever see parts.
    """
    from spineviz.conditions.build import build, default_levels
    from spineviz.geometry.names import group_of

    if state is None:
        state = state_from_args(args)
    levels = args.levels
    if not state.is_healthy and not {state.upper, state.lower} <= set(levels.vertebrae):
        # The affected disc must be in the picture: show the two vertebrae around it.
        levels = default_levels(state)
    model = build(state, levels=levels, detail=args.detail)
    parts = dict(model.parts)
    hidden = hidden_groups(args)
    return {n: m for n, m in parts.items() if group_of(n) not in hidden}
