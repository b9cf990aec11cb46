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
from spineviz.geometry.surface import (
    FOLD_DOT,
    edge_faces,
    raw_surface,
    sample,
    signed_volume,
    taubin,
    triangles,
)

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
    """Sample a muscle's field over its mesh bounds (with room to close the contour).

    Values are exact only near the muscle's surface; deeper inside they only
    keep the right sign (:func:`~spineviz.geometry.surface.sample` with the
    muscle as the one surface), which is all that the split's ``max`` with
    the fat pattern needs there: a third of the evaluations of a full band.
    """
    lo = np.asarray(bounds[0::2], float) - 2 * spacing - 1.0
    hi = np.asarray(bounds[1::2], float) + 2 * spacing + 1.0
    return MuscleVolume(sample(field, lo, hi, spacing, surfaces=lambda v, _o, _s: [v]), lo, spacing)


def streaks(p: np.ndarray) -> np.ndarray:
    """A smooth pattern, high along fascicle-like streaks (elongated up and down).

    Two families of sheets in the cross-section, oblique to each other, that
    wander slowly along the spine; larger values also toward the deep, medial
    part next to the laminae, where fat collects first.
    """
    return _pattern(np.abs(p[:, 0]), p[:, 1], p[:, 2])


def _pattern(x, y, z):
    """:func:`streaks` at ``|x|``, ``y``, ``z`` (arrays that broadcast: a grid's axes)."""
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
    mesh's ``field_data`` holds ``fat_grade``, ``fat_share`` (measured on
    the meshes) and ``fat_threshold`` (the pattern's level that bounds the
    fat, for :func:`split_fields`), the muscle's ``fat_fraction`` (the share).
    """
    # The pattern on the grid from its three axes, broadcast: no grid of points.
    shape, h = volume.values.shape[::-1], volume.spacing
    x, y, z = (o + np.arange(n) * h for o, n in zip(volume.origin, shape, strict=True))
    g = _pattern(np.abs(x)[None, None, :], y[None, :, None], z[:, None, None])
    inside = volume.values < 0
    threshold = float(np.quantile(g[inside], 1.0 - FAT_SHARE[grade]))
    fat_vol = _off_grid(np.maximum(volume.values, SLOPE * (threshold - g)), volume.spacing)
    muscle_vol = _off_grid(np.maximum(volume.values, SLOPE * (g - threshold)), volume.spacing)
    fat, fat_volume = _contour(fat_vol, volume.origin, volume.spacing)
    muscle, muscle_volume = _contour(muscle_vol, volume.origin, volume.spacing)
    share = fat_volume / max(fat_volume + muscle_volume, 1e-9)
    fat.field_data["fat_grade"] = np.array([grade])
    fat.field_data["fat_share"] = np.array([share])
    fat.field_data["fat_threshold"] = np.array([threshold])
    muscle.field_data["fat_fraction"] = np.array([share])
    muscle_field, fat_field = split_fields(field, threshold)
    return (muscle, muscle_field), (fat, fat_field)


SLOPE = 2.0
"""Scale of the fat pattern in the split's fields: its slope, about 0.5/mm, read as millimetres."""


def split_fields(field: sdf.Field, threshold: float) -> tuple[sdf.Field, sdf.Field]:
    """Fields of the remaining muscle and of the fat, for a muscle ``field`` and a pattern level."""

    def muscle_field(p):
        return np.maximum(field(p), SLOPE * (streaks(p) - threshold))

    def fat_field(p):
        return np.maximum(field(p), SLOPE * (threshold - streaks(p)))

    return muscle_field, fat_field


def mirrored(mesh: pv.PolyData) -> pv.PolyData:
    """A triangle mesh's mirror image across the midline ``x = 0``, still facing outward, data kept."""
    pts = np.asarray(mesh.points, float) * np.array([-1.0, 1.0, 1.0])
    tri = triangles(mesh)[:, ::-1]
    out = pv.PolyData(pts, np.c_[np.full(len(tri), 3), tri].ravel())
    for key in mesh.field_data:
        out.field_data[key] = mesh.field_data[key]
    return out


OFF_GRID = 0.4
"""Share of the grid step by which a sampled value is kept from zero (:func:`_off_grid`)."""


def _unit_normals(pts: np.ndarray, tri: np.ndarray) -> np.ndarray:
    n = np.cross(pts[tri[:, 1]] - pts[tri[:, 0]], pts[tri[:, 2]] - pts[tri[:, 0]])
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)


def _off_grid(values: np.ndarray, spacing: float) -> np.ndarray:
    """``values`` with those near zero pushed to ``±OFF_GRID * spacing``.

    A surface passing next to a grid point leaves sliver triangles whose
    corners smoothing moves past each other (folds).  Keeping every value a
    fraction of a step from zero keeps the vertices off the grid points;
    the surface moves by a fraction of a step at most, and the coarse
    split needs no fold repair (which would cost more than the contouring).
    """
    near = np.abs(values) < OFF_GRID * spacing
    out = values.copy()
    out[near] = np.where(values[near] < 0, -OFF_GRID * spacing, OFF_GRID * spacing)
    return out


SMOOTHING = (24, 0.05)
"""Windowed-sinc passes and pass band of the split's surfaces: the coarse
grid's terraces and the off-grid nudge smoothed away (the muscle reads as
smooth as the healthy one)."""


def _contour(values: np.ndarray, origin, spacing: float) -> tuple[pv.PolyData, float]:
    """Closed outward surface of ``values < 0`` and its volume (mm³).

    The surface is smoothed, with any fold put back as contoured.

    The volume is sampled off the grid points (:func:`_off_grid`), so the
    contour has no fold; strong smoothing can still fold a crease where the
    fat meets the muscle's surface.  Those few patches (a ring around each
    folded edge, grown until none is left) take back their contoured
    positions, which costs a fraction of a general fold repair.
    """
    raw = raw_surface(values, origin, spacing)
    if raw.n_cells == 0:
        return raw, 0.0
    n_iter, band = SMOOTHING
    smooth = taubin(raw, n_iter=n_iter, pass_band=band)
    tri = triangles(raw)
    fa, fb = edge_faces(tri)
    start, end = tri.ravel(), tri[:, [1, 2, 0]].ravel()
    pts = np.asarray(smooth.points, float).copy()
    contoured = np.asarray(raw.points, float)
    region = np.zeros(len(pts), bool)
    n = _unit_normals(pts, tri)
    edges = np.arange(len(fa))
    for _ in range(6):
        folded = edges[np.einsum("ij,ij->i", n[fa[edges]], n[fb[edges]]) < FOLD_DOT]
        if not folded.size:
            break
        region[tri[fa[folded]].ravel()] = True
        region[tri[fb[folded]].ravel()] = True
        region[end[region[start]]] = True
        pts[region] = contoured[region]
        # Only the triangles with a moved corner change, and only their edges
        # can fold anew: the rest keep their normals and their verdict.
        moved = region[tri].any(axis=1)
        n[moved] = _unit_normals(pts, tri[moved])
        edges = np.flatnonzero(moved[fa] | moved[fb])
    raw.points = pts
    volume = signed_volume(raw)
    if volume > 0:
        return raw, volume
    return pv.PolyData.from_regular_faces(pts, tri[:, ::-1]), -volume
