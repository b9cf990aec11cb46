"""Building the model of a state: the healthy model plus what each finding changes.

The healthy model (:func:`spineviz.geometry.model.build_model`) is built once
per ``(levels, detail)`` and shared.  Each condition is a *component*: a
function of only the state fields it depends on (:data:`DEPENDS`) that
returns new parts, replacement parts and findings.  Components are cached on
exactly those fields, so changing one condition rebuilds only the components
that read it; every other part is the very same, unmutated object as before.

>>> from spineviz.conditions.build import build
>>> from spineviz.conditions.state import State
>>> model = build(State(modic=1), detail="low")
>>> model.parts["L4.modic"].field_data["modic_type"][0]
'1'
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyvista as pv

from spineviz.geometry import sdf
from spineviz.geometry.dimensions import VERTEBRAE
from spineviz.geometry.disc import disc_fields, disc_frame, disc_parts, with_disc_height
from spineviz.geometry.frames import Frame, Placement, placement
from spineviz.geometry.model import DETAIL_SPACING, Model, build_model, check_detail
from spineviz.geometry.names import Levels
from spineviz.geometry.neural import RootCompression, build_neural, root_path, sac_parts, sac_semi_axes

from .compression import (
    FACET_GROWTH,
    STENOSIS_AREA,
    facet_field,
    facet_mesh,
    root_push,
    section_area,
    target_structure,
)
from .degeneration import GRADES, STENOSIS_BULGE, osteophyte_mesh
from .herniation import exit_angle, herniation_field, herniation_mesh
from .ingrowth import basivertebral_branches, ingrowth_parts
from .modic import modic_parts
from .state import State
from .theories import immune_cells, microfractures, particles


@dataclass(frozen=True)
class Contact:
    """A nerve structure that a finding touches and displaces.

    Attributes
    ----------
    structure : str
        The part touched (``"L5.root.left"``, ``"dural_sac"``).
    cause : str
        The part that presses (``"L4-L5.herniation"``) or the finding
        (``"stenosis"``, ``"disc height"``).
    displacement_mm : float
        How far the structure is pushed from its healthy position.
    flattening : float
        Share of its thickness lost in the direction of the push (0 = round).
    """

    structure: str
    cause: str
    displacement_mm: float
    flattening: float


@dataclass(frozen=True)
class ConditionModel(Model):
    """A :class:`~spineviz.geometry.model.Model` with the findings of a state.

    Attributes
    ----------
    state : State
        The state built.
    contacts : tuple of Contact
        Nerve structures touched by a finding, for the app to say.
    measurements : Mapping[str, float]
        Figures the app and the tests read (``"disc_height_mm"``,
        ``"dural_sac_area_mm2"``, ``"hydration"`` …).
    """

    state: State = field(default_factory=State)
    contacts: tuple[Contact, ...] = ()
    measurements: Mapping[str, float] = field(default_factory=dict)

    @property
    def highlighted(self) -> tuple[str, ...]:
        """Parts to highlight: the compressed nerve structures."""
        return tuple(dict.fromkeys(c.structure for c in self.contacts))


def default_levels(state: State) -> Levels:
    """The two vertebrae around the state's disc."""
    return Levels(state.upper, state.lower)


# ---------------------------------------------------------------------------
# cached building blocks
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def healthy(levels: Levels, detail: str) -> Model:
    """The healthy model (cached; its parts are shared, never mutated)."""
    return build_model(levels, detail=detail)


@functools.lru_cache(maxsize=16)
def degenerated_placement(level: str, pfirrmann: int) -> Placement:
    """Placement with the disc at its grade's height, vertebrae above moved down."""
    return with_disc_height(placement(), level, GRADES[pfirrmann].height)


def motion(level: str, pfirrmann: int) -> Frame:
    """World rigid motion of everything above the disc at this grade."""
    upper = level.split("-")[0]
    old = placement().frames[upper]
    new = degenerated_placement(level, pfirrmann).frames[upper]
    return new.compose(old.inverse())


