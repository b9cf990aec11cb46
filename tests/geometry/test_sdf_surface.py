"""Implicit primitives and the contouring they feed."""

from __future__ import annotations

import numpy as np
import pytest

from spineviz.geometry import sdf, surface


def test_untapered_plate_is_an_exact_rounded_box():
    rng = np.random.default_rng(1)
    p = rng.uniform(-20, 20, size=(2000, 3))
    d = sdf.plate(p, (-10, 0, 0), (10, 0, 0), up=(0, 0, 1), half_height=5.0, half_thickness=3.0, radius=1.0)
    # Reference: rounded box with half sizes (10, 3, 5) along x, y, z.
    q = np.abs(p) - (np.array([10.0, 3.0, 5.0]) - 1.0)
    ref = np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0) - 1.0
    np.testing.assert_allclose(d, ref, atol=1e-9)


def test_culling_keeps_values_near_the_primitive_and_bounds_them_far_away():
    p = np.random.default_rng(2).uniform(-40, 40, size=(5000, 3))

    def ball(q):
        return np.linalg.norm(q, axis=1) - 5.0

    d = sdf.culled(p, ball, (-5, -5, -5), (5, 5, 5), 6.0)
    exact = ball(p)
    near = np.all(np.abs(p) <= 11.0, axis=1)
    np.testing.assert_allclose(d[near], exact[near])
    assert np.all(d[~near] <= exact[~near])
    assert np.all(d[~near] > 0)


@pytest.mark.parametrize("spacing", [1.0, (1.0, 1.0, 0.4)])
def test_contour_of_a_sphere_is_a_sound_solid_of_the_right_volume(spacing):
    def sphere(q):
        return np.linalg.norm(q, axis=1) - 10.0

    mesh = surface.contour(sphere, (-10, 10, -10, 10, -10, 10), spacing=spacing)
    assert surface.is_valid_solid(mesh)
    assert surface.signed_volume(mesh) == pytest.approx(4 / 3 * np.pi * 1000, rel=0.02)


def test_narrow_band_sampling_matches_full_evaluation_in_sign():
    def field(q):
        return sdf.smooth_union(
            np.linalg.norm(q, axis=1) - 6.0, np.linalg.norm(q - (9, 0, 0), axis=1) - 4.0, 2.0
        )

    lo, hi = np.array([-10.0, -10, -10]), np.array([16.0, 10, 10])
    vol = surface.sample(field, lo, hi, 1.0)
    full = field(surface.grid_points(vol.shape, lo, 1.0)).reshape(vol.shape)
    assert np.array_equal(vol < 0, full < 0)


def test_thin_slab_on_an_anisotropic_grid_is_closed():
    def slab(q):
        return np.maximum(np.abs(q[:, 2]) - 0.6, np.linalg.norm(q[:, :2], axis=1) - 15.0)

    mesh = surface.contour(slab, (-15, 15, -15, 15, -1, 1), spacing=(1.0, 1.0, 0.4))
    assert surface.is_valid_solid(mesh)
    assert surface.signed_volume(mesh) == pytest.approx(np.pi * 225 * 1.2, rel=0.08)


def test_box_is_the_exact_signed_distance():
    p = np.random.default_rng(3).uniform(-12, 12, size=(4000, 3))
    lo, hi = np.array([-4.0, -2.0, -6.0]), np.array([5.0, 3.0, 1.0])
    d = sdf.box(p, lo, hi)
    inside = np.all((p > lo) & (p < hi), axis=1)
    # Inside: distance to the nearest face; outside: to the nearest point of the box.
    depth = np.minimum(p - lo, hi - p).min(axis=1)
    gap = np.linalg.norm(p - np.clip(p, lo, hi), axis=1)
    np.testing.assert_allclose(d, np.where(inside, -depth, gap), atol=1e-9)


def test_sampling_near_named_surfaces_keeps_their_contours():
    def ball(q):
        return np.linalg.norm(q, axis=1) - 9.0

    def halves(values, origin, spacing):
        # The ball cut by the plane x = 1.3: both halves, as bones.py cuts a vertebra.
        x = origin[0] + np.arange(values.shape[2]) * spacing[0]
        cut = x - 1.3
        return [np.maximum(values, cut), np.maximum(values, -cut)]

    lo, hi = np.array([-12.0, -12, -12]), np.array([12.0, 12, 12])
    step = np.ones(3)
    vol = surface.sample(ball, lo, hi, 1.0, surfaces=halves)
    exact = ball(surface.grid_points(vol.shape, lo, 1.0)).reshape(vol.shape)
    assert vol.shape == surface.sample(ball, lo, hi, 1.0).shape
    for part, full in zip(halves(vol, lo, step), halves(exact, lo, step), strict=True):
        assert np.array_equal(part < 0, full < 0)
        # At both ends of every grid edge a half's surface crosses, its values are exact (what
        # places the contour's vertices); elsewhere only the sign counts.
        ends = np.zeros(full.shape, bool)
        for axis in range(3):
            crossed = np.diff(np.sign(full), axis=axis) != 0
            lower = [slice(None)] * 3
            upper = [slice(None)] * 3
            lower[axis] = slice(None, -1)
            upper[axis] = slice(1, None)
            ends[tuple(lower)] |= crossed
            ends[tuple(upper)] |= crossed
        assert ends.any()
        np.testing.assert_allclose(part[ends], full[ends], atol=1e-5)
    # Far from every surface most points are not evaluated at all.
    assert np.mean(vol != exact) > 0.5


