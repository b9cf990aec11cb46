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
from spineviz.geometry.disc import NUCLEUS_SHIFT, DiscFields, disc_fields, disc_frame, with_disc_height
from spineviz.geometry.frames import Frame, Placement, placement
from spineviz.geometry.model import DETAIL_SPACING, Model, build_model, check_detail
from spineviz.geometry.names import Levels
from spineviz.geometry.neural import RootPath, root_path, sac_semi_axes
from spineviz.geometry.part_cache import mirror_symmetric
from spineviz.geometry.soft_tissue import MUSCLE_COARSENING

from .compression import (
    FACET_GROWTH,
    FLAVUM_GROWTH,
    STENOSIS_AREA,
    bent_root,
    facet_field,
    facet_mesh,
    root_push,
    sac_narrowing,
    section_area,
    target_structure,
    thickened_flavum,
)
from .deform import ANGLES, Deformation, DiscSettling, Push
from .degeneration import GRADES, STENOSIS_BULGE, osteophyte_mesh
from .herniation import exit_angle, herniation_field, herniation_mesh
from .ingrowth import IngrowthPaths, _merge, basivertebral_branches, ingrowth_parts, ingrowth_paths
from .modic import clear_caches as clear_modic_caches
from .modic import modic_parts
from .multifidus import MuscleVolume, fatty_split, mirrored, sample_muscle, split_fields
from .state import State
from .theories import immune_cells, immune_cells_on, microfractures, particles


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
    """Whether part ``name`` belongs to a vertebra or disc above ``level``'s disc."""
    lower = VERTEBRAE.index(level.split("-")[1])
    head = name.split(".")[0]
    owners = head.split("-")
    if not all(o in VERTEBRAE for o in owners):
        return False
    return max(VERTEBRAE.index(o) for o in owners) < lower


def moved_mesh(mesh: pv.PolyData, move: Frame) -> pv.PolyData:
    """A rigidly moved copy (field data kept)."""
    if any(np.ndim(mesh.point_data[k]) > 1 for k in mesh.point_data):
        # Vectors and normals turn with the mesh: VTK's transform knows which.
        return mesh.transform(move.matrix, inplace=False)
    # Computed in double and stored as the mesh stores its points, as VTK does.
    return with_points(mesh, move.to_world(np.asarray(mesh.points, float)).astype(mesh.points.dtype))


def with_points(mesh: pv.PolyData, points: np.ndarray) -> pv.PolyData:
    """A copy of ``mesh`` with new points that shares its (never mutated) cells and arrays.

    A deep copy would copy every triangle only to replace the points; the
    copy's data containers are its own, so data set on it stays on it.
    """
    out = mesh.copy(deep=False)
    # A new points object: assigning ``out.points`` would write into the shared one.
    out.SetPoints(pv.vtk_points(points, deep=False))
    return out


def deformed(d: Deformation, meshes: Mapping[str, pv.PolyData]) -> dict[str, pv.PolyData]:
    """Deformed copies of many meshes (field data kept), as ``d.mesh`` gives one by one.

    The map is pointwise, so all points go through it in one call: its
    set-up (the endplates' columns, the outlines) is paid once, not per mesh.
    """
    if not meshes:
        return {}
    moved = d.forward(np.concatenate([np.asarray(m.points, float) for m in meshes.values()]))
    ends = np.cumsum([m.n_points for m in meshes.values()])
    out = {}
    for (name, mesh), stop in zip(meshes.items(), ends, strict=True):
        out[name] = with_points(mesh, moved[stop - mesh.n_points : stop])
    return out


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


SOFT = ("root", "sinuvertebral", "plc", "ligamentum_flavum", "dural_sac", "cauda_equina", "multifidus")
"""Name components of soft parts: they deform with a settling disc instead of moving rigidly."""


MUSCLES = ("multifidus.left", "multifidus.right")
"""The muscles that :func:`c_fat` splits (and settles)."""


def soft(name: str) -> bool:
    """Whether a part is soft tissue that a settling disc drags and pushes."""
    return bool(set(name.split(".")) & set(SOFT))


HERNIATED = ("protrusion", "extrusion", "sequestration")


