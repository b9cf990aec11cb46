"""Browser app figures: startup, click → new pixels, bytes, memory, sessions at once.

Run: ``.venv/bin/python benchmarks/bench_app.py [--quick]`` (needs Debian chromium).
Everything runs on 127.0.0.1 with bounded loops.  Latency is measured *in the
page*: a small init script stamps the click with ``performance.now()`` and
records when the next image arrives on the websocket (remote rendering) or
the next WebGL draw call happens (local rendering); polling screenshots
from Python would add 250–300 ms and compete for the two cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

INIT_SCRIPT = """
window.__frames = []; window.__draws = [];
const NativeWS = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new NativeWS(...args);
  ws.addEventListener('message', (e) => {
    const size = e.data.size !== undefined ? e.data.size : (e.data.byteLength || e.data.length || 0);
    window.__frames.push([performance.now(), size]);
  });
  return ws;
};
window.WebSocket.prototype = NativeWS.prototype;
Object.assign(window.WebSocket, NativeWS);
for (const proto of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
  if (!proto) continue;
  for (const name of ['drawElements', 'drawArrays']) {
    const native = proto.prototype[name];
    proto.prototype[name] = function (...args) {
      window.__draws.push(performance.now());
      return native.apply(this, args);
    };
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(*args: str) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), VTK_DEFAULT_OPENGL_WINDOW="vtkEGLRenderWindow")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "spineviz.cli", "serve", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    return proc, url, t0


def drawn(page) -> bool:
    import io

    import numpy as np
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(page.locator("#view-main").screenshot())).convert("RGB")).astype(
        int
    )
    edge = image[:, :4].mean(axis=1, keepdims=True)
    return float((np.abs(image - edge).sum(axis=2) > 40).mean()) > 0.05


def open_page(browser, url: str, *, count_bytes: bool = False):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    received = {"bytes": 0}
    if count_bytes:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on(
            "Network.loadingFinished",
            lambda e: received.__setitem__("bytes", received["bytes"] + e["encodedDataLength"]),
        )
        cdp.on(
            "Network.webSocketFrameReceived",
            lambda e: received.__setitem__(
                "bytes", received["bytes"] + len(e["response"]["payloadData"]) * 3 // 4
            ),
        )
    page.goto(url)
    page.locator("#view-main").wait_for(state="visible", timeout=120_000)
    deadline = time.perf_counter() + 120
    while not drawn(page):
        if time.perf_counter() > deadline:
            raise RuntimeError("the segment was never drawn")
        page.wait_for_timeout(50)
    return context, page, received


TOGGLE = "document.querySelector('#field-ingrowth').click()"


def wait_image(page, t0: float, *, timeout_ms: float) -> float:
    """ms from ``t0`` to the next image on the websocket; ``timeout_ms`` when none comes."""
    try:
        handle = page.wait_for_function(
            "(t0) => { const hit = window.__frames.find((f) => f[0] > t0 && f[1] > 5000); "
            "return hit ? hit[0] : null; }",
            arg=t0,
            timeout=timeout_ms,
            polling="raf",
        )
    except Exception:
        return timeout_ms
    return handle.json_value() - t0


def latency(page, action_js: str, *, mode: str, timeout_ms: float = 5000) -> float:
    """ms from the action to the next image (remote) or draw call (local) after it."""
    t0 = page.evaluate(f"() => {{ const t = performance.now(); {action_js}; return t; }}")
    key = "__frames" if mode == "remote" else "__draws"
    # An image is a big binary message; state echoes are small.
    test = "f[0] > t0 && f[1] > 5000" if mode == "remote" else "f > t0"
    handle = page.wait_for_function(
        f"(t0) => {{ const hit = window.{key}.find((f) => {test}); "
        "return hit ? (Array.isArray(hit) ? hit[0] : hit) : null; }",
        arg=t0,
        timeout=timeout_ms,
        polling="raf",
    )
    return handle.json_value() - t0


