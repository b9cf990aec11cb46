"""Keeping the segment framed when the browser's view changes shape.

The camera presets are framed for one image shape; a phone held upright,
the two half-width views of compare mode or the view beside the 2D panel
are much narrower, and a camera framed for a landscape window cuts the
segment off at both sides there.  When the render window's shape changes,
:func:`fit` moves the camera along its line of sight (and sideways, to
centre the picture) so the same points fill the new shape with the same
margin.  The direction the visitor turned the segment to stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from spineviz.render.cameras import MARGIN, fit_along

ASPECT_TOLERANCE = 0.02
"""Relative change of width/height below which a resize keeps the camera (a
screenshot renders at twice the size, same shape)."""


def fit(camera, points, *, aspect: float, margin: float = MARGIN) -> None:
    """Move ``camera`` (a vtkCamera) so that ``points`` fill an image of ``aspect`` = width / height.

    The view direction, view-up and view angle are kept; only the distance
    and the focal point change (:func:`spineviz.render.cameras.fit_along`).
    """
    direction = np.subtract(camera.GetPosition(), camera.GetFocalPoint())
    position, focal, up = fit_along(
        points, direction, camera.GetViewUp(), aspect=aspect, margin=margin, view_angle=camera.GetViewAngle()
    )
    camera.SetFocalPoint(*focal)
    camera.SetPosition(*position)
    camera.SetViewUp(*up)


def on_reshape(render_window, react: Callable[[float], None]) -> None:
    """Call ``react(aspect)`` whenever ``render_window`` changes shape (not when it only scales)."""
    last = [None]

    def resized(window, _event) -> None:
        width, height = window.GetSize()
        if width < 2 or height < 2:
            return
        aspect = width / height
        if last[0] is not None and abs(aspect / last[0] - 1) < ASPECT_TOLERANCE:
            return
        last[0] = aspect
        react(aspect)

    render_window.AddObserver("WindowResizeEvent", resized)
