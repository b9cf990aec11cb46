"""Camera presets: directions follow the atlas conventions and framing is tight."""

from __future__ import annotations

import numpy as np
import pytest

from spineviz.render import cameras


def screen_coordinates(pose: cameras.CameraPose, points: np.ndarray, aspect: float) -> np.ndarray:
    """Normalised screen coordinates in [-1, 1] (x right, y up) of world points."""
    position, focal, up = (np.asarray(v, float) for v in (pose.position, pose.focal_point, pose.view_up))
    forward = focal - position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    rel = points - position
    depth = rel @ forward
    t = np.tan(np.radians(pose.view_angle) / 2)
    return np.stack([(rel @ right) / depth / (t * aspect), (rel @ up) / depth / t], axis=1)


BOX = np.array([[-25.0, -20.0, -40.0], [25.0, 45.0, 40.0]])
CORNERS = np.array([[x, y, z] for x in BOX[:, 0] for y in BOX[:, 1] for z in BOX[:, 2]])


@pytest.mark.parametrize("camera", cameras.CAMERAS)
@pytest.mark.parametrize("aspect", [16 / 9, 1.0, 9 / 16])
def test_framing_fits_the_box_with_the_margin_and_no_more(camera, aspect):
    pose = cameras.frame(BOX, camera, aspect=aspect)
    s = screen_coordinates(pose, CORNERS, aspect)
    limit = 1 - 2 * cameras.MARGIN
    assert np.abs(s).max() <= limit + 1e-6
    # Tight: the box touches the margin in one direction and is centred.
    assert np.abs(s).max() == pytest.approx(limit, abs=1e-3)
    assert s[:, 0].max() + s[:, 0].min() == pytest.approx(0.0, abs=1e-3)
    assert s[:, 1].max() + s[:, 1].min() == pytest.approx(0.0, abs=1e-3)


def test_lateral_is_a_left_view_with_anterior_on_the_left():
    pose = cameras.frame(BOX, "lateral")
    assert pose.position[0] > pose.focal_point[0]  # camera on the patient's left (+x)
    front, back = np.array([[0.0, -20.0, 0.0]]), np.array([[0.0, 45.0, 0.0]])
    assert screen_coordinates(pose, front, 16 / 9)[0, 0] < screen_coordinates(pose, back, 16 / 9)[0, 0]


def test_posterior_view_shows_the_patients_right_on_the_right():
    pose = cameras.frame(BOX, "posterior")
    right_side = screen_coordinates(pose, np.array([[-20.0, 0.0, 0.0]]), 16 / 9)[0, 0]
    assert pose.position[1] > pose.focal_point[1]
    assert right_side > 0


def test_axial_view_looks_down_with_anterior_up():
    pose = cameras.frame(BOX, "axial")
    assert pose.position[2] > BOX[1, 2]
    anterior = screen_coordinates(pose, np.array([[0.0, -20.0, 0.0]]), 16 / 9)[0, 1]
    assert anterior > 0


def test_oblique_is_from_behind_left_and_above():
    pose = cameras.frame(BOX, "oblique")
    d = np.subtract(pose.position, pose.focal_point)
    assert d[0] > 0
    assert d[1] > 0
    assert d[2] > 0


def test_endplate_close_up_frames_the_middle_disc():
    names = [
        "L3.endplate.inferior",
        "L4.body",
        "L4.endplate.inferior",
        "L4-L5.annulus",
        "L4-L5.nucleus",
        "L5.endplate.superior",
        "L5.body",
        "L3-L4.nucleus",
        "L5-S1.nucleus",
    ]
    picked = cameras.focus_names(names, "endplate")
    assert set(picked) == {"L4.endplate.inferior", "L4-L5.annulus", "L4-L5.nucleus", "L5.endplate.superior"}
    assert cameras.focus_names(names, "lateral") == names


def test_bad_camera_names_the_field_and_the_choices():
    with pytest.raises(ValueError, match=r"camera: 'top' is not allowed; choose one of lateral, posterior"):
        cameras.frame(BOX, "top")
