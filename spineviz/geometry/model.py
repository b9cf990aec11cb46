"""Building a whole lumbar model: every part, named, in world coordinates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyvista as pv

from . import sdf
from .bones import bone_parts
from .disc import build_discs
from .frames import Placement, placement
from .names import DEFAULT_LEVELS, Levels, part_names
from .neural import build_neural
from .soft_tissue import build_soft_tissue

DETAIL_SPACING = {"low": 1.6, "medium": 1.0, "high": 0.6}
"""Contouring grid spacing in mm for each detail setting: ``low`` for phones,
``medium`` (the default) for the app, ``high`` for screenshots."""

DETAILS = tuple(DETAIL_SPACING)


def check_detail(detail: str) -> str:
    """Return ``detail`` if it is a known setting, else raise a clear error."""
    if detail not in DETAIL_SPACING:
        msg = f"detail: {detail!r} is not allowed; choose one of {', '.join(DETAILS)}"
        raise ValueError(msg)
    return detail


@dataclass(frozen=True)
class Model:
    """A built lumbar model.

    Attributes
    ----------
    levels : Levels
        The vertebrae built.
    detail : str
        The detail setting used.
    parts : Mapping[str, pyvista.PolyData]
        Every part's closed surface in world coordinates (mm, LPS), keyed by
        its stable dotted name, in the order of :func:`.names.part_names`.
    fields : Mapping[str, Field]
        The matching implicit solids (negative inside), for voxel labelling
        and signed-distance checks.
    placement : Placement
        Shapes and frames of every vertebra and disc.
    """

    levels: Levels
    detail: str
    parts: Mapping[str, pv.PolyData]
    fields: Mapping[str, sdf.Field] = field(repr=False)
    placement: Placement = field(repr=False)

    @property
    def n_triangles(self) -> int:
        """Total triangle count of all parts."""
        return sum(m.n_cells for m in self.parts.values())


def build_model(levels: Levels | str = DEFAULT_LEVELS, *, detail: str = "medium") -> Model:
    """Build the healthy lumbar model over a run of levels.

    Parameters
    ----------
    levels : Levels or str, optional
        Vertebrae to build, e.g. ``"L4-L5"`` (the default segment) or
        ``"L1-S1"``.
    detail : {"low", "medium", "high"}, optional
        Mesh resolution.

    Returns
    -------
    Model
        ``model.parts["L4.body"]`` is a :class:`pyvista.PolyData`.

    Examples
    --------
    >>> from spineviz.geometry.model import build_model
    >>> model = build_model("L4-L5")
    >>> model.parts["L4.body"].n_cells > 0
    True
    """
    if isinstance(levels, str):
        levels = Levels.parse(levels)
    spacing = DETAIL_SPACING[check_detail(detail)]
    place = placement()
    meshes: dict[str, pv.PolyData] = {}
    fields: dict[str, sdf.Field] = {}
    for builder in PART_BUILDERS:
        m, f = builder(levels, place, spacing)
        meshes.update(m)
        fields.update(f)
    order = [n for n in part_names(levels) if n in meshes]
    return Model(levels, detail, {n: meshes[n] for n in order}, {n: fields[n] for n in order}, place)


def _bones(levels: Levels, place: Placement, spacing: float):
    meshes: dict[str, pv.PolyData] = {}
    fields: dict[str, sdf.Field] = {}
    for v in levels.vertebrae:
        m, f = bone_parts(place.shapes[v], place.frames[v], spacing=spacing)
        meshes.update(m)
        fields.update(f)
    return meshes, fields


PART_BUILDERS = [_bones, build_discs, build_neural, build_soft_tissue]
"""Each builder maps ``(levels, placement, spacing)`` to ``(meshes, fields)``."""