def above(name: str, level: str) -> bool:
    """Whether part ``name`` belongs to a vertebra or disc above ``level``'s disc.

    Segment-wide parts (dural sac, cauda equina, multifidus) stay; they are
    soft and span the levels.
    """
    lower = VERTEBRAE.index(level.split("-")[1])
    head = name.split(".")[0]
    owners = head.split("-")
    if not all(o in VERTEBRAE for o in owners):
        return False
    return max(VERTEBRAE.index(o) for o in owners) < lower


def moved_mesh(mesh: pv.PolyData, move: Frame) -> pv.PolyData:
    """A rigidly moved copy (field data kept)."""
    return mesh.transform(move.matrix, inplace=False)


def moved_field(f: sdf.Field, move: Frame) -> sdf.Field:
    inverse = move.inverse()
    return lambda p: f(inverse.to_world(p))


Parts = dict[str, pv.PolyData]
Fields = dict[str, sdf.Field]


@dataclass(frozen=True)
class Piece:
    """What one component contributes: parts to add or replace, and findings."""

    parts: Mapping[str, pv.PolyData] = field(default_factory=dict)
    fields: Mapping[str, sdf.Field] = field(default_factory=dict)
    contacts: tuple[Contact, ...] = ()
    measurements: Mapping[str, float] = field(default_factory=dict)


@functools.lru_cache(maxsize=32)
def c_motion(levels: Levels, detail: str, level: str, pfirrmann: int) -> Piece:
    """Healthy parts above the disc, moved down with the lost disc height."""
    if GRADES[pfirrmann].height == 1.0:
        return Piece()
    base = healthy(levels, detail)
    move = motion(level, pfirrmann)
    parts = {n: moved_mesh(m, move) for n, m in base.parts.items() if above(n, level)}
    fields = {n: moved_field(base.fields[n], move) for n in parts if n in base.fields}
    return Piece(parts, fields)


HERNIATED = ("protrusion", "extrusion", "sequestration")


def disc_bulge(pfirrmann: int, stenosis: str) -> float:
    """The affected disc's extra bulge in mm (degeneration plus stenosis)."""
    return GRADES[pfirrmann].bulge + STENOSIS_BULGE[stenosis]


@functools.lru_cache(maxsize=32)
def c_disc(
    levels: Levels,
    detail: str,
    level: str,
    pfirrmann: int,
    stenosis: str,
    herniation: str,
    zone: str,
    side: str,
) -> Piece:
    """The affected disc at its grade: height, bulge, nucleus, fissures; rim spurs."""
    grade = GRADES[pfirrmann]
    bulge = disc_bulge(pfirrmann, stenosis)
    fissures = grade.fissures
    if herniation in HERNIATED:
        # The herniated material leaves through a full-thickness radial tear.
        fissures = (*fissures, (exit_angle(zone, side), 1.0))
    healthy_disc = (bulge, grade.nucleus_scale, grade.blur, fissures) == (0.0, 1.0, 0.0, ())
    measurements = {"hydration": grade.hydration, "disc_height_factor": grade.height}
    if healthy_disc and grade.height == 1.0:
        return Piece(measurements=measurements)
    place = degenerated_placement(level, pfirrmann)
    spacing = DETAIL_SPACING[detail]
    meshes, fields = disc_parts(
        place,
        level,
        spacing=spacing,
        bulge=bulge,
        nucleus_scale=grade.nucleus_scale,
        nucleus_blur=grade.blur,
        fissures=fissures,
    )
    nucleus = meshes[f"{level}.nucleus"]
    nucleus.field_data["hydration"] = np.array([grade.hydration])
    nucleus.field_data["boundary_blur"] = np.array([grade.blur])
    meshes[f"{level}.annulus"].field_data["hydration"] = np.array([0.3 + 0.3 * grade.hydration])
    if grade.osteophyte > 0:
        upper, lower = level.split("-")
        for v, side in ((upper, "inferior"), (lower, "superior")):
            meshes[f"{v}.osteophytes"] = osteophyte_mesh(
                place.shapes[v], place.frames[v], side=side, length=grade.osteophyte, spacing=spacing
            )
    return Piece(meshes, fields, measurements=measurements)


