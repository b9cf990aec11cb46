"""Geometry build figures: time (cold and warm), time per part group, triangles per part, peak memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_geometry.py [--repeat N]

"Cold" clears every cache (bony parts, vertebra fields, placement and the
soft parts' caches) before each build; "warm" rebuilds with the caches
filled, as the app does when a setting changes.  Each figure is the median
of N builds, as CPU time of this process (``time.process_time``: what the
build costs, whatever else the machine is doing) and wall time (what a user
waits, which grows when other processes share the cores; the load average
is printed beside it).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spineviz.geometry import bones, frames, model, neural, part_cache, vertebra
from spineviz.geometry.model import DETAIL_SPACING, build_model
from spineviz.geometry.names import Levels


def clear_caches() -> None:
    bones.local_bone_meshes.cache_clear()
    vertebra.vertebra_field.cache_clear()
    frames.placement.cache_clear()
    neural.posterior_wall_y.cache_clear()
    neural._pedicle_underside.cache_clear()
    part_cache.clear_all()


def measure(run, *, cold: bool, repeat: int) -> tuple[float, float]:
    """Median CPU and wall seconds of ``run()``."""
    cpu, wall = [], []
    for _ in range(repeat):
        if cold:
            clear_caches()
        gc.collect()
        c, w = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


def bony_parts(levels: str, detail: str) -> None:
    place = frames.placement()
    for v in Levels.parse(levels).vertebrae:
        bones.bone_parts(place.shapes[v], place.frames[v], spacing=DETAIL_SPACING[detail])


def group_times(levels: str, detail: str, repeat: int) -> dict[str, float]:
    """Median cold CPU seconds of each part builder within a full build."""
    spent: dict[str, list[float]] = {b.__name__: [] for b in model.PART_BUILDERS}

    def timed(builder):
        def run(*args):
            c = time.process_time()
            out = builder(*args)
            spent[builder.__name__].append(time.process_time() - c)
            return out

        return run

    original = list(model.PART_BUILDERS)
    model.PART_BUILDERS[:] = [timed(b) for b in original]
    try:
        measure(lambda: build_model(levels, detail=detail), cold=True, repeat=repeat)
    finally:
        model.PART_BUILDERS[:] = original
    return {name.lstrip("_"): statistics.median(t) for name, t in spent.items()}


def fmt(cpu_wall: tuple[float, float]) -> str:
    return f"{cpu_wall[0]:5.2f} s cpu / {cpu_wall[1]:5.2f} s wall"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="builds per figure (median)")
    args = parser.parse_args()
    build_model("L4-L5", detail="low")  # imports and first-call set-up are not a build
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at start: {load} on {os.cpu_count()} cores\n")
    for levels in ("L4-L5", "L1-S1"):
        for detail in ("low", "medium"):

            def full(levels=levels, detail=detail):
                build_model(levels, detail=detail)

            whole = measure(full, cold=True, repeat=args.repeat)
            warm = measure(full, cold=False, repeat=args.repeat)
            bone = measure(
                lambda levels=levels, detail=detail: bony_parts(levels, detail), cold=True, repeat=args.repeat
            )
            print(f"{levels:6s} {detail:6s} cold {fmt(whole)}   warm {warm[0] * 1000:4.0f} ms cpu")
            print(f"{'':14s}bony parts alone, cold {fmt(bone)}")
    print("\nCold CPU time per part group, L4-L5 medium (median):")
    for name, seconds in group_times("L4-L5", "medium", args.repeat).items():
        print(f"  {name:20s} {seconds:5.3f} s")
    clear_caches()
    built = build_model("L4-L5", detail="medium")
    print("\nTriangles per part, L4-L5 medium:")
    for name, mesh in built.parts.items():
        print(f"  {name:32s} {mesh.n_cells:8,}")
    print(f"  {'total':32s} {built.n_triangles:8,}")
    clear_caches()
    tracemalloc.start()
    build_model("L4-L5", detail="medium")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\nPeak Python memory of a cold L4-L5 medium build (tracemalloc): {peak / 2**20:.0f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Process peak resident set (getrusage): {rss:.0f} MiB")
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