def disc_bulge(pfirrmann: int, stenosis: str) -> float:
    """The affected disc's extra bulge in mm (degeneration plus stenosis)."""
    return GRADES[pfirrmann].bulge + STENOSIS_BULGE[stenosis]


@functools.lru_cache(maxsize=32)
def bulged_disc(level: str, pfirrmann: int, stenosis: str) -> DiscFields:
    """Exact fields of the affected disc at its grade and bulge (for herniation and fibres)."""
    grade = GRADES[pfirrmann]
    return disc_fields(
        degenerated_placement(level, pfirrmann),
        level,
        bulge=disc_bulge(pfirrmann, stenosis),
        nucleus_scale=grade.nucleus_scale,
    )


@functools.lru_cache(maxsize=32)
def settling(level: str, pfirrmann: int, stenosis: str) -> DiscSettling | None:
    """The deformation of a degenerated disc and its surroundings (None when healthy)."""
    grade = GRADES[pfirrmann]
    bulge = disc_bulge(pfirrmann, stenosis)
    if grade.height == 1.0 and bulge == 0.0 and grade.nucleus_scale == 1.0:
        return None
    d = DiscSettling(placement(), level, motion(level, pfirrmann), bulge, float(np.sqrt(grade.nucleus_scale)))
    # The healthy disc's radii are the same for every grade and bulge.
    d.__dict__["radii"] = healthy_radii(level)
    return d


@functools.lru_cache(maxsize=8)
def healthy_radii(level: str) -> tuple[np.ndarray, np.ndarray]:
    """Mid-plane radii of the healthy disc's wall and nucleus (:attr:`DiscSettling.radii`)."""
    return DiscSettling(placement(), level, Frame(np.eye(3), np.zeros(3))).radii


@functools.lru_cache(maxsize=8)
def healthy_roots(levels: Levels) -> dict[str, RootPath]:
    """Relaxed centrelines of every healthy root (state independent; computed once)."""
    place = placement()
    return {f"{v}.root.{s}": root_path(place, v, s) for v in levels.vertebrae for s in ("left", "right")}


def settled_roots(levels: Levels, level: str, pfirrmann: int, stenosis: str) -> dict[str, RootPath]:
    """Root centrelines after the disc settles (the healthy ones deformed)."""
    d = settling(level, pfirrmann, stenosis)
    paths = healthy_roots(levels)
    if d is None:
        return paths
    return {
        n: RootPath(d.forward(rp.path), rp.radius, d.forward(rp.drg[None])[0], rp.s_drg)
        for n, rp in paths.items()
    }


@functools.cache
def unit_sphere() -> pv.PolyData:
    """The sphere every fissure blade is scaled from (shared, never mutated)."""
    return pv.Sphere(radius=1.0, theta_resolution=18, phi_resolution=12)


def fissure_blades(d: DiscSettling, fissures) -> tuple[pv.PolyData, sdf.Field]:
    """Radial tears filled with nucleus tissue, in the healthy disc frame then settled."""
    frame = disc_frame(d.place, d.level)
    wall, nucleus = d.radii
    height = d.place.discs[d.level].middle_height
    unit = unit_sphere()
    points, fields = [], []
    for angle, depth in fissures:
        a = np.radians(angle)
        rn = float(np.interp(a, ANGLES, nucleus)) * d.nucleus_factor
        rw = float(np.interp(a, ANGLES, wall))
        r0, r1 = rn - 1.5, rn + depth * (rw - rn) + (0.6 if depth >= 1.0 else 0.0)
        direction = np.array([np.sin(a), np.cos(a), 0.0])
        centre = np.array([0.0, NUCLEUS_SHIFT, 0.0]) + direction * (r0 + r1) / 2
        radii = np.array([(r1 - r0) / 2, 0.7, 0.3 * height])
        axes = np.c_[direction, np.cross([0.0, 0.0, 1.0], direction), [0.0, 0.0, 1.0]]
        points.append(frame.to_world((unit.points * radii) @ axes.T + centre))
        world_rot = Frame(frame.rotation @ axes, frame.to_world(centre[None])[0])
        fields.append(lambda p, f=world_rot, r=radii: sdf.ellipsoid(f.to_local(p), (0.0, 0.0, 0.0), r))
    mesh = pv.PolyData()
    if points:
        # Copies of one sphere: its triangles repeated, shifted per copy.
        tri = unit.regular_faces
        tris = np.concatenate([tri + k * unit.n_points for k in range(len(points))])
        mesh = d.mesh(pv.PolyData.from_regular_faces(np.concatenate(points), tris))
    field = d.field(lambda p: np.minimum.reduce([f(p) for f in fields]))
    return mesh, field


