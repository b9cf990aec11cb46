"""wslink's launcher (the one in trame's Docker image) run here, with the image's configuration.

``deploy/launcher_config.py`` builds the configuration the image builds from
``deploy/setup/`` and substitutes local paths and ports; :class:`Launcher`
starts ``python -m wslink.launcher`` on it and ends every process it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))  # browser_helpers

import launcher_config  # noqa: E402
from browser_helpers import drawn_fraction, view_pixels, wait_for  # noqa: E402


def free_ports(count: int) -> tuple[int, int]:
    """First and last of ``count`` consecutive ports nobody listens on."""
    for _attempt in range(50):
        first = random.randint(20000, 40000)
        sockets = []
        try:
            for port in range(first, first + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return first, first + count - 1
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError(f"no {count} consecutive free ports found")


def session_pids() -> dict[int, int]:
    """Port → process id of every running ``spineviz.app.session`` (from /proc)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "spineviz.app.session" in args and "--port" in args:
            if ended(int(proc.name)):
                continue
            found[int(args[args.index("--port") + 1])] = int(proc.name)
    return found


def ended(pid: int) -> bool:
    """The process has exited (gone, or a zombie its parent has not yet collected)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def post_session(url: str, *, timeout: float = 90) -> tuple[int, dict]:
    """``POST`` to the launcher as the trame client does; returns status and JSON answer.

    HTTPS certificates are not checked (the tests' balancer has a self-signed one).
    """
    body = json.dumps({"application": "trame"}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    unchecked = ssl._create_unverified_context()
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=unchecked) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text or b"{}")
        except json.JSONDecodeError:
            return error.code, {"body": text.decode(errors="replace")[:500]}


def wait_drawn(page, *, timeout: float = 90) -> np.ndarray:
    """Wait until the page (already opened) draws the segment; returns the view's pixels."""
    page.locator("#view-main").wait_for(state="visible", timeout=timeout * 1000)

    def drawn():
        image = view_pixels(page)
        return image if drawn_fraction(image) > 0.05 else None

    return wait_for(drawn, timeout=timeout, what="the segment to be drawn")


def wait_http(url: str, process: subprocess.Popen, log: Path, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)


class Launcher:
    """A running ``python -m wslink.launcher`` and where it keeps its state."""

    def __init__(self, root: Path, config: dict):
        self.root, self.config = root, config
        conf = config["configuration"]
        self.url = f"http://127.0.0.1:{conf['port']}/"
        self.endpoint = f"{self.url}{conf['endpoint']}/"
        first, last = config["resources"][0]["port_range"]
        self.ports = range(first, last + 1)
        self.mapping = Path(conf["proxy_file"])
        self.logs = Path(conf["log_dir"])
        self.log = root / "launcher.out"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        path = launcher_config.write(self.root, self.config)
        # Sessions run `python` from PATH, as in the image (its launcher runs in the venv).
        env = dict(
            os.environ,
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            PYTHONPATH=str(ROOT),
            VTK_DEFAULT_OPENGL_WINDOW="vtkEGLRenderWindow",
        )
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "wslink.launcher", str(path)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.root,
            )
        wait_http(self.url, self.process, self.log)

    def sessions(self) -> dict[str, int]:
        """Session id → port, from the proxy-mapping file the launcher keeps for Apache."""
        if not self.mapping.exists():
            return {}
        pairs = (line.split() for line in self.mapping.read_text().splitlines() if line.strip())
        return {sid: int(address.rsplit(":", 1)[1]) for sid, address in pairs}

    def pids(self) -> dict[int, int]:
        """Port → process id of the sessions on this launcher's ports."""
        return {port: pid for port, pid in session_pids().items() if port in self.ports}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        # Sessions outlive their launcher; end the ones this one started.
        for pid in self.pids().values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def make_launcher(root: Path, www: Path, *, sessions: int, direct: bool, use_host: str = "") -> Launcher:
    first, last = free_ports(sessions)
    port = free_ports(1)[0]
    config = launcher_config.local_config(
        root, port=port, session_ports=(first, last), direct=direct, use_host=use_host
    )
    config["configuration"]["content"] = str(www)
    return Launcher(root, config)
