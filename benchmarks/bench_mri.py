"""Synthetic MRI timings: voxel grid of the default segment and a 256×256 slice.

Goals (issue 4): grid at 1 mm ≤ 2 s (cached per state), slice ≤ 200 ms.
Run: ``.venv/bin/python benchmarks/bench_mri.py``.  The model build is timed
separately: it belongs to the geometry and conditions layers and is cached.
"""

from __future__ import annotations

import platform
import time

import numpy as np


def best(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times)), out


def main() -> None:
    from spineviz.conditions.state import State
    from spineviz.render.mri.figures import standard_plane
    from spineviz.render.mri.signal import sequence
    from spineviz.render.mri.slices import mr_slice
    from spineviz.render.mri.voxels import model_for, voxel_grid, voxelize

    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    for state in (State(), State(stage="modic1")):
        t = time.perf_counter()
        model = model_for(state, "L4-L5", "medium")
        name = state.to_query() or "healthy"
        print(f"[{name}] model build (not MRI, cached): {time.perf_counter() - t:.2f} s")
        for spacing in (1.0, 0.5):
            lo, med, grid = best(lambda s=spacing, m=model, st=state: voxelize(m, st, spacing=s), repeat=3)
            print(
                f"  voxel grid {spacing:g} mm: {grid.shape[::-1]} = {grid.labels.size / 1e6:.1f} M voxels, "
                f"best {lo:.2f} s, median {med:.2f} s (goal ≤ 2 s at 1 mm)"
            )
        voxel_grid(state)
        lo, _, _ = best(lambda st=state: voxel_grid(st), repeat=3)
        print(f"  voxel grid again (cached per state): {lo * 1e6:.0f} µs")
        grid = voxel_grid(state)
        for plane in ("sagittal", "axial"):
            pl = standard_plane(grid, model.placement, plane, size=(256, 256))
            for seq in ("t1", "t2", "stir"):
                lo, med, _ = best(lambda g=grid, p=pl, s=seq: mr_slice(g, p, sequence(s), seed=1), repeat=7)
                print(
                    f"  slice {plane:8s} {seq:4s} 256×256: best {lo * 1e3:.0f} ms, "
                    f"median {med * 1e3:.0f} ms (goal ≤ 200 ms)"
                )


if __name__ == "__main__":
    main()
