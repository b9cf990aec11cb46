"""Warm render time of the default segment at 1920×1080 for each anti-aliasing choice.

Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_render.py [--repeat 9] [--detail medium]

Prints, per choice, the median seconds of a warm frame (render + read-back,
camera moved between frames so nothing is cached) and of writing the PNG.
The choices are timed round-robin (one frame of each in turn) so that a
burst of load from other processes hits all of them alike; the load average
before and after is printed with the figures, as timings on a shared 2-core
machine mean little without it.  The CPU seconds of the process per frame
are printed too: with no GPU the frame is pure CPU work (llvmpipe threads
included), so on an idle machine the wall time cannot exceed them — a bound
that other processes' load does not move.  Goal: ≤ 0.3 s for the default.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

PEELING_VARIANTS = (
    # (label, anti-aliasing, number of peels (0 = off), occlusion ratio)
    # Translucent layers are few: 2 peels already match 8 within 8 of 255
    # levels; an occlusion ratio of 0.1 leaves stray pixels (33–46 levels off).
    ("fxaa, 2 peels", "fxaa", 2, 0.0),
    ("fxaa, 4 peels, occlusion 0.1", "fxaa", 4, 0.1),
)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--detail", default="medium", choices=("low", "medium", "high"))
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from PIL import Image

    from spineviz.geometry.model import build_model
    from spineviz.render.scene import (
        ANTI_ALIASING,
        DEFAULT_ANTI_ALIASING,
        DEFAULT_DEPTH_PEELING,
        ScenePresenter,
    )

    t = time.perf_counter()
    model = build_model("L4-L5", detail=args.detail)
    print(
        f"model L4-L5 {args.detail}: {model.n_triangles} triangles, built in {time.perf_counter() - t:.1f} s"
    )
    configs: list[tuple[str, dict, tuple[int, float] | None]] = []
    for aa in ANTI_ALIASING:
        for peeling in (True, False):
            default = " (default)" if (aa, peeling) == (DEFAULT_ANTI_ALIASING, DEFAULT_DEPTH_PEELING) else ""
            label = f"aa={aa}, {'depth peeling' if peeling else 'no peeling (OIT)'}{default}"
            configs.append((label, {"anti_aliasing": aa, "depth_peeling": peeling}, None))
    configs += [
        (label, {"anti_aliasing": aa, "depth_peeling": True}, (n, ratio))
        for label, aa, n, ratio in PEELING_VARIANTS
    ]

    scenes, setups = [], []
    for _, kwargs, peeling in configs:
        scene = ScenePresenter(size=(width, height), **kwargs)
        if peeling is not None:
            scene.plotter.enable_depth_peeling(number_of_peels=peeling[0], occlusion_ratio=peeling[1])
        t = time.perf_counter()
        scene.update(model.parts)
        setups.append(time.perf_counter() - t)
        scene.screenshot("lateral")  # warm-up: shaders, buffers
        scenes.append(scene)

    print(f"before: {load()}")
    cameras = ("lateral", "oblique")
    frames: list[list[float]] = [[] for _ in configs]
    writes: list[list[float]] = [[] for _ in configs]
    cpu: list[list[float]] = [[] for _ in configs]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            for k, scene in enumerate(scenes):
                t, c = time.perf_counter(), time.process_time()
                image = scene.screenshot(cameras[i % 2])
                frames[k].append(time.perf_counter() - t)
                cpu[k].append(time.process_time() - c)
                t = time.perf_counter()
                Image.fromarray(image).save(Path(tmp) / "b.png", compress_level=1)
                writes[k].append(time.perf_counter() - t)
    print(f"after:  {load()}")
    for (label, _, _), f, c, w, setup in zip(configs, frames, cpu, writes, setups, strict=True):
        print(
            f"{width}x{height} {label:42s}: frame {statistics.median(f):.3f} s "
            f"(median of {args.repeat}, min {min(f):.3f}), cpu {statistics.median(c):.3f} s, "
            f"png {statistics.median(w):.3f} s, set-up {setup:.2f} s"
        )
    for scene in scenes:
        scene.close()


if __name__ == "__main__":
    main()