@functools.lru_cache(maxsize=32)
def c_settle(levels: Levels, detail: str, level: str, pfirrmann: int, stenosis: str) -> Piece:
    """The disc at its grade and the segment around it.

    Everything above the disc moves down with the lost height; the disc and
    the soft tissue (nerves, ligaments; the muscle in :func:`c_fat`) are the healthy meshes
    deformed (:class:`~.deform.DiscSettling`): height, bulge, a drier,
    smaller nucleus; radial tears filled with nucleus tissue; rim spurs.
    """
    grade = GRADES[pfirrmann]
    measurements = {"hydration": grade.hydration, "disc_height_factor": grade.height}
    d = settling(level, pfirrmann, stenosis)
    if d is None:
        return Piece(measurements=measurements)
    base = healthy(levels, detail)
    move = d.move
    parts: Parts = {}
    fields: Fields = {}
    own = (f"{level}.annulus", f"{level}.nucleus")
    for n, m in base.parts.items():
        f = base.fields.get(n)
        if n in MUSCLES:
            # Settled by the fat component, which replaces the muscle whenever it holds fat.
            continue
        if soft(n) or n in own:
            parts[n], fields[n] = m, d.field(f)
        elif grade.height != 1.0 and (above(n, level) or n == f"{level}.cartilage.superior"):
            parts[n], fields[n] = moved_mesh(m, move), moved_field(f, move)
    parts.update(deformed(d, {n: m for n, m in parts.items() if soft(n) or n in own}))
    if grade.fissures:
        blades, bfield = fissure_blades(d, grade.fissures)
        nucleus, nfield = parts[own[1]], fields[own[1]]
        parts[own[1]] = _merge([nucleus, blades])
        fields[own[1]] = lambda p, a=nfield, b=bfield: np.minimum(a(p), b(p))
    nucleus = parts[own[1]]
    nucleus.field_data["hydration"] = np.array([grade.hydration])
    nucleus.field_data["boundary_blur"] = np.array([grade.blur])
    parts[own[0]].field_data["hydration"] = np.array([0.3 + 0.3 * grade.hydration])
    if grade.osteophyte > 0:
        place = degenerated_placement(level, pfirrmann)
        upper, lower = level.split("-")
        for v, side in ((upper, "inferior"), (lower, "superior")):
            if v in levels.vertebrae:
                parts[f"{v}.osteophytes"] = osteophyte_mesh(
                    place.shapes[v], place.frames[v], side=side, length=grade.osteophyte
                )
    return Piece(parts, fields, measurements=measurements)


