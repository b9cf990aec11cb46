"""Nerve fibres and small blood vessels growing into the disc and endplates.

The article's figure A vs B, and the design reference (section 7): in a
healthy disc nerve fibres stay in the outer third of the annulus, mostly at
the back (Freemont 1997); in a degenerated disc new fibres and small vessels
grow into the inner annulus, the nucleus (along fissures) and the endplates,
and the basivertebral nerve's branches in the endplate multiply next to Modic
changes.  Fibres and vessels are thin closed tubes, one part each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv

from spineviz.geometry.disc import disc_fields, disc_frame
from spineviz.geometry.frames import Frame, Placement
from spineviz.geometry.tubes import sweep_many
from spineviz.geometry.vertebra import VertebraShape, endplate_z

FIBRE_RADIUS = 0.18
VESSEL_RADIUS = 0.28


@dataclass(frozen=True)
class Ray:
    """A radial line through the annulus at one direction (disc frame, mid-height)."""

    angle: float
    inner: float  # distance of the nucleus border from the centre
    outer: float  # distance of the outer wall from the centre

    def point(self, depth: float, z: float = 0.0) -> np.ndarray:
        """Point at ``depth`` (0 = outer wall, 1 = nucleus border) and height ``z``."""
        a = np.radians(self.angle)
        r = self.outer - depth * (self.outer - self.inner)
        return np.array([r * np.sin(a), r * np.cos(a), z])


RAY_STEPS = np.linspace(0.0, 60.0, 601)
"""Distances from the disc centre (mm) at which a ray samples the disc's fields."""


def annulus_rays(fields, frame: Frame, angles) -> list[Ray]:
    """Where the nucleus border and the outer wall lie along each direction.

    The farthest of :data:`RAY_STEPS` inside each solid, found as a scan of
    them all would find it (the solids are star-shaped about the disc
    centre): every millimetre first, then every step of the last millimetre
    inside; all rays in one evaluation of each field per pass.
    """
    a = np.radians(np.asarray(angles, float))
    direction = np.stack([np.sin(a), np.cos(a), np.zeros_like(a)], axis=1)

    def inside(r: np.ndarray) -> np.ndarray:
        pts = frame.to_world((r[..., None] * direction[:, None, :]).reshape(-1, 3))
        return np.stack([fields.nucleus(pts), fields.whole(pts)]).reshape(2, *r.shape) < 0

    coarse = RAY_STEPS[::10]
    found = inside(np.broadcast_to(coarse, (len(a), len(coarse))))
    last = len(coarse) - 1 - np.argmax(found[:, :, ::-1], axis=2)  # farthest coarse sample inside
    # The fine steps after it, up to the next coarse sample.
    idx = np.minimum(10 * last[..., None] + np.arange(1, 11), len(RAY_STEPS) - 1)
    fine = inside(RAY_STEPS[idx.reshape(2 * len(a), 10)].reshape(2, len(a), 10))
    fine = np.stack([fine[0, 0], fine[1, 1]])  # each solid at its own fine steps
    k = 9 - np.argmax(fine[:, :, ::-1], axis=2)
    far = np.where(fine.any(axis=2), np.take_along_axis(idx, k[..., None], axis=2)[..., 0], 10 * last)
    r = RAY_STEPS[far]
    inner = np.where(found[0].any(axis=1), r[0], RAY_STEPS[0])
    return [Ray(float(g), float(i), float(o)) for g, i, o in zip(angles, inner, r[1], strict=True)]


def annulus_ray(fields, frame: Frame, angle: float) -> Ray:
    """Where the nucleus border and the outer wall lie along one direction."""
    return annulus_rays(fields, frame, [angle])[0]


def fibre_depth(fields, frame: Frame, points: np.ndarray) -> np.ndarray:
    """Depth of world points into the annulus: 0 at the outer wall, 1 at the nucleus border.

    Measured along the radial direction of each point in the disc frame.
    """
    q = frame.to_local(points)
    angles = np.degrees(np.arctan2(q[:, 0], q[:, 1]))
    r = np.hypot(q[:, 0], q[:, 1])
    rays = annulus_rays(fields, frame, angles)
    outer = np.array([ray.outer for ray in rays])
    inner = np.array([ray.inner for ray in rays])
    return (outer - r) / np.maximum(outer - inner, 1e-6)


def _paths(rays: list[Ray], depths: np.ndarray, heights: np.ndarray, rng) -> np.ndarray:
    """Centrelines ``(n, 5, 3)`` (disc frame) from just outside the wall to each depth."""
    n = 5
    # One draw for all rays: the same numbers, in the same order, as one per ray.
    wobble = rng.normal(0.0, 0.35, (len(rays), n, 3)) * np.r_[0.0, [1.0] * (n - 1)][None, :, None]
    ts = np.linspace(-0.12, depths, n, axis=1)  # start just outside the wall
    angle = np.array([ray.angle for ray in rays])[:, None]
    inner = np.array([ray.inner for ray in rays])[:, None]
    outer = np.array([ray.outer for ray in rays])[:, None]
    a = np.radians(angle)
    r = outer - ts * (outer - inner)
    z = np.asarray(heights, float)[:, None] + 0.6 * np.sin(3 * ts + angle)
    pts = np.stack([r * np.sin(a), r * np.cos(a), z], axis=2)
    return pts + wobble * [1, 1, 0.5]


