"""Signed distance primitives and operators, evaluated on ``(N, 3)`` arrays.

Every solid in spineviz is described first as an implicit function: negative
inside, positive outside, zero on the surface, in millimetres.  Composing
anatomy from implicit pieces lets bones blend smoothly into each other (a
pedicle grows out of the body rather than being glued to it) and gives every
part a watertight surface once it is contoured (see :mod:`.surface`).  The same
functions later label voxels for the synthetic MRI.

The values are exact distances for the simple primitives and distance
*bounds* (close to the true distance near the surface) for the scaled and
blended ones; the contouring only needs the zero level set to be right and
the field to be smooth near it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Field = Callable[[np.ndarray], np.ndarray]
"""An implicit solid: maps ``(N, 3)`` points to ``(N,)`` signed distances."""


# ---------------------------------------------------------------------------
# primitives
# ---------------------------------------------------------------------------


def ellipsoid(points: np.ndarray, center, radii) -> np.ndarray:
    """Signed distance bound of an axis-aligned ellipsoid.

    Parameters
    ----------
    points : (N, 3) float
        Query points in mm.
    center : (3,) float
        Centre of the ellipsoid.
    radii : (3,) float
        Semi-axes along x, y and z.

    Returns
    -------
    (N,) float
        Approximately the distance to the surface, negative inside.
    """
    r = np.asarray(radii, float)
    q = (points - np.asarray(center, float)) / r
    k0 = np.linalg.norm(q, axis=1)
    k1 = np.linalg.norm(q / r, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = k0 * (k0 - 1.0) / k1
    return np.where(k1 > 0, d, -r.min())


def round_cone(points: np.ndarray, a, b, ra: float, rb: float) -> np.ndarray:
    """Signed distance of a capsule whose radius tapers from ``ra`` to ``rb``.

    A tapered capsule between two points is the workhorse for pedicles,
    processes and laminae.

    Parameters
    ----------
    points : (N, 3) float
        Query points.
    a, b : (3,) float
        End points of the axis.
    ra, rb : float
        Radii at ``a`` and ``b``.
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    ab = b - a
    length2 = float(ab @ ab)
    t = np.clip(((points - a) @ ab) / length2, 0.0, 1.0)
    closest = a + t[:, None] * ab
    return np.linalg.norm(points - closest, axis=1) - (ra + (rb - ra) * t)


def polyline_tube(points: np.ndarray, path, radii) -> np.ndarray:
    """Union of tapered capsules along a polyline (a bent rod)."""
    path = np.asarray(path, float)
    radii = np.broadcast_to(np.asarray(radii, float), (len(path),))
    d = np.full(len(points), np.inf)
    for i in range(len(path) - 1):
        d = np.minimum(d, round_cone(points, path[i], path[i + 1], radii[i], radii[i + 1]))
    return d


def superellipse_2d(x: np.ndarray, y: np.ndarray, a, b, n: float) -> np.ndarray:
    """Distance bound to a superellipse ``|x/a|^n + |y/b|^n = 1`` in a plane.

    ``n = 2`` is an ellipse; larger ``n`` squares the outline off, as a
    vertebral endplate is squarer than an ellipse.  ``a`` and ``b`` may be
    arrays (one value per point) so that an outline can vary with height.
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    u = np.abs(x) / a
    v = np.abs(y) / b
    rho = (u**n + v**n) ** (1.0 / n)
    # Scale the normalised radius back to mm with the local radius, which
    # keeps the gradient near 1 on the surface for moderate aspect ratios.
    r = np.hypot(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        local = np.where(rho > 1e-9, r / rho, np.minimum(a, b))
    return (rho - 1.0) * local


def slab(z: np.ndarray, bottom, top) -> np.ndarray:
    """Signed distance to the slab ``bottom <= z <= top`` (arrays allowed)."""
    return np.maximum(bottom - z, z - top)


def half_space(points: np.ndarray, origin, normal) -> np.ndarray:
    """Signed distance to the half space on the side opposite ``normal``."""
    n = np.asarray(normal, float)
    n = n / np.linalg.norm(n)
    return (points - np.asarray(origin, float)) @ n


# ---------------------------------------------------------------------------
# operators
# ---------------------------------------------------------------------------


def smooth_union(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Union that rounds the crease between two solids over about ``k`` mm."""
    if k <= 0:
        return np.minimum(a, b)
    h = np.maximum(k - np.abs(a - b), 0.0) / k
    return np.minimum(a, b) - h * h * k * 0.25


