"""The bony parts of one vertebra: body, bony endplates and neural arch.

The whole vertebra is one implicit solid (:func:`.vertebra.vertebra_field`);
its parts are that solid cut by a few surfaces, so they fit against each
other exactly — the endplates sit on the body, the arch grows out of it —
and together give back the whole bone.

Building is the bulk of a model's cost, so the whole field is sampled once
per vertebra (near its surface only, see :func:`.surface.sample`) and every
part is contoured from that one grid with its cheap cuts applied.  The thin
endplates get their own grid, fine across the plate and as coarse as the
rest along it.  Healthy parts are cached per shape and grid spacing.
"""

from __future__ import annotations

import functools

import numpy as np
import pyvista as pv

from . import sdf
from .frames import Frame
from .surface import contour_volume, grid_points, sample
from .vertebra import VertebraShape, endplate_z, local_bounds, vertebra_field

ENDPLATE_THICKNESS = 1.2
"""Bony endplate drawn 1.2 mm thick (the subchondral plate is about 1 mm)."""

ENDPLATE_SPACING = 0.4
"""Grid step across the thin endplates (along them the detail's spacing)."""

PARTS = ("body", "endplate.superior", "endplate.inferior", "arch")


def body_arch_boundary(shape: VertebraShape) -> float:
    """Local ``y`` of the coronal plane that separates body from arch."""
    return shape.half_depth + 1.0


def _cuts(shape: VertebraShape, p: np.ndarray):
    """The cut fields: behind the body, below the top plate, above the bottom plate."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    t = ENDPLATE_THICKNESS
    front = y - body_arch_boundary(shape)
    below_top = z - (endplate_z(shape, "superior", x, y) - t)
    above_bottom = (endplate_z(shape, "inferior", x, y) + t) - z
    return front, below_top, above_bottom


def _combine(key: str, whole, front, below_top, above_bottom):
    if key == "body":
        return np.maximum(np.maximum(whole, front), np.maximum(below_top, above_bottom))
    if key == "endplate.superior":
        return np.maximum(np.maximum(whole, front), -below_top)
    if key == "endplate.inferior":
        return np.maximum(np.maximum(whole, front), -above_bottom)
    return np.maximum(whole, -front)


def bone_regions(shape: VertebraShape) -> dict[str, sdf.Field]:
    """Local implicit fields of the body, the two endplates, the arch and the whole."""
    whole = vertebra_field(shape)

    def region(key):
        def field(p):
            return _combine(key, whole(p), *_cuts(shape, p))

        return field

    regions = {key: region(key) for key in PARTS}
    regions["whole"] = whole
    return regions


def _world(field: sdf.Field, frame: Frame) -> sdf.Field:
    def world_field(p: np.ndarray) -> np.ndarray:
        return field(frame.to_local(p))

    return world_field


def _endplate_box(shape: VertebraShape, side: str) -> tuple[float, ...]:
    x0, x1 = -shape.half_width - 2, shape.half_width + 2
    y0, y1 = -shape.half_depth - 2, body_arch_boundary(shape) + 1
    xs, ys = np.meshgrid(np.linspace(x0, x1, 9), np.linspace(y0, y1, 9))
    z = endplate_z(shape, side, xs.ravel(), ys.ravel())
    rim = np.asarray([endplate_z(shape, side, np.array(0.0), np.array(y)) for y in (y0, y1)])
    lo = min(z.min(), rim.min()) - shape.concavity_inferior - ENDPLATE_THICKNESS - 1.5
    hi = max(z.max(), rim.max()) + shape.concavity_superior + ENDPLATE_THICKNESS + 1.5
    return (x0, x1, y0, y1, lo, hi)


def _sub_volume(vol, lo, spacing, box):
    """The part of a sampled volume that covers ``box`` (plus a margin)."""
    s = np.asarray(spacing, float)
    start = np.maximum(np.floor((np.asarray(box[0::2]) - lo) / s).astype(int) - 2, 0)
    stop = np.minimum(np.ceil((np.asarray(box[1::2]) - lo) / s).astype(int) + 3, np.array(vol.shape[::-1]))
    sl = tuple(slice(a, b) for a, b in zip(start[::-1], stop[::-1], strict=True))
    return vol[sl], lo + start * s


@functools.lru_cache(maxsize=48)
def local_bone_meshes(shape: VertebraShape, spacing: float) -> dict[str, pv.PolyData]:
    """The bony parts of ``shape`` in its local frame (cached; do not modify).

    Returns
    -------
    dict
        ``{"body": PolyData, "endplate.superior": …, "endplate.inferior": …,
        "arch": …}``.
    """
    whole = vertebra_field(shape)
    bounds = local_bounds(shape)
    step = np.full(3, float(spacing))
    lo = np.asarray(bounds[0::2], float) - 2 * step
    hi = np.asarray(bounds[1::2], float) + 2 * step
    vol = sample(whole, lo, hi, step)
    pts = grid_points(vol.shape, lo, step)
    cuts = [c.reshape(vol.shape).astype(np.float32) for c in _cuts(shape, pts)]
    yb = body_arch_boundary(shape)
    x0, x1, y0, y1, z0, z1 = bounds
    boxes = {"body": (x0, x1, y0, yb + 1, z0, z1), "arch": (x0, x1, yb - 1, y1, z0, z1)}
    meshes: dict[str, pv.PolyData] = {}
    for key, box in boxes.items():
        part = _combine(key, vol, *cuts)
        sub, origin = _sub_volume(part, lo, step, box)
        meshes[key] = contour_volume(sub, origin, step)
    for side in ("superior", "inferior"):
        key = f"endplate.{side}"
        ep_step = np.array([spacing, spacing, min(spacing, ENDPLATE_SPACING)])
        box = _endplate_box(shape, side)
        elo = np.asarray(box[0::2], float) - 2 * ep_step
        ehi = np.asarray(box[1::2], float) + 2 * ep_step

        def field(p, key=key):
            return _combine(key, whole(p), *_cuts(shape, p))

        meshes[key] = contour_volume(sample(field, elo, ehi, ep_step), elo, ep_step)
    return {key: meshes[key] for key in PARTS}


def bone_parts(
    shape: VertebraShape, frame: Frame, *, spacing: float
) -> tuple[dict[str, pv.PolyData], dict[str, sdf.Field]]:
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
        ``{"L4.body": PolyData, "L4.arch": …, "L4.endplate.superior": …}``,
        new meshes the caller may modify.
    fields : dict
        The matching world-space implicit fields (for voxel labelling).
    """
    local = local_bone_meshes(shape, float(spacing))
    regions = bone_regions(shape)
    meshes: dict[str, pv.PolyData] = {}
    fields: dict[str, sdf.Field] = {}
    for key in PARTS:
        name = f"{shape.level}.{key}"
        meshes[name] = local[key].transform(frame.matrix, inplace=False)
        fields[name] = _world(regions[key], frame)
    return meshes, fields
