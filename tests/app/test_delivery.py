"""Remote-view images rendered and encoded in one go (no stale-image wait)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from spineviz.app.delivery import encode_in_place
from spineviz.conditions.build import build
from spineviz.conditions.state import State
from spineviz.render import offscreen
from spineviz.render.scene import BACKGROUND_BOTTOM, BACKGROUND_TOP, ScenePresenter


class FakeLink:
    """The two lookups of trame-vtk's image delivery that ``still_render`` uses."""

    def __init__(self, render_window):
        self.render_window = render_window

    def get_view(self, view_id):
        return self.render_window if view_id == "7" else None

    def get_global_id(self, _view):
        return 7


def _grey(hex_colour: str) -> float:
    return sum(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)) / 3


def test_every_image_goes_out_at_once_at_the_asked_size_upright():
    offscreen.configure_environment()
    with ScenePresenter(size=(160, 120), anti_aliasing="none") as presenter:
        presenter.update(build(State(), detail="low").parts)
        presenter.set_camera("lateral")
        link = FakeLink(presenter.plotter.render_window)
        encode_in_place(link)
        first = link.still_render({"view": "7", "size": [200, 150], "quality": 95})
        assert first["stale"] is False
        assert first["size"] == [200, 150]
        image = np.asarray(Image.open(io.BytesIO(first["image"])).convert("RGB")).astype(float)
        assert image.shape == (150, 200, 3)
        # Upright: the paper-white end of the background gradient is at the top.
        top, bottom = image[0, :10].mean(), image[-1, :10].mean()
        assert abs(top - _grey(BACKGROUND_TOP)) < 4
        assert abs(bottom - _grey(BACKGROUND_BOTTOM)) < 4
        # The segment is drawn in the middle, not a blank frame.
        middle = image[50:100, 70:130]
        assert np.abs(middle - image[50:100, :1]).sum(axis=2).max() > 60
        second = link.still_render({"view": "7"})
        assert second["size"] == [200, 150]
        assert second["mtime"] > first["mtime"]
        assert link.still_render({"view": "gone"})["image"] is None