def settled_part(levels: Levels, detail: str, level: str, pfirrmann: int, stenosis: str, name: str):
    """A part (mesh, field) after settling: the settle component's, else the healthy one."""
    piece = c_settle(levels, detail, level, pfirrmann, stenosis)
    if name in piece.parts:
        return piece.parts[name], piece.fields[name]
    base = healthy(levels, detail)
    return base.parts[name], base.fields[name]


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
def herniation_piece(
    level: str, pfirrmann: int, stenosis: str, herniation: str, zone: str, side: str, detail: str, target: str
) -> tuple[pv.PolyData, sdf.Field, dict]:
    """The herniation's mesh, field and placement info (aimed at the root its zone meets)."""
    place = degenerated_placement(level, pfirrmann)
    whole = bulged_disc(level, pfirrmann, stenosis).whole
    # The bulge band stands out from the disc's own (already bulging) wall.
    kw = {
        "kind": herniation,
        "zone": zone,
        "side": side,
        "whole": whole,
        "bulge": disc_bulge(pfirrmann, stenosis),
    }
    hfield, info = herniation_field(place, level, **kw)
    if target is not None and "exit" in info:
        # The finding shown is a compressing one: the dome leans toward and
        # reaches the root its zone names, where that root passes the tear.
        rp = settled_roots(Levels.parse(level), level, pfirrmann, stenosis)[target]
        aim = rp.path[int(np.argmin(np.linalg.norm(rp.path - info["exit"], axis=1)))]
        hfield, info = herniation_field(place, level, aim=aim, **kw)
    mesh = herniation_mesh(hfield, info, spacing=DETAIL_SPACING[detail])
    for key, value in (("fardon", herniation), ("zone", zone), ("side", side)):
        mesh.field_data[key] = np.array([value])
    return mesh, hfield, info


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
    """Herniation, displaced roots, narrowed and dented sac, facets and ligamentum flavum; contacts."""
    if herniation == "none" and stenosis == "none":
        return Piece()
    args = (levels, detail, level, pfirrmann, stenosis)
    frame = disc_frame(degenerated_placement(level, pfirrmann), level)
    parts: Parts = {}
    fields: Fields = {}
    contacts: list[Contact] = []
    tissue = {n: settled_part(*args, n) for n in ("dural_sac", "cauda_equina")}
    if stenosis != "none":
        sac, _ = tissue["dural_sac"]
        target_area = STENOSIS_AREA[stenosis] * section_area(
            healthy(levels, detail).parts["dural_sac"], frame
        )
        narrow = sac_narrowing(sac, frame, target_area)
        tissue = {n: (narrow.mesh(m), narrow.field(f)) for n, (m, f) in tissue.items()}
        contacts.append(Contact("dural_sac", "stenosis", 0.0, round(1 - narrow.scale, 2)))
        place = degenerated_placement(level, pfirrmann)
        for s in ("left", "right"):
            f = facet_field(place, level, s, FACET_GROWTH[stenosis])
            parts[f"{level}.facet_hypertrophy.{s}"] = facet_mesh(
                f, place, level, s, FACET_GROWTH[stenosis], 1.0
            )
            fields[f"{level}.facet_hypertrophy.{s}"] = f
        flavum = f"{level}.ligamentum_flavum"
        if flavum in healthy(levels, detail).parts:
            m, f = settled_part(*args, flavum)
            parts[flavum], fields[flavum] = thickened_flavum(m, f, frame, FLAVUM_GROWTH[stenosis])
    if herniation != "none":
        target = target_structure(level, zone, side) if herniation in HERNIATED else None
        if target == "dural_sac" or (target is not None and target.split(".")[0] not in levels.vertebrae):
            target = None
        mesh, hfield, info = herniation_piece(
            level, pfirrmann, stenosis, herniation, zone, side, detail, target
        )
        parts[f"{level}.herniation"] = mesh
        fields[f"{level}.herniation"] = hfield
        for r, rp in settled_roots(levels, level, pfirrmann, stenosis).items():
            push = root_push(hfield, rp.path, rp.radius)
            if push is not None:
                parts[r], fields[r] = bent_root(rp, push[0])
                parts[r].field_data["compressed"] = np.array([1])
                contacts.append(Contact(r, f"{level}.herniation", round(push[1], 2), round(push[2], 2)))
        sac, _ = tissue["dural_sac"]
        reach = float(np.max(-hfield(sac.points)))
        if reach > -0.3:
            _, b = sac_semi_axes()
            direction = info["normal"] if "normal" in info else frame.rotation[:, 1]
            dent = Push(hfield, tuple(direction))
            tissue = {n: (dent.mesh(m), dent.field(f)) for n, (m, f) in tissue.items()}
            depth = max(reach + 0.3, 0.0)
            contacts.append(
                Contact(
                    "dural_sac", f"{level}.herniation", round(depth, 2), round(min(depth / (2 * b), 1), 2)
                )
            )
        if herniation in HERNIATED:
            d = settling(level, pfirrmann, stenosis) or DiscSettling(
                placement(), level, Frame(np.eye(3), np.zeros(3))
            )
            blades, bfield = fissure_blades(d, ((exit_angle(zone, side), 1.0),))
            nucleus, nfield = settled_part(*args, f"{level}.nucleus")
            merged = _merge([nucleus, blades])
            for key in nucleus.field_data:
                merged.field_data[key] = nucleus.field_data[key]
            parts[f"{level}.nucleus"] = merged
            fields[f"{level}.nucleus"] = lambda p, a=nfield, b=bfield: np.minimum(a(p), b(p))
    for n, (m, f) in tissue.items():
        parts[n], fields[n] = m, f
    if any(c.structure == "dural_sac" for c in contacts):
        parts["dural_sac"].field_data["compressed"] = np.array([1])
    area = section_area(parts["dural_sac"], frame)
    return Piece(parts, fields, tuple(contacts), {"dural_sac_area_mm2": round(area, 1)})


