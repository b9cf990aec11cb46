"""Camera presets framed from the model's bounds.

World coordinates are LPS millimetres: +x the patient's left, +y posterior,
+z superior.  The lateral view follows the atlas convention of a *left*
lateral view: the camera stands at the patient's left, so anterior is on the
viewer's left and the spinous processes point right.  The posterior and
anterior views keep the patient upright; the axial view looks down from above
with anterior at the top of the image.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

VIEW_ANGLE = 20.0
"""Vertical field of view in degrees: a long lens, close to an atlas's
near-orthographic drawing, without losing all depth cue."""

MARGIN = 0.08
"""Fraction of the image left free on each side of the framed parts."""


@dataclass(frozen=True)
class Preset:
    """A viewing direction: ``direction`` points from the subject to the camera."""

    direction: tuple[float, float, float]
    view_up: tuple[float, float, float]
    description: str
    focus: str = "all"


PRESETS: dict[str, Preset] = {
    "lateral": Preset((1.0, 0.0, 0.0), (0.0, 0.0, 1.0), "from the patient's left, anterior to the left"),
    "posterior": Preset((0.0, 1.0, 0.0), (0.0, 0.0, 1.0), "from behind"),
    "anterior": Preset((0.0, -1.0, 0.0), (0.0, 0.0, 1.0), "from the front"),
    "oblique": Preset((0.62, 0.62, 0.48), (0.0, 0.0, 1.0), "from behind, left and above"),
    "axial": Preset((0.0, 0.0, 1.0), (0.0, -1.0, 0.0), "from above, anterior at the top"),
    "endplate": Preset(
        (0.55, -0.65, 0.52), (0.0, 0.0, 1.0), "close-up of the middle disc and its endplates", focus="disc"
    ),
}
CAMERAS = tuple(PRESETS)


@dataclass(frozen=True)
class CameraPose:
    """Where the camera is: enough to set a VTK camera."""

    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float]
    view_angle: float = VIEW_ANGLE


def check_camera(camera: str) -> str:
    """Return ``camera`` if it is a known preset, else raise a clear error."""
    if camera not in PRESETS:
        msg = f"camera: {camera!r} is not allowed; choose one of {', '.join(CAMERAS)}"
        raise ValueError(msg)
    return camera


def focus_names(names: Iterable[str], camera: str) -> list[str]:
    """The parts a preset frames: all of them, or the middle disc for the close-up.

    The close-up frames the disc nearest the middle of the built range with
    the two bony endplates that face it; without discs it falls back to the
    endplates in the middle.
    """
    names = list(names)
    if PRESETS[check_camera(camera)].focus == "all":
        return names
    discs = sorted({n.split(".")[0] for n in names if "-" in n.split(".")[0] and n.endswith(".nucleus")})
    if not discs:
        discs = sorted({n.split(".")[0] for n in names if "-" in n.split(".")[0]})
    if discs:
        disc = discs[len(discs) // 2]
        upper, lower = disc.split("-")
        wanted = [
            n
            for n in names
            if n.startswith(disc + ".") or n in (f"{upper}.endplate.inferior", f"{lower}.endplate.superior")
        ]
        if wanted:
            return wanted
    plates = [n for n in names if ".endplate." in n]
    if plates:
        vertebrae = sorted({n.split(".")[0] for n in plates})
        if len(vertebrae) >= 2:
            mid = len(vertebrae) // 2
            picked = (f"{vertebrae[mid - 1]}.endplate.inferior", f"{vertebrae[mid]}.endplate.superior")
        else:
            picked = tuple(plates)
        return [n for n in plates if n in picked] or plates
    return names


def bounds_of(parts: Mapping, names: Iterable[str] | None = None) -> np.ndarray:
    """Axis-aligned box ``[[xmin, ymin, zmin], [xmax, ymax, zmax]]`` of some parts."""
    points = points_of(parts, names)
    return np.stack([points.min(axis=0), points.max(axis=0)])


def points_of(parts: Mapping, names: Iterable[str] | None = None, *, limit: int = 40000) -> np.ndarray:
    """Up to about ``limit`` surface points of some parts, for framing.

    Framing on the surface rather than on the bounding box keeps oblique
    views tight: a box's far corners lie well outside a vertebra.
    """
    keys = list(parts) if names is None else list(names)
    clouds = [np.asarray(parts[k].points, float) for k in keys if parts[k].n_points]
    if not clouds:
        msg = "camera: there is nothing to frame (no part has any points)"
        raise ValueError(msg)
    total = sum(len(c) for c in clouds)
    step = max(1, total // limit)
    return np.concatenate([c[::step] for c in clouds] + [c[[0, -1]] for c in clouds])


def frame(points, camera: str = "lateral", *, aspect: float = 16 / 9, margin: float = MARGIN) -> CameraPose:
    """Place a preset camera so that some points fill the image with a margin.

    The distance is solved exactly for a perspective camera: every point
    must fall inside the view frustum, for both the vertical and the
    horizontal field of view (``aspect`` = width / height).

    Parameters
    ----------
    points : array_like, shape (N, 3)
        Points to frame: a part's surface points, or a box's two corners
        ``[[xmin, ymin, zmin], [xmax, ymax, zmax]]`` (then all 8 corners are framed).
    camera : str, optional
        One of :data:`CAMERAS`.
    aspect : float, optional
        Image width over height.
    margin : float, optional
        Free fraction of the image on each side.

    Returns
    -------
    CameraPose
    """
    preset = PRESETS[check_camera(camera)]
    points = np.asarray(points, float).reshape(-1, 3)
    if len(points) == 2:
        (x0, y0, z0), (x1, y1, z1) = points
        points = np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)])
    position, centre, up = fit_along(
        points, preset.direction, preset.view_up, aspect=aspect, margin=margin, view_angle=VIEW_ANGLE
    )
    return CameraPose(tuple(position), tuple(centre), tuple(up), VIEW_ANGLE)


def fit_along(points, direction, view_up, *, aspect: float, margin: float = MARGIN, view_angle: float):
    """Camera position, focal point and view-up that frame ``points`` seen along ``direction``.

    ``direction`` points from the focal point towards the camera.  The distance
    is solved so every point lies inside both fields of view (``aspect`` =
    width / height), then the focal point is shifted to centre the picture.
    """
    points = np.asarray(points, float).reshape(-1, 3)
    back = np.asarray(direction, float)
    back /= np.linalg.norm(back)
    up = np.asarray(view_up, float)
    up = up - back * (up @ back)
    up /= np.linalg.norm(up)
    right = np.cross(-back, up)
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    rel = points - centre
    u, v, w = rel @ right, rel @ up, rel @ back
    tan_v = np.tan(np.radians(view_angle) / 2) * (1 - 2 * margin)
    tan_h = tan_v * aspect
    # Centre the projection, not the box: solve the distance, then shift the
    # focal point sideways so the image extents are balanced, and repeat once.
    for _ in range(2):
        distance = float(np.max(np.concatenate([np.abs(v) / tan_v + w, np.abs(u) / tan_h + w])))
        su, sv = u / (distance - w), v / (distance - w)
        du = (su.max() + su.min()) / 2 * distance
        dv = (sv.max() + sv.min()) / 2 * distance
        centre = centre + right * du + up * dv
        u, v = u - du, v - dv
    distance = float(np.max(np.concatenate([np.abs(v) / tan_v + w, np.abs(u) / tan_h + w])))
    return centre + back * distance, centre, up


def pose_for(parts: Mapping, camera: str = "lateral", *, aspect: float = 16 / 9) -> CameraPose:
    """The framed pose of a preset for a set of parts."""
    return frame(points_of(parts, focus_names(parts, camera)), camera, aspect=aspect)