@functools.lru_cache(maxsize=64)
def c_modic(
    levels: Levels, detail: str, level: str, modic: str, endplates: str, extent: str, inflammation: bool
) -> Piece:
    """Modic zones in the healthy frames (the motion is applied on assembly)."""
    if modic == "0":
        return Piece()
    state = State(level=level, modic=modic, modic_endplates=endplates)
    place = placement()
    parts: Parts = {}
    for v in state.modic_vertebrae:
        if v not in levels.vertebrae:
            continue
        parts.update(
            modic_parts(
                place.shapes[v],
                place.frames[v],
                disc=level,
                modic=modic,
                extent=extent,
                inflammation=inflammation,
                spacing=DETAIL_SPACING[detail],
            )
        )
    return Piece(parts)


@functools.lru_cache(maxsize=32)
def c_neural(
    levels: Levels,
    detail: str,
    level: str,
    pfirrmann: int,
    herniation: str,
    zone: str,
    side: str,
    stenosis: str,
) -> Piece:
    """Herniation part, displaced roots, narrowed dural sac, enlarged facets; contacts."""
    if herniation == "none" and stenosis == "none" and GRADES[pfirrmann].height == 1.0:
        return Piece()
    place = degenerated_placement(level, pfirrmann)
    spacing = DETAIL_SPACING[detail]
    bulge = disc_bulge(pfirrmann, stenosis)
    parts: Parts = {}
    fields: Fields = {}
    contacts: list[Contact] = []
    compression: dict[str, RootCompression] = {}
    sac_scale = STENOSIS_AREA[stenosis]
    if herniation != "none":
        target = target_structure(level, zone, side) if herniation in HERNIATED else "dural_sac"
        roots = [f"{v}.root.{s}" for v in levels.vertebrae for s in ("left", "right")]
        paths = {r: root_path(place, *r.split(".root.")) for r in roots}
        hfield, info = herniation_field(place, level, kind=herniation, zone=zone, side=side, bulge=bulge)
        if target != "dural_sac" and "exit" in info:
            # The finding shown is a compressing one: the dome leans toward and
            # reaches the root its zone names, where that root passes the tear.
            rp = paths[target]
            aim = rp.path[int(np.argmin(np.linalg.norm(rp.path - info["exit"], axis=1)))]
            hfield, info = herniation_field(
                place, level, kind=herniation, zone=zone, side=side, bulge=bulge, aim=aim
            )
        mesh = herniation_mesh(hfield, info, spacing=spacing)
        for key, value in (("fardon", herniation), ("zone", zone), ("side", side)):
            mesh.field_data[key] = np.array([value])
        parts[f"{level}.herniation"] = mesh
        fields[f"{level}.herniation"] = hfield
        for r, rp in paths.items():
            push = root_push(hfield, rp.path, rp.radius)
            if push is not None:
                compression[r] = push[0]
                contacts.append(Contact(r, f"{level}.herniation", round(push[1], 2), round(push[2], 2)))
        # A herniation against the sac dents it: the sac loses the dented share of its depth.
        _, b = sac_semi_axes()
        reach = _sac_penetration(hfield, place, level, levels)
        if reach > 0:
            dent = min(reach / (2 * b), 0.6)
            sac_scale *= 1 - dent
            contacts.append(Contact("dural_sac", f"{level}.herniation", round(reach, 2), round(dent, 2)))
    if stenosis != "none":
        contacts.append(Contact("dural_sac", "stenosis", 0.0, round(1 - STENOSIS_AREA[stenosis], 2)))
        for s in ("left", "right"):
            f = facet_field(place, level, s, FACET_GROWTH[stenosis])
            parts[f"{level}.facet_hypertrophy.{s}"] = facet_mesh(
                f, place, level, s, FACET_GROWTH[stenosis], spacing
            )
            fields[f"{level}.facet_hypertrophy.{s}"] = f
    discs = {level: disc_fields(place, level, bulge=bulge)}
    meshes, nfields = build_neural(
        levels,
        place,
        spacing,
        sac_area_scale={level: sac_scale} if sac_scale != 1.0 else None,
        root_compression=compression or None,
        discs=discs,
    )
    for r in compression:
        meshes[r].field_data["compressed"] = np.array([1])
    if sac_scale < 0.999:
        meshes["dural_sac"].field_data["compressed"] = np.array([1])
    parts.update(meshes)
    fields.update(nfields)
    area = section_area(meshes["dural_sac"], disc_frame(place, level))
    return Piece(parts, fields, tuple(contacts), {"dural_sac_area_mm2": round(area, 1)})


