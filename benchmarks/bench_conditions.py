"""Time one condition change on the default segment: cold (component rebuilt) and warm (cached).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_conditions.py [--detail medium] [--repeat 3]``.
Prints, per state field, the median time of ``build`` after changing only that
field from a healthy state: *cold* with the component caches emptied (the
healthy model stays cached), *warm* for a state built before.  Goal ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from spineviz.conditions import build as b
from spineviz.conditions.state import State

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
        state = State(**change)
        cold, cpu, warm = [], [], []
        for _ in range(args.repeat):
            b.clear_components()
            t, c = time.perf_counter(), time.process_time()
            b.build(state, detail=args.detail)
            cold.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            t = time.perf_counter()
            b.build(state, detail=args.detail)
            warm.append(time.perf_counter() - t)
        print(
            f"{field:18s} {statistics.median(cold) * 1e3:9.1f} {statistics.median(cpu) * 1e3:9.1f} "
            f"{statistics.median(warm) * 1e3:9.3f}  "
            f"{', '.join(deps.get(field, ()) or ('several',))}"
        )


if __name__ == "__main__":
    main()