@functools.lru_cache(maxsize=32)
def ingrowth_centrelines(level: str, pfirrmann: int, stenosis: str, degenerated: bool) -> IngrowthPaths:
    """Fibre and vessel centrelines of the affected disc.

    Independent of the Modic fields, so a stage step that changes only the
    Modic type (and with it the basivertebral branches) reuses them, and the
    bacterial overlay follows the very same vessels.
    """
    return ingrowth_paths(
        degenerated_placement(level, pfirrmann),
        level,
        degenerated=degenerated,
        fields=bulged_disc(level, pfirrmann, stenosis),
    )


@functools.lru_cache(maxsize=32)
def disc_ingrowth(level: str, pfirrmann: int, stenosis: str, degenerated: bool) -> dict[str, pv.PolyData]:
    """The fibres and vessels of the affected disc as tubes (world)."""
    return ingrowth_parts(ingrowth_centrelines(level, pfirrmann, stenosis, degenerated), level)


@functools.lru_cache(maxsize=32)
def branches(level: str, pfirrmann: int, vertebra: str, side: str) -> pv.PolyData:
    """The basivertebral branches of one vertebra toward the disc (next to a Modic zone)."""
    place = degenerated_placement(level, pfirrmann)
    return basivertebral_branches(place.shapes[vertebra], place.frames[vertebra], side=side, count=14)


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
    parts: Parts = dict(disc_ingrowth(level, pfirrmann, stenosis, degenerated))
    state = State(level=level, modic=modic, modic_endplates=endplates)
    for v in state.modic_vertebrae:
        if v in levels.vertebrae and not place.shapes[v].sacral:
            side = "inferior" if v == state.upper else "superior"
            parts[f"{v}.basivertebral.branches"] = branches(level, pfirrmann, v, side)
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
    stenosis: str,
) -> Piece:
    """Overlay of one cause theory."""
    if theory == "none":
        return Piece()
    place = degenerated_placement(level, pfirrmann)
    if theory == "biomechanical":
        return Piece({f"{level}.theory.microfractures": microfractures(place, level)})
    if theory == "bacterial":
        # Along the new vessels that grow into a degenerated disc: their way in.
        paths = ingrowth_centrelines(level, pfirrmann, stenosis, True)
        return Piece({f"{level}.theory.bacteria": particles(paths.vessels, radius=0.35, every=2.0, seed=7)})
    # autoimmune: cells gather around nucleus material that has come out.
    mesh = pv.PolyData()
    if herniation in HERNIATED or herniation == "bulge":
        target = target_structure(level, zone, side) if herniation in HERNIATED else None
        if target == "dural_sac" or (target is not None and target.split(".")[0] not in levels.vertebrae):
            target = None
        mesh, _, _ = herniation_piece(level, pfirrmann, stenosis, herniation, zone, side, detail, target)
    if mesh.n_cells:
        cells = immune_cells_on(mesh, count=40, seed=3)
    else:
        # No material out (none, or a bulge no wider than the already bulging
        # disc): the cells wait at the tear where it would come out.
        _, info = herniation_field(place, level, kind="protrusion", zone=zone, side=side)
        cells = immune_cells(
            info["exit"] + info["normal"] * 3.0, info["normal"], spread=6.0, count=22, seed=3
        )
    return Piece({f"{level}.theory.immune": cells})


