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
from .surface import contour_volume, sample
from .vertebra import VertebraShape, endplate_z, local_bounds, outline_field, vertebra_field

ENDPLATE_THICKNESS = 1.2
"""Bony endplate drawn 1.2 mm thick (the subchondral plate is about 1 mm)."""

ENDPLATE_SPACING = 0.4
"""Grid step across the thin endplates (along them the detail's spacing)."""

PARTS = ("body", "endplate.superior", "endplate.inferior", "arch")


def body_arch_boundary(shape: VertebraShape) -> float:
    """Local ``y`` of the coronal plane that separates body from arch."""
    return shape.half_depth + 1.0


ENDPLATE_MARGIN = 1.0
"""How far (mm) beyond the body's outline a bony endplate may reach.

The endplates are the body's disc-facing plates; bone beside the body at
their height (a pedicle's fillet, the sacral ala) belongs to the body."""


def _cuts(shape: VertebraShape, p: np.ndarray):
    """The cut fields at points ``p``; see :func:`_cut_fields`."""
    return _cut_fields(shape, p[:, 0], p[:, 1], p[:, 2])


def _cut_fields(shape: VertebraShape, x, y, z):
    """The fields that cut the vertebra into its parts (negative on their inner side).

    ``front``: in front of the plane behind the body.  ``superior`` and
    ``inferior``: the zones of the endplates, a layer ``ENDPLATE_THICKNESS``
    thick under the superior endplate surface (over the inferior one),
    within ``ENDPLATE_MARGIN`` of the body's outline.  ``x``, ``y``, ``z``
    may be arrays that broadcast against each other.
    """
    t = ENDPLATE_THICKNESS
    front = y - body_arch_boundary(shape)
    outside = outline_field(shape, x, y) - ENDPLATE_MARGIN
    superior = np.maximum((endplate_z(shape, "superior", x, y) - t) - z, outside)
    inferior = np.maximum(z - (endplate_z(shape, "inferior", x, y) + t), outside)
    return front, superior, inferior


def _combine(key: str, whole, front, superior, inferior):
    if key == "body":
        return np.maximum(np.maximum(whole, front), -np.minimum(superior, inferior))
    if key == "endplate.superior":
        return np.maximum(np.maximum(whole, front), superior)
    if key == "endplate.inferior":
        return np.maximum(np.maximum(whole, front), inferior)
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


def _grid_cuts(shape: VertebraShape, vol_shape, origin, spacing):
    """The cut fields on a grid, as arrays that broadcast to ``vol_shape``.

    The cuts vary with ``y`` alone (the coronal plane) or are simple in
    ``z`` (the endplates), so the costly terms are evaluated on a plane of
    the grid, not on every point.
    """
    nz, ny, nx = vol_shape
    x = origin[0] + np.arange(nx) * spacing[0]
    y = origin[1] + np.arange(ny) * spacing[1]
    z = (origin[2] + np.arange(nz) * spacing[2])[:, None, None]
    xx, yy = np.meshgrid(x, y)
    return _cut_fields(shape, xx[None], yy[None], z)


def _contour_part(key, vol, lo, step, shape, box):
    """Contour one part from the whole's sampled volume, within ``box``."""
    sub, origin = _sub_volume(vol, lo, step, box)
    part = _combine(key, sub, *_grid_cuts(shape, sub.shape, origin, step))
    return contour_volume(part, origin, step)


@functools.lru_cache(maxsize=48)
def local_bone_meshes(shape: VertebraShape, spacing: float) -> dict[str, pv.PolyData]:
    """The bony parts of ``shape`` in its local frame (cached; do not modify).

    The whole vertebra is sampled once for body and arch, exactly only where
    the surface of one of them can be; each endplate gets a grid of its own
    that is fine across the plate.

    Returns
    -------
    dict
        ``{"body": PolyData, "endplate.superior": …, "endplate.inferior": …,
        "arch": …}``.
    """
    whole = vertebra_field(shape)

    def parts_of(*keys):
        def surfaces(values, origin, step):
            cuts = _grid_cuts(shape, values.shape, origin, step)
            return [_combine(key, values, *cuts) for key in keys]

        return surfaces

    bounds = local_bounds(shape)
    step = np.full(3, float(spacing))
    lo = np.asarray(bounds[0::2], float) - 2 * step
    hi = np.asarray(bounds[1::2], float) + 2 * step
    vol = sample(whole, lo, hi, step, surfaces=parts_of("body", "arch"))
    yb = body_arch_boundary(shape)
    x0, x1, y0, y1, z0, z1 = bounds
    meshes = {
        "body": _contour_part("body", vol, lo, step, shape, (x0, x1, y0, yb + 1, z0, z1)),
        "arch": _contour_part("arch", vol, lo, step, shape, (x0, x1, yb - 1, y1, z0, z1)),
    }
    ep_step = np.array([spacing, spacing, min(spacing, ENDPLATE_SPACING)])
    for side in ("superior", "inferior"):
        key = f"endplate.{side}"
        box = _endplate_box(shape, side)
        elo = np.asarray(box[0::2], float) - 2 * ep_step
        ehi = np.asarray(box[1::2], float) + 2 * ep_step
        evol = sample(whole, elo, ehi, ep_step, surfaces=parts_of(key))
        part = _combine(key, evol, *_grid_cuts(shape, evol.shape, elo, ep_step))
        meshes[key] = contour_volume(part, elo, ep_step)
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
