"""The one state vocabulary: which findings a lumbar segment shows.

Everything that asks for a condition — the Python API, the CLI flags of
``spineviz render`` and ``spineviz export``, scene files, the browser and its
share URL — speaks this vocabulary and is checked here, in one place.  The
table :data:`FIELDS` drives it all: allowed values, defaults (a healthy
segment), labels in English and Norwegian bokmål, and one help line each.

>>> s = State.from_mapping({"modic": "1", "pfirrmann": "4", "herniation": "extrusion"})
>>> s.to_query()
'modic=1&pfirrmann=4&herniation=extrusion'
>>> try:
...     State.from_query("modic=7")
... except StateError as error:
...     print(error)
modic: '7' is not allowed; choose one of 0, 1, 2, 3, 1/2, 2/3
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode


class StateError(ValueError):
    """A state value or combination that is not allowed.

    The message names the field and what is allowed, so that it can be shown
    as it is (CLI error, scene-file error, browser notice).

    Attributes
    ----------
    field : str
        The field at fault (``"state"`` when no single field is).
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class FieldSpec:
    """One field of the state vocabulary.

    Attributes
    ----------
    name : str
        The field name, also the URL/scene key; the CLI flag is the name with
        dashes (``herniation_zone`` → ``--herniation-zone``).
    kind : {"choice", "int", "bool"}
        How values are written and read.
    values : tuple
        Allowed values in display order (canonical Python values).
    default : object
        The healthy value.
    tokens : tuple of str
        How each value is written in URLs, scene files and CLI flags.
    title : dict
        Field label by language (``"en"``, ``"nb"``).
    labels : dict
        Value labels by language, one per value.
    help : dict
        One plain-language sentence by language.
    applies : str or None
        When the field matters at all (for greying out a control), in words;
        ``None`` when it always does.
    """

    name: str
    kind: str
    values: tuple
    default: Any
    tokens: tuple[str, ...]
    title: Mapping[str, str]
    labels: Mapping[str, tuple[str, ...]]
    help: Mapping[str, str]
    applies: str | None = None

    @property
    def flag(self) -> str:
        """The CLI flag, e.g. ``--herniation-zone``."""
        return "--" + self.name.replace("_", "-")

    def token(self, value) -> str:
        """The written form of a canonical value."""
        return self.tokens[self.values.index(value)]

    def label(self, value, lang: str = "en") -> str:
        """The display label of a canonical value in ``lang``."""
        return self.labels[lang][self.values.index(value)]

    def allowed(self) -> str:
        return ", ".join(self.tokens)

    def parse(self, raw) -> Any:
        """The canonical value for ``raw`` (a token, an alias or a value)."""
        if self.kind == "bool" and isinstance(raw, bool):
            return raw
        if self.kind == "int" and isinstance(raw, int) and not isinstance(raw, bool) and raw in self.values:
            return raw
        key = str(raw).strip().lower()
        key = _ALIASES.get(self.name, {}).get(key, key)
        for value, token in zip(self.values, self.tokens, strict=True):
            if key == token.lower():
                return value
        if self.kind == "bool" and key in _BOOL_WORDS:
            return _BOOL_WORDS[key]
        raise StateError(self.name, f"{str(raw)!r} is not allowed; choose one of {self.allowed()}")


_BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
_ALIASES: dict[str, dict[str, str]] = {
    "modic": {"1-2": "1/2", "2-3": "2/3", "i": "1", "ii": "2", "iii": "3", "none": "0"},
    "pfirrmann": _ROMAN,
    "level": {"l5-l6": "l5-s1", "l4/l5": "l4-l5", "l5/s1": "l5-s1"},
    "modic_extent": {"<25": "lt25", ">50": "gt50", "25–50": "25-50"},
}

LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
MODIC_TYPES = ("0", "1", "2", "3", "1/2", "2/3")
STAGES = ("custom", "healthy", "degeneration", "modic1", "modic2", "modic3")


def _spec(name, kind, values, default, *, tokens=None, title, labels, help, applies=None) -> FieldSpec:
    tokens = tuple(str(v) for v in values) if tokens is None else tuple(tokens)
    return FieldSpec(name, kind, tuple(values), default, tokens, title, labels, help, applies)


_OFF_ON = {"en": ("off", "on"), "nb": ("av", "på")}

