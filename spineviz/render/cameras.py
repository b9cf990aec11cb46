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
    keys = list(parts) if names is None else list(names)
    boxes = [np.asarray(parts[k].bounds, float).reshape(3, 2).T for k in keys if parts[k].n_points]
    if not boxes:
        msg = "camera: there is nothing to frame (no part has any points)"
        raise ValueError(msg)
    stacked = np.stack(boxes)
    return np.stack([stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0)])


def frame(
    bounds: np.ndarray, camera: str = "lateral", *, aspect: float = 16 / 9, margin: float = MARGIN
) -> CameraPose:
    """Place a preset camera so that a box fills the image with a margin.

    The distance is solved exactly for a perspective camera: every corner of
    the box must fall inside the view frustum, for both the vertical and the
    horizontal field of view (``aspect`` = width / height).

    Parameters
    ----------
    bounds : array_like, shape (2, 3)
        Box to frame (see :func:`bounds_of`).
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
    lo, hi = np.asarray(bounds, float)
    centre = (lo + hi) / 2
    back = np.asarray(preset.direction, float)
    back /= np.linalg.norm(back)
    up = np.asarray(preset.view_up, float)
    up = up - back * (up @ back)
    up /= np.linalg.norm(up)
    right = np.cross(-back, up)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    rel = corners - centre
    u, v, w = rel @ right, rel @ up, rel @ back
    # Centre the box on screen in the image plane first, then fit.
    shift = right * (u.max() + u.min()) / 2 + up * (v.max() + v.min()) / 2
    centre = centre + shift
    u -= (u.max() + u.min()) / 2
    v -= (v.max() + v.min()) / 2
    tan_v = np.tan(np.radians(VIEW_ANGLE) / 2) * (1 - 2 * margin)
    tan_h = tan_v * aspect
    distance = float(np.max(np.concatenate([np.abs(v) / tan_v + w, np.abs(u) / tan_h + w])))
    position = centre + back * distance
    return CameraPose(tuple(position), tuple(centre), tuple(up), VIEW_ANGLE)


def pose_for(parts: Mapping, camera: str = "lateral", *, aspect: float = 16 / 9) -> CameraPose:
    """The framed pose of a preset for a set of parts."""
    return frame(bounds_of(parts, focus_names(parts, camera)), camera, aspect=aspect)
