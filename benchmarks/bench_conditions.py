"""Time one condition change on the default segment: cold (component rebuilt) and warm (cached).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_conditions.py [--detail medium] [--repeat 3]``.
Prints, per state field, the median time of ``build`` after changing only that
field from a healthy state: *cold* with the component caches emptied (the
healthy model stays cached), *warm* for a state built before.  Then each step
of the stage slider, from the neighbouring stage (built first, cold, so its
sub-results are there as they are in the app) and from healthy.  Goal ≤ 50 ms.
Run with ``OPENBLAS_NUM_THREADS=1`` for honest CPU figures on a busy machine.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time

from spineviz.conditions import build as b
from spineviz.conditions.state import STAGE_FIELDS, STAGE_PRESETS, State

CHANGES = {
    "modic": {"modic": "1"},
    "modic_extent": {"modic": "2", "modic_extent": "gt50"},
    "pfirrmann": {"pfirrmann": 4},
    "herniation": {"herniation": "extrusion"},
    "herniation_zone": {"herniation": "protrusion", "herniation_zone": "foraminal"},
    "stenosis": {"stenosis": "severe"},
    "ingrowth": {"ingrowth": True},
    "inflammation": {"modic": "1", "inflammation": True},
    "theory": {"theory": "biomechanical"},
    "multifidus_fat": {"multifidus_fat": 2},
    "stage": {"stage": "modic2"},
    "everything": {"stage": "modic2", "herniation": "extrusion", "stenosis": "severe", "theory": "bacterial"},
}


def timed(state: State, detail: str, repeat: int, before: State | None = None) -> tuple[float, float, float]:
    """Median cold wall and CPU ms and warm ms of building ``state`` (after ``before``, untimed)."""
    cold, cpu, warm = [], [], []
    for _ in range(repeat):
        b.clear_components()
        if before is not None:
            b.build(before, detail=detail)
        t, c = time.perf_counter(), time.process_time()
        b.build(state, detail=detail)
        cold.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        t = time.perf_counter()
        b.build(state, detail=detail)
        warm.append(time.perf_counter() - t)
    return statistics.median(cold) * 1e3, statistics.median(cpu) * 1e3, statistics.median(warm) * 1e3


def stage_steps(detail: str, repeat: int) -> None:
    """Each step of the stage slider: from the stage before it, back from the one after, from healthy."""
    stages = list(STAGE_PRESETS)
    steps = list(itertools.pairwise(stages))
    steps += [(c, a) for a, c in itertools.pairwise(stages[1:])]
    steps += [("healthy", c) for c in stages[2:]]
    print(f"{'stage step':26s} {'cold ms':>9s} {'cold cpu':>9s} {'warm ms':>9s}  fields changed")
    for a, c in steps:
        before, state = State(stage=a), State(stage=c)
        changed = [n for n in STAGE_FIELDS if getattr(before, n) != getattr(state, n)]
        wall, cpu, warm = timed(state, detail, repeat, before)
        print(f"{a + ' -> ' + c:26s} {wall:9.1f} {cpu:9.1f} {warm:9.3f}  {', '.join(changed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--detail", default="medium")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    healthy = b.build(State(), detail=args.detail)
    print(f"healthy model (once per levels/detail): {time.perf_counter() - t:.2f} s, detail {args.detail}")
    # State-free data the components share, computed once with the healthy model.
    t = time.perf_counter()
    b.healthy_roots(healthy.levels)
    print(f"healthy root paths (once): {time.perf_counter() - t:.2f} s")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'field':18s} {'cold ms':>9s} {'cold cpu':>9s} {'warm ms':>9s}  components rebuilt")
    deps = b.depends()
    for field, change in CHANGES.items():
        wall, cpu, warm = timed(State(**change), args.detail, args.repeat)
        print(
            f"{field:18s} {wall:9.1f} {cpu:9.1f} {warm:9.3f}  "
            f"{', '.join(deps.get(field, ()) or ('several',))}"
        )
    stage_steps(args.detail, args.repeat)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