FIELDS: tuple[FieldSpec, ...] = (
    _spec(
        "level",
        "choice",
        LEVELS,
        "L4-L5",
        title={"en": "Disc level", "nb": "Skivenivå"},
        labels={"en": LEVELS, "nb": LEVELS},
        help={
            "en": "Which disc, and the two vertebrae around it, shows the findings.",
            "nb": "Hvilken skive, med virvlene over og under, som viser funnene.",
        },
    ),
    _spec(
        "stage",
        "choice",
        STAGES,
        "custom",
        title={"en": "Stage", "nb": "Stadium"},
        labels={
            "en": (
                "set each finding",
                "healthy",
                "worn disc",
                "Modic type 1",
                "Modic type 2",
                "Modic type 3",
            ),
            "nb": (
                "velg hvert funn selv",
                "frisk",
                "slitt skive",
                "Modic type 1",
                "Modic type 2",
                "Modic type 3",
            ),
        },
        help={
            "en": "One slider along a typical course: healthy, a worn disc, then Modic type 1, 2 and 3.",
            "nb": "Én glidebryter gjennom et vanlig forløp: frisk, slitt skive, så Modic type 1, 2 og 3.",
        },
    ),
    _spec(
        "modic",
        "choice",
        MODIC_TYPES,
        "0",
        title={"en": "Modic type", "nb": "Modic-type"},
        labels={
            "en": ("none", "type 1 (oedema)", "type 2 (fat)", "type 3 (sclerosis)", "mixed 1/2", "mixed 2/3"),
            "nb": (
                "ingen",
                "type 1 (ødem)",
                "type 2 (fett)",
                "type 3 (sklerose)",
                "blandet 1/2",
                "blandet 2/3",
            ),
        },
        help={
            "en": "A change in the bone marrow next to the disc, seen only on MRI.",
            "nb": "En forandring i benmargen inntil skiven, som bare ses på MR.",
        },
    ),
    _spec(
        "modic_endplates",
        "choice",
        ("upper", "lower", "both"),
        "both",
        title={"en": "Modic side", "nb": "Modic-side"},
        labels={
            "en": ("vertebra above the disc", "vertebra below the disc", "both vertebrae"),
            "nb": ("virvelen over skiven", "virvelen under skiven", "begge virvlene"),
        },
        help={
            "en": "Whether the change lies in the vertebra above the disc, below it, or both.",
            "nb": "Om forandringen ligger i virvelen over skiven, under den, eller i begge.",
        },
        applies="modic is not 0",
    ),
    _spec(
        "modic_extent",
        "choice",
        ("lt25", "25-50", "gt50"),
        "lt25",
        title={"en": "Modic extent", "nb": "Modic-utbredelse"},
        labels={
            "en": (
                "under 25% of the body height",
                "25–50% of the body height",
                "over 50% of the body height",
            ),
            "nb": ("under 25 % av virvelhøyden", "25–50 % av virvelhøyden", "over 50 % av virvelhøyden"),
        },
        help={
            "en": "How far from the endplate into the vertebral body the change reaches.",
            "nb": "Hvor langt fra endeplaten og inn i virvellegemet forandringen når.",
        },
        applies="modic is not 0",
    ),
    _spec(
        "pfirrmann",
        "int",
        (1, 2, 3, 4, 5),
        1,
        title={"en": "Disc degeneration (Pfirrmann)", "nb": "Skivedegenerasjon (Pfirrmann)"},
        labels={
            "en": ("I healthy", "II slight", "III moderate", "IV marked", "V collapsed"),
            "nb": ("I frisk", "II lett", "III moderat", "IV uttalt", "V sammenfalt"),
        },
        help={
            "en": "Grade I is a healthy, water-rich disc; by grade V it is dry, dark and flattened.",
            "nb": "Grad I er en frisk skive med mye væske; ved grad V er den tørr, mørk og flat.",
        },
    ),
    _spec(
        "herniation",
        "choice",
        ("none", "bulge", "protrusion", "extrusion", "sequestration"),
        "none",
        title={"en": "Disc herniation", "nb": "Prolaps"},
        labels={
            "en": ("none", "bulge", "protrusion", "extrusion", "sequestration"),
            "nb": ("ingen", "buling", "protrusjon", "ekstrusjon", "sekvestrering"),
        },
        help={
            "en": "How far disc tissue reaches beyond its normal edge, from a broad bulge to a loose piece.",
            "nb": "Hvor langt skivevev når utenfor sin vanlige kant, fra en bred buling til en løs bit.",
        },
    ),
    _spec(
        "herniation_zone",
        "choice",
        ("central", "subarticular", "foraminal", "extraforaminal"),
        "subarticular",
        title={"en": "Herniation position", "nb": "Prolapsets plassering"},
        labels={
            "en": (
                "central",
                "beside the centre (subarticular)",
                "in the nerve opening (foraminal)",
                "outside the nerve opening",
            ),
            "nb": (
                "sentralt",
                "ved siden av midten (subartikulært)",
                "i nerveåpningen (foraminalt)",
                "utenfor nerveåpningen",
            ),
        },
        help={
            "en": "Where around the back of the disc the herniation pushes out.",
            "nb": "Hvor bak på skiven prolapset presser seg ut.",
        },
        applies="herniation is protrusion, extrusion or sequestration",
    ),
    _spec(
        "herniation_side",
        "choice",
        ("left", "right"),
        "left",
        title={"en": "Herniation side", "nb": "Prolapsets side"},
        labels={"en": ("left", "right"), "nb": ("venstre", "høyre")},
        help={
            "en": "The patient's left or right.",
            "nb": "Pasientens venstre eller høyre side.",
        },
        applies="herniation is protrusion, extrusion or sequestration, not central",
    ),
    _spec(
        "stenosis",
        "choice",
        ("none", "mild", "moderate", "severe"),
        "none",
        title={"en": "Spinal stenosis", "nb": "Spinal stenose"},
        labels={
            "en": ("none", "mild", "moderate", "severe"),
            "nb": ("ingen", "lett", "moderat", "uttalt"),
        },
        help={
            "en": "A narrower canal around the nerves, from a bulging disc, thick joints and ligaments.",
            "nb": "Trangere kanal rundt nervene, fra buling av skiven, store ledd og tykke bånd.",
        },
    ),
    _spec(
        "ingrowth",
        "bool",
        (False, True),
        False,
        tokens=("off", "on"),
        title={"en": "Nerve and vessel ingrowth", "nb": "Innvekst av nerver og blodårer"},
        labels=_OFF_ON,
        help={
            "en": "Tiny nerves and blood vessels; with wear they grow deep into the disc and endplates.",
            "nb": "Små nervefibre og blodårer; ved slitasje vokser de dypere inn i skiven og endeplatene.",
        },
    ),
    _spec(
        "inflammation",
        "bool",
        (False, True),
        False,
        tokens=("off", "on"),
        title={"en": "Inflammation", "nb": "Betennelse"},
        labels=_OFF_ON,
        help={
            "en": "Active irritation in the marrow and endplate, which belongs to Modic type 1.",
            "nb": "Aktiv irritasjon i benmarg og endeplate, som hører til Modic type 1.",
        },
        applies="modic is 1 or 1/2",
    ),
    _spec(
        "theory",
        "choice",
        ("none", "biomechanical", "bacterial", "autoimmune"),
        "none",
        title={"en": "Possible cause", "nb": "Mulig årsak"},
        labels={
            "en": ("none shown", "strain: tiny fractures", "bacteria", "immune reaction"),
            "nb": ("ingen vist", "belastning: små brudd", "bakterier", "immunreaksjon"),
        },
        help={
            "en": "Shows one of the three explanations researchers discuss for Modic changes.",
            "nb": "Viser én av de tre forklaringene forskerne drøfter for Modic-forandringer.",
        },
    ),
    _spec(
        "multifidus_fat",
        "int",
        (0, 1, 2, 3),
        0,
        title={"en": "Fat in the back muscle", "nb": "Fett i ryggmuskelen"},
        labels={
            "en": ("none", "a little", "a lot", "most of it"),
            "nb": ("ingen", "litt", "mye", "det meste"),
        },
        help={
            "en": "How much of the deep back muscle (multifidus) has been replaced by fat.",
            "nb": "Hvor mye av den dype ryggmuskelen (multifidus) som er erstattet av fett.",
        },
    ),
)
"""The vocabulary, in display order."""

