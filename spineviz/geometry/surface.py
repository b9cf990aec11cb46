"""Turning implicit solids into closed triangle meshes, and checking them."""

from __future__ import annotations

import itertools

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkFiltersCore import vtkFlyingEdges3D

from .sdf import Field


def contour(
    field: Field,
    bounds,
    *,
    spacing,
    smooth_iterations: int = 12,
) -> pv.PolyData:
    """Closed, outward-facing triangle surface of the solid ``field < 0``.

    Parameters
    ----------
    field : callable
        Signed distance function, ``(N, 3) -> (N,)``, negative inside.
    bounds : (6,) float
        ``(xmin, xmax, ymin, ymax, zmin, zmax)`` in mm that contain the solid.
        The grid is padded so the surface never touches its edge, which is
        what makes the result closed.
    spacing : float or (3,) float
        Grid spacing in mm; the triangle size follows it.  Three values give
        an anisotropic grid (thin, nearly flat solids such as the bony
        endplates need a fine step across only).
    smooth_iterations : int, optional
        Windowed-sinc smoothing passes that remove the grid's faint
        terracing without shrinking the solid; 0 switches it off.

    Returns
    -------
    pyvista.PolyData
        Triangles with positive signed volume and no folded edge
        (:func:`repair_folds`).  Empty if the solid is empty.
    """
    spacing = np.broadcast_to(np.asarray(spacing, float), (3,))
    lo = np.asarray(bounds[0::2], float) - 2 * spacing
    hi = np.asarray(bounds[1::2], float) + 2 * spacing
    # Only the solid's own surface is contoured, so the narrowest band serves.
    vol = sample(field, lo, hi, spacing, surfaces=_own_surface)
    return contour_volume(vol, lo, spacing, smooth_iterations=smooth_iterations, field=field)


def _own_surface(values, _origin, _spacing):
    return [values]


def grid_points(vol_shape, origin, spacing) -> np.ndarray:
    """The ``(N, 3)`` points of a ``[k, j, i]`` volume, x fastest (VTK order)."""
    nz, ny, nx = vol_shape
    s = np.broadcast_to(np.asarray(spacing, float), (3,))
    o = np.asarray(origin, float)
    z, y, x = np.meshgrid(
        o[2] + np.arange(nz) * s[2], o[1] + np.arange(ny) * s[1], o[0] + np.arange(nx) * s[0], indexing="ij"
    )
    return np.c_[x.ravel(), y.ravel(), z.ravel()]


def contour_volume(
    vol: np.ndarray, origin, spacing, *, smooth_iterations: int = 12, field: Field | None = None
) -> pv.PolyData:
    """Closed outward surface of ``vol < 0`` for a sampled ``[k, j, i]`` volume.

    The outermost layer is forced outside so the surface closes inside the
    grid; ``vol`` itself is not modified.  Folded edges are opened
    (:func:`repair_folds`); with ``field``, the field ``vol`` samples, the
    vertices that opening moves are put back on its zero level.
    """
    surf = raw_surface(vol, origin, spacing)
    if surf.n_cells == 0:
        return surf
    if smooth_iterations:
        surf = taubin(surf, n_iter=smooth_iterations, pass_band=0.1)
    pts = np.asarray(surf.points, float).copy()
    tri = triangles(surf)
    if repair_folds(pts, tri, project=None if field is None else _onto(field)).size:
        surf.points = pts
    if _signed_volume(pts, tri) < 0:
        surf = surf.flip_faces()
    return surf


def gradient(field: Field, points: np.ndarray, *, step: float = 0.05, value: bool = False):
    """Central-difference gradient of ``field`` at ``points``, ``(N, 3)``.

    The six offset copies of the points go to the field in one call: the
    composite fields cost far more per call than per point.  With ``value``
    the field's values at the points come from the same call, as
    ``(values, gradient)``.
    """
    points = np.asarray(points, float)
    offsets = np.concatenate([np.eye(3), -np.eye(3)]) * step
    stacked = (points[None] + offsets[:, None]).reshape(-1, 3)
    if value:
        stacked = np.concatenate([stacked, points])
    n = len(points)
    d = field(stacked)
    grad = ((d[: 3 * n] - d[3 * n : 6 * n]) / (2 * step)).reshape(3, n).T
    return (d[6 * n :], grad) if value else grad


