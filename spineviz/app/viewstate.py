"""The app's state: the condition fields plus how the scene is viewed.

Every key the browser may write lives here, with its default and a check.
Condition fields keep the names and written forms (tokens) of
:data:`spineviz.conditions.state.FIELDS`, so a trame state key, a URL query
parameter and a CLI flag are one and the same word.  The view fields are
declared by :class:`ViewState`; :func:`check_view` validates a value that
came from a browser before anything reacts to it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spineviz.conditions.state import FIELDS, State
from spineviz.geometry.names import GROUPS
from spineviz.render.cameras import CAMERAS

from .text import DEFAULT_LANGUAGE, LANGUAGES

CONDITION_KEYS: tuple[str, ...] = tuple(spec.name for spec in FIELDS)
GROUP_KEYS: tuple[str, ...] = tuple(GROUPS)
CLIP_AXES: tuple[str, ...] = ("sagittal", "axial", "coronal")
RENDERING_MODES = ("remote", "local")

SEQUENCES: tuple[str, ...] = ("t1", "t2", "stir")
PLANES: tuple[str, ...] = ("sagittal", "axial")
TABS: tuple[str, ...] = ("mri", "nerves")
POSITION_MM = (-40.0, 40.0)
"""Slice positions of the 2D panel: sagittal x (0 = midline, + = patient's
left; ±20 ≈ the foramina), axial distance along the disc's axis from the
middle of the state's disc (+ = up; ±20 ≈ the middle of the vertebral bodies)."""

PANEL_KEYS: tuple[str, ...] = ("panel", "panel_tab", "mri_seq", "mri_plane", "mri_pos")

CAMERA_QUERY_KEY = "view"
"""Query parameter carrying an explicit camera: 9 numbers (position, focal
point, view-up), rounded to 0.1 mm; ``camera`` carries the preset name."""


def _opacity_defaults() -> dict[str, float]:
    return dict.fromkeys(GROUP_KEYS, 1.0)


def _visible_defaults() -> dict[str, bool]:
    return dict.fromkeys(GROUP_KEYS, True)


@dataclass
class ViewState:
    """How the scene is viewed; not part of the medical state.

    Attributes
    ----------
    camera : str
        Camera preset (``spineviz.render.cameras.CAMERAS``).
    visible : dict of str to bool
        Shown structure groups (``GROUPS`` of the part names).
    opacity : dict of str to float
        Opacity per group, 0.1–1 ("x-ray" below 1).
    clip : bool
        Cut the model open with a plane; cut faces are filled.
    clip_axis : {"sagittal", "axial", "coronal"}
        Plane normal: patient left–right, up–down, front–back.
    clip_offset : float
        Plane position as a fraction (−1 to 1) of the half-extent of the model.
    labels : bool
        Names of the parts drawn beside them.
    compare : bool
        Healthy segment beside the current one, cameras linked.
    lang : {"nb", "en"}
        Language of every word shown.
    presenter : bool
        Large controls for a consultation.
    transparent : bool
        Screenshots with a transparent background.
    panel : bool
        The 2D panel beside the 3D view (MR slice or nerve supply).
    panel_tab : {"mri", "nerves"}
        What the 2D panel shows.
    mri_seq : {"t1", "t2", "stir"}
        MR sequence of the slice.
    mri_plane : {"sagittal", "axial"}
        Orientation of the slice.
    mri_pos : float
        Slice position in mm (:data:`POSITION_MM`).
    """

    camera: str = "lateral"
    visible: dict[str, bool] = field(default_factory=_visible_defaults)
    opacity: dict[str, float] = field(default_factory=_opacity_defaults)
    clip: bool = False
    clip_axis: str = "sagittal"
    clip_offset: float = 0.0
    labels: bool = False
    compare: bool = False
    lang: str = DEFAULT_LANGUAGE
    presenter: bool = False
    transparent: bool = False
    panel: bool = False
    panel_tab: str = "mri"
    mri_seq: str = "t2"
    mri_plane: str = "sagittal"
    mri_pos: float = 0.0


class ViewError(ValueError):
    """A view value from a browser that is not allowed; the message names the key."""


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ViewError(f"{key}: {value!r} is not allowed; use true or false")


def _choice(key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    raise ViewError(f"{key}: {value!r} is not allowed; choose one of {', '.join(allowed)}")


def _number(key: str, value: Any, low: float, high: float) -> float:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and math.isfinite(value) and low <= value <= high:
        return float(value)
    raise ViewError(f"{key}: {value!r} is not allowed; give a number from {low:g} to {high:g}")


def _groups(key: str, value: Any, check) -> dict:
    if not isinstance(value, Mapping) or set(value) != set(GROUP_KEYS):
        allowed = ", ".join(GROUP_KEYS)
        raise ViewError(f"{key}: {value!r} is not allowed; give one value for each of {allowed}")
    return {g: check(f"{key}.{g}", value[g]) for g in GROUP_KEYS}


_CHECKS = {
    "camera": lambda k, v: _choice(k, v, CAMERAS),
    "visible": lambda k, v: _groups(k, v, _bool),
    "opacity": lambda k, v: _groups(k, v, lambda kk, vv: _number(kk, vv, 0.1, 1.0)),
    "clip": _bool,
    "clip_axis": lambda k, v: _choice(k, v, CLIP_AXES),
    "clip_offset": lambda k, v: _number(k, v, -1.0, 1.0),
    "labels": _bool,
    "compare": _bool,
    "lang": lambda k, v: _choice(k, v, LANGUAGES),
    "presenter": _bool,
    "transparent": _bool,
    "panel": _bool,
    "panel_tab": lambda k, v: _choice(k, v, TABS),
    "mri_seq": lambda k, v: _choice(k, v, SEQUENCES),
    "mri_plane": lambda k, v: _choice(k, v, PLANES),
    "mri_pos": lambda k, v: _number(k, v, *POSITION_MM),
}
VIEW_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ViewState))
assert set(VIEW_KEYS) == set(_CHECKS), "every view field needs a check"


def check_view(key: str, value: Any) -> Any:
    """The validated value of view field ``key``; :class:`ViewError` names the key and what is allowed."""
    return _CHECKS[key](key, value)


def condition_tokens(state: State) -> dict[str, str]:
    """Every condition field of ``state`` in its written form (what the browser holds)."""
    return {spec.name: spec.token(getattr(state, spec.name)) for spec in FIELDS}


def changed_conditions(current: State, incoming: Mapping[str, Any]) -> dict[str, Any]:
    """The condition fields whose incoming value differs from ``current``'s written form."""
    tokens = condition_tokens(current)
    return {k: v for k, v in incoming.items() if k in tokens and v != tokens[k]}
