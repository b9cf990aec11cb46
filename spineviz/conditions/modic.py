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

import functools

import numpy as np
import pyvista as pv

from spineviz.geometry import sdf
from spineviz.geometry.bones import ENDPLATE_THICKNESS, body_arch_boundary
from spineviz.geometry.frames import Frame
from spineviz.geometry.surface import contour_volume, grid_points, triangles
from spineviz.geometry.vertebra import VertebraShape, body_field, endplate_z, outline_field

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


def zone_reach(shape: VertebraShape, extent: str, x, y, *, height: float | None = None) -> np.ndarray:
    """How deep the zone reaches at ``(x, y)`` (mm below the endplate surface).

    Deepest in the middle of the endplate, shallower toward the rim, with a
    gentle deterministic waviness so that the border looks like marrow, not
    like a machined slab.  ``height``: the body's height at the centre, if known.
    """
    a, b = shape.half_width, shape.half_depth
    r2 = np.clip((x / a) ** 2 + (y / b) ** 2, 0.0, 1.0)
    wave = 1.0 + 0.07 * np.sin(0.45 * x + 0.3 * y) * np.cos(0.25 * y - 0.2 * x)
    height = body_height(shape, 0.0, 0.0) if height is None else height
    centre = EXTENT_FRACTION[extent] * height
    return centre * (0.62 + 0.38 * (1.0 - r2)) * wave / 1.07


def zone_field(shape: VertebraShape, side: str, extent: str) -> sdf.Field:
    """Local implicit field of the Modic zone under one endplate."""
    body = body_field(shape)
    yb = body_arch_boundary(shape)
    start = ENDPLATE_THICKNESS + 0.2
    height = body_height(shape, 0.0, 0.0)

    def field(p: np.ndarray) -> np.ndarray:
        d = depth_below_endplate(shape, side, p)
        reach = zone_reach(shape, extent, p[:, 0], p[:, 1], height=height)
        layer = np.maximum(start - d, d - reach)
        marrow = np.maximum(body(p) + CORTEX, p[:, 1] - (yb - 3.0))
        return sdf.smooth_intersect(marrow, layer, 1.0)

    return field