def smooth_subtract(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Remove solid ``b`` from ``a`` with a rounded edge of about ``k`` mm."""
    return -smooth_union(-a, b, k)


def smooth_intersect(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Intersection of two solids with a rounded edge of about ``k`` mm."""
    return -smooth_union(-a, -b, k)


# ---------------------------------------------------------------------------
# frames
# ---------------------------------------------------------------------------


def rotation_x(angle_deg: float) -> np.ndarray:
    """Rotation matrix about +x (patient left); positive tilts +y toward +z."""
    t = np.radians(angle_deg)
    c, s = np.cos(t), np.sin(t)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def to_local(points: np.ndarray, origin, rotation: np.ndarray) -> np.ndarray:
    """World points into a frame placed at ``origin`` with axes ``rotation``.

    ``rotation`` maps local coordinates to world ones (its columns are the
    local axes in world coordinates), so the inverse is its transpose.
    """
    return (points - np.asarray(origin, float)) @ rotation


def flat_rod(points: np.ndarray, a, b, ra: float, rb: float, *, normal, flatness: float) -> np.ndarray:
    """A tapered capsule squashed along ``normal`` into an oval cross-section.

    ``flatness`` < 1 makes the rod thinner along ``normal`` than across it,
    which is how processes and laminae are shaped: wide plates, not pipes.
    """
    n = np.asarray(normal, float)
    n = n / np.linalg.norm(n)
    a = np.asarray(a, float)

    def squash(q):
        q = q - a
        along = q @ n
        return q + np.outer(along * (1.0 / flatness - 1.0), n)

    d = round_cone(squash(points), np.zeros(3), squash(np.asarray(b, float)[None])[0], ra, rb)
    return d * flatness


def plate(
    points: np.ndarray,
    a,
    b,
    *,
    up,
    half_height,
    half_thickness,
    radius: float,
) -> np.ndarray:
    """A rounded plate swept from ``a`` to ``b``, tapering along its length.

    The plate's long axis runs from ``a`` to ``b``; ``up`` (made normal to it)
    gives the direction of its height and the third axis its thickness.  Half
    height and half thickness may be ``(at_a, at_b)`` pairs and vary linearly
    between the ends, which gives laminae, spinous and transverse processes
    their blade-like taper.  Every edge is rounded by ``radius``; a radius
    close to the half thickness turns the cross-section into an oval.

    Returns a distance bound (exact for an untapered plate).  To evaluate
    one plate many times, make a :class:`Plate` once.
    """
    return Plate.make(a, b, up=up, half_height=half_height, half_thickness=half_thickness, radius=radius)(
        points
    )


class Plate:
    """:func:`plate` with its frame worked out once (for fields evaluated often).

    Attributes ``lo`` and ``hi`` bound the solid (for :func:`culled`).
    """

    __slots__ = ("center", "frame", "half_length", "height", "hi", "lo", "radius", "thickness")

    @classmethod
    def make(cls, a, b, *, up, half_height, half_thickness, radius: float) -> Plate:
        a = np.asarray(a, float)
        b = np.asarray(b, float)
        axis = b - a
        length = float(np.linalg.norm(axis))
        axis = axis / length
        u = np.asarray(up, float)
        u = u - (u @ axis) * axis
        u = u / np.linalg.norm(u)
        self = cls()
        self.center = (a + b) / 2
        # Rows: along the plate, its height, its thickness.
        self.frame = np.stack([axis, u, np.cross(axis, u)])
        self.half_length = length / 2
        self.height = tuple(float(v) for v in np.broadcast_to(np.asarray(half_height, float), (2,)))
        self.thickness = tuple(float(v) for v in np.broadcast_to(np.asarray(half_thickness, float), (2,)))
        self.radius = float(radius)
        extent = max(*self.height, *self.thickness)
        self.lo = np.minimum(a, b) - extent
        self.hi = np.maximum(a, b) + extent
        return self

    def __call__(self, points: np.ndarray) -> np.ndarray:
        q = points - self.center
        # One contiguous column per axis (a (N, 3) product's columns are strided).
        s, qu, qw = (q @ axis for axis in self.frame)
        r = self.radius
        (ha, hb), (ta, tb) = self.height, self.thickness
        t = np.clip(s * (0.5 / self.half_length) + 0.5, 0.0, 1.0)
        dx = np.abs(s) - (self.half_length - r)
        dy = np.abs(qu) - ((ha - r) + (hb - ha) * t)
        dz = np.abs(qw) - ((ta - r) + (tb - ta) * t) if ta != tb else np.abs(qw) - (ta - r)
        inside = np.minimum(np.maximum(np.maximum(dx, dy), dz), 0.0)
        dx = np.maximum(dx, 0.0)
        dy = np.maximum(dy, 0.0)
        dz = np.maximum(dz, 0.0)
        return np.sqrt(dx * dx + dy * dy + dz * dz) + inside - r


def box_distance(points: np.ndarray, lo, hi) -> np.ndarray:
    """Distance from points to an axis-aligned box (0 inside): a lower bound
    on the distance to any solid inside the box."""
    lo = np.asarray(lo, float)
    hi = np.asarray(hi, float)
    d = np.maximum(np.maximum(lo - points, points - hi), 0.0)
    return np.sqrt((d * d).sum(axis=1))


def box(points: np.ndarray, lo, hi) -> np.ndarray:
    """Exact signed distance to the axis-aligned box ``lo``–``hi`` (negative inside)."""
    lo = np.asarray(lo, float)
    hi = np.asarray(hi, float)
    q = np.abs(points - (lo + hi) / 2) - (hi - lo) / 2
    outside = np.sqrt((np.maximum(q, 0.0) ** 2).sum(axis=1))
    return outside + np.minimum(q.max(axis=1), 0.0)


def culled(
    points: np.ndarray, primitive: Callable[[np.ndarray], np.ndarray], lo, hi, margin: float
) -> np.ndarray:
    """Evaluate ``primitive`` only within ``margin`` of its bounding box ``lo``–``hi``.

    Further points are at least ``margin`` from the solid, so ``margin``
    itself stands in for their distance: a lower bound that keeps unions and
    blends right (a blend reaches less than ``margin``) at a fraction of the
    cost of evaluating every primitive everywhere.
    """
    lo = np.asarray(lo, float) - margin
    hi = np.asarray(hi, float) + margin
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    near = (x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1]) & (z >= lo[2]) & (z <= hi[2])
    out = np.full(len(points), float(margin))
    if near.any():
        out[near] = primitive(points[near])
    return out


