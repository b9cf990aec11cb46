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
window.__frames = []; window.__draws = []; window.__images = []; window.__imageWidths = [];
window.__events = [];
document.addEventListener('load', (e) => {
  // Only the 3D views' images (remote rendering shows each frame as an <img>).
  const img = e.target;
  if (img.tagName === 'IMG' && img.closest('[id^="view-"]')) {
    window.__images.push(performance.now());
    window.__imageWidths.push(img.naturalWidth);
  }
}, true);
const NativeWS = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new NativeWS(...args);
  window.__events.push([performance.now(), 'websocket created ' + args[0]]);
  ws.addEventListener('open', () => window.__events.push([performance.now(), 'websocket open']));
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


def start_serve(*args: str, log=None) -> tuple[subprocess.Popen, str, float]:
    """Start ``spineviz serve``; returns it, its URL and the Unix time it was started.

    With ``log`` (an open file) its output goes there with timeline marks on
    (:mod:`spineviz.app.timeline`).
    """
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), VTK_DEFAULT_OPENGL_WINDOW="vtkEGLRenderWindow")
    if log is not None:
        env["SPINEVIZ_TIMELINE"] = "1"
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "spineviz.cli", "serve", "--port", str(port), *args],
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(1200):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            break
        except OSError:
            time.sleep(0.05)
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
TOUR_START = "document.querySelector('#tour').click()"
TOUR_NEXT = "document.querySelector('#tour-next').click()"
TOUR_BACK = "document.querySelector('#tour-back').click()"

PIXELS = {"remote": "__images", "local": "__draws"}
"""What counts as new pixels: the view's image element loading the next frame
(remote) or the next WebGL draw call (local)."""


def wait_pixels(page, t0: float, *, mode: str = "remote", timeout_ms: float = 5000) -> float:
    """ms from ``t0`` (page clock) to the next new pixels; ``timeout_ms`` when none come."""
    try:
        handle = page.wait_for_function(
            "([t0, key]) => { const hit = window[key].find((t) => t > t0); "
            "return hit === undefined ? null : hit; }",
            arg=[t0, PIXELS[mode]],
            timeout=timeout_ms,
            polling="raf",
        )
    except Exception:
        return timeout_ms
    return handle.json_value() - t0


def click(page, action_js: str) -> float:
    """Run ``action_js`` in the page; returns the page-clock time just before it."""
    return page.evaluate(f"() => {{ const t = performance.now(); {action_js}; return t; }}")


def latency(page, action_js: str, *, mode: str, timeout_ms: float = 5000) -> float:
    """ms from the action to the next new pixels after it."""
    return wait_pixels(page, click(page, action_js), mode=mode, timeout_ms=timeout_ms)


def settle(page, ms: float = 150) -> None:
    page.wait_for_timeout(ms)


def changes(page, *, mode: str, n: int) -> dict[str, list[float]]:
    """Click → new pixels for ``n`` toggles, slider steps and tour steps."""
    out: dict[str, list[float]] = {"toggle": [], "slider step": [], "tour step": []}
    for i in range(n):
        # A real click on the ingrowth switch (it adds/removes the fibre and vessel parts).
        out["toggle"].append(latency(page, TOGGLE, mode=mode))
        settle(page)
        grade = 2 + i % 3
        out["slider step"].append(latency(page, f"window.trame.state.set('pfirrmann', '{grade}')", mode=mode))
        settle(page)
    # The tour: start, forward to the end, back to the start (each step sets state and camera).
    out["tour step"].append(latency(page, TOUR_START, mode=mode))
    settle(page)
    count = int(page.evaluate("() => window.trame.state.get('tour_count')"))
    for action in [TOUR_NEXT] * (count - 1) + [TOUR_BACK] * (count - 1):
        out["tour step"].append(latency(page, action, mode=mode))
        settle(page)
    page.evaluate("() => document.querySelector('#tour-close').click()")
    settle(page, 500)
    return out


