"""The bony parts of one vertebra: body, bony endplates and neural arch.

The whole vertebra is one implicit solid (:func:`.vertebra.vertebra_field`);
its parts are that solid cut by a few surfaces, so they fit against each
other exactly — the endplates sit on the body, the arch grows out of it —
and together give back the whole bone.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from . import sdf
from .frames import Frame
from .surface import contour
from .vertebra import VertebraShape, endplate_z, local_bounds, vertebra_field

ENDPLATE_THICKNESS = 1.2
"""Bony endplate drawn 1.2 mm thick (the subchondral plate is about 1 mm)."""

ENDPLATE_SPACING = 0.5
"""The thin endplates are contoured on a finer grid than the rest."""


def body_arch_boundary(shape: VertebraShape) -> float:
    """Local ``y`` of the coronal plane that separates body from arch."""
    return shape.half_depth + 1.0


def bone_regions(shape: VertebraShape) -> dict[str, sdf.Field]:
    """Local implicit fields of the body, the two endplates and the arch."""
    whole = vertebra_field(shape)
    yb = body_arch_boundary(shape)
    t = ENDPLATE_THICKNESS

    def cuts(p):
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        front = y - yb
        below_top = z - (endplate_z(shape, "superior", x, y) - t)
        above_bottom = (endplate_z(shape, "inferior", x, y) + t) - z
        return whole(p), front, below_top, above_bottom

    def body(p):
        v, front, below_top, above_bottom = cuts(p)
        return np.maximum.reduce([v, front, below_top, above_bottom])

    def superior(p):
        v, front, below_top, _ = cuts(p)
        return np.maximum.reduce([v, front, -below_top])

    def inferior(p):
        v, front, _, above_bottom = cuts(p)
        return np.maximum.reduce([v, front, -above_bottom])

    def arch(p):
        v, front, _, _ = cuts(p)
        return np.maximum(v, -front)

    return {
        "body": body,
        "endplate.superior": superior,
        "endplate.inferior": inferior,
        "arch": arch,
        "whole": whole,
    }


def _world(field: sdf.Field, frame: Frame) -> sdf.Field:
    def world_field(p: np.ndarray) -> np.ndarray:
        return field(frame.to_local(p))

    return world_field


def bone_parts(shape: VertebraShape, frame: Frame, *, spacing: float) -> tuple[dict[str, pv.PolyData], dict[str, sdf.Field]]:
    """Meshes (world coordinates) and world fields of a vertebra's bony parts.

    Parameters
    ----------
    shape : VertebraShape
        The vertebra's shape numbers.
    frame : Frame
        Its placement in the world.
    spacing : float
        Contouring grid spacing in mm (the detail setting).

    Returns
    -------
    meshes : dict
        ``{"L4.body": PolyData, "L4.arch": …, "L4.endplate.superior": …}``.
    fields : dict
        The matching world-space implicit fields (for voxel labelling).
    """
    regions = bone_regions(shape)
    x0, x1, y0, y1, z0, z1 = local_bounds(shape)
    yb = body_arch_boundary(shape)
    hp = shape.posterior_height / 2 + shape.depth * 0.25
    boxes = {
        "body": (x0, x1, y0, yb + 1, -hp - 3, hp + 3),
        "endplate.superior": (x0, x1, y0, yb + 1, -2, hp + 3),
        "endplate.inferior": (x0, x1, y0, yb + 1, -hp - 3, 2),
        "arch": (x0, x1, yb - 1, y1, z0, z1),
    }
    meshes: dict[str, pv.PolyData] = {}
    fields: dict[str, sdf.Field] = {}
    for key, box in boxes.items():
        step = min(spacing, ENDPLATE_SPACING) if key.startswith("endplate") else spacing
        local = contour(regions[key], box, spacing=step)
        name = f"{shape.level}.{key}"
        meshes[name] = local.transform(frame.matrix, inplace=False)
        fields[name] = _world(regions[key], frame)
    return meshes, fields
