"""The ``spineviz`` command line.

Each subcommand lives in its own module with a ``register(subparsers)``
function; adding one is a single entry in :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS: tuple[str, ...] = (
    "serve",
    "render",
    "scenes",
    "export",
    "mri",
)
"""Modules of :mod:`spineviz.cli`, one per subcommand, in the order ``--help`` lists them."""


class UsageError(Exception):
    """A bad command-line value; the message names the flag and the allowed values."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, not a usage dump."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser(*, only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every registered subcommand, or with ``only`` that one.

    Registering a subcommand imports what its options need (the findings
    flags load the state vocabulary and numpy, ~0.4 s); ``spineviz serve``
    should not wait for the other commands' options before starting the app.
    """
    parser = Parser(
        prog="spineviz",
        allow_abbrev=False,
        description="Educational 3D views of the lumbar spine: render images, export models.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    # No abbreviations: ``--level`` (the disc with findings) must not be read as ``--levels``.
    sub.add_parser = functools.partial(sub.add_parser, allow_abbrev=False)  # type: ignore[method-assign]
    for name in SUBCOMMANDS if only is None else (only,):
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed, 2 bad usage)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    only = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    parser = build_parser(only=only)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except UsageError as err:
        print(f"spineviz {args.command}: error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        # Known failures (no OpenGL, unwritable output) carry their own message.
        from spineviz.render.offscreen import RenderingUnavailable

        if isinstance(err, (RenderingUnavailable, OSError)):
            print(f"spineviz {args.command}: error: {err}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