def raw_surface(vol: np.ndarray, origin, spacing) -> pv.PolyData:
    """Unsmoothed closed triangles of ``vol < 0`` for a sampled ``[k, j, i]`` volume.

    The outermost layer is forced outside so the surface closes inside the
    grid; ``vol`` itself is not modified.
    """
    spacing = np.broadcast_to(np.asarray(spacing, float), (3,))
    vol = np.array(vol, dtype=np.float32, copy=True)
    pad = float(spacing.min())
    for axis in range(3):
        sl = [slice(None)] * 3
        sl[axis] = [0, -1]
        vol[tuple(sl)] = np.maximum(vol[tuple(sl)], pad)
    # A grid value of exactly zero would put the vertices of several edges on
    # one grid point (coincident points, degenerate triangles).  Nudged just
    # outside (the side flying edges counts zero on anyway), every vertex is
    # distinct, so the merged triangle mesh needs no cleaning pass.
    vol[vol == 0.0] = 1e-3 * pad
    return _flying_edges(vol, origin, spacing)


def taubin(surf: pv.PolyData, *, n_iter: int, pass_band: float) -> pv.PolyData:
    """Windowed-sinc smoothing of a closed contour: every vertex moves, none is pinned as a feature."""
    return surf.smooth_taubin(
        n_iter=n_iter,
        pass_band=pass_band,
        boundary_smoothing=False,
        feature_smoothing=False,
        non_manifold_smoothing=False,
        normalize_coordinates=True,
    )


def _flying_edges(vol: np.ndarray, origin, spacing) -> pv.PolyData:
    """Triangles of the zero level of a ``[k, j, i]`` float32 volume, no point data.

    VTK's filter is driven directly: pyvista's wrapper costs about as much
    as the contouring itself on the small grids of the parts.
    """
    image = vtkImageData()
    image.SetDimensions(*(int(n) for n in vol.shape[::-1]))
    image.SetSpacing(*(float(s) for s in spacing))
    image.SetOrigin(*(float(o) for o in origin))
    values = numpy_to_vtk(vol.ravel(), deep=False)
    values.SetName("d")
    image.GetPointData().SetScalars(values)
    edges = vtkFlyingEdges3D()
    edges.SetInputData(image)
    edges.SetValue(0, 0.0)
    edges.ComputeNormalsOff()
    edges.ComputeGradientsOff()
    edges.ComputeScalarsOff()
    edges.Update()
    return pv.wrap(edges.GetOutput())


def _onto(field: Field, h: float = 0.05):
    """Two Newton steps onto the zero level of ``field``, for :func:`repair_folds`."""

    def project(p: np.ndarray, _moved: np.ndarray) -> np.ndarray:
        for _ in range(2):
            d, grad = gradient(field, p, step=h, value=True)
            g2 = np.maximum(np.einsum("ij,ij->i", grad, grad), 1e-6)
            p = p - (d / g2)[:, None] * grad
        return p

    return project


# ---------------------------------------------------------------------------
# folded triangles
# ---------------------------------------------------------------------------

FOLD_DOT = -0.5
"""Two triangles sharing an edge whose unit normals' dot product is below
this are folded over each other (more than 120 degrees apart): no smooth
part has such an edge, and a fold turns the mesh inside out locally, so a
point beside it is taken as inside by mesh-based distance and shading shows
a dark seam."""


