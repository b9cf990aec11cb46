"""Geometry build figures: time (cold and warm), triangles per part, peak memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_geometry.py [--repeat N]

"Cold" clears every cache (bony parts and placement) before each build;
"warm" rebuilds with the caches filled, as the app does when a setting
changes.  Times are medians of N builds.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spineviz.geometry import bones, frames
from spineviz.geometry.model import build_model


def clear_caches() -> None:
    bones.local_bone_meshes.cache_clear()
    frames.placement.cache_clear()


def timed(levels: str, detail: str, *, cold: bool, repeat: int) -> tuple[float, object]:
    times = []
    model = None
    for _ in range(repeat):
        if cold:
            clear_caches()
        gc.collect()
        t = time.perf_counter()
        model = build_model(levels, detail=detail)
        times.append(time.perf_counter() - t)
    return statistics.median(times), model


def bone_only(levels: str, detail: str, repeat: int, *, cold: bool = True) -> float:
    from spineviz.geometry.model import DETAIL_SPACING
    from spineviz.geometry.names import Levels

    place = frames.placement()
    times = []
    for _ in range(repeat):
        if cold:
            clear_caches()
        place = frames.placement()
        t = time.perf_counter()
        for v in Levels.parse(levels).vertebrae:
            bones.bone_parts(place.shapes[v], place.frames[v], spacing=DETAIL_SPACING[detail])
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="builds per figure (median)")
    args = parser.parse_args()
    for levels in ("L4-L5", "L1-S1"):
        for detail in ("low", "medium"):
            cold, model = timed(levels, detail, cold=True, repeat=args.repeat)
            warm, _ = timed(levels, detail, cold=False, repeat=args.repeat)
            bone = bone_only(levels, detail, args.repeat)
            bone_warm = bone_only(levels, detail, args.repeat, cold=False)
            print(
                f"{levels:6s} {detail:6s} build cold {cold:6.2f} s  warm {warm:6.2f} s  "
                f"(bony parts alone: cold {bone:5.2f} s, warm {bone_warm * 1000:4.0f} ms)  "
                f"triangles {model.n_triangles:,}"
            )
    clear_caches()
    model = build_model("L4-L5", detail="medium")
    print("\nTriangles per part, L4-L5 medium:")
    for name, mesh in model.parts.items():
        print(f"  {name:32s} {mesh.n_cells:8,}")
    print(f"  {'total':32s} {model.n_triangles:8,}")
    clear_caches()
    tracemalloc.start()
    build_model("L4-L5", detail="medium")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\nPeak Python memory of a cold L4-L5 medium build (tracemalloc): {peak / 2**20:.0f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Process peak resident set (getrusage): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
