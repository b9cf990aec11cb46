"""Modic zones: the changed bone marrow next to an endplate, as parts of their own.

A Modic change is a change of the marrow under the endplate, not of the bone's
shape.  The zone is therefore the body's marrow (the body solid inset by a thin
cortical shell) intersected with a layer that follows the endplate surface and
reaches into the body by the extent setting; the bone meshes are never touched.
The zone carries its type in ``field_data`` so that the renderer and the
synthetic MRI colour it (type 1 oedema, type 2 fat, type 3 sclerosis).

Endplate fissures (type 1 small, type 2 larger; Modic 1988 as summarised in the
design reference, section 4b) are a separate thin part that crosses the bony
endplate into the zone.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from spineviz.geometry import sdf
from spineviz.geometry.bones import ENDPLATE_THICKNESS, body_arch_boundary
from spineviz.geometry.frames import Frame
from spineviz.geometry.surface import contour
from spineviz.geometry.vertebra import VertebraShape, body_field, endplate_z

EXTENT_FRACTION = {"lt25": 0.2, "25-50": 0.4, "gt50": 0.62}
"""Deepest reach of the zone as a share of the body height at the centre; each
sits inside its grade's band (< 25 %, 25–50 %, > 50 %)."""

CORTEX = 0.8
"""Cortical shell kept between the marrow zone and the body's outer surface (mm)."""

MODIC_CODE = {"1": 1.0, "2": 2.0, "3": 3.0, "1/2": 1.5, "2/3": 2.5}
"""Numeric type for renderers that colour by a number; mixed forms sit halfway."""

FISSURES = {
    # type: (number of clefts, length mm, width mm, depth below the endplate mm)
    1: (3, 9.0, 0.45, 3.0),
    2: (4, 14.0, 0.7, 4.5),
}


def facing_side(vertebra: str, disc: str) -> str:
    """Which endplate of ``vertebra`` faces ``disc`` (``"inferior"`` for the upper one)."""
    return "inferior" if disc.startswith(vertebra + "-") else "superior"


def body_height(shape: VertebraShape, x, y) -> np.ndarray:
    """Height of the body between its two bony endplate surfaces at ``(x, y)``."""
    return endplate_z(shape, "superior", x, y) - endplate_z(shape, "inferior", x, y)


def depth_below_endplate(shape: VertebraShape, side: str, p: np.ndarray) -> np.ndarray:
    """Distance of local points from the endplate surface, positive into the body."""
    ez = endplate_z(shape, side, p[:, 0], p[:, 1])
    return ez - p[:, 2] if side == "superior" else p[:, 2] - ez


def zone_reach(shape: VertebraShape, extent: str, x, y) -> np.ndarray:
    """How deep the zone reaches at ``(x, y)`` (mm below the endplate surface).

    Deepest in the middle of the endplate, shallower toward the rim, with a
    gentle deterministic waviness so that the border looks like marrow, not
    like a machined slab.
    """
    a, b = shape.half_width, shape.half_depth
    r2 = np.clip((x / a) ** 2 + (y / b) ** 2, 0.0, 1.0)
    wave = 1.0 + 0.07 * np.sin(0.45 * x + 0.3 * y) * np.cos(0.25 * y - 0.2 * x)
    centre = EXTENT_FRACTION[extent] * body_height(shape, 0.0, 0.0)
    return centre * (0.62 + 0.38 * (1.0 - r2)) * wave / 1.07


def zone_field(shape: VertebraShape, side: str, extent: str) -> sdf.Field:
    """Local implicit field of the Modic zone under one endplate."""
    body = body_field(shape)
    yb = body_arch_boundary(shape)
    start = ENDPLATE_THICKNESS + 0.2

    def field(p: np.ndarray) -> np.ndarray:
        d = depth_below_endplate(shape, side, p)
        reach = zone_reach(shape, extent, p[:, 0], p[:, 1])
        layer = np.maximum(start - d, d - reach)
        marrow = np.maximum(body(p) + CORTEX, p[:, 1] - (yb - 3.0))
        return sdf.smooth_intersect(marrow, layer, 1.0)

    return field


