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
