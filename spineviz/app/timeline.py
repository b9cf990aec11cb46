"""Time stamps of the app's start-up and of every change it draws, for benchmarks.

With ``SPINEVIZ_TIMELINE=1`` in the environment, :func:`mark` prints one line
``[timeline] <unix time> <pid> <event> (cpu <s>)`` per event, with the
CPU time the process has used so far; the session manager
passes its children's lines on, so ``benchmarks/bench_app.py --timeline``
can lay the server's events next to the browser's.  Without the variable
:func:`mark` does nothing, at the cost of one attribute test.
"""

from __future__ import annotations

import os
import time

ENABLED = os.environ.get("SPINEVIZ_TIMELINE", "") not in ("", "0")
PREFIX = "[timeline]"


def mark(event: str) -> None:
    """Print ``event`` with the wall-clock time when timelines are on."""
    if ENABLED:
        cpu = time.process_time()
        print(f"{PREFIX} {time.time():.4f} {os.getpid()} {event} (cpu {cpu:.2f} s)", flush=True)


def watch_image_delivery(link) -> None:
    """Mark every render of trame-vtk's image delivery ``link`` and every image it publishes."""
    if not ENABLED:
        return
    still_render, publish = link.still_render, link.publish

    def timed_render(options):
        start = time.perf_counter()
        reply = still_render(options)
        mark(
            f"still_render view {options.get('view')} {1000 * (time.perf_counter() - start):.1f} ms "
            f"size {reply.get('size')} stale={reply.get('stale')} image={bool(reply.get('image'))}"
        )
        return reply

    def timed_publish(topic, data, *args, **kwargs):
        if topic == "viewport.image.push.subscription":
            mark("image published")
        return publish(topic, data, *args, **kwargs)

    link.still_render, link.publish = timed_render, timed_publish