@functools.lru_cache(maxsize=4)
def _unit_blade(n_along: int = 22, n_around: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A closed superellipsoid around the x axis: points in [-1, 1]³ and outward triangles.

    Blunt at its ends and almost box-like across, so that mapped onto a crack
    (:func:`fissure_mesh`) it reads as a thin flat cleft, not as a cigar.
    """
    phi = np.pi * np.arange(1, n_along) / n_along
    theta = 2 * np.pi * np.arange(n_around) / n_around

    def power(v, e):
        return np.sign(v) * np.abs(v) ** e

    x = np.repeat(power(np.cos(phi), 0.4), n_around)
    r = np.repeat(np.abs(np.sin(phi)) ** 0.4, n_around)
    y = r * np.tile(power(np.cos(theta), 0.5), len(phi))
    z = r * np.tile(power(np.sin(theta), 0.5), len(phi))
    points = np.vstack([[1.0, 0.0, 0.0], np.c_[x, y, z], [-1.0, 0.0, 0.0]])
    ring = np.arange(n_around)
    nxt = np.roll(ring, -1)
    tri = [np.c_[np.zeros(n_around, int), 1 + nxt, 1 + ring]]
    for j in range(len(phi) - 1):
        a, b = 1 + j * n_around, 1 + (j + 1) * n_around
        tri += [np.c_[a + ring, a + nxt, b + ring], np.c_[a + nxt, b + nxt, b + ring]]
    last = 1 + (len(phi) - 1) * n_around
    tri.append(np.c_[np.full(n_around, len(points) - 1), last + ring, last + nxt])
    tri = np.vstack(tri)
    # Wind outward whatever the parametrisation's handedness.
    if _signed_volume(points, tri) < 0:
        tri = tri[:, ::-1]
    return points, tri


def _signed_volume(points: np.ndarray, tri: np.ndarray) -> float:
    a, b, c = points[tri[:, 0]], points[tri[:, 1]], points[tri[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def _cracks(shape: VertebraShape, modic_type: int):
    """Centres, directions and the tuple of :data:`FISSURES` of one type's clefts (deterministic)."""
    count, length, width, depth = FISSURES[modic_type]
    rng = np.random.default_rng(17 + modic_type)
    angles = np.linspace(0.3, np.pi - 0.3, count) + rng.uniform(-0.25, 0.25, count)
    centres = np.c_[
        np.linspace(-0.45, 0.45, count) * shape.half_width * rng.uniform(0.7, 1.0, count),
        rng.uniform(-0.35, 0.3, count) * shape.half_depth,
    ]
    return centres, angles, (length, width, depth)


@functools.lru_cache(maxsize=32)
def fissure_mesh(shape: VertebraShape, side: str, modic_type: int) -> pv.PolyData | None:
    """Thin clefts through the bony endplate into the marrow (types 1 and 2), local frame.

    Each cleft is a thin blade that follows the endplate's curved surface:
    it runs ``length`` mm along its direction, tapers toward its ends and
    toward its depth, starts just under the endplate's disc-facing surface
    and stays inside the body's outline, short of the cortex wall.  Built
    directly as a closed mesh (no contouring): a flat crack a fraction of a
    millimetre wide would need a very fine grid.

    Returns ``None`` for types without fissures (3).
    """
    if modic_type not in FISSURES:
        return None
    centres, angles, (length, width, depth) = _cracks(shape, modic_type)
    unit, tri = _unit_blade()
    points, faces = [], []
    for (cx, cy), ang in zip(centres, angles, strict=True):
        u = np.array([np.cos(ang), np.sin(ang)])
        n = np.array([-u[1], u[0]])
        # Shorten a cleft that would run into the cortex wall (1.5 mm kept).
        s = np.linspace(-length / 2, length / 2, 61)
        inside = outline_field(shape, cx + s * u[0], cy + s * u[1]) < -1.5
        if not inside.any():
            continue
        s0, s1 = s[inside][0], s[inside][-1]
        along = (s0 + s1) / 2 + unit[:, 0] * (s1 - s0) / 2
        taper = np.clip(1.0 - (2.0 * along / length) ** 2, 0.0, 1.0)
        half_w = width / 2 * (0.35 + 0.65 * taper)
        reach = depth * (0.4 + 0.6 * taper)
        top = FISSURE_START
        d = (top + reach) / 2 + unit[:, 2] * (reach - top) / 2
        xy = np.array([cx, cy]) + along[:, None] * u + (unit[:, 1] * half_w)[:, None] * n
        ez = endplate_z(shape, side, xy[:, 0], xy[:, 1])
        z = ez - d if side == "superior" else ez + d
        faces.append(tri + sum(len(p) for p in points))
        points.append(np.c_[xy, z])
    if not points:
        return None
    pts, tri = np.vstack(points), np.vstack(faces)
    if _signed_volume(pts, tri) < 0:
        tri = tri[:, ::-1]
    return pv.PolyData(pts, np.c_[np.full(len(tri), 3), tri].ravel())


FISSURE_START = 0.3
"""Depth below the endplate's disc-facing surface (mm) where a cleft begins:
inside the bony endplate, so that it crosses the plate into the marrow."""


@functools.lru_cache(maxsize=32)
def zone_mesh(shape: VertebraShape, side: str, extent: str, spacing: float) -> pv.PolyData:
    """The Modic zone under one endplate, local frame, with its ``modic_mix`` point data.

    The zone's shape depends only on the vertebra, the endplate and the
    extent (the type changes its look), so it is contoured once per those
    on a small box around the layer; its point data ``modic_mix`` runs
    0 → 1 from the endplate to the deep border.
    """
    field = zone_field(shape, side, extent)
    reach = EXTENT_FRACTION[extent] * float(body_height(shape, 0.0, 0.0))
    ez = float(endplate_z(shape, side, np.array(0.0), np.array(0.0)))
    z0, z1 = (ez - reach - 2, ez + 1) if side == "superior" else (ez - 1, ez + reach + 2)
    box = (-shape.half_width - 1, shape.half_width + 1, -shape.half_depth - 1, shape.half_depth + 1, z0, z1)
    # The layer is a few grid cells thick, so a narrow band around its surface
    # holds about every point of the box: one evaluation of the whole grid
    # costs less than the band's bookkeeping (the same contour).
    lo = np.asarray(box[0::2], float) - 2 * spacing
    n = np.ceil((np.asarray(box[1::2], float) + 2 * spacing - lo) / spacing).astype(int) + 1
    values = field(grid_points(tuple(n[::-1]), lo, spacing)).reshape(tuple(n[::-1]))
    local = contour_volume(values, lo, spacing, field=field)
    d = depth_below_endplate(shape, side, local.points)
    local.point_data["modic_mix"] = np.clip(d / max(reach, 1e-6), 0.0, 1.0)
    return local


ZONE_SPACING = 1.4
"""Coarsest grid step (mm) the zone is contoured at, whatever the detail: a
smooth layer of marrow several millimetres thick needs no finer grid, and
the coarser step keeps one condition change fast."""


def _placed(mesh: pv.PolyData, frame: Frame) -> pv.PolyData:
    """A triangle mesh moved by a frame, its (scalar) point data kept: numpy, not a VTK filter."""
    points = frame.to_world(np.asarray(mesh.points, float)).astype(mesh.points.dtype)
    out = pv.PolyData.from_regular_faces(points, triangles(mesh))
    for key in mesh.point_data:
        out.point_data[key] = mesh.point_data[key]
    return out


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
    local = zone_mesh(shape, side, extent, max(spacing, ZONE_SPACING))
    zone = _tag(
        _placed(local, frame),
        modic_type=modic,
        modic_code=MODIC_CODE[modic],
        inflammation=int(bool(inflammation)),
        extent_fraction=EXTENT_FRACTION[extent],
        endplate=side,
    )
    parts = {f"{shape.level}.modic": zone}
    # Fissures follow the earliest type present: mixed 1/2 still has type-1 clefts.
    cracks = fissure_mesh(shape, side, min(types))
    if cracks is not None:
        parts[f"{shape.level}.modic.fissures"] = _tag(_placed(cracks, frame), modic_type=modic, endplate=side)
    return parts


def clear_caches() -> None:
    """Forget the cached zone and fissure meshes (for benchmarks)."""
    zone_mesh.cache_clear()
    fissure_mesh.cache_clear()
