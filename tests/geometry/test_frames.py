"""Placement of L1–S1 on the published lordosis, and the shared facet joints."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from spineviz.geometry.dimensions import VERTEBRAE, disc_measures
from spineviz.geometry.frames import IDENTITY, Frame, disc_center
from spineviz.geometry.sdf import rotation_x


def _sagittal_angle(frame_a: Frame, frame_b: Frame) -> float:
    """Rotation about +x from frame b to frame a, in degrees."""
    r = frame_b.rotation.T @ frame_a.rotation
    return float(np.degrees(np.arctan2(r[2, 1], r[1, 1])))


@pytest.mark.parametrize(("upper", "lower"), list(itertools.pairwise(VERTEBRAE)))
def test_segmental_angle_is_the_published_one(lumbar_placement, upper, lower):
    got = _sagittal_angle(lumbar_placement.frames[upper], lumbar_placement.frames[lower])
    assert abs(abs(got) - disc_measures(upper)["segmental_angle"].mean) < 0.05


def test_world_origin_is_the_l4_l5_disc_centre(lumbar_placement):
    p = lumbar_placement
    np.testing.assert_allclose(disc_center(p.shapes, p.frames, p.discs["L4-L5"]), 0.0, atol=1e-9)


@pytest.mark.parametrize(("upper", "lower"), list(itertools.pairwise(VERTEBRAE)))
def test_facet_joint_is_shared_by_both_neighbours(lumbar_placement, upper, lower):
    p = lumbar_placement
    below = p.shapes[lower].facet_superior
    above = p.shapes[upper].facet_inferior
    for attr, to_world in (("centre", Frame.to_world), ("normal", None)):
        a = np.asarray(getattr(above, attr))
        b = np.asarray(getattr(below, attr))
        if to_world is None:
            a = p.frames[upper].rotation @ a
            b = p.frames[lower].rotation @ b
        else:
            a = p.frames[upper].to_world(a[None])[0]
            b = p.frames[lower].to_world(b[None])[0]
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_frame_algebra():
    f = Frame(rotation_x(20.0), np.array([1.0, 2.0, 3.0]))
    pts = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(f.to_local(f.to_world(pts)), pts, atol=1e-12)
    np.testing.assert_allclose(f.compose(f.inverse()).matrix, IDENTITY.matrix, atol=1e-12)
