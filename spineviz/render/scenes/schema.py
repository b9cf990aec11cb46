"""What a scene file may say: the data classes and the allowed values.

A scene is one step of the guided tour, one screenshot and one page of the
static web export: a condition state, a camera, which parts are shown and
stressed, an optional 2D panel, labels, and a title and caption in Norwegian
bokmål and English with the sources of the caption's claims.

The schema lives in the render layer, not in :mod:`spineviz.conditions`,
because most of a scene is about *viewing*: it names camera presets
(:mod:`spineviz.render.cameras`), opacities and highlights, which the model
layers must not know about.  It still uses the conditions layer's
:class:`~spineviz.conditions.state.State` unchanged for its ``[state]`` table
and the geometry layer's part names, both to its left, so the app (and the
CLI) can read scenes without the render layer importing anything to its right.

The README (section Scenes) describes the file format for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spineviz.conditions.state import State
from spineviz.geometry.names import Levels

LANGUAGES = ("nb", "en")
"""Caption languages, Norwegian bokmål first (the project's home language)."""

PANEL_KINDS = ("mri", "innervation")
SEQUENCES = ("t1", "t2", "stir")
PLANES = ("sagittal", "axial", "coronal")

TITLE_MAX = 80
"""Characters: a title must fit one line on a phone card."""
CAPTION_MAX = 900
"""Characters: about six short sentences, what a patient reads beside a picture."""
LABEL_MAX = 40
SOURCE_MAX = 200
SOURCES_MAX = 8
ZOOM_RANGE = (0.25, 4.0)
AZIMUTH_RANGE = (-180.0, 180.0)
ELEVATION_RANGE = (-80.0, 80.0)
PANEL_POSITION_RANGE = (-60.0, 60.0)
"""Millimetres from the middle of the affected disc along the slice normal."""
ORDER_RANGE = (1, 9999)

NOTE = {
    "nb": (
        "Dette er en forenklet modell til læring. Den kan ikke si noe om din rygg; "
        "snakk med lege, fysioterapeut eller kiropraktor om dine bilder og plager."
    ),
    "en": (
        "This is a simplified model for learning. It cannot tell you about your own back; "
        "talk to a doctor, physiotherapist or chiropractor about your scans and symptoms."
    ),
}
"""The education-not-diagnosis note shown under every caption (app, pages, contact sheet)."""


@dataclass(frozen=True)
class Text:
    """One piece of text in every caption language."""

    nb: str
    en: str

    def __getitem__(self, lang: str) -> str:
        if lang not in LANGUAGES:
            msg = f"lang: {lang!r} is not allowed; choose one of {', '.join(LANGUAGES)}"
            raise ValueError(msg)
        return getattr(self, lang)


@dataclass(frozen=True)
class Camera:
    """Where the camera stands.

    Either a preset (framed on the whole built segment, so that scenes with
    the same preset line up) turned by ``azimuth``/``elevation`` degrees and
    moved in by ``zoom``, or an explicit pose in world millimetres.
    """

    preset: str | None = "lateral"
    frame: tuple[str, ...] = ()
    """Patterns of the parts a preset is framed on; empty: the skeleton (bones and discs)."""
    zoom: float = 1.0
    azimuth: float = 0.0
    elevation: float = 0.0
    position: tuple[float, float, float] | None = None
    focal_point: tuple[float, float, float] | None = None
    view_up: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Parts:
    """Which parts are drawn, stressed and see-through.

    Every entry is a *pattern*: a structure group (``"bone"``, ``"nerves"`` …),
    an exact part name (``"L5.root.left"``) or a glob (``"*.root.*"``).
    """

    show: tuple[str, ...] = ("*",)
    hide: tuple[str, ...] = ()
    highlight: tuple[str, ...] = ()
    opacity: tuple[tuple[str, float], ...] = ()
    """(pattern, opacity) in file order; a later entry wins over an earlier one."""


@dataclass(frozen=True)
class Panel:
    """The 2D panel beside the 3D view."""

    kind: str = "mri"
    sequence: str | None = "t2"
    plane: str = "sagittal"
    position: float = 0.0


@dataclass(frozen=True)
class Label:
    """A label with a leader line to a part (pattern, anchored on what it matches)."""

    part: str
    text: Text
    side: str = "auto"


LABEL_SIDES = ("auto", "left", "right")


@dataclass(frozen=True)
class Scene:
    """One validated scene file."""

    id: str
    order: int
    title: Text
    caption: Text
    sources: tuple[str, ...]
    state: State
    levels: Levels
    camera: Camera = field(default_factory=Camera)
    parts: Parts = field(default_factory=Parts)
    panel: Panel | None = None
    labels: tuple[Label, ...] = ()
    path: str | None = field(default=None, compare=False)
