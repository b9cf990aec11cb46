"""deploy/nginx.conf in front of two "machines", over HTTPS, websockets included.

Each machine is what one container of the Docker image runs, without Docker:
wslink's launcher with the image's configuration (one session place, so that
two visitors need two machines) behind an Apache that routes as the image's
Apache does (tests/deploy/machine-apache.conf).  nginx runs deploy/nginx.conf
with only its addresses, ports and certificate substituted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_helpers import choose, field, wait_changed, wait_for
from deploy_helpers import ROOT, Launcher, free_ports, make_launcher, post_session, wait_drawn
from playwright.sync_api import expect

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.skipif(
    not (Path(NGINX).exists() and Path(APACHE).exists() and shutil.which("openssl")),
    reason="nginx, apache2 or openssl is not installed (bin/setup --test installs them)",
)


def _readable_dir(prefix: str) -> Path:
    """A folder Apache's and nginx's unprivileged workers can read (pytest's are private)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


@dataclass
class Machine:
    name: str
    launcher: Launcher
    apache: subprocess.Popen
    port: int
    root: Path


def _start_machine(name: str, www: Path) -> Machine:
    root = _readable_dir(f"spineviz-{name}-")
    shutil.copytree(www, root / "www")
    launcher = make_launcher(root, root / "www", sessions=1, direct=False, use_host=f"wss://USE_HOST/{name}")
    launcher.start()
    (root / "logs").chmod(0o777)
    port = free_ports(1)[0]
    user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
    conf = (HERE / "machine-apache.conf").read_text()
    for token, value in {
        "@ROOT@": str(root),
        "@PORT@": str(port),
        "@WWW@": str(root / "www"),
        "@LAUNCHER@": str(launcher.config["configuration"]["port"]),
        "@MAPPING@": str(launcher.mapping),
        "@USER@": user,
    }.items():
        conf = conf.replace(token, value)
    launcher.mapping.touch()  # Apache opens the map at start-up
    (root / "apache.conf").write_text(conf)
    checked = _run([APACHE, "-f", str(root / "apache.conf"), "-t"])
    assert checked.returncode == 0, checked.stderr
    apache = subprocess.Popen(
        [APACHE, "-f", str(root / "apache.conf"), "-DFOREGROUND"],
        stdout=subprocess.DEVNULL,
        stderr=(root / "logs" / "apache.out").open("w"),
    )
    return Machine(name, launcher, apache, port, root)


def _stop_machine(machine: Machine) -> None:
    machine.apache.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        machine.apache.wait(10)
    machine.launcher.stop()
    shutil.rmtree(machine.root, ignore_errors=True)


def nginx_config(root: Path, apache_ports: list[int]) -> tuple[Path, int]:
    """deploy/nginx.conf with local addresses, ports and a self-signed certificate, in a main config."""
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    https, http = free_ports(1)[0], free_ports(1)[0]
    key, cert = root / "key.pem", root / "cert.pem"
    openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    made = _run([*openssl, "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)])
    assert made.returncode == 0, made.stderr
    substitutions = {
        "10.0.0.11:8080": f"127.0.0.1:{apache_ports[0]}",
        "10.0.0.12:8080": f"127.0.0.1:{apache_ports[1]}",
        "listen 443 ssl;": f"listen 127.0.0.1:{https} ssl;",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "/etc/ssl/certs/spine.example.org.pem": str(cert),
        "/etc/ssl/private/spine.example.org.key": str(key),
    }
    for old, new in substitutions.items():
        assert old in site, f"deploy/nginx.conf no longer contains {old!r}: update this test"
        site = site.replace(old, new)
    (root / "site.conf").write_text(site)
    temp = root / "temp"
    temp.mkdir(mode=0o777)
    temp.chmod(0o777)
    main = f"""
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    log_format upstream '$status "$request" $upstream_addr $request_time';
    access_log {root}/nginx-access.log upstream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {root}/site.conf;
}}
"""
    (root / "nginx.conf").write_text(main)
    return root / "nginx.conf", https


@pytest.fixture
def balancer_root():
    root = _readable_dir("spineviz-nginx-")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_nginx_accepts_the_deployment_configuration(balancer_root):
    conf, _port = nginx_config(balancer_root, [18081, 18082])
    checked = _run([NGINX, "-t", "-c", str(conf), "-e", str(balancer_root / "nginx-error.log")])
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


@pytest.mark.browser
@pytest.mark.slow
def test_two_visitors_through_the_load_balancer_land_on_two_machines(www, browser, balancer_root):
    machines: list[Machine] = []
    nginx = None
    try:
        machines = [_start_machine(name, www) for name in ("m1", "m2")]
        conf, port = nginx_config(balancer_root, [m.port for m in machines])
        nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-e", str(balancer_root / "nginx-error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"https://127.0.0.1:{port}/"
        pages, sockets = [], []
        for _visitor in range(2):
            page = browser.new_context(ignore_https_errors=True).new_page()
            urls: list[str] = []
            page.on("websocket", lambda ws, urls=urls: urls.append(ws.url))
            pages.append(page)
            sockets.append(urls)
        started = time.monotonic()
        wait_for(lambda: _answers(pages[0], url), timeout=20, what="nginx to answer")
        pages[1].goto(url)
        before = []
        for page in pages:
            before.append(wait_drawn(page))
            print(f"visitor through nginx: drawn {time.monotonic() - started:.1f} s after opening")

        # Each visitor's websocket went through nginx (wss) to a different machine.
        names = []
        for urls in sockets:
            assert len(urls) == 1, urls
            assert urls[0].startswith(f"wss://127.0.0.1:{port}/m"), urls[0]
            names.append(urls[0].split("/")[3])
        assert sorted(names) == ["m1", "m2"]
        for machine in machines:
            assert len(machine.launcher.sessions()) == 1
        # The websocket carries the visitor's changes both ways.
        choose(pages[0], "modic", "type 1")
        wait_changed(pages[0], before[0])
        expect(field(pages[1], "modic")).to_contain_text("none")

        # Both machines full: the balancer passes on the launchers' refusal.
        status, answer = post_session(f"{url}paraview/")
        assert status == 503, answer
        for page in pages:
            page.context.close()

        # nginx logs a websocket when it closes: one upgrade (101) to each machine.
        log = balancer_root / "nginx-access.log"
        for name in ("m1", "m2"):
            wait_for(
                lambda name=name: f'101 "get /{name}/proxy?sessionid=' in log.read_text().lower(),
                timeout=10,
                what=f"nginx to log the websocket to {name}:\n{log.read_text()}",
            )
    finally:
        if nginx is not None:
            nginx.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                nginx.wait(10)
        for machine in machines:
            _stop_machine(machine)


def _answers(page, url: str) -> bool:
    try:
        page.goto(url)
        return True
    except Exception:
        time.sleep(0.2)
        return False
