"""The labelled voxel grid: the model, with its state, as tissue per voxel.

Every voxel of a regular grid (1 mm by default) gets one label, and every
label one :class:`~.tissues.Tissue` (proton density, T1, T2, fat).  Labels
come from two sources, painted in a fixed priority order so that overlaps
resolve the same way every time:

1. the soft tissue round the spine that the model does not hold
   (:mod:`.background`: fat, muscle, psoas, vessels, bowel, epidural fat);
2. the model's parts, each voxelised from its closed surface — the same
   surface the 3D view shows, so the slices and the 3D scene agree — in the
   order of :data:`PAINT_ORDER`.

The parts are voxelised with VTK's polygon-to-stencil filter rather than by
evaluating their implicit fields on every voxel: it gives the same solids
(the surfaces are the fields' zero sets) about fifteen times faster, which
is what keeps the grid of the default segment well under two seconds.
Bones get a cortical shell (the outer millimetre of the body and arch) and
the dural sac a dural wall, by eroding their masks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pyvista as pv
import vtk
from vtk.util.numpy_support import vtk_to_numpy

from spineviz.geometry.model import Model, build_model
from spineviz.geometry.names import Levels

from . import tissues as T
from .background import paint_background, paint_fallback_sac, spine_line

CORTEX_MM = 1.0
"""Thickness of the cortical shell of vertebral body and arch (model: the
lumbar body's cortex is 0.4–1 mm; 1 mm keeps it one voxel at the default)."""

DURA_MM = 0.7
"""Thickness of the dural wall round the CSF (model)."""

MARGINS = {"x": (-100.0, 100.0), "anterior": 90.0, "posterior": 110.0}
"""Field of view round the spine: 200 mm left to right, 90 mm in front of the
most anterior body centre and 110 mm behind the most posterior one — a
typical lumbar axial field of view, reaching the skin of the back."""

BACKGROUND = (
    "air",
    "fat",
    "viscera",
    "fluid",
    "psoas",
    "muscle",
    "ligament",
    "interspinous",
    "vessel",
    "epidural_fat",
)

PAINT_ORDER = (
    "multifidus",
    "ligament",
    "flavum",
    "dural_sac",
    "annulus",
    "nucleus",
    "cartilage",
    "herniation",
    "bone",
    "endplate",
    "modic",
    "nerve",
)
"""Priority of the part kinds, lowest first: a later kind wins where parts overlap.

Bone wins over disc where they touch; a herniation over the dural sac it
pushes into; roots and cauda over everything, so a compressed root still
shows.  Modic zones only ever replace marrow of their own vertebra."""

SKIPPED_KINDS = ("basivertebral", "sinuvertebral", "fibres", "vessels", "fissures", "theory")
"""Parts thinner than a voxel (nerves and vessels under 1 mm) that a clinical
scan does not resolve; they are left out of the grid on purpose."""


@dataclass(frozen=True)
class VoxelGrid:
    """A labelled voxel grid in world coordinates.

    Attributes
    ----------
    origin : (3,) float
        World position (mm, LPS) of the centre of voxel ``[0, 0, 0]``.
    spacing : float
        Voxel edge, mm.
    labels : (nz, ny, nx) uint8
        Label of each voxel, indexed ``[k, j, i]`` (z, y, x), like VTK images.
    names : tuple of str
        Name of each label (``names[labels[k, j, i]]``), e.g. ``"marrow.L4"``,
        ``"nucleus.L4-L5"``, ``"csf"``.
    tissues : tuple of Tissue
        Tissue of each label.
    skipped : tuple of str
        Model parts deliberately not voxelised (thinner than a voxel) or of
        an unknown kind.
    """

    origin: np.ndarray
    spacing: float
    labels: np.ndarray = field(repr=False)
    names: tuple[str, ...]
    tissues: tuple[T.Tissue, ...] = field(repr=False)
    skipped: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.labels.shape

    @property
    def bounds(self) -> tuple[float, ...]:
        """``(xmin, xmax, ymin, ymax, zmin, zmax)`` of the voxel centres."""
        hi = self.origin + (np.array(self.shape[::-1]) - 1) * self.spacing
        return (self.origin[0], hi[0], self.origin[1], hi[1], self.origin[2], hi[2])

    def label(self, name: str) -> int:
        """The label number of ``name``; raises ``KeyError`` naming the known labels."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"label {name!r} is not in this grid; labels: {', '.join(self.names)}") from None

    def tissue(self, name: str) -> T.Tissue:
        return self.tissues[self.label(name)]

    def to_index(self, points) -> np.ndarray:
        """World points ``(N, 3)`` to continuous voxel indices ``(N, 3)`` as (i, j, k)."""
        return (np.atleast_2d(np.asarray(points, float)) - self.origin) / self.spacing

    def label_at(self, points) -> np.ndarray:
        """Label of the voxel nearest to each world point (air outside the grid)."""
        idx = np.rint(self.to_index(points)).astype(int)
        nz, ny, nx = self.shape
        ok = (idx >= 0).all(1) & (idx[:, 0] < nx) & (idx[:, 1] < ny) & (idx[:, 2] < nz)
        out = np.zeros(len(idx), np.uint8)
        out[ok] = self.labels[idx[ok, 2], idx[ok, 1], idx[ok, 0]]
        return out

    def property_map(self, prop: str) -> np.ndarray:
        """Per-voxel tissue property: ``"pd"``, ``"fat_fraction"``, ``"water_t1"``, ``"water_t2"``.

        ``water_t1`` is at 1.5 T; it and ``water_t2`` are 0 where there is no water.
        """
        getters = {
            "pd": lambda t: t.pd,
            "fat_fraction": lambda t: t.fat_fraction,
            "water_t1": lambda t: t.water().t1 if t.water() else 0.0,
            "water_t2": lambda t: t.water().t2 if t.water() else 0.0,
        }
        if prop not in getters:
            raise ValueError(f"prop: {prop!r} is not a tissue property; choose one of {', '.join(getters)}")
        table = np.array([getters[prop](t) for t in self.tissues], np.float32)
        return table[self.labels]

    def to_image_data(self) -> pv.ImageData:
        """The grid as a :class:`pyvista.ImageData` with a ``label`` point array (for 3D display)."""
        img = pv.ImageData(
            dimensions=self.shape[::-1], spacing=(self.spacing,) * 3, origin=tuple(self.origin)
        )
        img.point_data["label"] = self.labels.ravel()
        return img


# ---------------------------------------------------------------------------
# voxelising surfaces
# ---------------------------------------------------------------------------


def surface_mask(mesh: pv.PolyData, origin, spacing: float, dims) -> np.ndarray:
    """Voxels ``(nz, ny, nx)`` whose centres lie inside a closed surface."""
    stencil = vtk.vtkPolyDataToImageStencil()
    stencil.SetInputData(mesh)
    stencil.SetOutputOrigin(*map(float, origin))
    stencil.SetOutputSpacing(spacing, spacing, spacing)
    stencil.SetOutputWholeExtent(0, int(dims[0]) - 1, 0, int(dims[1]) - 1, 0, int(dims[2]) - 1)
    image = vtk.vtkImageStencilToImage()
    image.SetInputConnection(stencil.GetOutputPort())
    image.SetInsideValue(1)
    image.SetOutsideValue(0)
    image.SetOutputScalarTypeToUnsignedChar()
    image.Update()
    scalars = image.GetOutput().GetPointData().GetScalars()
    return vtk_to_numpy(scalars).reshape(tuple(int(d) for d in dims[::-1])).astype(bool)


def erode(mask: np.ndarray, steps: int) -> np.ndarray:
    """Remove ``steps`` voxels from the surface of a mask (6-neighbourhood)."""
    out = mask.copy()
    for _ in range(steps):
        inner = out.copy()
        for axis in range(3):
            lo = [slice(None)] * 3
            hi = [slice(None)] * 3
            lo[axis], hi[axis] = slice(1, None), slice(None, -1)
            inner[tuple(lo)] &= out[tuple(hi)]
            inner[tuple(hi)] &= out[tuple(lo)]
            edge = [slice(None)] * 3
            edge[axis] = [0, -1]
            inner[tuple(edge)] = False
        out = inner
    return out


# ---------------------------------------------------------------------------
# parts → labels
# ---------------------------------------------------------------------------


def _pfirrmann_of(disc: str, state) -> int:
    """Grade of a disc: the affected one has the state's grade.

    The other discs are grade I in a healthy state and grade II otherwise:
    mild wear is usual at the neighbouring levels once one disc has
    degenerated (model choice).
    """
    if state is None:
        return 1
    if disc == state.level:
        return int(state.pfirrmann)
    return 1 if int(state.pfirrmann) == 1 else 2


MODIC_NUMBERS = {1.0: "1", 2.0: "2", 3.0: "3", 1.5: "1/2", 2.5: "2/3"}


def _modic_of(mesh: pv.PolyData, state) -> str:
    """The Modic type a zone part carries in ``field_data`` (or the state's)."""
    for key in ("modic_type", "modic"):
        if key in mesh.field_data:
            raw = np.asarray(mesh.field_data[key]).ravel()[0]
            if isinstance(raw, (str, np.str_)):
                return str(raw)
            return MODIC_NUMBERS.get(float(raw), str(int(raw)))
    if state is not None and state.modic != "0":
        return state.modic
    raise ValueError("a Modic zone part carries no modic_type and the state has none")


def classify(name: str, mesh: pv.PolyData, state) -> tuple[str, str, T.Tissue] | None:
    """Kind, label name and tissue of a model part, or ``None`` to skip it.

    The kind is one of :data:`PAINT_ORDER`.
    """
    bits = name.split(".")
    if set(bits) & set(SKIPPED_KINDS):
        return None
    first = bits[0]
    if len(bits) >= 2 and bits[1] in ("body", "arch", "osteophytes"):
        return "bone", f"marrow.{first}" if bits[1] == "body" else f"arch.{first}", T.BASE["marrow"]
    if len(bits) >= 2 and bits[1] == "endplate":
        return "endplate", "endplate", T.BASE["cortical"]
    if "modic" in bits:
        modic = _modic_of(mesh, state)
        return "modic", f"modic.{first}", T.modic_marrow(modic)
    if "root" in bits:
        # Each root keeps its own label so that a displaced root can be found in the image.
        return "nerve", name, T.BASE["nerve"]
    if name == "cauda_equina":
        return "nerve", "nerve", T.BASE["cauda"]
    if name == "dural_sac":
        return "dural_sac", "csf", T.BASE["csf"]
    if bits[0].startswith("multifidus") and "fat" in bits:
        # The part of a fatty multifidus that has turned to fat.
        return "multifidus", "multifidus.fat", T.BASE["fat"]
    if bits[0].startswith("multifidus"):
        fat = T.MULTIFIDUS_FAT[int(getattr(state, "multifidus_fat", 0) or 0)]
        return "multifidus", "multifidus", T.muscle(fat, key="multifidus")
    if len(bits) >= 2 and "-" in first:
        grade = _pfirrmann_of(first, state)
        kind = bits[1]
        if kind == "annulus":
            return "annulus", f"annulus.{first}", T.annulus(grade)
        if kind == "nucleus":
            return "nucleus", f"nucleus.{first}", T.nucleus(grade)
        if kind == "cartilage":
            return "cartilage", "cartilage", T.BASE["cartilage"]
        if kind == "herniation":
            return "herniation", f"herniation.{first}", T.herniated(grade)
        if kind == "ligamentum_flavum":
            return "flavum", "flavum", T.BASE["flavum"]
        if kind in ("plc", "all", "pll", "ligament"):
            return "ligament", "ligament", T.BASE["ligament"]
    return None


class _Labels:
    """Growing table of label names and tissues."""

    def __init__(self):
        self.names: list[str] = []
        self.tissues: list[T.Tissue] = []

    def code(self, name: str, tissue: T.Tissue) -> int:
        if name in self.names:
            return self.names.index(name)
        if len(self.names) >= 255:
            raise ValueError("more than 255 tissue labels in one grid")
        self.names.append(name)
        self.tissues.append(tissue)
        return len(self.names) - 1


def grid_box(model: Model, spacing: float) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Origin and dimensions (nx, ny, nz) of the grid for ``model``."""
    line = spine_line(model.placement, model.levels.vertebrae)
    zs = [m.bounds[4] for m in model.parts.values()] + [m.bounds[5] for m in model.parts.values()]
    lo = np.array([MARGINS["x"][0], line.body_y.min() - MARGINS["anterior"], min(zs)])
    hi = np.array([MARGINS["x"][1], line.body_y.max() + MARGINS["posterior"], max(zs)])
    lo = np.floor(lo / spacing) * spacing
    dims = tuple(int(n) for n in np.floor((hi - lo) / spacing).astype(int) + 1)
    return lo, dims


def voxelize(model: Model, state=None, *, spacing: float = 1.0) -> VoxelGrid:
    """Label every voxel of the model's field of view with a tissue.

    Parameters
    ----------
    model : Model
        A built model (``build_model`` or the conditions layer's build);
        whatever parts it holds are used.
    state : spineviz.conditions.State, optional
        The findings: Pfirrmann grade of the affected disc, multifidus fat,
        the Modic type when a zone carries none.  ``None`` is healthy.
    spacing : float, optional
        Voxel edge in mm (1.0 default; 0.5 for fine images).

    Returns
    -------
    VoxelGrid
    """
    if not 0.2 <= spacing <= 4.0:
        raise ValueError(f"spacing: {spacing!r} mm is out of range; use 0.2–4 mm")
    origin, dims = grid_box(model, spacing)
    axes = tuple(origin[a] + np.arange(dims[a]) * spacing for a in range(3))
    table = _Labels()
    labels = np.zeros(dims[::-1], np.uint8)
    code = {
        name: table.code(name, T.BASE[{"epidural_fat": "fat", "fluid": "csf"}.get(name, name)])
        for name in BACKGROUND
    }
    line = spine_line(model.placement, model.levels.vertebrae)
    verts = model.levels.vertebrae
    frames = model.placement.frames
    bif = frames[verts[0]].origin[2] if "L4" not in verts else frames["L4"].origin[2]
    conf = frames["L5"].origin[2] if "L5" in verts else frames[verts[-1]].origin[2]
    arches = [m.bounds for n, m in model.parts.items() if n.endswith(".arch")]
    arch_z = (min(b[4] for b in arches), max(b[5] for b in arches)) if arches else (-np.inf, np.inf)
    paint_background(labels, axes, line, code, bifurcation_z=bif, confluence_z=conf, arch_z=arch_z)

    if "dural_sac" not in model.parts:
        extra = {n: table.code(n, T.BASE[n]) for n in ("csf", "dura", "nerve")}
        paint_fallback_sac(labels, axes, line, extra)

    jobs = []
    skipped = []
    for name, mesh in model.parts.items():
        what = classify(name, mesh, state)
        if what is None or mesh.n_cells == 0:
            skipped.append(name)
            continue
        jobs.append((PAINT_ORDER.index(what[0]), name, mesh, *what))
    jobs.sort(key=lambda j: j[0])
    for _, _name, mesh, kind, label, tissue in jobs:
        box = _part_box(mesh, origin, spacing, dims)
        if box is None:
            continue
        lo_idx, hi_idx = box
        sub_origin = origin + lo_idx * spacing
        sub_dims = hi_idx - lo_idx
        mask = surface_mask(mesh, sub_origin, spacing, sub_dims)
        view = labels[lo_idx[2] : hi_idx[2], lo_idx[1] : hi_idx[1], lo_idx[0] : hi_idx[0]]
        value = table.code(label, tissue)
        if kind == "modic":
            # A Modic zone changes marrow only: never cortex, disc or canal.
            body = f"marrow.{label.split('.', 1)[1]}"
            if body in table.names:
                mask &= view == table.names.index(body)
        if kind in ("bone", "dural_sac"):
            shell_name = "cortical" if kind == "bone" else "dura"
            steps = max(1, round((CORTEX_MM if kind == "bone" else DURA_MM) / spacing))
            inner = erode(mask, steps)
            view[mask & ~inner] = table.code(shell_name, T.BASE[shell_name])
            view[inner] = value
        else:
            view[mask] = value
    for v in verts:
        if f"marrow.{v}" in table.names and not model.placement.shapes[v].sacral:
            paint_basivertebral(labels, axes, model.placement, v, table)
    return VoxelGrid(origin, float(spacing), labels, tuple(table.names), tuple(table.tissues), tuple(skipped))


BASIVERTEBRAL_MM = {"depth": 12.0, "half_width": 2.2, "half_height": 1.1}
"""The basivertebral vein's channel (model): it enters the back of the body
through a notch in the posterior cortex at mid-height and runs about a
quarter of the way forward before branching (Y-shaped in axial slices)."""


def paint_basivertebral(labels: np.ndarray, axes, place, vertebra: str, table: _Labels) -> None:
    """The basivertebral vein and its notch in the posterior cortex (in place).

    On sagittal images the notch is a small gap in the back wall of the body
    with a short bright (T2) channel running forward; in axial slices through
    mid-body it is a Y.  The model's own basivertebral part is a thin tube of
    nerve and vessel fibres, too fine for a 1 mm grid, so the channel is
    drawn here, from the body's frame, only where there is marrow or cortex.
    """
    shape, frame = place.shapes[vertebra], place.frames[vertebra]
    hd = shape.half_depth
    xs, ys, zs = axes
    c = frame.to_world(np.array([[0.0, hd - BASIVERTEBRAL_MM["depth"] / 2, 0.0]]))[0]
    reach = BASIVERTEBRAL_MM["depth"] + 4.0
    sel = [np.nonzero(np.abs(ax - c[i]) <= reach)[0] for i, ax in enumerate((xs, ys, zs))]
    if any(len(s) == 0 for s in sel):
        return
    gi, gj, gk = np.meshgrid(*sel, indexing="ij")
    world = np.c_[xs[gi.ravel()], ys[gj.ravel()], zs[gk.ravel()]]
    lx, ly, lz = frame.to_local(world).T
    depth = hd - ly
    b = BASIVERTEBRAL_MM
    # Flares a little where it pierces the cortex (the notch).
    half_h = b["half_height"] + 0.8 * np.clip(1.5 - depth, 0.0, 1.5)
    trunk = (np.abs(lx) <= b["half_width"]) & (depth >= -1.0) & (depth <= b["depth"] * 0.6)
    arms = (np.abs(np.abs(lx) - 0.7 * (depth - b["depth"] * 0.45)) <= 1.2) & (depth > b["depth"] * 0.45)
    vein = (trunk | (arms & (depth <= b["depth"]))) & (np.abs(lz) <= half_h)
    here = labels[gk.ravel(), gj.ravel(), gi.ravel()]
    ok = vein & np.isin(
        here, [table.names.index(n) for n in (f"marrow.{vertebra}", "cortical") if n in table.names]
    )
    code = table.code("vein", T.BASE["vein"])
    labels[gk.ravel()[ok], gj.ravel()[ok], gi.ravel()[ok]] = code


def _part_box(mesh, origin, spacing, dims):
    b = np.asarray(mesh.bounds, float)
    lo = np.floor((b[0::2] - origin) / spacing).astype(int) - 1
    hi = np.ceil((b[1::2] - origin) / spacing).astype(int) + 2
    lo = np.clip(lo, 0, np.array(dims))
    hi = np.clip(hi, 0, np.array(dims))
    if np.any(hi <= lo):
        return None
    return lo, hi


# ---------------------------------------------------------------------------
# cached entry point
# ---------------------------------------------------------------------------


def detail_for(spacing: float) -> str:
    """Mesh detail that matches a voxel size (finer voxels need finer surfaces)."""
    return "high" if spacing < 0.9 else "medium"


@functools.lru_cache(maxsize=4)
def model_for(state=None, levels: str = "L4-L5", detail: str = "medium") -> Model:
    """The model of ``state`` (cached): the conditions layer's build, or the healthy model for ``None``."""
    lv = Levels.parse(levels)
    if state is not None:
        # No fallback to the healthy model: a broken conditions layer must fail loudly,
        # never show a healthy image for a state with findings.
        from spineviz.conditions.build import build

        return build(state, levels=lv, detail=detail)
    return build_model(lv, detail=detail)


@functools.lru_cache(maxsize=8)
def voxel_grid(state=None, *, levels: str = "L4-L5", spacing: float = 1.0) -> VoxelGrid:
    """The voxel grid of a state (cached per state, levels and spacing).

    The arrays of a cached grid are shared: treat them as read-only.
    """
    model = model_for(state, str(levels), detail_for(spacing))
    grid = voxelize(model, state, spacing=spacing)
    grid.labels.setflags(write=False)
    return grid