SPECS: dict[str, FieldSpec] = {f.name: f for f in FIELDS}

STAGE_PRESETS: dict[str, dict[str, Any]] = {
    "healthy": {},
    "degeneration": {"pfirrmann": 3, "ingrowth": True},
    "modic1": {
        "pfirrmann": 4,
        "modic": "1",
        "modic_extent": "25-50",
        "inflammation": True,
        "ingrowth": True,
        "multifidus_fat": 1,
    },
    "modic2": {"pfirrmann": 4, "modic": "2", "modic_extent": "25-50", "ingrowth": True, "multifidus_fat": 2},
    "modic3": {"pfirrmann": 5, "modic": "3", "modic_extent": "25-50", "ingrowth": True, "multifidus_fat": 2},
}
"""What each stage sets; the fields a stage does not name take their healthy value."""

STAGE_FIELDS = ("pfirrmann", "modic", "modic_extent", "inflammation", "ingrowth", "multifidus_fat")
"""Fields that the stage slider sets."""


def _stage_values(stage: str) -> dict[str, Any]:
    preset = STAGE_PRESETS[stage]
    return {f: preset.get(f, SPECS[f].default) for f in STAGE_FIELDS}


@dataclass(frozen=True)
class State:
    """The findings one lumbar segment shows; the defaults are a healthy segment.

    Frozen and hashable, so it keys caches and travels between threads.
    Constructing one validates it: values are normalised (``modic=1`` →
    ``"1"``, ``ingrowth="on"`` → ``True``) and bad values or combinations
    raise :class:`StateError`.

    With a ``stage`` other than ``"custom"`` the stage sets
    :data:`STAGE_FIELDS`; a field given explicitly must then agree with it.
    """

    level: str = "L4-L5"
    stage: str = "custom"
    modic: str = "0"
    modic_endplates: str = "both"
    modic_extent: str = "lt25"
    pfirrmann: int = 1
    herniation: str = "none"
    herniation_zone: str = "subarticular"
    herniation_side: str = "left"
    stenosis: str = "none"
    ingrowth: bool = False
    inflammation: bool = False
    theory: str = "none"
    multifidus_fat: int = 0

    def __post_init__(self):
        for spec in FIELDS:
            object.__setattr__(self, spec.name, spec.parse(getattr(self, spec.name)))
        if self.stage != "custom":
            for name, value in _stage_values(self.stage).items():
                current = getattr(self, name)
                if current not in (value, SPECS[name].default):
                    _stage_conflict(self.stage, name, current)
                object.__setattr__(self, name, value)
        if self.inflammation and self.modic not in ("1", "1/2"):
            spec = SPECS["modic"]
            msg = (
                f"'on' needs Modic type 1 or 1/2 (oedema), but modic is {spec.token(self.modic)}; "
                "choose inflammation off or modic 1 or 1/2"
            )
            raise StateError("inflammation", msg)

    # -- reading -----------------------------------------------------------

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> State:
        """Build a state from field names and values (strings or values).

        Accepts what URLs, scene files, browser messages and CLI flags give:
        ``{"modic": "1", "pfirrmann": "4", "ingrowth": "on"}``.

        Raises
        ------
        StateError
            For an unknown field, a value that is not allowed, or an
            impossible combination.
        """
        values: dict[str, Any] = {}
        for key, raw in mapping.items():
            if key not in SPECS:
                msg = f"unknown field {key!r}; the fields are {', '.join(SPECS)}"
                raise StateError("state", msg)
            values[key] = SPECS[key].parse(raw)
        stage = values.get("stage", SPECS["stage"].default)
        if stage != "custom":
            for name, value in _stage_values(stage).items():
                if name in values and values[name] != value:
                    _stage_conflict(stage, name, values[name])
        return cls(**values)

    @classmethod
    def from_query(cls, query: str) -> State:
        """Build a state from a URL query string (``"modic=1&pfirrmann=4"``)."""
        pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
        seen: dict[str, str] = {}
        for key, raw in pairs:
            if key in seen and seen[key] != raw:
                raise StateError(key, f"given twice ({seen[key]!r} and {raw!r}); give it once")
            seen[key] = raw
        return cls.from_mapping(seen)

    # -- writing -----------------------------------------------------------

    def to_mapping(self) -> dict[str, str]:
        """The fields that differ from the healthy default, as tokens.

        Fields the stage sets are left out (the stage brings them back), so
        share URLs stay short.  ``State.from_mapping(s.to_mapping()) == s``.
        """
        out: dict[str, str] = {}
        for spec in FIELDS:
            if self.stage != "custom" and spec.name in STAGE_FIELDS:
                continue
            value = getattr(self, spec.name)
            if value != spec.default:
                out[spec.name] = spec.token(value)
        return out

    def to_query(self) -> str:
        """The URL query of :meth:`to_mapping` (``"modic=1&pfirrmann=4"``)."""
        return urlencode(self.to_mapping(), safe="/")

    def replace(self, **changes) -> State:
        """A new, validated state with some fields changed.

        Changing a field the current stage sets, without naming a stage,
        leaves the stage path: the stage becomes ``"custom"`` and the other
        fields keep their values.
        """
        unknown = [k for k in changes if k not in SPECS]
        if unknown:
            msg = f"unknown field {unknown[0]!r}; the fields are {', '.join(SPECS)}"
            raise StateError("state", msg)
        current = dataclasses.asdict(self)
        if "stage" in changes:
            stage = SPECS["stage"].parse(changes["stage"])
            if stage != "custom":
                # A new stage starts from its preset; explicit changes must agree.
                current.update(_stage_values(stage))
                parsed = {k: SPECS[k].parse(v) for k, v in changes.items()}
                for name, value in _stage_values(stage).items():
                    if name in parsed and parsed[name] != value:
                        _stage_conflict(stage, name, parsed[name])
        elif self.stage != "custom" and any(k in STAGE_FIELDS for k in changes):
            current["stage"] = "custom"
        current.update(changes)
        return State(**current)

    # -- derived -----------------------------------------------------------

    @property
    def upper(self) -> str:
        """The vertebra above the affected disc (``"L4"``)."""
        return self.level.split("-")[0]

    @property
    def lower(self) -> str:
        """The vertebra below the affected disc (``"L5"``)."""
        return self.level.split("-")[1]

    @property
    def modic_types(self) -> tuple[int, ...]:
        """The Modic types present, ``()`` for none, ``(1, 2)`` for mixed 1/2."""
        return () if self.modic == "0" else tuple(int(t) for t in self.modic.split("/"))

    @property
    def modic_vertebrae(self) -> tuple[str, ...]:
        """Vertebrae with a Modic zone (the ones next to the affected disc)."""
        if not self.modic_types:
            return ()
        return {"upper": (self.upper,), "lower": (self.lower,), "both": (self.upper, self.lower)}[
            self.modic_endplates
        ]

    @property
    def is_healthy(self) -> bool:
        """True when every finding is off (the level may differ)."""
        return all(
            getattr(self, f.name) == f.default
            for f in FIELDS
            if f.name
            not in ("level", "stage", "modic_endplates", "modic_extent", "herniation_zone", "herniation_side")
        )

    def label(self, name: str, lang: str = "en") -> str:
        """Display label of this state's value of field ``name``."""
        return SPECS[name].label(getattr(self, name), lang)