def edge_faces(tri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two triangles beside each interior edge (consecutive uses of one undirected edge)."""
    n = int(tri.max(initial=0)) + 1
    # One integer per undirected edge sorts much faster than row-wise pairs,
    # 32-bit ones faster still.  Which of an edge's two triangles comes first
    # is left to the sort: every use of the pairs is symmetric.
    dtype = np.int32 if n * n < 2**31 else np.int64
    a = np.concatenate([tri[:, 0], tri[:, 1], tri[:, 2]]).astype(dtype)
    b = np.concatenate([tri[:, 1], tri[:, 2], tri[:, 0]]).astype(dtype)
    key = np.minimum(a, b) * dtype(n) + np.maximum(a, b)
    order = np.argsort(key)
    f = np.tile(np.arange(len(tri)), 3)[order]
    key = key[order]
    same = key[1:] == key[:-1]
    return f[:-1][same], f[1:][same]


def _unit_normals(pts: np.ndarray, tri: np.ndarray) -> np.ndarray:
    # Coordinate by coordinate: several times faster than np.cross on rows.
    x, y, z = np.asarray(pts, float).T
    i, j, k = tri.T
    ax, ay, az = x[j] - x[i], y[j] - y[i], z[j] - z[i]
    bx, by, bz = x[k] - x[i], y[k] - y[i], z[k] - z[i]
    n = np.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis=1)
    return n / np.maximum(np.sqrt(np.einsum("ij,ij->i", n, n)), 1e-300)[:, None]


def folded_edges(mesh: pv.PolyData) -> int:
    """How many edges of a triangle mesh are folded (:data:`FOLD_DOT`)."""
    tri = triangles(mesh)
    return _n_folded(np.asarray(mesh.points, float), tri, edge_faces(tri))


def repair_folds(pts: np.ndarray, tri: np.ndarray, *, project=None, passes: int = 4) -> np.ndarray:
    """Open folded edges of the triangles ``tri`` over ``pts`` in place; returns the vertices moved.

    Folds come from slivers and creases: contouring leaves tiny triangles
    where a surface passes next to a grid point, and smoothing or snapping
    moves their corners independently by more than their size; where a
    solid ends in a thin edge (a wedge sharper than the grid resolves, a
    crease carved by a cut) the two sides' triangles meet back to back.
    Each round moves the corners of folded triangles to the mean of their
    neighbours, which opens a fold within a few rounds.

    Parameters
    ----------
    pts : (N, 3) float ndarray
        Vertices, modified in place.
    tri : (M, 3) int ndarray
        Triangles.
    project : callable, optional
        ``(points, indices) -> points``: the ``(K, 3)`` vertices at
        ``indices`` moved back onto the solid's surface.
        The vertices opening moved are projected, and the folds that
        projection brings back opened again, ``passes`` times at most;
        the few vertices the last opening moves stay a fraction of a
        millimetre off the surface.
    """
    pairs = edge_faces(tri)
    # Most meshes have no fold: one normal pass over the edges decides.
    before = _n_folded(pts, tri, pairs)
    if before == 0:
        return np.zeros(0, int)
    original = pts.copy()
    moved = _unfold(pts, tri, pairs)
    touched = [moved]
    for _ in range(passes if project is not None else 0):
        if moved.size == 0:
            break
        pts[moved] = project(pts[moved], moved)
        moved = _unfold(pts, tri, pairs)
        touched.append(moved)
    touched = np.unique(np.concatenate(touched))
    if _n_folded(pts, tri, pairs) >= before:
        # A fold relaxing cannot open (a pinched tunnel or slit narrower than
        # the grid) would only drag the patch around it off the surface.
        pts[touched] = original[touched]
        return np.zeros(0, int)
    return touched


def _n_folded(pts: np.ndarray, tri: np.ndarray, pairs) -> int:
    n = _unit_normals(pts, tri)
    return int(np.count_nonzero(np.einsum("ij,ij->i", n[pairs[0]], n[pairs[1]]) < FOLD_DOT))


def _unfold(pts: np.ndarray, tri: np.ndarray, pairs, *, rounds: int = 30, max_rings: int = 3) -> np.ndarray:
    """Relax the corners of folded triangles in place until none is left; returns the vertices moved.

    A fold that the corners alone cannot open (a pinch where two sheets of
    a slit or thin edge meet, whose neighbours' means are folded too) stops
    the count from falling; the relaxed patch then grows by a ring of
    neighbours, ``max_rings`` times at most.
    """
    fa, fb = pairs
    start = tri.ravel()
    end = tri[:, [1, 2, 0]].ravel()
    degree = np.maximum(np.bincount(start, minlength=len(pts)), 1)
    region = np.zeros(len(pts), bool)
    last = None
    rings = 0
    for _ in range(rounds):
        n = _unit_normals(pts, tri)
        bad = np.einsum("ij,ij->i", n[fa], n[fb]) < FOLD_DOT
        count = int(np.count_nonzero(bad))
        if count == 0:
            break
        region[tri[fa[bad]].ravel()] = True
        region[tri[fb[bad]].ravel()] = True
        if last is not None and count >= last and rings < max_rings:
            region[end[region[start]]] = True
            rings += 1
        last = count
        v = np.flatnonzero(region)
        mean = np.stack([np.bincount(start, pts[end, k], len(pts)) for k in range(3)], axis=1)
        pts[v] = mean[v] / degree[v, None]
    return np.flatnonzero(region)


BLOCK = 2
"""Fine grid points per coarse cell edge in :func:`sample`."""

LIPSCHITZ = 1.2
"""Safety factor on how fast a field may change per mm of distance."""


def sample(field: Field, lo, hi, spacing, *, surfaces=None) -> np.ndarray:
    """Values of ``field`` on a regular grid, exact only near the surface.

    A coarse pass (every ``BLOCK``-th point) finds the cells that can hold
    the surface; only their points are evaluated exactly.  Elsewhere the
    coarse value stands in: a distance bound that is larger than the cell
    cannot change sign inside it, so the contour is the same as from a full
    evaluation, at a fraction of the cost.

    Parameters
    ----------
    field : callable
        Signed distance bound, ``(N, 3) -> (N,)``, changing by at most
        :data:`LIPSCHITZ` mm per mm.
    lo, hi : (3,) float
        Corners of the grid.
    spacing : float or (3,) float
        Grid step.
    surfaces : callable, optional
        ``(values, origin, spacing) -> list of arrays``: the solids whose
        surfaces the caller will contour from the sample, given the field's
        values on a (coarser) grid as a ``[k, j, i]`` volume, its first
        point and its step; each array must broadcast to ``values``
        (typically the field cut by cheap analytic fields, each changing by
        at most :data:`LIPSCHITZ` mm per mm).  Values are then exact only in
        the cells where one of them can have its surface, the narrowest band
        that keeps those contours right.  Without it, every cell with a
        corner near the field's own surface is exact: a wider band that
        suits callers that combine the volume with other fields afterwards.

    Returns
    -------
    (nz, ny, nx) float32 ndarray
        Indexed ``[k, j, i]`` like VTK's image points (x fastest).
    """
    lo = np.asarray(lo, float)
    spacing = np.broadcast_to(np.asarray(spacing, float), (3,))
    if surfaces is None:
        n_cells = np.maximum(np.ceil((np.asarray(hi, float) - lo) / (spacing * BLOCK)).astype(int), 1)
        return _sample(field, lo, n_cells * BLOCK, spacing, None, 1)
    # The coarse pass is itself sampled near the surfaces only, over a few
    # levels, so far from the surfaces just every 2**LEVELS-th point is evaluated.
    # The grid grows to whole coarsest cells and is cropped back afterwards:
    # the same points as without ``surfaces``.
    unit = BLOCK**LEVELS
    n_coarsest = np.maximum(np.ceil((np.asarray(hi, float) - lo) / (spacing * unit)).astype(int), 1)
    n_cells = np.maximum(np.ceil((np.asarray(hi, float) - lo) / (spacing * BLOCK)).astype(int), 1)
    values = _sample(field, lo, n_coarsest * unit, spacing, surfaces, LEVELS)
    nz, ny, nx = n_cells[::-1] * BLOCK + 1
    return np.ascontiguousarray(values[:nz, :ny, :nx])


LEVELS = 3
"""Grid levels of :func:`sample` when the surfaces are named (steps of 1, 2, 4 and 8 spacings)."""


def _sample(field: Field, lo: np.ndarray, n_fine: np.ndarray, spacing: np.ndarray, surfaces, levels: int):
    """:func:`sample` on ``n_fine + 1`` points per axis (``n_fine`` divisible by ``BLOCK**levels``)."""
    return _sample_levels(field, lo, n_fine, spacing, surfaces, levels, finest=True)[0]


def _sample_levels(field: Field, lo, n_fine, spacing, surfaces, levels: int, *, finest: bool = False):
    """:func:`_sample` and which of its points hold exact values (the others only their sign)."""
    n_cells = n_fine // BLOCK
    step = spacing * BLOCK
    coarse_shape = tuple(n_cells[::-1] + 1)
    if levels > 1:
        coarse, exact = _sample_levels(field, lo, n_cells, step, surfaces, levels - 1)
    else:
        coarse = field(grid_points(coarse_shape, lo, step)).reshape(coarse_shape).astype(np.float32)
        exact = np.ones(coarse_shape, bool)

    threshold = LIPSCHITZ * float(np.linalg.norm(step))
    fine_shape = tuple(n_fine[::-1] + 1)
    if surfaces is None:
        near = _cells_with_a_corner_below(np.abs(coarse), n_cells, threshold)
        # Outside the band every point takes its cell's corner value (same sign).
        values = np.repeat(np.repeat(np.repeat(coarse, BLOCK, 0), BLOCK, 1), BLOCK, 2)
        values = np.ascontiguousarray(values[: fine_shape[0], : fine_shape[1], : fine_shape[2]])
    else:
        near = np.zeros(tuple(n_cells[::-1]), bool)
        parts = [np.broadcast_to(part, coarse_shape) for part in surfaces(coarse, lo, step)]
        for part in parts:
            near |= _cells_that_can_hold_zero(part, n_cells, threshold)
        # A cell that holds no surface has one sign throughout; its new points
        # take that sign with its largest corner magnitude, so that the next
        # level does not mistake them for points near a surface.
        corners = _corners(coarse, n_cells)
        largest = np.maximum.reduce([np.abs(v) for v in corners.values()])
        fill = np.copysign(largest, corners[(0, 0, 0)])
        values = np.repeat(np.repeat(np.repeat(fill, BLOCK, 0), BLOCK, 1), BLOCK, 2)
        values = np.pad(values, [(0, 1)] * 3, mode="edge")
        values[::BLOCK, ::BLOCK, ::BLOCK] = coarse
    mask = np.zeros(fine_shape, bool)
    mask[:-1, :-1, :-1] = np.repeat(np.repeat(np.repeat(near, BLOCK, 0), BLOCK, 1), BLOCK, 2)
    mask[1:] |= mask[:-1].copy()
    mask[:, 1:] |= mask[:, :-1].copy()
    mask[:, :, 1:] |= mask[:, :, :-1].copy()
    fine_exact = np.zeros(fine_shape, bool)
    fine_exact[::BLOCK, ::BLOCK, ::BLOCK] = exact
    # The coarse level's exact points keep their values: one in eight of a
    # band's points is not evaluated twice.
    todo = mask & ~fine_exact
    if finest and surfaces is not None:
        _skip_sure_points(todo, values, coarse, exact, parts, spacing)
    k, j, i = np.nonzero(todo)
    pts = np.c_[lo[0] + i * spacing[0], lo[1] + j * spacing[1], lo[2] + k * spacing[2]]
    values[k, j, i] = field(pts)
    return values, fine_exact | mask


def _skip_sure_points(todo, values, coarse, exact, parts, spacing) -> None:
    """Drop from ``todo`` the finest points that no surface's grid edge can cross.

    A new point of the finest grid lies half a coarse step from 2, 4 or 8
    exact coarse points; each bounds every surface's value there (slope at
    most :data:`LIPSCHITZ`).  A point that ends a grid edge crossing a
    surface has that surface's value within the edge's length times the
    slope, so a point whose bounds put every surface further, and the
    field's own sign beyond doubt, is never used for its value: it gets that
    sign with a magnitude at least the field's (as far from zero as the
    coarse levels' fill), which keeps every surface's sign wherever the
    surface is a maximum or minimum of the field and other fields.  Points
    beside corners of both signs, or beside inexact corners, are evaluated.
    """
    k, j, i = np.nonzero(todo)
    odd = np.stack([k % 2, j % 2, i % 2])
    kind = odd[0] * 4 + odd[1] * 2 + odd[2]
    reach = LIPSCHITZ * float(np.max(spacing))
    need = kind == 0
    fill = np.zeros(len(k))
    steps = np.asarray(spacing, float)[::-1]  # (z, y, x) like the indices
    for c in range(1, 8):
        sel = np.flatnonzero(kind == c)
        if sel.size == 0:
            continue
        axes = [(c >> (2 - a)) & 1 for a in range(3)]
        slack = LIPSCHITZ * float(np.sqrt(sum(steps[a] ** 2 for a in range(3) if axes[a])))
        at = (k[sel], j[sel], i[sel])
        sure = np.ones(sel.size, bool)
        best = np.full(sel.size, -np.inf)
        lower = [np.full(sel.size, -np.inf) for _ in parts]
        negative = [np.zeros(sel.size, bool) for _ in parts]
        positive = [np.zeros(sel.size, bool) for _ in parts]
        for offset in itertools.product(*[(-1, 1) if axes[a] else (0,) for a in range(3)]):
            corner = tuple((at[a] + offset[a]) // 2 for a in range(3))
            known = exact[corner]
            sure &= known
            w = coarse[corner].astype(float)
            margin = np.where(known, np.abs(w) - slack, -np.inf)
            better = margin > best
            best = np.where(better, margin, best)
            fill[sel] = np.where(better, np.copysign(np.abs(w) + slack, w), fill[sel])
            for n, part in enumerate(parts):
                v = part[corner]
                lower[n] = np.maximum(lower[n], np.where(known, np.abs(v) - slack, -np.inf))
                negative[n] |= v < 0
                positive[n] |= v >= 0
        needed = ~sure | (best <= 0)
        for n in range(len(parts)):
            needed |= (lower[n] <= reach) | (negative[n] & positive[n])
        need[sel] = needed
    skip = ~need
    values[k[skip], j[skip], i[skip]] = fill[skip]
    todo[k[skip], j[skip], i[skip]] = False


def _corners(values: np.ndarray, n_cells):
    """The eight ``(nz, ny, nx)`` corner views of the cells of a node array."""
    return {
        (dk, dj, di): values[dk : dk + n_cells[2], dj : dj + n_cells[1], di : di + n_cells[0]]
        for dk in (0, 1)
        for dj in (0, 1)
        for di in (0, 1)
    }


def _cells_with_a_corner_below(distance: np.ndarray, n_cells, threshold: float) -> np.ndarray:
    near = np.zeros(tuple(n_cells[::-1]), bool)
    for view in _corners(distance, n_cells).values():
        near |= view < threshold
    return near


def _cells_that_can_hold_zero(values: np.ndarray, n_cells, threshold: float) -> np.ndarray:
    """Cells whose corner values allow a zero inside, for a field of slope ≤ ``threshold / diagonal``.

    A zero at ``x`` in the cell bounds each corner value by the slope times
    ``|x - c|``; for two opposite corners ``|x - c|² + |x - c'|²`` is at
    most the squared diagonal, which is the sharper test of the two.  A
    cell whose corners differ in sign holds a zero whatever the slope: a
    field that overstates its distance somewhere (a height map's inside
    beside a cliff) still keeps every surface that the grid's corners see.
    """
    corners = _corners(values, n_cells)
    t2 = threshold * threshold
    near = np.ones(tuple(n_cells[::-1]), bool)
    for dk, dj, di in ((0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1)):
        a = corners[(dk, dj, di)]
        b = corners[(1 - dk, 1 - dj, 1 - di)]
        near &= a * a + b * b <= t2
    views = list(corners.values())
    near |= (np.minimum.reduce(views) < 0) & (np.maximum.reduce(views) >= 0)
    return near


# ---------------------------------------------------------------------------
# checks (shared by the tests and by debugging code)
# ---------------------------------------------------------------------------


def triangles(mesh: pv.PolyData) -> np.ndarray:
    """The ``(M, 3)`` vertex indices of a triangle mesh."""
    return mesh.faces.reshape(-1, 4)[:, 1:]


def signed_volume(mesh: pv.PolyData) -> float:
    """Signed volume in mm³: positive when the triangles face outward.

    ``pyvista.PolyData.volume`` is unsigned, so it cannot tell an inside-out
    surface from a correct one; the divergence theorem can.
    """
    if mesh.n_cells == 0:
        return 0.0
    return _signed_volume(np.asarray(mesh.points), triangles(mesh))


def _signed_volume(pts: np.ndarray, tri: np.ndarray) -> float:
    # The divergence theorem with the field (0, 0, z): each triangle adds its
    # mean height times its signed area seen from above, one component of
    # the cross product instead of three.
    x, y, z = np.asarray(pts, float).T
    i, j, k = tri.T
    area_z = (x[j] - x[i]) * (y[k] - y[i]) - (x[k] - x[i]) * (y[j] - y[i])
    return float(((z[i] + z[j] + z[k]) * area_z).sum() / 6.0)


def edge_use_counts(mesh: pv.PolyData) -> np.ndarray:
    """How many triangles use each undirected edge."""
    t = triangles(mesh)
    e = np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
    _, counts = np.unique(e, axis=0, return_counts=True)
    return counts


def is_closed_manifold(mesh: pv.PolyData) -> bool:
    """Every edge shared by exactly two triangles (no holes, no fins)."""
    return mesh.n_cells > 0 and bool(np.all(edge_use_counts(mesh) == 2))


def is_consistently_wound(mesh: pv.PolyData) -> bool:
    """Each edge is walked once in each direction by its two triangles."""
    t = triangles(mesh)
    directed = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    # A directed edge seen twice means two neighbours disagree on orientation.
    _, counts = np.unique(directed, axis=0, return_counts=True)
    return bool(np.all(counts == 1))


def n_bodies(mesh: pv.PolyData) -> int:
    """Number of connected pieces."""
    if mesh.n_cells == 0:
        return 0
    labelled = mesh.connectivity("all")
    return int(np.unique(labelled["RegionId"]).size)


def is_valid_solid(mesh: pv.PolyData) -> bool:
    """Closed, manifold, consistently wound, one piece, positive volume."""
    return (
        is_closed_manifold(mesh)
        and is_consistently_wound(mesh)
        and n_bodies(mesh) == 1
        and signed_volume(mesh) > 0
    )
