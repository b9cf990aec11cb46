"""Build the wslink launcher configuration the trame image builds, for use without Docker.

The trame Docker image (``kitware/trame``) builds ``/deploy/server/launcher.json``
at image build time: it starts from ``/deploy/setup/launcher.json`` and adds an
``apps`` entry (``cmd``, ``ready_line``) for every application in
``/deploy/setup/apps.yml``.  At start-up it replaces ``USE_HOST`` in the
session URL with ``$TRAME_USE_HOST`` when that is set.  This script does the
same merge from ``deploy/setup/`` and then changes only what has to differ
outside the image:

* paths: the launcher's log folder, its proxy-mapping file and the folder of
  the page's files (the image's Apache serves ``/deploy/server/www``; here the
  launcher serves it itself, ``configuration.content``);
* ports: the launcher's own port and, if asked, the range of session ports
  (its length is the number of sessions at once);
* with ``--direct``, the session URL: without the image's Apache in front,
  the browser reaches each session on its own port
  (``ws://USE_HOSTNAME:<port>/ws``) instead of through ``/proxy?sessionId=``.

Usage (from the repository root)::

    python deploy/launcher_config.py --root build/launcher --www --direct
    python -m wslink.launcher build/launcher/launcher.json

and open http://127.0.0.1:9000/.  ``--www`` also writes the page's files the
way the image does for ``www_modules`` (``python -m trame.tools.www``).
Sessions run ``python`` from ``PATH``, as in the image, whose launcher runs in
its virtual environment: run this with the environment's ``bin`` on ``PATH``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SETUP = Path(__file__).resolve().parent / "setup"
DIRECT_SESSION_URL = "ws://USE_HOSTNAME:${port}/ws"


def load_apps(apps_path: Path = SETUP / "apps.yml") -> dict:
    """``apps.yml`` as the image reads it (YAML)."""
    import yaml  # trame depends on PyYAML

    apps = yaml.safe_load(apps_path.read_text(encoding="utf-8"))
    if not isinstance(apps, dict) or not apps:
        raise ValueError(f"{apps_path}: expected a mapping of application names, got {apps!r}")
    return apps


def image_config(
    base_path: Path = SETUP / "launcher.json", apps_path: Path = SETUP / "apps.yml", *, use_host: str = ""
) -> dict:
    """The launcher configuration as the trame image builds and starts it.

    Parameters
    ----------
    base_path, apps_path : Path
        ``setup/launcher.json`` and ``setup/apps.yml``.
    use_host : str, optional
        The image's ``TRAME_USE_HOST`` (empty: not set).
    """
    config = json.loads(base_path.read_text(encoding="utf-8"))
    for name, app in load_apps(apps_path).items():
        if "cmd" not in app:
            raise ValueError(f"{apps_path}: application {name!r} needs a 'cmd' list")
        config.setdefault("apps", {})[name] = {
            "cmd": list(app["cmd"]),
            "ready_line": app.get("ready_line", "App running at"),
        }
    if "trame" not in config["apps"]:
        # The page asks for the application "trame"; the image aliases the first one.
        config["apps"]["trame"] = next(iter(config["apps"].values()))
    if use_host:
        url = config["configuration"]["sessionURL"]
        old = "ws://USE_HOST" if "://" in use_host else "USE_HOST"
        config["configuration"]["sessionURL"] = url.replace(old, use_host)
    return config


def local_config(
    root: Path,
    *,
    port: int = 9000,
    session_ports: tuple[int, int] | None = None,
    direct: bool = False,
    use_host: str = "",
) -> dict:
    """The image's configuration with local paths (and ports) under ``root``.

    Parameters
    ----------
    root : Path
        Folder for the logs, the proxy-mapping file and the page's files (``www``).
    port : int, optional
        The launcher's port (the page and ``POST /paraview/``).
    session_ports : tuple of int, optional
        First and last session port (inclusive); ``None`` keeps the image's range.
    direct : bool, optional
        Session URLs point at each session's own port (no Apache in front).
    use_host : str, optional
        As the image's ``TRAME_USE_HOST``.
    """
    config = image_config(use_host=use_host)
    conf = config["configuration"]
    conf["host"] = "127.0.0.1"
    conf["port"] = port
    conf["log_dir"] = str(root / "logs")
    conf["proxy_file"] = str(root / "proxy-mapping.txt")
    conf["content"] = str(root / "www")
    if direct:
        conf["sessionURL"] = DIRECT_SESSION_URL
    if session_ports is not None:
        first, last = session_ports
        if not 0 < first <= last < 65536:
            raise ValueError(f"session_ports: expected first <= last within 1..65535, got {session_ports}")
        for resource in config["resources"]:
            resource["port_range"] = [first, last]
    return config


def write_www(out: Path, apps_path: Path = SETUP / "apps.yml") -> None:
    """The page's files, as the image writes them for each app's ``www_modules``."""
    modules = sorted({m for app in load_apps(apps_path).values() for m in app.get("www_modules", ())})
    cmd = [sys.executable, "-m", "trame.tools.www", "--output", str(out), "--client-type", "vue3", *modules]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def write(root: Path, config: dict, *, www: bool = False) -> Path:
    """Create ``root``'s folders, optionally the page's files; write and return ``launcher.json``."""
    (root / "logs").mkdir(parents=True, exist_ok=True)
    if www:
        write_www(root / "www")
    path = root / "launcher.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def _port_range(text: str) -> tuple[int, int]:
    try:
        first, last = (int(p) for p in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FIRST-LAST, e.g. 9101-9108; got {text!r}") from None
    return first, last


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", type=Path, required=True, help="folder for launcher.json, logs/ and www/")
    p.add_argument("--port", type=int, default=9000, help="the launcher's port (default 9000)")
    p.add_argument(
        "--session-ports", type=_port_range, help="FIRST-LAST session ports (default: the image's)"
    )
    p.add_argument("--direct", action="store_true", help="sessions reached on their own ports (no Apache)")
    p.add_argument("--use-host", default="", help="as the image's TRAME_USE_HOST")
    p.add_argument("--www", action="store_true", help="also write the page's files into ROOT/www")
    args = p.parse_args(argv)
    try:
        config = local_config(
            args.root.resolve(),
            port=args.port,
            session_ports=args.session_ports,
            direct=args.direct,
            use_host=args.use_host,
        )
    except ValueError as error:
        p.error(str(error))
    print(write(args.root.resolve(), config, www=args.www))
    return 0


if __name__ == "__main__":
    sys.exit(main())
