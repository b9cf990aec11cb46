"""How a scene's patterns pick the parts of a built model.

Patterns were checked against the full name vocabulary when the file was
read; here they meet the parts a particular state actually built (a Modic
zone exists only with ``modic`` other than 0), so a pattern that selects
nothing now simply selects nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from .schema import Scene
from .validate import matches


def _any(patterns: Iterable[str], name: str) -> bool:
    return any(matches(p, name) for p in patterns)


def visible_names(scene: Scene, names: Iterable[str]) -> list[str]:
    """Parts drawn: those ``show`` selects, less those ``hide`` selects, in model order."""
    return [n for n in names if _any(scene.parts.show, n) and not _any(scene.parts.hide, n)]


def highlighted_names(scene: Scene, names: Iterable[str]) -> list[str]:
    """Parts stressed by the scene (the rest are drawn muted when this is not empty)."""
    return [n for n in names if _any(scene.parts.highlight, n)]


def opacity_of(scene: Scene, name: str) -> float | None:
    """The scene's opacity for a part, or ``None`` to keep the part's own.

    Entries apply in file order, so a broad group first and a single part
    after it gives the part its own value.
    """
    value = None
    for pattern, opacity in scene.parts.opacity:
        if matches(pattern, name):
            value = opacity
    return value


def label_anchor_names(scene: Scene, names: Iterable[str]) -> list[list[str]]:
    """For each label, the built parts its pattern selects (may be empty)."""
    names = list(names)
    return [[n for n in names if matches(label.part, n)] for label in scene.labels]
