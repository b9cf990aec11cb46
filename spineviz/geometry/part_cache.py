"""Sharing the healthy soft parts between builds.

The app and the renderer rebuild the same healthy model many times (each
request, each toggle).  Discs, nerves, ligaments and muscle depend only on
the built levels, the grid spacing and the placement, so their builders keep
the last few results and hand out *new* :class:`pyvista.PolyData` objects
that share the cached arrays (VTK shallow copies): a caller may replace a
mesh's points or add data arrays without touching the cache, but must not
write into the shared arrays in place (``mesh.points[:] = ...``), which
geometry never does.  Only calls with the healthy defaults are cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pyvista as pv

from .frames import Placement

Built = tuple[dict[str, pv.PolyData], dict]


def placement_key(place: Placement) -> tuple:
    """A hashable fingerprint of a placement: every shape, frame and disc."""
    return (
        tuple(place.shapes.items()),
        tuple((v, f.rotation.tobytes(), f.origin.tobytes()) for v, f in place.frames.items()),
        tuple(place.discs.items()),
    )


def mirror_symmetric(place_frames) -> bool:
    """True if frames only tilt about ``x`` and sit on the midline (a left-right symmetric spine).

    Then left and right parts (roots, multifidus, their bony floors and
    sizes) are mirror images, and one side's work serves both.
    """
    return all(
        abs(f.origin[0]) < 1e-12 and np.allclose(f.rotation[0], (1.0, 0.0, 0.0), atol=1e-12, rtol=0.0)
        for f in place_frames
    )


_ALL: list[PartCache] = []


_TABLES: list[dict] = []


def kept_table() -> dict:
    """A new plain dict cache that :func:`clear_all` empties too (sampled tables, fitted sizes)."""
    table: dict = {}
    _TABLES.append(table)
    return table


def clear_all() -> None:
    """Empty every part cache and kept table (for timing cold builds)."""
    for cache in _ALL:
        cache.clear()
    for table in _TABLES:
        table.clear()


class PartCache:
    """The last ``size`` builds of one builder, keyed by their inputs."""

    def __init__(self, size: int = 6):
        self.size = size
        self._kept: OrderedDict[tuple, Built] = OrderedDict()
        _ALL.append(self)

    def get(self, key: tuple, build: Callable[[], Built]) -> Built:
        """The cached build for ``key`` (built on a miss), as fresh mesh objects."""
        if key in self._kept:
            self._kept.move_to_end(key)
        else:
            self._kept[key] = build()
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        meshes, fields = self._kept[key]
        return {n: m.copy(deep=False) for n, m in meshes.items()}, dict(fields)

    def clear(self) -> None:
        """Forget every kept build (benchmarks time cold builds)."""
        self._kept.clear()
