"""Fibres, vessels and branches: many thin tubes swept at once are the tubes swept one by one."""

from __future__ import annotations

import numpy as np

from spineviz.conditions.ingrowth import annulus_ray, annulus_rays
from spineviz.geometry import surface
from spineviz.geometry.disc import disc_fields, disc_frame
from spineviz.geometry.frames import placement
from spineviz.geometry.tubes import sweep, sweep_many


def test_tubes_swept_together_are_the_tubes_swept_one_by_one():
    rng = np.random.default_rng(4)
    # Mixed control-point counts (fibres have five, endplate fibres three) and a straight line.
    lines = [np.cumsum(rng.normal(0.0, 3.0, (k, 3)), axis=0) for k in (5, 3, 5, 4, 3)]
    lines.append(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 5.0], [0.0, 0.0, 10.0]]))
    together = sweep_many(lines, 0.2, n_along=14, n_around=6)
    alone = [sweep(p, 0.2, n_along=14, n_around=6) for p in lines]
    assert together.n_points == sum(m.n_points for m in alone)
    offset = np.cumsum([0] + [m.n_points for m in alone[:-1]])
    faces = np.vstack([m.faces.reshape(-1, 4)[:, 1:] + o for m, o in zip(alone, offset, strict=True)])
    np.testing.assert_allclose(together.points, np.vstack([m.points for m in alone]), atol=1e-9)
    np.testing.assert_array_equal(together.faces.reshape(-1, 4)[:, 1:], faces)
    assert surface.is_closed_manifold(together)
    assert surface.is_consistently_wound(together)
    assert surface.signed_volume(together) > 0
    assert surface.n_bodies(together) == len(lines)
    assert sweep_many([], 0.2).n_cells == 0


def test_rays_cast_together_find_the_walls_of_rays_cast_alone():
    place = placement()
    fields, frame = disc_fields(place, "L4-L5"), disc_frame(place, "L4-L5")
    angles = np.arange(-180.0, 180.0, 7.5)
    for ray, angle in zip(annulus_rays(fields, frame, angles), angles, strict=True):
        r = np.linspace(0.0, 60.0, 601)
        a = np.radians(angle)
        pts = frame.to_world(r[:, None] * np.array([np.sin(a), np.cos(a), 0.0]))
        assert ray.outer == r[np.nonzero(fields.whole(pts) < 0)[0].max()]
        assert ray.inner == r[np.nonzero(fields.nucleus(pts) < 0)[0].max()]
        assert 0.0 < ray.inner < ray.outer
    assert annulus_ray(fields, frame, 10.0) == annulus_rays(fields, frame, [10.0])[0]