class Blade:
    """A flat blade whose outline is a tapered capsule, its rim rounded.

    In the blade's plane the outline is two circles, of radii
    ``half_width = (at_a, at_b)`` about ``a`` and ``b``, joined by their
    common tangents: a lobe that narrows (or widens) along its length and
    ends in round tips, as a transverse process ends or an articular process
    rises.  Across the plane (along ``normal``) it is ``2 * half_thickness``
    thick, tapering linearly from ``a`` to ``b``; every edge is rounded by
    ``edge``.  The outline's distance is exact and the extrusion keeps it so
    for an untapered thickness; a taper of slope ``s`` mm/mm raises the
    field's slope to at most ``sqrt(1 + s**2)``.

    Attributes ``lo`` and ``hi`` bound the solid (for :func:`culled`).
    """

    __slots__ = ("a", "frame", "hi", "length", "lo", "radii", "slope", "thickness")

    @classmethod
    def make(cls, a, b, *, normal, half_width, half_thickness, edge: float) -> Blade:
        a, b = np.asarray(a, float), np.asarray(b, float)
        length = float(np.linalg.norm(b - a))
        axis = (b - a) / length
        # The normal made square to the axis.
        n = np.asarray(normal, float) @ (np.eye(3) - np.outer(axis, axis))
        n /= np.linalg.norm(n)
        pairs = (np.broadcast_to(np.asarray(v, float), (2,)).tolist() for v in (half_width, half_thickness))
        (ra, rb), (ta, tb) = pairs
        edge = float(edge)
        if not (abs(ra - rb) < length and edge < min(ra, rb) and 0 < edge <= min(ta, tb)):
            msg = "Blade: need |ra - rb| < length, edge < both half widths, 0 < edge <= both half thicknesses"
            raise ValueError(msg)
        self = cls()
        self.a = a
        # Rows: along the blade, across it in its plane, its normal.
        self.frame = np.stack([axis, np.cross(n, axis), n])
        self.length = length
        # The outline shrunk by the edge radius; the rounding puts it back.
        self.radii = (ra - edge, rb - edge)
        self.thickness = (ta - edge, tb - edge, edge)
        beta = (ra - rb) / length
        self.slope = (beta, float(np.sqrt(1.0 - beta * beta)))
        # Box: the outline's discs project onto a world axis by their radius
        # times the in-plane share of it, the thickness by its normal share.
        extent = max(ra, rb) * np.sqrt(np.clip(1.0 - n * n, 0.0, None)) + max(ta, tb) * np.abs(n)
        self.lo = np.minimum(a, b) - extent
        self.hi = np.maximum(a, b) + extent
        return self

    def __call__(self, points: np.ndarray) -> np.ndarray:
        q = points - self.a
        s, t, w = (q @ axis for axis in self.frame)
        np.abs(t, out=t)
        ra, rb = self.radii
        beta, alpha = self.slope
        h = self.length
        # Exact distance to the tapered capsule outline: beyond the tangent
        # points a point is nearest one of the end circles, else the
        # tangent line.  One hypot serves both ends.
        k = alpha * s - beta * t
        far_end = k > alpha * h
        cap = np.hypot(s - h * far_end, t) - (ra + (rb - ra) * far_end)
        side = alpha * t + beta * s - ra
        d2 = np.where((k < 0.0) | far_end, cap, side)
        ta, tb, edge = self.thickness
        # An untapered blade (the common case) skips the clip.
        half = ta if ta == tb else ta + (tb - ta) * np.clip(s / h, 0.0, 1.0)
        dz = np.abs(w, out=w) - half
        inside = np.minimum(np.maximum(d2, dz), 0.0)
        np.maximum(d2, 0.0, out=d2)
        np.maximum(dz, 0.0, out=dz)
        return np.hypot(d2, dz, out=d2) + inside - edge
