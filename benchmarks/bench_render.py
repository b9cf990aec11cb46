"""Warm render time of the default segment at 1920×1080 for each anti-aliasing choice.

Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_render.py [--repeat 7] [--detail medium]

Prints, per choice, the median seconds of a warm frame (render + read-back,
camera moved between frames so nothing is cached) and of writing the PNG.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--detail", default="medium", choices=("low", "medium", "high"))
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from PIL import Image

    from spineviz.geometry.model import build_model
    from spineviz.render.scene import ANTI_ALIASING, ScenePresenter

    t = time.perf_counter()
    model = build_model("L4-L5", detail=args.detail)
    print(
        f"model L4-L5 {args.detail}: {model.n_triangles} triangles, built in {time.perf_counter() - t:.1f} s"
    )
    cameras = ("lateral", "oblique")
    with tempfile.TemporaryDirectory() as tmp:
        for aa in ANTI_ALIASING:
            for peeling in (True, False):
                with ScenePresenter(size=(width, height), anti_aliasing=aa, depth_peeling=peeling) as scene:
                    t = time.perf_counter()
                    scene.update(model.parts)
                    setup = time.perf_counter() - t
                    scene.screenshot("lateral")  # warm-up: shaders, buffers
                    frames, writes = [], []
                    for i in range(args.repeat):
                        t = time.perf_counter()
                        image = scene.screenshot(cameras[i % 2])
                        frames.append(time.perf_counter() - t)
                        t = time.perf_counter()
                        Image.fromarray(image).save(Path(tmp) / "b.png", compress_level=1)
                        writes.append(time.perf_counter() - t)
                print(
                    f"{width}x{height} aa={aa:4s} depth_peeling={peeling!s:5s}: "
                    f"frame {statistics.median(frames):.3f} s (median of {args.repeat}), "
                    f"png {statistics.median(writes):.3f} s, scene set-up {setup:.2f} s"
                )


if __name__ == "__main__":
    main()
