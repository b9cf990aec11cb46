"""``spineviz serve``: the browser app."""

from __future__ import annotations

import argparse
import logging


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="start the browser app",
        description=(
            "Start the browser app and print its address. Every browser gets its own session "
            "(its own server process); with --shared every screen follows one state."
        ),
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1; 0.0.0.0 for a clinic's network)",
    )
    p.add_argument("--port", type=int, default=8080, help="port of the page (default 8080)")
    p.add_argument(
        "--shared",
        action="store_true",
        help="one state for every connected screen (a wall screen following a tablet)",
    )
    p.add_argument(
        "--rendering",
        choices=("remote", "local"),
        default="remote",
        help="draw on the server and stream images (remote, default) or in the browser (local)",
    )
    p.add_argument("--detail", choices=("low", "medium", "high"), default="medium", help="mesh resolution")
    p.add_argument("--pool", type=int, default=1, help="spare sessions kept ready (default 1)")
    p.add_argument("--max-sessions", type=int, default=8, help="sessions at once (default 8)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from . import UsageError

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: {args.port} is not a port number (0–65535)")
    if args.pool < 0 or args.max_sessions < 1:
        raise UsageError("--pool must be 0 or more and --max-sessions 1 or more")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"spineviz: open http://{shown}:{args.port}/ in a browser (Ctrl+C stops)", flush=True)
    session_args = ("--rendering", args.rendering, "--detail", args.detail)
    if args.shared:
        from spineviz.app.session import main as session_main

        return session_main(["--host", args.host, "--port", str(args.port), "--shared", *session_args])
    from spineviz.app.sessions import SessionManager

    SessionManager(
        host=args.host,
        port=args.port,
        pool=args.pool,
        max_sessions=args.max_sessions,
        session_args=session_args,
    ).run()
    return 0