@functools.lru_cache(maxsize=32)
def c_fat(levels: Levels, detail: str, level: str, pfirrmann: int, stenosis: str, grade: int) -> Piece:
    """Multifidus with part of its cross-section replaced by fat (Goutallier-like 0–3), settled.

    The settling of the muscle is done here, not in :func:`c_settle`: a
    muscle with fat is split first, so settling the whole one too would be
    wasted.
    """
    d = settling(level, pfirrmann, stenosis)
    if grade == 0:
        if d is None:
            return Piece()
        base = healthy(levels, detail)
        names = [n for n in MUSCLES if n in base.parts]
        return Piece(
            deformed(d, {n: base.parts[n] for n in names}), {n: d.field(base.fields[n]) for n in names}
        )
    parts: Parts = {}
    fields: Fields = {}
    for s in ("left", "right"):
        name = f"multifidus.{s}"
        muscle, fat, mfield, ffield = fat_split(levels, detail, s, grade)
        if d is not None:
            mfield, ffield = d.field(mfield), d.field(ffield)
        parts[name], fields[name] = muscle, mfield
        parts[f"{name}.fat"], fields[f"{name}.fat"] = fat, ffield
    if d is not None:
        parts.update(deformed(d, parts))
    return Piece(parts, fields)


@functools.lru_cache(maxsize=16)
def fat_split(levels: Levels, detail: str, side: str, grade: int):
    """One healthy multifidus split into muscle and fat: ``(muscle, fat, muscle_field, fat_field)``.

    Independent of the disc's settling (applied afterwards), so a change of
    grade alone or of settling alone reuses it.  On a symmetric spine the
    right side is the left one's mirror image, split once.
    """
    base = healthy(levels, detail)
    if side == "right" and mirror_symmetric(tuple(base.placement.frames.values())):
        muscle, fat, _, _ = fat_split(levels, detail, "left", grade)
        # The fat pattern is symmetric about the midline too.
        mfield, ffield = split_fields(
            base.fields[f"multifidus.{side}"], float(fat.field_data["fat_threshold"][0])
        )
        return mirrored(muscle), mirrored(fat), mfield, ffield
    volume = muscle_volume(levels, detail, side)
    (muscle, mfield), (fat, ffield) = fatty_split(volume, base.fields[f"multifidus.{side}"], grade)
    return muscle, fat, mfield, ffield


@functools.lru_cache(maxsize=8)
def muscle_volume(levels: Levels, detail: str, side: str) -> MuscleVolume:
    """The healthy multifidus field sampled at the muscle's own (coarse) contouring step.

    At most :data:`FAT_STEP`, so that the thin fatty streaks of grade 1 stay
    a few grid cells wide at low detail.
    """
    base = healthy(levels, detail)
    return sample_muscle(
        base.fields[f"multifidus.{side}"],
        base.parts[f"multifidus.{side}"].bounds,
        min(DETAIL_SPACING[detail] * MUSCLE_COARSENING, FAT_STEP),
    )


FAT_STEP = 2.0
"""Coarsest grid step (mm) of the muscle–fat split."""


Component = Callable[..., Piece]

HERNIATION_FIELDS = ("herniation", "herniation_zone", "herniation_side")

COMPONENTS: dict[str, tuple[Component, tuple[str, ...]]] = {
    "settle": (c_settle, ("level", "pfirrmann", "stenosis")),
    "modic": (c_modic, ("level", "modic", "modic_endplates", "modic_extent", "inflammation")),
    "neural": (c_neural, ("level", "pfirrmann", *HERNIATION_FIELDS, "stenosis")),
    "ingrowth": (c_ingrowth, ("level", "pfirrmann", "ingrowth", "modic", "modic_endplates", "stenosis")),
    "theory": (c_theory, ("level", "pfirrmann", "theory", *HERNIATION_FIELDS, "stenosis")),
    "fat": (c_fat, ("level", "pfirrmann", "stenosis", "multifidus_fat")),
}
"""Component name → (builder, the state fields it reads, in argument order).
Later components override parts of earlier ones (the neural component
reshapes the settled sac); the fat component alone settles the muscle."""


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
    clear_components()
    for cached in (healthy, healthy_roots):
        cached.cache_clear()


def clear_components() -> None:
    """Forget the per-state caches and what they build on, keeping the healthy model and root paths."""
    _build.cache_clear()
    for component, _ in COMPONENTS.values():
        component.cache_clear()
    for cached in (
        bulged_disc,
        settling,
        herniation_piece,
        degenerated_placement,
        fat_split,
        muscle_volume,
        ingrowth_centrelines,
        disc_ingrowth,
        branches,
        healthy_radii,
        unit_sphere,
    ):
        cached.cache_clear()
    clear_modic_caches()
