"""Nerve compression as geometry: herniation contacts, stenosis, measured sections.

A herniation that reaches a root pushes it aside and flattens it; the root is
rebuilt displaced (:class:`spineviz.geometry.neural.RootCompression`) and the
contact is reported.  Which root a zone meets follows the anatomy: behind the
disc Lx-Ly the traversing root is Ly's (it runs down the lateral recess,
subarticular zone); in and beyond the foramen it is the exiting root, Lx's.
A central herniation meets the dural sac.  Stenosis narrows the sac (disc
bulge in front, enlarged facet joints and a thickened ligamentum flavum
behind); the sac's sections are scaled about its axis to the graded area.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from spineviz.geometry import sdf
from spineviz.geometry.frames import Frame, Placement
from spineviz.geometry.neural import RootCompression, RootPath
from spineviz.geometry.surface import contour
from spineviz.geometry.tubes import profile, sweep, tube_field
from spineviz.geometry.vertebra import arch_landmarks

from .deform import SacNarrowing

STENOSIS_AREA = {"none": 1.0, "mild": 0.75, "moderate": 0.57, "severe": 0.40}
"""Dural sac area at the disc as a share of the healthy ~150 mm²: severe
≈ 60 mm², under the 75 mm² threshold (design reference, section 3);
moderate ≈ 85 mm², near the 80 mm² stenosis-group mean; mild ≈ 112 mm²,
around the 111 mm² ROC cut-off."""

FACET_GROWTH = {"none": 0.0, "mild": 2.0, "moderate": 3.2, "severe": 4.5}
"""Radius of the extra bone on each facet joint, mm (model)."""


def target_structure(disc: str, zone: str, side: str) -> str:
    """The nerve structure a herniation in ``zone`` meets at ``disc``."""
    upper, lower = disc.split("-")
    if zone == "central":
        return "dural_sac"
    if zone == "subarticular":
        return f"{lower}.root.{side}"
    return f"{upper}.root.{side}"


def penetration(field: sdf.Field, path: np.ndarray, radius: np.ndarray) -> tuple[float, int]:
    """How deep a tube (centreline, radii) reaches into a solid: mm, and where."""
    depth = np.asarray(radius) - field(path)
    i = int(np.argmax(depth))
    return float(depth[i]), i


def gradient(field: sdf.Field, p: np.ndarray, h: float = 0.25) -> np.ndarray:
    """Unit gradient of a field at one point (the way out of the solid)."""
    g = np.array(
        [
            (field(p[None] + e)[0] - field(p[None] - e)[0])
            for e in (np.array([h, 0, 0]), np.array([0, h, 0]), np.array([0, 0, h]))
        ]
    )
    n = np.linalg.norm(g)
    return g / n if n > 0 else np.array([0.0, 1.0, 0.0])


def root_push(field: sdf.Field, path: np.ndarray, radius: np.ndarray, *, clearance: float = 0.3):
    """How a root must give way to a solid it overlaps.

    Returns ``None`` when it does not touch, else ``(RootCompression,
    displacement_mm, flattening_share)``.  The root gives way partly by moving
    (displacement) and partly by flattening against the mass: it loses up to
    half its thickness, and its centre moves the rest.
    """
    depth, i = penetration(field, path, radius + clearance)
    if depth <= 0:
        return None
    r = float(np.asarray(radius)[i])
    loss = min(0.5 * depth, r)  # thickness lost
    move = depth - loss / 2
    direction = gradient(field, path[i])
    comp = RootCompression(
        displacement=tuple(direction * move),
        flattening=1.0 - loss / (2 * r),
        length=14.0,
        at=float(path[i][2]),
    )
    return comp, move, loss / (2 * r)


def facet_joint(place: Placement, disc: str, side: str) -> tuple[np.ndarray, np.ndarray]:
    """World centre of one facet joint of ``disc`` and the unit direction into the canal."""
    upper, lower = disc.split("-")
    sx = np.array([1.0 if side == "left" else -1.0, 1.0, 1.0])
    lu, ll = arch_landmarks(place.shapes[upper]), arch_landmarks(place.shapes[lower])
    a = place.frames[upper].to_world((lu.inferior_facet * sx)[None])[0]
    b = place.frames[lower].to_world((ll.superior_facet * sx)[None])[0]
    medial = np.array([-sx[0], -0.35, 0.0])
    return (a + b) / 2, medial / np.linalg.norm(medial)


def facet_field(place: Placement, disc: str, side: str, radius: float) -> sdf.Field:
    """Extra bone around one facet joint of ``disc``, bulging into the canal (world)."""
    joint, medial = facet_joint(place, disc, side)

    def field(p):
        lobe1 = sdf.ellipsoid(p, joint + medial * radius * 0.6, (radius * 1.1, radius * 0.9, radius * 1.5))
        lobe2 = sdf.ellipsoid(
            p, joint + np.array([0.0, 0.0, -radius * 0.8]), (radius * 0.9, radius, radius * 1.1)
        )
        return sdf.smooth_union(lobe1, lobe2, 1.5)

    return field


def facet_mesh(field: sdf.Field, place: Placement, disc: str, side: str, radius: float, spacing: float):
    """Contour of :func:`facet_field` in a box just around its two lobes."""
    c, _ = facet_joint(place, disc, side)
    h = 2.2 * radius + 2
    return contour(
        field, (c[0] - h, c[0] + h, c[1] - h, c[1] + h, c[2] - h, c[2] + h), spacing=min(spacing, 0.8)
    )


FLAVUM_GROWTH = {"none": 0.0, "mild": 1.0, "moderate": 2.0, "severe": 3.2}
"""How much thicker the ligamentum flavum grows toward the canal at the disc, mm.
A normal flavum is about 3-4 mm thick; over 4-5 mm counts as hypertrophy and
thick, buckled flava of 6-7 mm are typical of severe central stenosis (model
within the published range)."""


def flavum_growth(q: np.ndarray, growth: float) -> np.ndarray:
    """Thickening at disc-frame points: full at mid-height in the midline, fading out."""
    return (
        growth
        * np.cos(np.pi / 2 * np.clip(np.abs(q[:, 2]) / 11.0, 0, 1)) ** 2
        * (1 - 0.35 * np.clip(np.abs(q[:, 0]) / 12.0, 0, 1))
    )


def thickened_flavum(mesh: pv.PolyData, field: sdf.Field, frame: Frame, growth: float):
    """The ligamentum flavum grown toward the canal (front face moved forward).

    Returns ``(mesh, field)``: the mesh's canal-facing vertices move forward
    (-y of the disc frame) by :func:`flavum_growth`; the field is the union of
    the ligament and its copy shifted back by the same amount, i.e. the same
    thickened sheet.
    """
    if growth <= 0:
        return mesh, field
    normals = mesh.compute_normals(point_normals=True, cell_normals=False, auto_orient_normals=False)
    n_local = np.asarray(normals.point_data["Normals"]) @ frame.rotation
    q = frame.to_local(mesh.points)
    facing = np.clip(-n_local[:, 1] * 2.0, 0.0, 1.0)
    q[:, 1] -= flavum_growth(q, growth) * facing
    out = mesh.copy()
    out.points = frame.to_world(q)
    out.field_data["thickening_mm"] = np.array([growth])

    def thick(p):
        ql = frame.to_local(p)
        ql[:, 1] += flavum_growth(ql, growth)
        return np.minimum(field(p), field(frame.to_world(ql)))

    return out, thick


def sac_narrowing(sac: pv.PolyData, frame: Frame, target_area: float) -> SacNarrowing:
    """The narrowing that brings the sac's section at the disc to ``target_area`` mm²."""
    s = sac.slice(normal=frame.rotation[:, 2], origin=frame.origin)
    centre = frame.to_local(s.points)[:, :2].mean(axis=0)
    scale = float(np.clip(target_area / max(section_area(sac, frame), 1e-6), 0.05, 1.0))
    return SacNarrowing(frame, (float(centre[0]), float(centre[1])), scale)


