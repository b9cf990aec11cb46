"""Turning the table read from a scene file into a :class:`~.schema.Scene`, or one clear error.

Every check raises :class:`SceneError` with the dotted key at fault
(``camera.preset``, ``parts.opacity."bone"``, ``labels[2].part``) and what is
allowed, so that ``spineviz scenes check`` can print one line a
physiotherapist can act on.  Checks run top to bottom in the order a person
reads the file, and the first problem is the one reported.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Mapping, Sequence
from typing import Any

from spineviz.conditions.state import State, StateError
from spineviz.geometry import names as part_vocabulary
from spineviz.geometry.names import GROUPS, Levels

from ..cameras import CAMERAS
from .schema import (
    AZIMUTH_RANGE,
    CAPTION_MAX,
    ELEVATION_RANGE,
    LABEL_MAX,
    LABEL_SIDES,
    LANGUAGES,
    ORDER_RANGE,
    PANEL_KINDS,
    PANEL_POSITION_RANGE,
    PLANES,
    SEQUENCES,
    SOURCE_MAX,
    SOURCES_MAX,
    TITLE_MAX,
    ZOOM_RANGE,
    Camera,
    Label,
    Panel,
    Parts,
    Scene,
    Text,
)

ALL_LEVELS = Levels.parse("L1-S1")

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
"""Scene ids become file names and URL paths: lower-case letters, digits and dashes."""

TOP_KEYS = (
    "id",
    "order",
    "levels",
    "title",
    "caption",
    "sources",
    "state",
    "camera",
    "parts",
    "panel",
    "labels",
)
REQUIRED_TOP = ("order", "title", "caption", "sources")
CAMERA_KEYS = ("preset", "frame", "zoom", "azimuth", "elevation", "position", "focal_point", "view_up")
PARTS_KEYS = ("show", "hide", "highlight", "opacity")
PANEL_KEYS = ("kind", "sequence", "plane", "position")
LABEL_KEYS = ("part", "nb", "en", "side")


class SceneError(ValueError):
    """A scene file that cannot be used.

    Attributes
    ----------
    key : str
        The dotted key at fault, ``""`` when the file as a whole is (bad TOML).
    path : str or None
        The file, once known; ``str(error)`` starts with it.
    """

    def __init__(self, key: str, message: str, *, path: str | None = None):
        self.key = key
        self.message = message
        self.path = path
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.key}: {self.message}" if self.key else f"{where}{self.message}"

    def in_file(self, path: str) -> SceneError:
        """The same error, naming ``path``."""
        return SceneError(self.key, self.message, path=path)


# -- small typed readers ------------------------------------------------------------------------

_TYPE_WORDS = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text in quotes",
    list: "a list in [ ]",
    dict: "a table",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _expect(value: Any, kind: type, key: str) -> Any:
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise SceneError(key, f"expected {_TYPE_WORDS[kind]}, got {_describe(value)}")
    return value


def _number(value: Any, key: str, bounds: tuple[float, float]) -> float:
    number = _expect(value, float, key)
    lo, hi = bounds
    if not lo <= number <= hi:
        raise SceneError(key, f"{number:g} is out of range; allowed: {lo:g} to {hi:g}")
    return number


def _choice(value: Any, key: str, allowed: Sequence[str]) -> str:
    text = _expect(value, str, key)
    if text not in allowed:
        raise SceneError(key, f"{text!r} is not allowed; choose one of {', '.join(allowed)}")
    return text


def _text(value: Any, key: str, limit: int) -> str:
    text = _expect(value, str, key).strip()
    if not text:
        raise SceneError(key, "is empty; write the text")
    if len(text) > limit:
        raise SceneError(key, f"is {len(text)} characters long; at most {limit} are allowed")
    return text


def _keys(table: Mapping[str, Any], key: str, allowed: Sequence[str]) -> None:
    for name in table:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where = f"{key}.{name}" if key else name
            raise SceneError(where, f"unknown key{hint}; allowed keys here: {', '.join(allowed)}")


def _table(value: Any, key: str) -> Mapping[str, Any]:
    return _expect(value, dict, key)


def _vector(value: Any, key: str) -> tuple[float, float, float]:
    items = _expect(value, list, key)
    if len(items) != 3:
        raise SceneError(key, f"expected three numbers [x, y, z] in mm, got {len(items)}")
    return tuple(_expect(v, float, f"{key}[{i}]") for i, v in enumerate(items, start=1))  # type: ignore[return-value]


def _language_text(value: Any, key: str, limit: int) -> Text:
    table = _table(value, key)
    _keys(table, key, LANGUAGES)
    for lang in LANGUAGES:
        if lang not in table:
            raise SceneError(
                f"{key}.{lang}", f"is missing; every {key} needs both languages ({', '.join(LANGUAGES)})"
            )
    return Text(**{lang: _text(table[lang], f"{key}.{lang}", limit) for lang in LANGUAGES})


# -- part names and patterns --------------------------------------------------------------------


def known_part_names(levels: Levels) -> tuple[str, ...]:
    """Every part name a scene over ``levels`` may refer to, condition parts included.

    Condition parts (a Modic zone, a herniation …) exist only in some states;
    a scene may name them whatever its state, and a pattern that selects
    nothing in the built model then draws nothing.
    """
    listed = list(part_vocabulary.part_names(levels))
    for pattern in part_vocabulary.CONDITION_PARTS:
        for v in levels.vertebrae:
            for d in levels.discs:
                for s in part_vocabulary.SIDES:
                    name = pattern.format(v=v, d=d, s=s)
                    if name not in listed:
                        listed.append(name)
    return tuple(listed)


def matches(pattern: str, name: str) -> bool:
    """Whether a scene pattern (group, exact name or glob) selects a part name."""
    if pattern in GROUPS:
        return part_vocabulary.group_of(name) == pattern
    return fnmatch.fnmatchcase(name, pattern)


def _pattern(value: Any, key: str, vocabulary: Sequence[str]) -> str:
    text = _expect(value, str, key).strip()
    if not any(matches(text, name) for name in vocabulary):
        if any(matches(text, name) for name in known_part_names(ALL_LEVELS)):
            raise SceneError(
                key,
                f"{text!r} is not built in this scene; add its vertebrae to levels "
                f'(e.g. levels = "{ALL_LEVELS}") or name a part of the scene\'s own levels',
            )
        close = difflib.get_close_matches(text, list(GROUPS) + list(vocabulary), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SceneError(
            key,
            f"{text!r} matches no part{hint}; use a group ({', '.join(GROUPS)}), "
            "a part name such as 'L4.body' or 'L5.root.left', or a glob such as '*.root.*' "
            "(the README lists the names)",
        )
    return text


def _patterns(value: Any, key: str, vocabulary: Sequence[str]) -> tuple[str, ...]:
    items = _expect(value, list, key)
    return tuple(_pattern(v, f"{key}[{i}]", vocabulary) for i, v in enumerate(items, start=1))


# -- sections -----------------------------------------------------------------------------------


def _state(value: Any) -> State:
    table = _table(value, "state")
    try:
        return State.from_mapping(table)
    except StateError as err:
        text = str(err).removeprefix(f"{err.field}: ")
        key = "state" if err.field == "state" else f"state.{err.field}"
        raise SceneError(key, text) from None


def _camera(value: Any, vocabulary: Sequence[str]) -> Camera:
    table = _table(value, "camera")
    _keys(table, "camera", CAMERA_KEYS)
    explicit = [k for k in ("position", "focal_point", "view_up") if k in table]
    if explicit and "preset" in table:
        raise SceneError("camera", "give either preset or position/focal_point/view_up, not both")
    if explicit and len(explicit) < 3:
        missing = next(k for k in ("position", "focal_point", "view_up") if k not in table)
        raise SceneError(
            f"camera.{missing}", "is missing; an explicit camera needs position, focal_point and view_up"
        )
    zoom = _number(table.get("zoom", 1.0), "camera.zoom", ZOOM_RANGE)
    azimuth = _number(table.get("azimuth", 0.0), "camera.azimuth", AZIMUTH_RANGE)
    elevation = _number(table.get("elevation", 0.0), "camera.elevation", ELEVATION_RANGE)
    if explicit:
        position = _vector(table["position"], "camera.position")
        focal = _vector(table["focal_point"], "camera.focal_point")
        up = _vector(table["view_up"], "camera.view_up")
        if position == focal:
            raise SceneError(
                "camera.position", "is the same point as focal_point; the camera must look somewhere"
            )
        if not any(up):
            raise SceneError("camera.view_up", "is [0, 0, 0]; give a direction such as [0, 0, 1]")
        if "frame" in table:
            raise SceneError("camera.frame", "only a preset is framed; remove frame or use a preset")
        return Camera(None, (), zoom, azimuth, elevation, position, focal, up)
    preset = _choice(table.get("preset", "lateral"), "camera.preset", CAMERAS)
    frame = _patterns(table.get("frame", []), "camera.frame", vocabulary)
    return Camera(preset, frame, zoom, azimuth, elevation)


def _parts(value: Any, vocabulary: Sequence[str]) -> Parts:
    table = _table(value, "parts")
    _keys(table, "parts", PARTS_KEYS)
    show = _patterns(table.get("show", ["*"]), "parts.show", vocabulary)
    hide = _patterns(table.get("hide", []), "parts.hide", vocabulary)
    highlight = _patterns(table.get("highlight", []), "parts.highlight", vocabulary)
    opacity_table = _table(table.get("opacity", {}), "parts.opacity")
    opacity = []
    for pattern, raw in opacity_table.items():
        key = f'parts.opacity."{pattern}"'
        _pattern(pattern, key, vocabulary)
        opacity.append((pattern, _number(raw, key, (0.0, 1.0))))
    return Parts(show, hide, highlight, tuple(opacity))


def _panel(value: Any) -> Panel:
    table = _table(value, "panel")
    _keys(table, "panel", PANEL_KEYS)
    kind = _choice(table.get("kind", "mri"), "panel.kind", PANEL_KINDS)
    if kind == "mri":
        if "sequence" not in table:
            raise SceneError(
                "panel.sequence", f"is missing; an MRI panel needs one of {', '.join(SEQUENCES)}"
            )
        sequence = _choice(table["sequence"], "panel.sequence", SEQUENCES)
        plane = _choice(table.get("plane", "sagittal"), "panel.plane", PLANES)
    else:
        if "sequence" in table:
            raise SceneError(
                "panel.sequence", 'only an MRI panel has a sequence; remove it or use kind = "mri"'
            )
        sequence = None
        plane = _choice(table.get("plane", "axial"), "panel.plane", ("axial",))
    position = _number(table.get("position", 0.0), "panel.position", PANEL_POSITION_RANGE)
    return Panel(kind, sequence, plane, position)


def _labels(value: Any, vocabulary: Sequence[str]) -> tuple[Label, ...]:
    items = _expect(value, list, "labels")
    labels = []
    for i, raw in enumerate(items):
        key = f"labels[{i + 1}]"
        table = _table(raw, key)
        _keys(table, key, LABEL_KEYS)
        if "part" not in table:
            raise SceneError(f"{key}.part", "is missing; name the part the leader line points at")
        part = _pattern(table["part"], f"{key}.part", vocabulary)
        for lang in LANGUAGES:
            if lang not in table:
                raise SceneError(
                    f"{key}.{lang}", f"is missing; every label needs both languages ({', '.join(LANGUAGES)})"
                )
        text = Text(**{lang: _text(table[lang], f"{key}.{lang}", LABEL_MAX) for lang in LANGUAGES})
        side = _choice(table.get("side", "auto"), f"{key}.side", LABEL_SIDES)
        labels.append(Label(part, text, side))
    return tuple(labels)


def _sources(value: Any) -> tuple[str, ...]:
    items = _expect(value, list, "sources")
    if not items:
        raise SceneError("sources", "is empty; cite at least one source for the caption's claims")
    if len(items) > SOURCES_MAX:
        raise SceneError("sources", f"has {len(items)} entries; at most {SOURCES_MAX} are allowed")
    return tuple(_text(v, f"sources[{i + 1}]", SOURCE_MAX) for i, v in enumerate(items))


def scene_from_mapping(data: Mapping[str, Any], *, stem: str) -> Scene:
    """Validate the table of one scene file.

    Parameters
    ----------
    data : Mapping
        What :func:`tomllib.load` returned.
    stem : str
        The file name without ``.toml``: the scene's id.

    Returns
    -------
    Scene

    Raises
    ------
    SceneError
        For the first problem found, naming its key and what is allowed.
    """
    if not ID_PATTERN.fullmatch(stem):
        raise SceneError(
            "id",
            f"the file name {stem!r} cannot be an id; "
            "use lower-case letters, digits and dashes (e.g. modic-type-1)",
        )
    _keys(data, "", TOP_KEYS)
    if "id" in data and _expect(data["id"], str, "id") != stem:
        raise SceneError("id", f"{data['id']!r} must equal the file name {stem!r} (or leave id out)")
    for key in REQUIRED_TOP:
        if key not in data:
            raise SceneError(key, "is missing; every scene needs " + ", ".join(REQUIRED_TOP))
    lo, hi = ORDER_RANGE
    order = _expect(data["order"], int, "order")
    if not lo <= order <= hi:
        raise SceneError("order", f"{order} is out of range; allowed: {lo} to {hi}")
    title = _language_text(data["title"], "title", TITLE_MAX)
    caption = _language_text(data["caption"], "caption", CAPTION_MAX)
    sources = _sources(data["sources"])
    state = _state(data.get("state", {}))
    levels_text = data.get("levels", state.level)
    try:
        levels = Levels.parse(_expect(levels_text, str, "levels"))
    except ValueError as err:
        raise SceneError("levels", str(err).removeprefix("levels: ")) from None
    if state.upper not in levels.vertebrae or state.lower not in levels.vertebrae:
        raise SceneError(
            "levels", f"{levels} does not contain the affected disc {state.level} (state.level); widen levels"
        )
    vocabulary = known_part_names(levels)
    camera = _camera(data.get("camera", {}), vocabulary)
    parts = _parts(data.get("parts", {}), vocabulary)
    panel = _panel(data["panel"]) if "panel" in data else None
    labels = _labels(data.get("labels", []), vocabulary)
    return Scene(stem, order, title, caption, sources, state, levels, camera, parts, panel, labels)