def fissure_field(shape: VertebraShape, side: str, modic_type: int) -> sdf.Field | None:
    """Thin clefts through the bony endplate into the marrow (types 1 and 2)."""
    if modic_type not in FISSURES:
        return None
    count, length, width, depth = FISSURES[modic_type]
    # Fixed, well-spread positions and directions (deterministic).
    rng = np.random.default_rng(17 + modic_type)
    angles = np.linspace(0.3, np.pi - 0.3, count) + rng.uniform(-0.25, 0.25, count)
    centres = np.c_[
        np.linspace(-0.45, 0.45, count) * shape.half_width * rng.uniform(0.7, 1.0, count),
        rng.uniform(-0.35, 0.3, count) * shape.half_depth,
    ]
    body = body_field(shape)

    def field(p: np.ndarray) -> np.ndarray:
        d = depth_below_endplate(shape, side, p)
        out = np.full(len(p), np.inf)
        for (cx, cy), ang in zip(centres, angles, strict=True):
            u = np.array([np.cos(ang), np.sin(ang)])
            rel = p[:, :2] - (cx, cy)
            along = rel @ u
            across = np.abs(rel @ np.array([-u[1], u[0]]))
            # A crack tapers toward its ends and toward its depth.
            taper = np.clip(1.0 - (2.0 * along / length) ** 2, 0.0, 1.0)
            half_w = width / 2 * (0.35 + 0.65 * taper)
            reach = depth * (0.4 + 0.6 * taper)
            crack = np.maximum.reduce([across - half_w, np.abs(along) - length / 2, d - reach, -d - 0.3])
            out = np.minimum(out, crack)
        # Stay inside the bone's outline: a crack does not cut the cortex wall.
        return np.maximum(out, body(p) + 1.5 + np.minimum(d, 0.0))

    return field


def _tag(mesh: pv.PolyData, **values) -> pv.PolyData:
    for key, value in values.items():
        mesh.field_data[key] = np.atleast_1d(value)
    return mesh


def modic_parts(
    shape: VertebraShape,
    frame: Frame,
    *,
    disc: str,
    modic: str,
    extent: str,
    inflammation: bool,
    spacing: float,
) -> dict[str, pv.PolyData]:
    """The Modic zone (and its endplate fissures) of one vertebra, in world coordinates.

    Parameters
    ----------
    shape, frame : VertebraShape, Frame
        The vertebra and its placement.
    disc : str
        The affected disc (``"L4-L5"``); the zone lies under the endplate facing it.
    modic : str
        ``"1"``, ``"2"``, ``"3"``, ``"1/2"`` or ``"2/3"``.
    extent : str
        ``"lt25"``, ``"25-50"`` or ``"gt50"``.
    inflammation : bool
        Active oedema (type 1 only); stored for the renderer.
    spacing : float
        Contouring grid spacing in mm.

    Returns
    -------
    dict
        ``{"L4.modic": zone, "L4.modic.fissures": clefts}``; the zone's
        ``field_data`` holds ``modic_type`` (the string), ``modic_code``,
        ``inflammation``, ``extent_fraction`` and ``endplate``; its point data
        ``modic_mix`` runs 0 → 1 from the endplate to the deep border (the share
        of the second type in a mixed change).
    """
    side = facing_side(shape.level, disc)
    types = [int(t) for t in modic.split("/")]
    field = zone_field(shape, side, extent)
    reach = EXTENT_FRACTION[extent] * float(body_height(shape, 0.0, 0.0))
    ez = float(endplate_z(shape, side, np.array(0.0), np.array(0.0)))
    z0, z1 = (ez - reach - 2, ez + 1) if side == "superior" else (ez - 1, ez + reach + 2)
    box = (-shape.half_width - 4, shape.half_width + 4, -shape.half_depth - 4, shape.half_depth + 4, z0, z1)
    local = contour(field, box, spacing=spacing)
    d = depth_below_endplate(shape, side, local.points)
    local.point_data["modic_mix"] = np.clip(d / max(reach, 1e-6), 0.0, 1.0)
    zone = _tag(
        local.transform(frame.matrix, inplace=False),
        modic_type=modic,
        modic_code=MODIC_CODE[modic],
        inflammation=int(bool(inflammation)),
        extent_fraction=EXTENT_FRACTION[extent],
        endplate=side,
    )
    parts = {f"{shape.level}.modic": zone}
    # Fissures follow the earliest type present: mixed 1/2 still has type-1 clefts.
    crack = fissure_field(shape, side, min(types))
    if crack is not None:
        _, _, _, depth = FISSURES[min(types)]
        zf0, zf1 = (ez - depth - 1.5, ez + 1.5) if side == "superior" else (ez - 1.5, ez + depth + 1.5)
        fbox = (-shape.half_width, shape.half_width, -shape.half_depth, shape.half_depth, zf0, zf1)
        cracks = contour(crack, fbox, spacing=min(spacing, 0.35), smooth_iterations=6)
        if cracks.n_cells:
            parts[f"{shape.level}.modic.fissures"] = _tag(
                cracks.transform(frame.matrix, inplace=False), modic_type=modic, endplate=side
            )
    return parts
