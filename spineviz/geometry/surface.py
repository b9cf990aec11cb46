"""Turning implicit solids into closed triangle meshes, and checking them."""

from __future__ import annotations

import numpy as np
import pyvista as pv

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
        Triangles with positive signed volume.  Empty if the solid is empty.
    """
    spacing = np.broadcast_to(np.asarray(spacing, float), (3,))
    lo = np.asarray(bounds[0::2], float) - 2 * spacing
    hi = np.asarray(bounds[1::2], float) + 2 * spacing
    return contour_volume(sample(field, lo, hi, spacing), lo, spacing, smooth_iterations=smooth_iterations)


def grid_points(vol_shape, origin, spacing) -> np.ndarray:
    """The ``(N, 3)`` points of a ``[k, j, i]`` volume, x fastest (VTK order)."""
    nz, ny, nx = vol_shape
    s = np.broadcast_to(np.asarray(spacing, float), (3,))
    o = np.asarray(origin, float)
    z, y, x = np.meshgrid(
        o[2] + np.arange(nz) * s[2], o[1] + np.arange(ny) * s[1], o[0] + np.arange(nx) * s[0], indexing="ij"
    )
    return np.c_[x.ravel(), y.ravel(), z.ravel()]


def contour_volume(vol: np.ndarray, origin, spacing, *, smooth_iterations: int = 12) -> pv.PolyData:
    """Closed outward surface of ``vol < 0`` for a sampled ``[k, j, i]`` volume.

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
    grid = pv.ImageData(dimensions=np.array(vol.shape[::-1]), spacing=tuple(spacing), origin=tuple(origin))
    grid.point_data["d"] = vol.ravel()
    surf = grid.contour([0.0], scalars="d", method="flying_edges", compute_normals=False)
    surf = surf.clean().triangulate()
    surf.point_data.clear()
    if surf.n_cells == 0:
        return surf
    if smooth_iterations:
        surf = surf.smooth_taubin(
            n_iter=smooth_iterations,
            pass_band=0.1,
            boundary_smoothing=False,
            feature_smoothing=False,
            non_manifold_smoothing=False,
            normalize_coordinates=True,
        )
    if signed_volume(surf) < 0:
        surf = surf.flip_faces()
    return surf


BLOCK = 2
"""Fine grid points per coarse cell edge in :func:`sample`."""

LIPSCHITZ = 1.2
"""Safety factor on how fast a field may change per mm of distance."""


def sample(field: Field, lo, hi, spacing) -> np.ndarray:
    """Values of ``field`` on a regular grid, exact only near the surface.

    A coarse pass (every ``BLOCK``-th point) finds the cells that can hold
    the surface; only their points are evaluated exactly.  Elsewhere the
    coarse value stands in: a distance bound that is larger than the cell
    cannot change sign inside it, so the contour is the same as from a full
    evaluation, at a fraction of the cost.

    Returns
    -------
    (nz, ny, nx) float32 ndarray
        Indexed ``[k, j, i]`` like VTK's image points (x fastest).
    """
    lo = np.asarray(lo, float)
    spacing = np.broadcast_to(np.asarray(spacing, float), (3,))
    step = spacing * BLOCK
    n_cells = np.maximum(np.ceil((np.asarray(hi, float) - lo) / step).astype(int), 1)
    coarse_axes = [lo[a] + np.arange(n_cells[a] + 1) * step[a] for a in range(3)]
    cz, cy, cx = np.meshgrid(coarse_axes[2], coarse_axes[1], coarse_axes[0], indexing="ij")
    coarse = field(np.c_[cx.ravel(), cy.ravel(), cz.ravel()]).reshape(cz.shape)

    corner_min = np.abs(coarse)
    near = np.zeros(tuple(n_cells[::-1]), bool)
    threshold = LIPSCHITZ * float(np.linalg.norm(step))
    for dk in (0, 1):
        for dj in (0, 1):
            for di in (0, 1):
                sl = corner_min[dk : dk + n_cells[2], dj : dj + n_cells[1], di : di + n_cells[0]]
                near |= sl < threshold

    fine_shape = tuple(n_cells[::-1] * BLOCK + 1)
    # Outside the band every point takes its cell's corner value (same sign).
    values = np.repeat(np.repeat(np.repeat(coarse.astype(np.float32), BLOCK, 0), BLOCK, 1), BLOCK, 2)
    values = np.ascontiguousarray(values[: fine_shape[0], : fine_shape[1], : fine_shape[2]])
    mask = np.zeros(fine_shape, bool)
    mask[:-1, :-1, :-1] = np.repeat(np.repeat(np.repeat(near, BLOCK, 0), BLOCK, 1), BLOCK, 2)
    mask[1:] |= mask[:-1].copy()
    mask[:, 1:] |= mask[:, :-1].copy()
    mask[:, :, 1:] |= mask[:, :, :-1].copy()
    k, j, i = np.nonzero(mask)
    pts = np.c_[lo[0] + i * spacing[0], lo[1] + j * spacing[1], lo[2] + k * spacing[2]]
    values[k, j, i] = field(pts)
    return values


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
    p = mesh.points[triangles(mesh)]
    return float(np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2])).sum() / 6.0)


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
