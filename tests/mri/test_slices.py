"""Slices: orientation, alignment with the 3D model, determinism, exported plane."""

from __future__ import annotations

import numpy as np
import pytest

from spineviz.conditions.state import State
from spineviz.geometry.frames import disc_center
from spineviz.render.mri.figures import standard_plane, state_slice
from spineviz.render.mri.signal import sequence
from spineviz.render.mri.slices import level_plane, make_plane, mr_slice, plane_from_normal


def test_pixel_world_round_trip_and_square_pixels():
    plane = make_plane("sagittal", (3.0, 10.0, -4.0), fov=(150.0, 90.0), size=256)
    assert plane.size == (256, 154)
    assert plane.width / plane.size[0] == pytest.approx(plane.height / plane.size[1])
    centres = plane.pixel_centers()
    back = plane.world_to_pixel(centres.reshape(-1, 3)).reshape(*centres.shape[:2], 2)
    cols, rows = np.meshgrid(np.arange(256) + 0.5, np.arange(154) + 0.5)
    assert np.allclose(back[..., 0], cols)
    assert np.allclose(back[..., 1], rows)
    assert np.allclose(plane.distance(centres.reshape(-1, 3)), 0.0)


def test_radiological_orientation():
    sag = make_plane("sagittal", (0, 0, 0), fov=100.0)
    # Anterior (−y) on the viewer's left, superior up.
    (c_ant, _), (c_post, _) = sag.world_to_pixel([(0, -30, 0), (0, 30, 0)])
    (_, r_sup), (_, r_inf) = sag.world_to_pixel([(0, 0, 30), (0, 0, -30)])
    assert c_ant < c_post
    assert r_sup < r_inf
    ax = make_plane("axial", (0, 0, 0), fov=100.0)
    # Viewed from the feet: the patient's left (+x) on the viewer's right, anterior up.
    (c_left, _), (c_right, _) = ax.world_to_pixel([(30, 0, 0), (-30, 0, 0)])
    (_, r_ant), (_, r_post) = ax.world_to_pixel([(0, -30, 0), (0, 30, 0)])
    assert c_left > c_right
    assert r_ant < r_post


def test_plane_exports_as_a_quad_for_the_3d_scene():
    plane = plane_from_normal((0, 0, 5), (0, 0.2, 1), fov=80.0, size=128)
    quad = plane.to_polydata()
    assert quad.n_points == 4
    assert quad.n_cells == 1
    assert np.allclose(quad.points, plane.corners())
    assert np.allclose(quad.points.mean(0), (0, 0, 5))
    assert np.allclose(np.abs(plane.normal), np.abs(np.array([0, 0.2, 1]) / np.linalg.norm([0, 0.2, 1])))
    assert quad.active_texture_coordinates.shape == (4, 2)
    side = np.linalg.norm(plane.corners()[0] - plane.corners()[1])
    assert side == pytest.approx(80.0)


def test_body_centre_lands_in_the_body_on_every_plane(grid_of):
    grid, model = grid_of()
    centre = model.placement.frames["L4"].origin
    marrow = grid.label("marrow.L4")
    for plane in (
        standard_plane(grid, model.placement, "sagittal", 0.0),
        level_plane(model.placement, "L4"),
        make_plane("coronal", centre, fov=120.0),
    ):
        img = mr_slice(grid, plane, sequence("t1"), seed=None)
        c, r = plane.world_to_pixel(centre)[0].astype(int)
        assert img.labels[r, c] == marrow, plane.kind


def test_disc_centre_lands_in_the_nucleus_on_the_disc_plane(grid_of):
    grid, model = grid_of()
    place = model.placement
    centre = disc_center(place.shapes, place.frames, place.discs["L4-L5"])
    plane = level_plane(place, "L4-L5")
    assert abs(plane.distance(centre)[0]) < 0.5
    img = mr_slice(grid, plane, sequence("t2"), seed=None)
    c, r = plane.world_to_pixel(centre)[0].astype(int)
    assert img.labels[r, c] == grid.label("nucleus.L4-L5")


