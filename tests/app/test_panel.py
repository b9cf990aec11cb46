"""The 2D panel without a browser: the MR slice, its plane in the 3D view, the nerve figure."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.render


def _set(app, **values):
    app.state.update(values)
    app.state.flush()


def _image(data_url: str) -> np.ndarray:
    head, _, body = data_url.partition(",")
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(body))).convert("L")).astype(int)


def test_opening_the_panel_shows_a_slice_and_its_plane(an_app):
    assert an_app._plane_actor is None
    _set(an_app, panel=True)
    t2 = _image(an_app.state.mri_src)
    assert max(t2.shape) == 320
    assert t2.std() > 10
    plane = an_app._plane_actor.mapper.dataset
    # The sagittal plane at 0 mm is the midline: every corner has x = 0.
    assert np.allclose(plane.points[:, 0], 0.0, atol=1e-6)
    _set(an_app, mri_seq="t1")
    assert np.abs(_image(an_app.state.mri_src) - t2).mean() > 5  # T1 is not T2


def test_moving_the_slider_moves_the_plane_and_changes_the_image(an_app):
    _set(an_app, panel=True)
    before = an_app.state.mri_src
    _set(an_app, mri_pos=20.0)
    assert np.allclose(an_app._plane_actor.mapper.dataset.points[:, 0], 20.0, atol=1e-6)
    assert an_app.state.mri_src != before
    _set(an_app, mri_plane="axial", mri_pos=0.0)
    axial = an_app._plane_actor.mapper.dataset
    normal = np.cross(axial.points[1] - axial.points[0], axial.points[3] - axial.points[0])
    assert abs(normal[2]) / np.linalg.norm(normal) > 0.9  # seen from the feet: near-horizontal
    # The plane passes through the middle of the disc.
    disc_centre = an_app.presenter.actors["L4-L5.nucleus"].mapper.dataset.center
    assert abs(np.dot(disc_centre - axial.points[0], normal / np.linalg.norm(normal))) < 3.0


def test_the_plane_is_not_picked_and_goes_with_the_panel(an_app):
    _set(an_app, panel=True)
    assert not an_app._plane_actor.GetPickable()
    _set(an_app, panel_tab="nerves")
    assert an_app._plane_actor is None
    rows, cols = _image(an_app.state.nerves_src).shape
    assert rows > cols > 400  # healthy above worn
    _set(an_app, panel_tab="mri", panel=False)
    assert an_app._plane_actor is None


def test_a_condition_change_updates_the_slice(an_app):
    _set(an_app, panel=True, mri_seq="t1")
    healthy = an_app.state.mri_src
    _set(an_app, modic="1")
    assert an_app.state.mri_src != healthy
    assert "Modic" in an_app.state.mri_caption or "modic" in an_app.state.mri_caption.lower()


@pytest.mark.parametrize(("key", "value"), [("mri_seq", "flair"), ("mri_pos", 400), ("panel_tab", None)])
def test_tampered_panel_values_are_refused(an_app, key, value):
    before = getattr(an_app.view, key)
    _set(an_app, **{key: value})
    assert getattr(an_app.view, key) == before
    assert an_app.state.notice