def bent_root(rp: RootPath, comp: RootCompression):
    """A root bent aside and flattened where a mass presses on it: ``(mesh, field)``.

    The centreline is displaced by a smooth bump around the point of contact
    and the tube swept again, flattened along the push.
    """
    s = np.linspace(0, 1, len(rp.path))
    length = float(np.linalg.norm(np.diff(rp.path, axis=0), axis=1).sum())
    centre = s[int(np.argmin(np.abs(rp.path[:, 2] - comp.at)))] if comp.at is not None else rp.s_drg
    weight = np.cos(np.pi / 2 * np.clip(np.abs(s - centre) / (comp.length / 2 / length), 0, 1)) ** 2
    direction = np.asarray(comp.displacement, float)
    path = rp.path + weight[:, None] * direction
    thickness = profile(np.c_[s, 1 - weight * (1 - comp.flattening)])
    mesh = sweep(
        path,
        profile(np.c_[s, rp.radius]),
        n_along=len(path),
        n_around=14,
        squash=(direction if np.any(direction) else np.array([0.0, 1.0, 0.0]), thickness),
    )
    return mesh, tube_field(path, rp.radius)


def section_area(mesh: pv.PolyData, frame: Frame) -> float:
    """Area (mm²) of a closed tube's cross-section in the plane z = 0 of ``frame``.

    The section is the largest closed loop of the slice (shoelace formula),
    so a dented, non-convex outline is measured correctly.
    """
    s = mesh.slice(normal=frame.rotation[:, 2], origin=frame.origin)
    if s.n_points == 0:
        return 0.0
    pts = frame.to_local(s.points)[:, :2]
    lines = s.lines.reshape(-1, 3)[:, 1:]
    nxt: dict[int, list[int]] = {}
    for a, b in lines:
        nxt.setdefault(int(a), []).append(int(b))
        nxt.setdefault(int(b), []).append(int(a))
    seen: set[int] = set()
    best = 0.0
    for start in nxt:
        if start in seen:
            continue
        loop, prev, cur = [start], None, start
        seen.add(start)
        while True:
            options = [n for n in nxt[cur] if n != prev]
            if not options or options[0] == start or options[0] in seen:
                break
            prev, cur = cur, options[0]
            loop.append(cur)
            seen.add(cur)
        p = pts[loop]
        area = 0.5 * abs(np.dot(p[:, 0], np.roll(p[:, 1], -1)) - np.dot(p[:, 1], np.roll(p[:, 0], -1)))
        best = max(best, area)
    return float(best)
