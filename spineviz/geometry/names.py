"""The stable dotted names of every part: the one list the whole project uses.

The app, the labels, the exports and the tests refer to parts by these names
(``L4.body``, ``L4-L5.nucleus``, ``L5.root.left`` …).  :func:`part_names`
gives the names for any run of levels; the README lists the same patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from .dimensions import VERTEBRAE

SIDES = ("left", "right")

# Pattern tables: ``{v}`` is a vertebra (L4), ``{d}`` a disc (L4-L5).
VERTEBRA_PARTS = (
    "{v}.body",
    "{v}.arch",
    "{v}.endplate.superior",
    "{v}.endplate.inferior",
    "{v}.basivertebral",
)
ROOT_PARTS = ("{v}.root.left", "{v}.root.right")
HALF_DISC_PARTS = ("{d}.annulus", "{d}.nucleus", "{d}.cartilage.{s}")
DISC_PARTS = (
    "{d}.annulus",
    "{d}.nucleus",
    "{d}.cartilage.superior",
    "{d}.cartilage.inferior",
    "{d}.sinuvertebral.left",
    "{d}.sinuvertebral.right",
    "{d}.ligamentum_flavum",
    "{d}.plc",
)
SEGMENT_PARTS = ("dural_sac", "cauda_equina", "multifidus.left", "multifidus.right")

# Parts that only a condition adds (spineviz.conditions); ``{v}`` is a vertebra
# next to the affected disc, ``{d}`` the affected disc, ``{s}`` left/right.
CONDITION_PARTS = (
    "{v}.modic",
    "{v}.modic.fissures",
    "{v}.osteophytes",
    "{v}.basivertebral.branches",
    "{d}.herniation",
    "{d}.fibres",
    "{d}.vessels",
    "{d}.facet_hypertrophy.{s}",
    "{d}.theory.microfractures",
    "{d}.theory.bacteria",
    "{d}.theory.immune",
    "multifidus.{s}.fat",
)

GROUPS = {
    "bone": ("body", "arch", "endplate", "osteophytes"),
    "disc": ("annulus", "nucleus", "cartilage"),
    "nerves": ("root", "sinuvertebral", "basivertebral", "dural_sac", "cauda_equina", "fibres"),
    "vessels": ("vessels",),
    "muscle": ("multifidus",),
    "ligaments": ("ligamentum_flavum", "plc"),
    "findings": ("modic", "herniation", "facet_hypertrophy", "theory"),
}
"""Structure groups for show/hide: a part is in a group when one of the
group's keys is one of the dotted components of its name."""


@dataclass(frozen=True)
class Levels:
    """A contiguous run of vertebrae, e.g. ``Levels.parse("L2-L5")``."""

    first: str
    last: str

    @classmethod
    def parse(cls, text: str) -> Levels:
        """Parse ``"L4-L5"``, ``"L1-S1"`` or a single ``"L4"``."""
        m = re.fullmatch(r"\s*([LS]\d)\s*(?:-\s*([LS]\d)\s*)?", str(text))
        allowed = ", ".join(VERTEBRAE)
        if not m:
            msg = f"levels: {text!r} is not a level range; use e.g. L4-L5 or L1-S1 (levels: {allowed})"
            raise ValueError(msg)
        first, last = m.group(1), m.group(2) or m.group(1)
        for name in (first, last):
            if name not in VERTEBRAE:
                msg = f"levels: unknown vertebra {name!r}; allowed: {allowed}"
                raise ValueError(msg)
        if VERTEBRAE.index(first) > VERTEBRAE.index(last):
            msg = f"levels: {text!r} runs upward; write the upper level first (e.g. L2-L5)"
            raise ValueError(msg)
        return cls(first, last)

    @property
    def vertebrae(self) -> tuple[str, ...]:
        i, j = VERTEBRAE.index(self.first), VERTEBRAE.index(self.last)
        return VERTEBRAE[i : j + 1]

    @property
    def discs(self) -> tuple[str, ...]:
        """Discs between the built vertebrae."""
        v = self.vertebrae
        return tuple(f"{a}-{b}" for a, b in pairwise(v))

    @property
    def half_discs(self) -> tuple[tuple[str, str], ...]:
        """Neighbouring discs drawn as halves: ``(disc, side kept)``.

        The half of the disc above the first vertebra and the half below the
        last one frame the segment, as in an atlas plate.
        """
        i, j = VERTEBRAE.index(self.first), VERTEBRAE.index(self.last)
        halves = []
        if i > 0:
            halves.append((f"{VERTEBRAE[i - 1]}-{self.first}", "inferior"))
        if j + 1 < len(VERTEBRAE):
            halves.append((f"{self.last}-{VERTEBRAE[j + 1]}", "superior"))
        return tuple(halves)

    def __str__(self) -> str:
        return self.first if self.first == self.last else f"{self.first}-{self.last}"


DEFAULT_LEVELS = Levels("L4", "L5")


def part_names(levels: Levels = DEFAULT_LEVELS) -> tuple[str, ...]:
    """All part names of a model built over ``levels``, in a stable order."""
    names: list[str] = []
    for v in levels.vertebrae:
        names += [p.format(v=v) for p in VERTEBRA_PARTS]
        names += [p.format(v=v) for p in ROOT_PARTS]
    for d in levels.discs:
        names += [p.format(d=d) for p in DISC_PARTS]
    for d, kept in levels.half_discs:
        # The kept half touches the built vertebra and carries the
        # cartilage endplate on that side.
        names += [p.format(d=d, s=kept) for p in HALF_DISC_PARTS]
    names += list(SEGMENT_PARTS)
    return tuple(names)


def group_of(name: str) -> str | None:
    """The structure group of a part name (``"L4.body"`` → ``"bone"``)."""
    components = set(name.split("."))
    for group, keys in GROUPS.items():
        if components & set(keys):
            return group
    return None