def _sac_penetration(hfield: sdf.Field, place: Placement, level: str, levels: Levels) -> float:
    """How deep the herniation reaches into the healthy sac (mm, 0 if not).

    Inside-ness is read from the sac's closed mesh (signed distance to the
    surface), which does not depend on the exactness of the sac's field.
    """
    meshes, _ = sac_parts(levels, place)
    frame = disc_frame(place, level)
    g = np.linspace(-12, 12, 25)
    x, y, z = np.meshgrid(g, np.linspace(8, 40, 65), np.linspace(-14, 8, 23), indexing="ij")
    pts = frame.to_world(np.c_[x.ravel(), y.ravel(), z.ravel()])
    near = hfield(pts) < 0
    if not np.any(near):
        return 0.0
    probe = pv.PolyData(pts[near]).compute_implicit_distance(meshes["dural_sac"])
    inside = np.asarray(probe["implicit_distance"]) < 0
    if not np.any(inside):
        return 0.0
    return float(max(0.0, -hfield(pts[near][inside]).min()))


@functools.lru_cache(maxsize=32)
def c_ingrowth(
    levels: Levels,
    detail: str,
    level: str,
    pfirrmann: int,
    ingrowth: bool,
    modic: str,
    endplates: str,
    stenosis: str,
) -> Piece:
    """Fibres and vessels in the disc; basivertebral branches next to Modic zones."""
    if not ingrowth:
        return Piece()
    place = degenerated_placement(level, pfirrmann)
    degenerated = pfirrmann >= 3 or modic != "0"
    parts: Parts = dict(
        ingrowth_parts(place, level, degenerated=degenerated, bulge=disc_bulge(pfirrmann, stenosis))
    )
    state = State(level=level, modic=modic, modic_endplates=endplates)
    for v in state.modic_vertebrae:
        if v in levels.vertebrae and not place.shapes[v].sacral:
            side = "inferior" if v == state.upper else "superior"
            parts[f"{v}.basivertebral.branches"] = basivertebral_branches(
                place.shapes[v], place.frames[v], side=side, count=14
            )
    return Piece(parts)


@functools.lru_cache(maxsize=32)
def c_theory(
    levels: Levels,
    detail: str,
    level: str,
    pfirrmann: int,
    theory: str,
    herniation: str,
    zone: str,
    side: str,
) -> Piece:
    """Overlay of one cause theory."""
    if theory == "none":
        return Piece()
    place = degenerated_placement(level, pfirrmann)
    if theory == "biomechanical":
        return Piece(
            {f"{level}.theory.microfractures": microfractures(place, level, spacing=DETAIL_SPACING[detail])}
        )
    frame = disc_frame(place, level)
    if theory == "bacterial":
        # Along the new vessels of a degenerated disc (they are the way in).
        rays = [
            frame.to_world(np.array([[np.sin(a) * r, np.cos(a) * r, 0.0] for r in np.linspace(24, 8, 6)]))
            for a in np.radians([-40, -12, 15, 38])
        ]
        return Piece({f"{level}.theory.bacteria": particles(rays, radius=0.35, every=2.2, seed=7)})
    # autoimmune: cells gather where nucleus material is exposed (the tear's exit).
    kind = herniation if herniation in HERNIATED else "protrusion"
    _hfield, info = herniation_field(place, level, kind=kind, zone=zone, side=side)
    return Piece(
        {
            f"{level}.theory.immune": immune_cells(
                info["exit"] + info["normal"] * 3.0, info["normal"], spread=6.0, count=22, seed=3
            )
        }
    )