def _stage_conflict(stage: str, name: str, value) -> None:
    spec = SPECS[name]
    want = _stage_values(stage)[name]
    msg = (
        f"{spec.token(value)!r} contradicts stage {stage}, which sets {name} to {spec.token(want)}; "
        f"drop {name} or choose stage custom"
    )
    raise StateError(name, msg)


@dataclass(frozen=True)
class FlagSpec:
    """A CLI option derived from the vocabulary, for argparse.

    The CLI should *not* pass ``choices`` to argparse: collect the strings and
    give them to :meth:`State.from_mapping`, so that a bad value gets the same
    message everywhere.
    """

    flag: str
    dest: str
    choices: tuple[str, ...]
    default: str
    help: str


def cli_flags(lang: str = "en") -> tuple[FlagSpec, ...]:
    """One :class:`FlagSpec` per state field, in display order."""
    return tuple(
        FlagSpec(
            spec.flag,
            spec.name,
            spec.tokens,
            spec.token(spec.default),
            f"{spec.help[lang]} ({'|'.join(spec.tokens)}; default {spec.token(spec.default)})",
        )
        for spec in FIELDS
    )


def state_from_flags(namespace: Any) -> State:
    """A state from an argparse namespace whose options came from :func:`cli_flags`.

    Options left at ``None`` (not given) are not passed on.
    """
    given = {
        f.dest: getattr(namespace, f.dest)
        for f in cli_flags()
        if getattr(namespace, f.dest, None) is not None
    }
    return State.from_mapping(given)


def vocabulary_table(lang: str = "en") -> list[dict[str, str]]:
    """Rows for documentation and the app: field, flag, values, default, help."""
    return [
        {
            "field": s.name,
            "flag": s.flag,
            "values": ", ".join(s.tokens),
            "labels": ", ".join(s.labels[lang]),
            "default": s.token(s.default),
            "title": s.title[lang],
            "help": s.help[lang],
            "applies": s.applies or "",
        }
        for s in FIELDS
    ]