def summary(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {statistics.median(values):6.0f} ms   p95 {p95:6.0f} ms   (n={len(values)})"


def first_pixels(page, mode: str) -> float:
    """Unix time of the first frame in the page at its real size (waits up to two minutes).

    Remote: the first image at least 200 px wide (a view's first images
    come at the server's size or the layout's first guesses, a few dozen
    pixels wide); local: the first WebGL draw.
    """
    if mode == "local":
        test, stamp = "window.__draws.length > 0", "window.__draws[0]"
    else:
        test = "window.__imageWidths.some((w) => w >= 200)"
        stamp = "window.__images[window.__imageWidths.findIndex((w) => w >= 200)]"
    page.wait_for_function(f"() => {test}", timeout=120_000, polling=50)
    return page.evaluate(f"() => (performance.timeOrigin + {stamp}) / 1000")


def bench_mode(pw, mode: str, n: int) -> None:
    # The browser is open before the server starts, as a visitor's would be.
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    proc, url, t0 = start_serve("--rendering", mode, "--pool", "1")
    try:
        context, page, received = open_page(browser, url, count_bytes=True)
        print(f"[{mode}] serve → first frame: {first_pixels(page, mode) - t0:5.1f} s")
        page.wait_for_timeout(1000)
        print(f"[{mode}] first load transferred (compressed as sent): {received['bytes'] / 1e6:5.2f} MB")
        before = received["bytes"]
        figures = changes(page, mode=mode, n=n)
        per_toggle = (received["bytes"] - before) / sum(len(v) for v in figures.values())
        for name, values in figures.items():
            print(f"[{mode}] click → new pixels, {name:11s}: {summary(values)}")
        print(f"[{mode}] bytes per change: {per_toggle / 1e3:6.1f} kB")
        context.close()
    finally:
        browser.close()
        stop(proc)


def read_marks(path: Path) -> list[tuple[float, str]]:
    """The ``[timeline]`` lines of a serve log as (Unix time, "pid event")."""
    marks = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("[timeline]"):
            _tag, stamp, pid, event = line.split(" ", 3)
            marks.append((float(stamp), f"{event}  [pid {pid}]"))
    return marks


def page_marks(page) -> list[tuple[float, str]]:
    """The page's own events (navigation, websocket, images, draws) as (Unix time, event)."""
    data = page.evaluate(
        """() => {
        const nav = performance.getEntriesByType('navigation')[0] || {};
        const out = [[0, 'navigation start'], [nav.responseEnd || 0, 'page received'],
                     [nav.domContentLoadedEventEnd || 0, 'DOM ready'],
                     [nav.loadEventEnd || 0, 'page loaded']];
        for (const [t, what] of window.__events) out.push([t, what]);
        for (const [t, size] of window.__frames) {
            if (size > 5000) out.push([t, `websocket message ${size} B`]);
        }
        for (const t of window.__images) out.push([t, 'view image loaded']);
        if (window.__draws.length) out.push([window.__draws[0], 'first WebGL draw']);
        return [performance.timeOrigin, out];
    }"""
    )
    origin, events = data
    return [((origin + t) / 1000, f"page: {what}") for t, what in events if t or what == "navigation start"]


def print_timeline(marks, zero: float, *, since: float = 0.0, until: float = 1e18) -> None:
    """Marks between ``since`` and ``until`` (Unix times) in order, in ms from ``zero``."""
    for stamp, what in sorted(m for m in marks if since <= m[0] <= until):
        print(f"  {1000 * (stamp - zero):9.1f} ms  {what}")


def bench_timeline(pw, mode: str) -> None:
    """Server and page events of the start-up and of three changes, on one clock."""
    import tempfile

    browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    with tempfile.TemporaryDirectory() as folder:
        log_path = Path(folder) / "serve.log"
        with log_path.open("w") as log:
            proc, url, t0 = start_serve("--rendering", mode, "--pool", "1", log=log)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(INIT_SCRIPT)
            page = context.new_page()
            page.goto(url)
            first = first_pixels(page, mode)
            page.wait_for_timeout(1500)
            print(f"[timeline {mode}] start-up (0 = serve started; first pixels at {first - t0:.2f} s):")
            startup = read_marks(log_path) + page_marks(page)
            print_timeline(startup, t0, until=first + 0.001)
            steps = (
                ("toggle", TOGGLE),
                ("slider step", "window.trame.state.set('pfirrmann', '4')"),
                ("tour step", TOUR_START),
                ("toggle", TOGGLE),
            )
            for name, action in steps:
                since = time.time()
                t_click = click(page, action)
                ms = wait_pixels(page, t_click, mode=mode)
                page.wait_for_timeout(400)
                clicked = page.evaluate("() => performance.timeOrigin") / 1000 + t_click / 1000
                print(f"[timeline {mode}] {name}: {ms:.0f} ms to new pixels (0 = click):")
                marks = read_marks(log_path) + page_marks(page)
                print_timeline(marks, clicked, since=since, until=time.time())
            context.close()
        finally:
            browser.close()
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
                starts = [click(page, TOGGLE) for page in pages]
                for page, t0 in zip(pages, starts, strict=True):
                    values.append(wait_pixels(page, t0, timeout_ms=20000))
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

    from spineviz.app.delivery import render_jpeg

    app = SpineVizApp(get_server(f"bench_{uuid.uuid4().hex}", client_type="vue3"))
    app.state.ready()
    window = app.presenter.plotter.render_window
    render_jpeg(window, size=(920, 716))
    start = rss_mb()
    t0 = time.perf_counter()
    for i in range(n):
        app.state.ingrowth = "on" if i % 2 == 0 else "off"
        app.state.flush()
        render_jpeg(window)  # what a remote view's image costs: render, read back, encode
    per = (time.perf_counter() - t0) / n * 1000
    print(
        f"[memory] server process RSS before {start:6.0f} MB, after {n} toggles {rss_mb():6.0f} MB "
        f"({per:.0f} ms per toggle incl. render and JPEG)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--skip", nargs="*", default=(), choices=("remote", "local", "sessions", "memory"))
    parser.add_argument(
        "--timeline", choices=("remote", "local"), help="only print the start-up and change timelines"
    )
    args = parser.parse_args()
    n = 5 if args.quick else 15
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {platform.platform()}; chromium {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    if args.timeline:
        with sync_playwright() as pw:
            bench_timeline(pw, args.timeline)
        return
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