# ---------------------------------------------------------------------------
# the bony fields are distance bounds, and the meshes lie on them
# ---------------------------------------------------------------------------

BONY_SPACING = 1.0
"""The ``medium`` detail, the one the app shows."""


def gradient(field, points: np.ndarray, step: float = 0.05) -> np.ndarray:
    """Central-difference gradient, ``(N, 3)``."""
    columns = [(field(points + d) - field(points - d)) / (2 * step) for d in np.eye(3) * step]
    return np.stack(columns, axis=1)


def bony_parts(level: str):
    from spineviz.geometry.bones import bone_parts
    from spineviz.geometry.frames import IDENTITY, placement

    return bone_parts(placement().shapes[level], IDENTITY, spacing=BONY_SPACING)


def spread_vertices(mesh, n: int = 1500):
    """Up to ``n`` vertices spread over ``mesh`` and their outward normals."""
    m = mesh.compute_normals(point_normals=True, cell_normals=False, auto_orient_normals=False)
    k = max(1, m.n_points // n)
    return np.asarray(m.points, float)[::k], np.asarray(m.point_data["Normals"], float)[::k]


@pytest.mark.parametrize("level", ["L1", "L2", "L3", "L4", "L5", "S1"])
def test_bony_fields_change_no_faster_than_a_distance_near_their_surface(level):
    # surface.sample skips cells whose corner values put the surface out of reach at slope
    # LIPSCHITZ; a steeper field can hide thin features from it.
    meshes, fields = bony_parts(level)
    worst = {}
    for name, mesh in meshes.items():
        points, normals = spread_vertices(mesh)
        band = np.concatenate([points + s * normals for s in (-1.5, -0.75, 0.0, 0.75, 1.5)])
        slope = np.linalg.norm(gradient(fields[name], band), axis=1)
        worst[name] = (round(float(slope.max()), 2), band[int(np.argmax(slope))].round(1).tolist())
    steep = {name: w for name, w in worst.items() if w[0] > surface.LIPSCHITZ}
    assert not steep, f"fields steeper than {surface.LIPSCHITZ} mm per mm (slope, where): {steep}"


@pytest.mark.parametrize("level", ["L1", "L2", "L3", "L4", "L5", "S1"])
def test_bony_meshes_lie_on_the_zero_set_of_their_fields(level):
    # Within `reach` along the field's gradient the field changes sign, so its zero set passes
    # within `reach` of every vertex (what the MRI labels and the 3D view draws agree on).
    reach = 0.6
    meshes, fields = bony_parts(level)
    off = {}
    for name, mesh in meshes.items():
        points = spread_vertices(mesh)[0]
        field = fields[name]
        grad = gradient(field, points)
        unit = grad / np.linalg.norm(grad, axis=1)[:, None]
        # Sampled along the segment, not just at its ends: where the solid is thinner than the
        # segment (a bony endplate's rim) the field turns positive again beyond it.
        along = np.stack([field(points + s * unit) for s in np.linspace(-reach, reach, 9)])
        straddles = (along.min(axis=0) <= 0) & (along.max(axis=0) >= 0)
        if not straddles.all():
            off[name] = points[~straddles][:3].round(1).tolist()
    assert not off, f"vertices further than {reach} mm from their field's zero set: {off}"


def _sphere(q):
    return np.linalg.norm(q, axis=1) - 10.0


def _folded_sphere():
    """A contoured sphere with its top vertex dragged over its neighbours (along the surface)."""
    mesh = surface.contour(_sphere, (-10, 10, -10, 10, -10, 10), spacing=1.0)
    pts = np.asarray(mesh.points, float).copy()
    top = int(np.argmax(pts[:, 2]))
    pts[top] += (1.5, 0.0, 0.0)
    pts[top] *= 10.0 / np.linalg.norm(pts[top])
    return mesh, pts


def test_contour_has_no_folded_edge_and_folded_edges_sees_one():
    mesh, pts = _folded_sphere()
    assert surface.folded_edges(mesh) == 0
    folded = mesh.copy()
    folded.points = pts
    assert surface.folded_edges(folded) > 0


@pytest.mark.parametrize("projected", [True, False])
def test_repair_folds_opens_a_fold_and_keeps_the_surface(projected):
    mesh, pts = _folded_sphere()
    tri = surface.triangles(mesh)

    def onto_sphere(p, _moved):
        return 10.0 * p / np.linalg.norm(p, axis=1, keepdims=True)

    moved = surface.repair_folds(pts, tri, project=onto_sphere if projected else None)
    repaired = mesh.copy()
    repaired.points = pts
    assert moved.size > 0
    assert surface.folded_edges(repaired) == 0
    assert surface.is_valid_solid(repaired)
    # Only a small patch moves, and projecting puts it back on the sphere.
    assert moved.size < 0.01 * mesh.n_points
    off = np.abs(np.linalg.norm(pts, axis=1) - 10.0).max()
    assert off < (0.05 if projected else 0.3)


def test_repair_folds_leaves_a_fold_it_cannot_open_as_it_was():
    # Two triangles back to back on the same three points: no relaxing opens
    # them, and the vertices must not be dragged around trying.
    pts = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    tri = np.array([[0, 1, 2], [0, 2, 1]])
    before = pts.copy()
    assert surface.repair_folds(pts, tri).size == 0
    np.testing.assert_array_equal(pts, before)