def test_body_height_in_the_image_matches_the_mesh(grid_of):
    grid, model = grid_of()
    plane = standard_plane(grid, model.placement, "sagittal", 0.0, size=(300, 300))
    img = mr_slice(grid, plane, sequence("t1"), seed=None)
    centre = model.placement.frames["L4"].origin
    c, _ = plane.world_to_pixel(centre)[0].astype(int)
    column = img.labels[:, c]
    bone = np.isin(column, [grid.label(n) for n in ("marrow.L4", "cortical", "endplate")])
    # Bone rows around the centre: the run that contains the body centre.
    r0 = int(plane.world_to_pixel(centre)[0, 1])
    top = r0
    while top > 0 and bone[top - 1]:
        top -= 1
    bottom = r0
    while bottom < len(column) - 1 and bone[bottom + 1]:
        bottom += 1
    z_top = plane.pixel_centers()[top, c, 2]
    z_bottom = plane.pixel_centers()[bottom, c, 2]
    # The mesh's own extent along the same vertical line.
    body = (
        model.parts["L4.body"]
        .merge(model.parts["L4.endplate.superior"])
        .merge(model.parts["L4.endplate.inferior"])
    )
    pts = body.points
    near = np.abs(pts[:, 1] - plane.pixel_centers()[r0, c, 1]) < 1.5
    near &= np.abs(pts[:, 0]) < 1.5
    assert near.sum() > 4
    tol = 2 * plane.pixel_mm + grid.spacing
    assert z_top == pytest.approx(pts[near, 2].max(), abs=tol)
    assert z_bottom == pytest.approx(pts[near, 2].min(), abs=tol)


def test_same_seed_same_image_other_seed_other_noise(grid_of):
    grid, model = grid_of()
    plane = standard_plane(grid, model.placement, "axial")
    a = mr_slice(grid, plane, sequence("t2"), seed=3).signal
    b = mr_slice(grid, plane, sequence("t2"), seed=3).signal
    c = mr_slice(grid, plane, sequence("t2"), seed=4).signal
    clean = mr_slice(grid, plane, sequence("t2"), seed=None).signal
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # The noise is small next to the contrast: a few per cent of the CSF signal.
    assert np.abs(a - clean).mean() < 0.05 * clean.max()


def test_bad_positions_are_refused_with_the_field_named(grid_of):
    grid, model = grid_of()
    with pytest.raises(ValueError, match="position: x = 400"):
        standard_plane(grid, model.placement, "sagittal", 400)
    with pytest.raises(ValueError, match="position: disc 'L7-L8'"):
        standard_plane(grid, model.placement, "axial", "L7-L8")
    with pytest.raises(ValueError, match="position: 'middle'"):
        standard_plane(grid, model.placement, "axial", "middle")
    with pytest.raises(ValueError, match="plane: 'oblique'"):
        standard_plane(grid, model.placement, "oblique")


def test_state_slice_is_cached_and_deterministic():
    a = state_slice(State(), seq="t1", plane="axial", seed=11)
    b = state_slice(State(), seq="t1", plane="axial", seed=11)
    assert np.array_equal(a.signal, b.signal)
    assert a.signal.shape == (256, 256)


@pytest.mark.parametrize(
    ("plane", "position"),
    [
        ("sagittal", -21.5),
        ("sagittal", 0.0),
        ("sagittal", 13.0),
        ("axial", -12.0),
        ("axial", 3.5),
        ("axial", "L4"),
        ("axial", "L4-L5"),
    ],
)
def test_exported_plane_passes_through_the_requested_position(grid_of, plane, position):
    grid, model = grid_of()
    pl = standard_plane(grid, model.placement, plane, position)
    quad = pl.to_polydata()
    pts = np.asarray(quad.points)
    normal = np.asarray(quad.field_data["normal"])
    # Every corner lies in the image plane.
    assert np.allclose((pts - pl.center) @ normal, 0.0, atol=1e-9)
    if isinstance(position, str):
        place = model.placement
        target = (
            disc_center(place.shapes, place.frames, place.discs[position])
            if "-" in position
            else place.frames[position].origin
        )
    else:
        axis = 0 if plane == "sagittal" else 2
        assert np.allclose(pts[:, axis], position)
        target = pl.center.copy()
        target[axis] = position
    assert abs((target - pts[0]) @ normal) < 1e-6
    # The quad covers the image: the world point lands inside it, and a structure there is in the image.
    c, r = pl.world_to_pixel(target)[0]
    assert 0 <= c < pl.size[0]
    assert 0 <= r < pl.size[1]
    assert quad.field_data["plane_kind"][0] == plane
