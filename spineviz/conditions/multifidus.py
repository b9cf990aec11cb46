"""Fatty replacement of the multifidus, graded 0–3 (after Goutallier).

In low back pain the multifidus loses muscle to fat: first as thin streaks
between its fascicles, then as larger fatty regions.  The Goutallier scale
(made for the rotator cuff, widely used for the lumbar multifidus) grades it:
0 none, 1 some fatty streaks, 2 less fat than muscle, 3 about as much fat as
muscle or more.  :data:`FAT_SHARE` turns a grade into the share of the
muscle's volume that is fat; the fat lies in streaks that run along the
fascicles (up and down the spine) and widen into regions as the grade rises.

The split keeps the muscle's outer shape: the fat part and the remaining
muscle part share their interface and do not overlap, and each has a field
that matches its mesh.  Each grade's fat contains the lower grade's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv

from spineviz.geometry import sdf
from spineviz.geometry.surface import contour_volume, grid_points, sample

FAT_SHARE = {0: 0.0, 1: 0.12, 2: 0.33, 3: 0.58}
"""Share of the muscle volume replaced by fat for each grade (model within the
Goutallier bands: streaks; less than half; about half or more)."""


@dataclass(frozen=True)
class MuscleVolume:
    """A muscle field sampled on a regular grid (values exact near its surface)."""

    values: np.ndarray
    origin: np.ndarray
    spacing: float


def sample_muscle(field: sdf.Field, bounds, spacing: float) -> MuscleVolume:
    """Sample a muscle's field over its mesh bounds (with room to close the contour)."""
    lo = np.asarray(bounds[0::2], float) - 2 * spacing - 1.0
    hi = np.asarray(bounds[1::2], float) + 2 * spacing + 1.0
    return MuscleVolume(sample(field, lo, hi, spacing), lo, spacing)


def streaks(p: np.ndarray) -> np.ndarray:
    """A smooth pattern, high along fascicle-like streaks (elongated up and down).

    Two families of sheets in the cross-section, oblique to each other, that
    wander slowly along the spine; larger values also toward the deep, medial
    part next to the laminae, where fat collects first.
    """
    x, y, z = np.abs(p[:, 0]), p[:, 1], p[:, 2]
    a = np.radians(35.0)
    u = x * np.cos(a) + y * np.sin(a)
    v = -x * np.sin(a) + y * np.cos(a)
    g = 0.55 * np.sin(0.85 * u + 0.9 * np.sin(0.11 * z)) + 0.3 * np.sin(
        0.6 * v - 0.7 * np.cos(0.09 * z + 1.0)
    )
    return g - 0.02 * (y - 40.0) - 0.015 * x


def fatty_split(volume: MuscleVolume, field: sdf.Field, grade: int):
    """The muscle part and the fat part of one multifidus at a grade.

    Returns ``((muscle_mesh, muscle_field), (fat_mesh, fat_field))``; the fat
    mesh's ``field_data`` holds ``fat_grade`` and ``fat_share`` (measured on
    the meshes), the muscle's ``fat_fraction`` (the same share).
    """
    pts = grid_points(volume.values.shape, volume.origin, volume.spacing)
    g = streaks(pts).reshape(volume.values.shape)
    inside = volume.values < 0
    threshold = float(np.quantile(g[inside], 1.0 - FAT_SHARE[grade]))
    # The pattern's slope is about 0.5/mm; scaled to read as millimetres.
    k = 2.0
    fat_vol = np.maximum(volume.values, k * (threshold - g))
    muscle_vol = np.maximum(volume.values, k * (g - threshold))
    fat = contour_volume(fat_vol, volume.origin, volume.spacing, smooth_iterations=10)
    muscle = contour_volume(muscle_vol, volume.origin, volume.spacing, smooth_iterations=10)
    share = _volume(fat) / max(_volume(fat) + _volume(muscle), 1e-9)
    fat.field_data["fat_grade"] = np.array([grade])
    fat.field_data["fat_share"] = np.array([share])
    muscle.field_data["fat_fraction"] = np.array([share])

    def fat_field(p):
        return np.maximum(field(p), k * (threshold - streaks(p)))

    def muscle_field(p):
        return np.maximum(field(p), k * (streaks(p) - threshold))

    return (muscle, muscle_field), (fat, fat_field)


def _volume(mesh: pv.PolyData) -> float:
    return float(mesh.volume) if mesh.n_cells else 0.0