Component = Callable[..., Piece]

COMPONENTS: dict[str, tuple[Component, tuple[str, ...]]] = {
    "motion": (c_motion, ("level", "pfirrmann")),
    "disc": (c_disc, ("level", "pfirrmann", "stenosis", "herniation", "herniation_zone", "herniation_side")),
    "neural": (
        c_neural,
        ("level", "pfirrmann", "herniation", "herniation_zone", "herniation_side", "stenosis"),
    ),
    "ingrowth": (c_ingrowth, ("level", "pfirrmann", "ingrowth", "modic", "modic_endplates", "stenosis")),
    "theory": (
        c_theory,
        ("level", "pfirrmann", "theory", "herniation", "herniation_zone", "herniation_side"),
    ),
    "modic": (c_modic, ("level", "modic", "modic_endplates", "modic_extent", "inflammation")),
}
"""Component name → (builder, the state fields it reads, in argument order)."""


def depends() -> dict[str, tuple[str, ...]]:
    """State field → components that a change of it rebuilds."""
    out: dict[str, list[str]] = {}
    for name, (_, fields) in COMPONENTS.items():
        for f in fields:
            out.setdefault(f, []).append(name)
    return {k: tuple(v) for k, v in out.items()}


MOVES_WITH_UPPER = ("modic",)
"""Components built in healthy frames whose parts above the disc follow the motion."""


# ---------------------------------------------------------------------------
# assembly
# ---------------------------------------------------------------------------


def build(
    state: State | None = None, *, levels: Levels | str | None = None, detail: str = "medium"
) -> ConditionModel:
    """Build the model of a state.

    Parameters
    ----------
    state : State, optional
        The findings; default a healthy segment.
    levels : Levels or str, optional
        Vertebrae to build; default the two around ``state.level``.
    detail : {"low", "medium", "high"}, optional
        Mesh resolution.

    Returns
    -------
    ConditionModel
        Parts of the healthy model with the state's changes; parts a
        condition does not touch are the healthy model's own objects.
        Results are cached per ``(state, levels, detail)``.
    """
    state = State() if state is None else state
    if isinstance(levels, str):
        levels = Levels.parse(levels)
    levels = default_levels(state) if levels is None else levels
    return _build(state, levels, check_detail(detail))


@functools.lru_cache(maxsize=64)
def _build(state: State, levels: Levels, detail: str) -> ConditionModel:
    base = healthy(levels, detail)
    parts: Parts = dict(base.parts)
    fields: Fields = dict(base.fields)
    contacts: list[Contact] = []
    measurements: dict[str, float] = {}
    level_built = state.upper in levels.vertebrae and state.lower in levels.vertebrae
    if level_built:
        move = motion(state.level, state.pfirrmann)
        for name, (component, names) in COMPONENTS.items():
            piece = component(levels, detail, *(getattr(state, n) for n in names))
            new_parts = dict(piece.parts)
            if name in MOVES_WITH_UPPER and GRADES[state.pfirrmann].height != 1.0:
                new_parts = {
                    n: moved_mesh(m, move) if above(n, state.level) else m for n, m in new_parts.items()
                }
            parts.update(new_parts)
            fields.update(piece.fields)
            contacts.extend(piece.contacts)
            measurements.update(piece.measurements)
    place = degenerated_placement(state.level, state.pfirrmann) if level_built else base.placement
    return ConditionModel(
        levels,
        detail,
        parts,
        fields,
        place,
        state=state,
        contacts=tuple(contacts),
        measurements=measurements,
    )


def clear_cache() -> None:
    """Forget every cached model and component (for benchmarks)."""
    _build.cache_clear()
    for component, _ in COMPONENTS.values():
        component.cache_clear()
    healthy.cache_clear()
