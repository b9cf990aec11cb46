"""One visitor's server process: ``python -m spineviz.app.session --port N``.

Started by :class:`spineviz.app.sessions.SessionManager` (or by trame's own
launcher in the Docker deployment, see ``deploy/``).  It builds the scene,
listens, prints wslink's ready line, and ends ``--idle-exit`` seconds after
its visitor's last connection closes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

READY_LINE = "spineviz session ready"
"""Printed once the session listens; launchers wait for it (``ready_line``)."""
DRAWN_LINE = "spineviz session drawn"
"""Printed once the first image of a real size went to a browser: the session
manager starts the next spare only then, so that its start-up does not slow
this visitor's first frame."""
IMAGE_TOPIC = "viewport.image.push.subscription"


def announce_first_image(server, *, min_size: int = 200) -> None:
    """Print :data:`DRAWN_LINE` when the server first publishes an image at least ``min_size`` a side."""
    for link in server.protocol.getLinkProtocols() if server.protocol else ():
        if not hasattr(link, "still_render"):  # trame-vtk's image delivery has it
            continue
        publish = link.publish

        def first(topic, data, *args, _link=link, _publish=publish, **kwargs):
            size = data.get("size") if isinstance(data, dict) else None
            if topic == IMAGE_TOPIC and size and min(size) >= min_size:
                print(DRAWN_LINE, flush=True)
                _link.publish = _publish
            return _publish(topic, data, *args, **kwargs)

        link.publish = first


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m spineviz.app.session", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--rendering", choices=("remote", "local"), default="remote")
    p.add_argument("--detail", choices=("low", "medium", "high"), default="medium")
    p.add_argument("--idle-exit", type=float, default=30.0, help="seconds to live after the visitor leaves")
    p.add_argument("--shared", action="store_true", help="every browser follows one state")
    p.add_argument("--authKey", default=None, help="secret the launcher hands the browser (wslink)")
    p.add_argument(
        "--visitor-timeout",
        type=float,
        default=0.0,
        help="end if no visitor connects within this many seconds (0: wait, as a warm spare does)",
    )
    p.add_argument(
        "--skip-render-check",
        action="store_true",
        help="no EGL smoke test here: the parent runs it should this process die",
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from .timeline import mark

    mark("session: main")
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("spineviz").setLevel(logging.INFO)
    from spineviz.render import offscreen

    offscreen.configure_environment()
    if args.skip_render_check:
        offscreen.skip_check()
    else:
        offscreen.begin_check()  # the EGL smoke test runs while trame and the model load
    from trame.app import get_server

    from .core import SpineVizApp

    mark("session: imports done")
    server = get_server("spineviz", client_type="vue3")
    app = SpineVizApp(
        server, shared=args.shared, rendering=args.rendering, detail=args.detail, idle_exit_s=args.idle_exit
    )
    mark("session: app built")
    app.ctrl.on_server_ready.add(lambda **_: print(READY_LINE, flush=True))
    app.ctrl.on_server_ready.add(lambda **_: announce_first_image(app.server))
    # trame reads --host, --port and --authKey from the command line itself.
    app.server.start(
        host=args.host,
        port=args.port,
        open_browser=False,
        show_connection_info=False,
        # wslink ends the process this long after start unless a visitor connects
        # (then the --idle-exit countdown takes over, see SpineVizApp).
        timeout=args.visitor_timeout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