def _merge(meshes: list[pv.PolyData]) -> pv.PolyData:
    if not meshes:
        return pv.PolyData()
    out = meshes[0].merge(meshes[1:], merge_points=False) if len(meshes) > 1 else meshes[0]
    return pv.PolyData(out.points, out.faces) if not isinstance(out, pv.PolyData) else out


@dataclass(frozen=True)
class IngrowthPaths:
    """Centrelines (world, mm) of the fibres and vessels of one disc.

    ``max_depth`` is the deepest fibre reach as a share of the annulus
    thickness (0 outer wall, 1 nucleus border).
    """

    fibres: tuple[np.ndarray, ...]
    vessels: tuple[np.ndarray, ...]
    max_depth: float
    degenerated: bool


def ingrowth_paths(
    place: Placement, disc: str, *, degenerated: bool, bulge: float = 0.0, fields=None
) -> IngrowthPaths:
    """Where fibres and vessels run in one disc.

    Parameters
    ----------
    place : Placement
        Placement of the segment (degenerated height included).
    disc : str
        ``"L4-L5"``.
    degenerated : bool
        False: the healthy pattern (outer third, mostly at the back);
        True: ingrowth deep into the annulus, the nucleus and the endplates.
    bulge : float, optional
        The disc's bulge (so the fibres start at its wall).
    fields : DiscFields, optional
        The disc's fields when the caller has them (else built from ``bulge``).
    """
    fields = disc_fields(place, disc, bulge=bulge) if fields is None else fields
    frame = disc_frame(place, disc)
    rng = np.random.default_rng(5 if degenerated else 3)
    # Mostly at the back: directions crowd around 0° (posterior).
    n_f = 26 if degenerated else 16
    angles = np.clip(rng.normal(0.0, 55.0, n_f), -150, 150)
    rays = annulus_rays(fields, frame, angles)
    upper, lower = disc.split("-")
    height = place.discs[disc].posterior_height
    heights = rng.uniform(-0.3, 0.3, n_f) * height
    # Degenerated: inner annulus and into the nucleus; healthy: the outer third only.
    depths = rng.uniform(0.45, 1.25, n_f) if degenerated else rng.uniform(0.08, 0.3, n_f)
    fibre_paths = list(frame.to_world(_paths(rays, depths, heights, rng).reshape(-1, 3)).reshape(-1, 5, 3))
    n_v = 12 if degenerated else 5
    vrays = rays[:n_v]
    vdepth = depths[:n_v] * (0.9 if degenerated else 0.5)
    vessels = _paths(vrays, vdepth, heights[:n_v] + 0.8, rng)
    vessel_paths = list(frame.to_world(vessels.reshape(-1, 3)).reshape(-1, 5, 3))
    if degenerated:
        # New fibres and vessels also cross the endplates into the disc.
        for v, side, sign in ((upper, "inferior", -1.0), (lower, "superior", 1.0)):
            shape, f = place.shapes[v], place.frames[v]
            for k in range(5):
                x, y = rng.uniform(-0.5, 0.5) * shape.half_width, rng.uniform(-0.5, 0.4) * shape.half_depth
                ez = float(endplate_z(shape, side, np.array(x), np.array(y)))
                local = np.array(
                    [[x, y, ez + sign * 4.0], [x + 0.6, y, ez], [x + 1.0, y + 0.5, ez - sign * 3.0]]
                )
                (fibre_paths if k % 2 == 0 else vessel_paths).append(f.to_world(local))
    return IngrowthPaths(tuple(fibre_paths), tuple(vessel_paths), float(depths.max()), degenerated)


def ingrowth_parts(paths: IngrowthPaths, disc: str) -> dict[str, pv.PolyData]:
    """Fibres and vessels of one disc as thin closed tubes (world).

    Returns ``{"L4-L5.fibres": …, "L4-L5.vessels": …}``; ``field_data["max_depth"]``
    holds the deepest reach as a share of the annulus thickness.
    """
    meshes = {}
    for name, lines, radius in (
        ("fibres", paths.fibres, FIBRE_RADIUS),
        ("vessels", paths.vessels, VESSEL_RADIUS),
    ):
        mesh = sweep_many(lines, radius, n_along=16, n_around=6)
        mesh.field_data["max_depth"] = np.array([paths.max_depth])
        mesh.field_data["degenerated"] = np.array([int(paths.degenerated)])
        meshes[f"{disc}.{name}"] = mesh
    return meshes


def basivertebral_branches(shape: VertebraShape, frame: Frame, *, side: str, count: int) -> pv.PolyData:
    """Branches of the basivertebral nerve fanning toward one endplate.

    They start where the nerve enters the body through the posterior vascular
    foramen (Fras 2003) and spread under the endplate; next to a Modic zone
    there are many of them.
    """
    rng = np.random.default_rng(11 + count)
    start = np.array([0.0, shape.half_depth - 2.0, 0.0])
    lines = []
    for _ in range(count):
        x = rng.uniform(-0.75, 0.75) * shape.half_width
        y = rng.uniform(-0.7, 0.5) * shape.half_depth
        ez = float(endplate_z(shape, side, np.array(x), np.array(y)))
        end_z = ez - 2.2 if side == "superior" else ez + 2.2
        mid = (start + np.array([x, y, end_z])) / 2 + [rng.normal(0, 1.5), 0.0, 0.0]
        lines.append(frame.to_world(np.array([start, mid, [x, y, end_z]])))
    return sweep_many(lines, 0.2, n_along=14, n_around=6)
