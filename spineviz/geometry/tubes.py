"""Analytic closed solids: swept tubes and two-sided slabs.

Thin structures (nerve roots, the dural sac, ligaments, cartilage endplates)
are too thin or too long to contour on a grid cheaply and cleanly.  They are
built here directly as triangle meshes from a few numbers: a centreline and a
radius profile for a tube, two height maps over a parameter grid for a slab.
Both give closed, manifold, outward-wound surfaces by construction, are
deterministic, and come with a matching implicit field for voxel labelling.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvista as pv

from . import sdf

Profile = Callable[[np.ndarray], np.ndarray]
"""Maps arc-length fractions ``s`` in [0, 1] to values (e.g. radii in mm)."""

Section = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""Maps ``(s, theta)`` grids to cross-section offsets ``(u, v)`` in mm along
the tube's normal and binormal."""


# ---------------------------------------------------------------------------
# centrelines
# ---------------------------------------------------------------------------


def spline(points, *, n: int) -> np.ndarray:
    """``n`` points evenly spaced by arc length on a smooth curve through ``points``.

    A centripetal Catmull–Rom spline: it passes through every control point
    and, unlike a uniform one, never overshoots into loops when control
    points are unevenly spaced (a root's sharp turn under a pedicle).
    """
    p = np.asarray(points, float)
    if len(p) < 2:
        msg = "a centreline needs at least two points"
        raise ValueError(msg)
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    # All segments at once (segment, sample, coordinate): the knots per
    # segment as before, the blending broadcast over every segment.
    knots = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1 : i + 3]
        t1 = 0.0 + max(np.linalg.norm(p1 - p0), 1e-6) ** 0.5
        t2 = t1 + max(np.linalg.norm(p2 - p1), 1e-6) ** 0.5
        knots.append((0.0, t1, t2, t2 + max(np.linalg.norm(p3 - p2), 1e-6) ** 0.5))
    t0, t1, t2, t3 = (np.array(k)[:, None, None] for k in zip(*knots, strict=True))
    t = np.linspace(t1[:, 0, 0], t2[:, 0, 0], 24, endpoint=False, axis=1)[..., None]
    p0, p1, p2, p3 = (ext[k : k + len(knots), None, :] for k in range(4))
    a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
    a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
    a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
    b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
    b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
    dense = ((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2).reshape(-1, 3)
    dense = np.vstack([dense, p[-1:]])
    seg = np.linalg.norm(np.diff(dense, axis=0), axis=1)
    arc = np.r_[0.0, np.cumsum(seg)]
    target = np.linspace(0.0, arc[-1], n)
    return np.c_[[np.interp(target, arc, dense[:, k]) for k in range(3)]].T


def control_fractions(points) -> np.ndarray:
    """Arc-length fraction (0-1) at which the spline passes each control point.

    Radius profiles are written against these, e.g. a ganglion centred on
    the control point placed in the foramen.
    """
    dense = spline(points, n=2000)
    seg = np.linalg.norm(np.diff(dense, axis=0), axis=1)
    arc = np.r_[0.0, np.cumsum(seg)]
    p = np.asarray(points, float)
    idx = [int(np.argmin(np.linalg.norm(dense - q, axis=1))) for q in p]
    return arc[idx] / arc[-1]


def centreline(points, *, n_along: int, up=(0.0, 1.0, 0.0)):
    """Resampled centreline with its frames: ``(path, tangent, normal, binormal, s)``."""
    path = spline(points, n=n_along)
    tangent, normal, binormal = rotation_minimising_frames(path, up)
    return path, tangent, normal, binormal, np.linspace(0.0, 1.0, n_along)


def rotation_minimising_frames(
    path: np.ndarray, up=(0.0, 1.0, 0.0)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tangent, normal and binormal along a polyline without twist.

    The double-reflection method (Wang et al. 2008) carries the first normal
    along the curve with the least rotation, so a lobed cross-section does
    not spin around a bending tube.  ``up`` seeds the first normal.
    """
    tangent = np.gradient(path, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    up = np.asarray(up, float)
    r = up - (up @ tangent[0]) * tangent[0]
    if np.linalg.norm(r) < 1e-6:
        r = np.cross(tangent[0], [1.0, 0.0, 0.0])
    normals = [tuple(r / np.linalg.norm(r))]
    # Plain floats: numpy's per-call cost dwarfs three-component arithmetic.
    pts, tan = path.tolist(), tangent.tolist()

    def dot(a, b):
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]

    for i in range(len(pts) - 1):
        v1 = [b - a for a, b in zip(pts[i], pts[i + 1], strict=True)]
        c1 = dot(v1, v1)
        if c1 < 1e-12:
            normals.append(normals[-1])
            continue
        k = (2 / c1) * dot(v1, normals[-1])
        r_l = [r - k * v for r, v in zip(normals[-1], v1, strict=True)]
        k = (2 / c1) * dot(v1, tan[i])
        v2 = [b - (a - k * v) for a, b, v in zip(tan[i], tan[i + 1], v1, strict=True)]
        c2 = dot(v2, v2)
        if c2 >= 1e-12:
            k = (2 / c2) * dot(v2, r_l)
            r_l = [r - k * v for r, v in zip(r_l, v2, strict=True)]
        length = dot(r_l, r_l) ** 0.5
        normals.append(tuple(r / length for r in r_l))
    normals = np.array(normals)
    return tangent, normals, np.cross(tangent, normals)


# ---------------------------------------------------------------------------
# the one sweep generator
# ---------------------------------------------------------------------------


def circle_section(radius: Profile) -> Section:
    """A round cross-section whose radius follows ``radius(s)``."""

    def section(s, theta):
        r = radius(s)
        return r * np.cos(theta), r * np.sin(theta)

    return section


def profile(pairs) -> Profile:
    """A piecewise-linear profile through ``(s, value)`` pairs, ``s`` in [0, 1]."""
    pairs = np.asarray(pairs, float)

    def f(s):
        return np.interp(s, pairs[:, 0], pairs[:, 1])

    return f


def sweep(
    points,
    section: Section | Profile | float,
    *,
    n_along: int = 40,
    n_around: int = 16,
    caps: str = "round",
    up=(0.0, 1.0, 0.0),
    squash: tuple[np.ndarray, Profile] | None = None,
) -> pv.PolyData:
    """Closed tube swept along a smooth curve through ``points``.

    Parameters
    ----------
    points : (K, 3) float
        Control points of the centreline (world mm); the tube passes through
        each of them.
    section : callable or float
        Either a :data:`Section` ``(s, theta) -> (u, v)``, a radius
        :data:`Profile` ``s -> r`` or a constant radius in mm.
    n_along : int, optional
        Rings along the tube.
    n_around : int, optional
        Vertices per ring.
    caps : {"round", "flat"}, optional
        Round caps close each end with a half-dome (nerve ends), flat caps
        with a fan (a tube cut at the edge of the model).
    up : (3,) float, optional
        Direction the cross-section's ``u`` axis leans toward at the start.
    squash : (direction, factor profile), optional
        Flatten the section along a world direction by ``factor(s)`` (1 =
        round, 0.5 = half as thick), as a pressed nerve root flattens.

    Returns
    -------
    pyvista.PolyData
        Closed, manifold, outward-wound triangles.
    """
    section = _as_section(section)
    path, tangent, normal, binormal, s = centreline(points, n_along=n_along, up=up)
    theta = np.linspace(0.0, 2 * np.pi, n_around, endpoint=False)
    u, v = section(s[:, None] + 0 * theta, theta[None, :] + 0 * s[:, None])
    offsets = u[..., None] * normal[:, None, :] + v[..., None] * binormal[:, None, :]
    if squash is not None:
        direction = np.asarray(squash[0], float)
        d = direction - np.einsum("ij,j->i", tangent, direction)[:, None] * tangent
        d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
        along = np.einsum("ijk,ik->ij", offsets, d)
        offsets = offsets - ((1 - squash[1](s))[:, None] * along)[..., None] * d[:, None, :]
        u = np.einsum("ijk,ik->ij", offsets, normal)
        v = np.einsum("ijk,ik->ij", offsets, binormal)
    rings = path[:, None, :] + offsets
    rings, tips = _with_caps(rings, path, tangent, u, v, normal, binormal, caps)
    return _closed_tube(rings, tips)


def _as_section(section) -> Section:
    if callable(section):
        try:
            out = section(np.zeros((1, 1)), np.zeros((1, 1)))
        except TypeError:
            return circle_section(section)
        if isinstance(out, tuple):
            return section
        return circle_section(section)
    r = float(section)
    return circle_section(lambda s: np.full_like(s, r))


def _with_caps(rings, path, tangent, u, v, normal, binormal, caps):
    if caps == "flat":
        return rings, (path[0], path[-1])
    if caps != "round":
        msg = f"caps: {caps!r} is not allowed; choose round or flat"
        raise ValueError(msg)
    n_cap = 4
    phi = np.linspace(0, np.pi / 2, n_cap + 1)[1:-1]
    r0 = np.sqrt(u[0] ** 2 + v[0] ** 2).mean()
    r1 = np.sqrt(u[-1] ** 2 + v[-1] ** 2).mean()

    def dome(i, direction, radius):
        out = []
        for a in phi:
            centre = path[i] + direction * tangent[i] * radius * np.sin(a)
            out.append(centre + np.cos(a) * (u[i][:, None] * normal[i] + v[i][:, None] * binormal[i]))
        return out, path[i] + direction * tangent[i] * radius

    start, tip0 = dome(0, -1.0, r0)
    end, tip1 = dome(-1, 1.0, r1)
    rings = np.concatenate([np.array(start[::-1]), rings, np.array(end)])
    return rings, (tip0, tip1)


def _closed_tube(rings: np.ndarray, tips) -> pv.PolyData:
    """Triangles of stacked rings ``(n_rings, n_around, 3)`` closed by two tip fans."""
    n_r, n_a, _ = rings.shape
    pts = np.vstack([rings.reshape(-1, 3), tips[0], tips[1]])
    idx = np.arange(n_r * n_a).reshape(n_r, n_a)
    a = idx[:-1]
    b = np.roll(idx[:-1], -1, axis=1)
    c = idx[1:]
    d = np.roll(idx[1:], -1, axis=1)
    tri = [np.c_[a.ravel(), b.ravel(), d.ravel()], np.c_[a.ravel(), d.ravel(), c.ravel()]]
    t0, t1 = n_r * n_a, n_r * n_a + 1
    first, last = idx[0], idx[-1]
    tri.append(np.c_[np.full(n_a, t0), np.roll(first, -1), first])
    tri.append(np.c_[np.full(n_a, t1), last, np.roll(last, -1)])
    return _oriented(pts, np.vstack(tri))


def _oriented(pts: np.ndarray, tri: np.ndarray) -> pv.PolyData:
    faces = np.c_[np.full(len(tri), 3), tri].ravel()
    mesh = pv.PolyData(pts, faces)
    p = pts[tri]
    vol = np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2])).sum()
    # The winding follows from the frame's handedness, which a caller's
    # section may mirror; one global check fixes every face at once.
    return mesh if vol > 0 else mesh.flip_faces()


# ---------------------------------------------------------------------------
# many thin tubes at once
# ---------------------------------------------------------------------------


def sweep_many(
    lines, radius: float, *, n_along: int = 40, n_around: int = 16, up=(0.0, 1.0, 0.0)
) -> pv.PolyData:
    """Many round tubes of one constant radius as one closed mesh.

    The same tubes as :func:`sweep` with round caps gives, one per
    centreline in ``lines`` (to rounding), but swept all together: the
    splines, frames, rings and triangles of every tube are numpy arrays
    with the tube as their first axis, so fifty nerve fibres cost about what
    one :func:`sweep` does.

    Parameters
    ----------
    lines : sequence of (K, 3) float
        Control points of each centreline (world mm); tubes with different
        ``K`` are swept in groups.
    radius : float
        Radius of every tube in mm.
    n_along, n_around, up
        As for :func:`sweep`.

    Returns
    -------
    pyvista.PolyData
        Closed, manifold, outward-wound triangles, one body per tube (empty
        when ``lines`` is).
    """
    lines = [np.asarray(p, float) for p in lines]
    if not lines:
        return pv.PolyData()
    order = sorted(range(len(lines)), key=lambda i: (len(lines[i]), i))
    rings = np.empty((len(lines), n_along + 6, n_around, 3))
    tips = np.empty((len(lines), 2, 3))
    start = 0
    while start < len(order):
        k = len(lines[order[start]])
        group = [i for i in order[start:] if len(lines[i]) == k]
        rings[group], tips[group] = _round_tubes(
            np.stack([lines[i] for i in group]), radius, n_along, n_around, up
        )
        start += len(group)
    return _closed_tubes(rings, tips)


def _splines(p: np.ndarray, n: int) -> np.ndarray:
    """:func:`spline` of ``T`` control polygons ``(T, K, 3)`` at once: ``(T, n, 3)``."""
    if p.shape[1] < 2:
        msg = "a centreline needs at least two points"
        raise ValueError(msg)
    ext = np.concatenate([2 * p[:, :1] - p[:, 1:2], p, 2 * p[:, -1:] - p[:, -2:-1]], axis=1)
    step = np.maximum(np.linalg.norm(np.diff(ext, axis=1), axis=2), 1e-6) ** 0.5
    n_seg = p.shape[1] - 1
    # Knots of each segment (tube, segment, sample, coordinate), as in spline().
    t1 = step[:, :n_seg, None, None]
    t2 = t1 + step[:, 1 : n_seg + 1, None, None]
    t3 = t2 + step[:, 2 : n_seg + 2, None, None]
    t0 = 0.0
    t = t1 + (t2 - t1) * (np.arange(24) / 24)[None, None, :, None]
    p0, p1, p2, p3 = (ext[:, k : k + n_seg, None, :] for k in range(4))
    a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
    a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
    a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
    b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
    b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
    dense = ((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2).reshape(len(p), -1, 3)
    dense = np.concatenate([dense, p[:, -1:]], axis=1)
    arc = np.concatenate(
        [np.zeros((len(p), 1)), np.cumsum(np.linalg.norm(np.diff(dense, axis=1), axis=2), axis=1)], axis=1
    )
    target = arc[:, -1:] * np.linspace(0.0, 1.0, n)[None, :]
    # np.interp row by row: the dense sample at or before each target.
    j = np.clip((arc[:, None, :] <= target[:, :, None]).sum(axis=2) - 1, 0, arc.shape[1] - 2)
    rows = np.arange(len(p))[:, None]
    a, b = arc[rows, j], arc[rows, j + 1]
    w = np.clip((target - a) / np.maximum(b - a, 1e-300), 0.0, 1.0)[..., None]
    return dense[rows, j] * (1 - w) + dense[rows, j + 1] * w


def _round_tubes(p: np.ndarray, radius: float, n_along: int, n_around: int, up):
    """Rings ``(T, n_along + 6, n_around, 3)`` and tips ``(T, 2, 3)`` of round-capped tubes."""
    path = _splines(p, n_along)
    tangent = np.gradient(path, axis=1)
    tangent /= np.linalg.norm(tangent, axis=2, keepdims=True)
    up = np.asarray(up, float)
    r = up - (tangent[:, 0] @ up)[:, None] * tangent[:, 0]
    flat = np.linalg.norm(r, axis=1) < 1e-6
    r[flat] = np.cross(tangent[flat, 0], [1.0, 0.0, 0.0])
    normal = np.empty_like(path)
    normal[:, 0] = r / np.linalg.norm(r, axis=1, keepdims=True)
    # Double reflection (rotation_minimising_frames), every tube per step.
    for i in range(n_along - 1):
        v1 = path[:, i + 1] - path[:, i]
        c1 = np.einsum("ij,ij->i", v1, v1)
        ok1 = c1 >= 1e-12
        c1 = np.where(ok1, c1, 1.0)[:, None]
        r_l = normal[:, i] - (2 / c1) * np.einsum("ij,ij->i", v1, normal[:, i])[:, None] * v1
        t_l = tangent[:, i] - (2 / c1) * np.einsum("ij,ij->i", v1, tangent[:, i])[:, None] * v1
        v2 = tangent[:, i + 1] - t_l
        c2 = np.einsum("ij,ij->i", v2, v2)
        ok2 = (c2 >= 1e-12)[:, None]
        c2 = np.where(c2 >= 1e-12, c2, 1.0)[:, None]
        r_l = np.where(ok2, r_l - (2 / c2) * np.einsum("ij,ij->i", v2, r_l)[:, None] * v2, r_l)
        r_l /= np.linalg.norm(r_l, axis=1, keepdims=True)
        normal[:, i + 1] = np.where(ok1[:, None], r_l, normal[:, i])
    binormal = np.cross(tangent, normal)
    theta = np.linspace(0.0, 2 * np.pi, n_around, endpoint=False)
    ring = radius * (
        np.cos(theta)[None, None, :, None] * normal[:, :, None]
        + np.sin(theta)[None, None, :, None] * binormal[:, :, None]
    )
    # Half-dome caps of three rings and a tip at each end, as _with_caps.
    phi = np.linspace(0, np.pi / 2, 5)[1:-1]
    lift = radius * np.sin(phi)[None, :, None, None]
    shrink = np.cos(phi)[None, :, None, None]
    start = path[:, None, None, 0] - lift * tangent[:, None, None, 0] + shrink * ring[:, None, 0]
    end = path[:, None, None, -1] + lift * tangent[:, None, None, -1] + shrink * ring[:, None, -1]
    rings = np.concatenate([start[:, ::-1], path[:, :, None] + ring, end], axis=1)
    tips = np.stack([path[:, 0] - radius * tangent[:, 0], path[:, -1] + radius * tangent[:, -1]], axis=1)
    return rings, tips


def _closed_tubes(rings: np.ndarray, tips: np.ndarray) -> pv.PolyData:
    """:func:`_closed_tube` for ``T`` tubes of the same ring counts, as one mesh."""
    n_t, n_r, n_a, _ = rings.shape
    per = n_r * n_a + 2
    idx = np.arange(n_r * n_a).reshape(n_r, n_a)
    a, b = idx[:-1], np.roll(idx[:-1], -1, axis=1)
    c, d = idx[1:], np.roll(idx[1:], -1, axis=1)
    t0, t1 = n_r * n_a, n_r * n_a + 1
    first, last = idx[0], idx[-1]
    tri = np.vstack(
        [
            np.c_[a.ravel(), b.ravel(), d.ravel()],
            np.c_[a.ravel(), d.ravel(), c.ravel()],
            np.c_[np.full(n_a, t0), np.roll(first, -1), first],
            np.c_[np.full(n_a, t1), last, np.roll(last, -1)],
        ]
    )
    pts = np.concatenate([rings.reshape(n_t, -1, 3), tips], axis=1)
    q = pts[:, tri]  # (tube, triangle, corner, coordinate)
    vol = np.einsum("tij,tij->t", q[:, :, 0], np.cross(q[:, :, 1], q[:, :, 2]))
    # The winding follows each tube's frame handedness: flip the tubes it turns inside out.
    tris = (
        np.where((vol > 0)[:, None, None], tri[None], tri[None, :, ::-1])
        + (np.arange(n_t) * per)[:, None, None]
    )
    return pv.PolyData.from_regular_faces(pts.reshape(-1, 3), tris.reshape(-1, 3))


# ---------------------------------------------------------------------------
# slabs
# ---------------------------------------------------------------------------


def grid_slab(bottom: np.ndarray, top: np.ndarray) -> pv.PolyData:
    """Closed solid between two surfaces sampled on the same ``(nu, nv)`` grid.

    ``bottom[i, j]`` and ``top[i, j]`` are 3-D points; the four grid edges
    are joined by side walls, so the solid has the topology of a box however
    the grid is bent (a cartilage disc, a ligament band).
    """
    bottom = np.asarray(bottom, float)
    top = np.asarray(top, float)
    nu, nv, _ = bottom.shape
    idx_b = np.arange(nu * nv).reshape(nu, nv)
    idx_t = idx_b + nu * nv
    pts = np.vstack([bottom.reshape(-1, 3), top.reshape(-1, 3)])

    def quads(g):
        a, b, c, d = g[:-1, :-1], g[1:, :-1], g[1:, 1:], g[:-1, 1:]
        return np.vstack([np.c_[a.ravel(), b.ravel(), c.ravel()], np.c_[a.ravel(), c.ravel(), d.ravel()]])

    ring_b = np.r_[idx_b[:, 0], idx_b[-1, 1:], idx_b[-2::-1, -1], idx_b[0, -2:0:-1]]
    ring_t = np.r_[idx_t[:, 0], idx_t[-1, 1:], idx_t[-2::-1, -1], idx_t[0, -2:0:-1]]
    side = np.vstack(
        [
            np.c_[ring_b, np.roll(ring_b, -1), np.roll(ring_t, -1)],
            np.c_[ring_b, np.roll(ring_t, -1), ring_t],
        ]
    )
    tri = np.vstack([quads(idx_b)[:, ::-1], quads(idx_t), side])
    return _oriented(pts, tri)


def disk_grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """An ``(n, n)`` grid covering the unit disk without a degenerate centre.

    The square is squeezed onto the disk (Fong's elliptical grid mapping):
    every cell stays a decent quadrilateral, so a slab over a disk-like
    outline (a cartilage endplate) needs no pole.  Returns ``(rho, phi)``:
    radius fraction and angle of each node.
    """
    u, v = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n), indexing="ij")
    x = u * np.sqrt(1 - v**2 / 2)
    y = v * np.sqrt(1 - u**2 / 2)
    return np.hypot(x, y), np.arctan2(y, x)


# ---------------------------------------------------------------------------
# fields of swept solids
# ---------------------------------------------------------------------------


def tube_field(path: np.ndarray, radii, *, flatten: np.ndarray | None = None, normals=None) -> sdf.Field:
    """Implicit field of a tube along a polyline with per-point radii.

    ``flatten`` (per point, <= 1) and ``normals`` (per point unit vectors)
    squash the section along the normal into an oval, as for the dural sac;
    the result is a distance bound, exact for round sections.
    """
    path = np.asarray(path, float)
    radii = np.broadcast_to(np.asarray(radii, float), (len(path),)).copy()
    if flatten is None:
        return lambda p: sdf.polyline_tube(p, path, radii)
    flatten = np.broadcast_to(np.asarray(flatten, float), (len(path),))
    normals = np.asarray(normals, float)

    def field(p):
        d = np.full(len(p), np.inf)
        for i in range(len(path) - 1):
            a, b = path[i], path[i + 1]
            ab = b - a
            t = np.clip(((p - a) @ ab) / (ab @ ab), 0.0, 1.0)
            q = p - (a + t[:, None] * ab)
            n = normals[i] * (1 - t[:, None]) + normals[i + 1] * t[:, None]
            f = flatten[i] * (1 - t) + flatten[i + 1] * t
            r = radii[i] * (1 - t) + radii[i + 1] * t
            along = np.einsum("ij,ij->i", q, n)
            across = q - along[:, None] * n
            rho = np.sqrt((along / f) ** 2 + np.einsum("ij,ij->i", across, across))
            d = np.minimum(d, (rho - r) * f)
        return d

    return field


def nearest_section(path: np.ndarray, normal: np.ndarray, binormal: np.ndarray, points: np.ndarray):
    """Which cross-section of a swept centreline each point lies in, and where.

    The section planes of a sweep stand square to the tangent at each
    centreline point; between two points the tangent is interpolated, so
    the planes sweep through space without gaps or jumps (within the
    centreline's radius of curvature).  Each point is given the section
    plane through it: unlike the nearest point of the polyline, that
    varies smoothly on the inside of a bend, so a field built on it has no
    creases.  The segment is sought beside the point's nearest vertex.

    Returns
    -------
    s : (N,) float
        Arc fraction (0-1, by point index) of the section.
    u, v : (N,) float
        Offsets along the section's normal and binormal, mm.
    """
    path = np.asarray(path, float)
    normal = np.asarray(normal, float)
    binormal = np.asarray(binormal, float)
    tangent = np.cross(normal, binormal)
    p = np.asarray(points, float)
    last = len(path) - 1
    j = _nearest_vertex(p, path)
    seg = np.minimum(j, last - 1)
    t = np.zeros(len(p))
    found = np.zeros(len(p), bool)
    for i in (np.maximum(j - 1, 0), np.minimum(j, last - 1)):
        a, d = path[i], path[i + 1] - path[i]
        ti, e = tangent[i], tangent[i + 1] - tangent[i]
        pa = p - a
        # (p - a - t d) . (T_i + t e) = 0: a quadratic in t, nearly linear.
        qa = -np.einsum("ij,ij->i", d, e)
        qb = np.einsum("ij,ij->i", pa, e) - np.einsum("ij,ij->i", d, ti)
        qc = np.einsum("ij,ij->i", pa, ti)
        f1 = np.einsum("ij,ij->i", pa - d, tangent[i + 1])
        inside = (qc >= 0) & (f1 <= 0) & ~found
        root = np.sqrt(np.maximum(qb * qb - 4 * qa * qc, 0.0))
        denom = qb + np.where(qb >= 0, root, -root)
        with np.errstate(divide="ignore", invalid="ignore"):
            tt = np.where(np.abs(denom) > 1e-12, -2 * qc / denom, 0.0)
        seg = np.where(inside, i, seg)
        t = np.where(inside, np.clip(tt, 0.0, 1.0), t)
        found |= inside
    # Beyond the ends (or far outside a bend): the end section, or the nearest vertex.
    before = ~found & (j == 0)
    after = ~found & (j == last)
    seg = np.where(before, 0, np.where(after, last - 1, seg))
    t = np.where(before, 0.0, np.where(after, 1.0, np.where(found, t, (j - seg).astype(float))))
    tc = t[:, None]
    q = p - (path[seg] * (1 - tc) + path[seg + 1] * tc)
    u = np.einsum("ij,ij->i", q, normal[seg] * (1 - tc) + normal[seg + 1] * tc)
    v = np.einsum("ij,ij->i", q, binormal[seg] * (1 - tc) + binormal[seg + 1] * tc)
    return (seg + t) / last, u, v


PRODUCT_ROWS = 2048
"""Points per matrix product in :func:`_nearest_vertex`.  OpenBLAS hands a
product of more rows than about this (times 3 by the path's length) to all
its threads, whose start-up and spinning cost up to twenty times the CPU
time of the product itself on a small, busy machine; below it one thread
does the work."""


def _nearest_vertex(p: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Index of the vertex of ``path`` nearest to each point."""
    j = np.empty(len(p), int)
    path_t = np.ascontiguousarray(path.T)
    path2 = (path * path).sum(axis=1)[None, :]
    for start in range(0, len(p), PRODUCT_ROWS):
        q = p[start : start + PRODUCT_ROWS]
        # Squared distances to every vertex through one matrix product.
        d2 = (q * q).sum(axis=1)[:, None] - 2.0 * q @ path_t + path2
        j[start : start + len(q)] = np.argmin(d2, axis=1)
    return j


def ellipse_distance(u: np.ndarray, v: np.ndarray, ru, rv) -> np.ndarray:
    """Signed distance to the ellipse ``(u/ru)^2 + (v/rv)^2 = 1`` (negative inside).

    The nearest point of the outline is found by a few fixed-point steps on
    its parameter (the evolute construction of Bhatia/"0xfaded", converging in
    three steps for the moderate aspect ratios used here), so the value is a
    true distance and the field's slope stays 1.
    """
    a = np.broadcast_to(np.asarray(ru, float), np.shape(u))
    b = np.broadcast_to(np.asarray(rv, float), np.shape(u))
    px, py = np.abs(u), np.abs(v)
    tx = np.full(np.shape(u), np.sqrt(0.5))
    ty = tx.copy()
    for _ in range(3):
        ex = (a * a - b * b) * tx**3 / a
        ey = (b * b - a * a) * ty**3 / b
        rx, ry = a * tx - ex, b * ty - ey
        qx, qy = px - ex, py - ey
        ratio = np.hypot(rx, ry) / np.maximum(np.hypot(qx, qy), 1e-12)
        tx = np.clip((qx * ratio + ex) / a, 0.0, 1.0)
        ty = np.clip((qy * ratio + ey) / b, 0.0, 1.0)
        norm = np.maximum(np.hypot(tx, ty), 1e-12)
        tx, ty = tx / norm, ty / norm
    gap = np.hypot(px - a * tx, py - b * ty)
    return np.where((px / a) ** 2 + (py / b) ** 2 < 1.0, -gap, gap)


def oval_tube_field(path, normal, binormal, ru, rv) -> sdf.Field:
    """Signed field of a tube with elliptical sections, capped flat at both ends.

    Semi-axes ``ru`` run along ``normal`` and ``rv`` along ``binormal``, one
    value per centreline point, as in a :func:`sweep` of the same
    centreline.  Negative inside, close to the distance near the surface, a
    distance bound farther out.
    """
    path = np.asarray(path, float)
    ru = np.asarray(ru, float)
    rv = np.asarray(rv, float)
    grid = np.linspace(0.0, 1.0, len(path))
    t0 = (path[1] - path[0]) / np.linalg.norm(path[1] - path[0])
    t1 = (path[-1] - path[-2]) / np.linalg.norm(path[-1] - path[-2])

    def field(p):
        p = np.asarray(p, float)
        s, u, v = nearest_section(path, normal, binormal, p)
        d = ellipse_distance(u, v, np.interp(s, grid, ru), np.interp(s, grid, rv))
        return np.maximum(d, np.maximum((path[0] - p) @ t0, (p - path[-1]) @ t1))

    return field