def toggles(page, *, mode: str, n: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"toggle": [], "slider step": []}
    for i in range(n):
        # A real click on the ingrowth switch (it adds/removes the fibre and vessel parts).
        out["toggle"].append(latency(page, "document.querySelector('#field-ingrowth').click()", mode=mode))
        page.wait_for_timeout(150)
        grade = 2 + i % 3
        out["slider step"].append(latency(page, f"window.trame.state.set('pfirrmann', '{grade}')", mode=mode))
        page.wait_for_timeout(150)
    return out


def summary(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {statistics.median(values):6.0f} ms   p95 {p95:6.0f} ms   (n={len(values)})"


def bench_mode(pw, mode: str, n: int) -> None:
    proc, url, t0 = start_serve("--rendering", mode, "--pool", "1")
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context, page, received = open_page(browser, url, count_bytes=True)
        first = time.perf_counter() - t0
        print(f"[{mode}] serve → first frame (pixels seen by polling): {first:5.1f} s")
        page.wait_for_timeout(1000)
        print(f"[{mode}] first load transferred (compressed as sent): {received['bytes'] / 1e6:5.2f} MB")
        before = received["bytes"]
        figures = toggles(page, mode=mode, n=n)
        per_toggle = (received["bytes"] - before) / (2 * n)
        for name, values in figures.items():
            print(
                f"[{mode}] click → new {'image' if mode == 'remote' else 'draw call'}, "
                f"{name:11s}: {summary(values)}"
            )
        print(f"[{mode}] bytes per change: {per_toggle / 1e3:6.1f} kB")
        context.close()
        # Reloading reuses the browser cache: only what a returning visitor fetches.
        browser.close()
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """End a `spineviz serve` started by :func:`start_serve`, forcefully if it lingers."""
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()


def bench_sessions(pw, n_max: int, n: int) -> None:
    proc, url, _t0 = start_serve("--pool", "2", "--max-sessions", str(n_max + 2), "--detail", "low")
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pages = []
        for k in range(1, n_max + 1):
            pages.append(open_page(browser, url)[1])
            values = []
            for _ in range(n):
                # Every session clicks at once, then each waits for its own new image.
                starts = [
                    page.evaluate(f"() => {{ const t = performance.now(); {TOGGLE}; return t; }}")
                    for page in pages
                ]
                for page, t0 in zip(pages, starts, strict=True):
                    values.append(wait_image(page, t0, timeout_ms=20000))
                pages[0].wait_for_timeout(100)
            p95 = sorted(values)[round(0.95 * (len(values) - 1))]
            print(f"[sessions] {k} at once: toggle {summary(values)}  {'OK' if p95 < 500 else 'over 500 ms'}")
            if p95 >= 500:
                break
        browser.close()
    finally:
        stop(proc)


def bench_memory(n: int) -> None:
    import resource
    import uuid

    from spineviz.render import offscreen

    offscreen.configure_environment()
    from trame.app import get_server

    from spineviz.app import SpineVizApp

    def rss_mb() -> float:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    app = SpineVizApp(get_server(f"bench_{uuid.uuid4().hex}", client_type="vue3"))
    app.state.ready()
    app.presenter.plotter.render()
    start = rss_mb()
    t0 = time.perf_counter()
    for i in range(n):
        app.state.ingrowth = "on" if i % 2 == 0 else "off"
        app.state.flush()
        app.presenter.plotter.render()
    per = (time.perf_counter() - t0) / n * 1000
    print(
        f"[memory] server process RSS before {start:6.0f} MB, after {n} toggles {rss_mb():6.0f} MB "
        f"({per:.0f} ms per toggle incl. server render)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--skip", nargs="*", default=(), choices=("remote", "local", "sessions", "memory"))
    args = parser.parse_args()
    n = 5 if args.quick else 15
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {platform.platform()}; chromium {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        for mode in ("remote", "local"):
            if mode not in args.skip:
                bench_mode(pw, mode, n)
        if "sessions" not in args.skip:
            bench_sessions(pw, 4 if args.quick else 6, 5)
    if "memory" not in args.skip:
        bench_memory(200 if args.quick else 1000)


if __name__ == "__main__":
    main()
