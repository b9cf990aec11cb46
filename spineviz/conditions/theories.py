"""Overlays for the three explanations the article gives for Modic changes.

* biomechanical — strain on a worn disc causes tiny fractures in the endplates;
* bacterial — after a prolapse, new small vessels grow in and may let
  low-virulence bacteria (e.g. *Cutibacterium acnes*) into the disc: small
  particles along the new vessels;
* autoimmune — nucleus material that escapes is met by the immune system:
  immune cells gathering around the exposed material.

The overlays are sketches for teaching, not measured structures.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from spineviz.geometry.frames import Placement
from spineviz.geometry.tubes import spline

from .ingrowth import _merge
from .modic import facing_side, fissure_mesh


def microfractures(place: Placement, disc: str) -> pv.PolyData:
    """Hairline cracks in both endplates facing the disc (world): the type-1 clefts of each."""
    pieces = []
    for v in disc.split("-"):
        cracks = fissure_mesh(place.shapes[v], facing_side(v, disc), 1)
        if cracks is not None:
            pieces.append(cracks.transform(place.frames[v].matrix, inplace=False))
    return _merge(pieces)


def particles(paths, *, radius: float, every: float, seed: int) -> pv.PolyData:
    """Small spheres spaced along the smooth curves through ``paths`` (bacteria in the new vessels).

    The curves are the same splines the vessel tubes are swept along, so the
    particles sit inside the vessels.
    """
    rng = np.random.default_rng(seed)
    centres, radii = [], []
    for ctrl in paths:
        path = spline(ctrl, n=16)
        seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
        arc = np.r_[0.0, np.cumsum(seg)]
        for s in np.arange(every / 2, arc[-1], every):
            centres.append(
                np.array([np.interp(s, arc, path[:, k]) for k in range(3)]) + rng.normal(0, 0.04, 3)
            )
            radii.append(radius * rng.uniform(0.8, 1.2))
    if not centres:
        return pv.PolyData()
    # Copies of one small icosphere placed with numpy (one pyvista sphere each cost ~0.5 ms).
    unit = pv.Icosphere(radius=1.0, center=(0.0, 0.0, 0.0), nsub=1)
    pts = unit.points[None] * np.asarray(radii)[:, None, None] + np.asarray(centres)[:, None, :]
    tris = unit.regular_faces[None] + (np.arange(len(centres)) * unit.n_points)[:, None, None]
    return pv.PolyData.from_regular_faces(pts.reshape(-1, 3), tris.reshape(-1, 3))


def immune_cells(
    centre: np.ndarray, normal: np.ndarray, *, spread: float, count: int, seed: int
) -> pv.PolyData:
    """Round cells clustered in a cloud around exposed nucleus material."""
    rng = np.random.default_rng(seed)
    n = normal / np.linalg.norm(normal)
    cells = []
    for _ in range(count):
        d = rng.normal(0, 1, 3)
        d /= np.linalg.norm(d)
        # Keep the cloud on the outside of the disc wall.
        if d @ n < -0.2:
            d -= 1.2 * (d @ n) * n
        c = centre + d * spread * rng.uniform(0.7, 1.15)
        cells.append(pv.Icosphere(radius=rng.uniform(0.55, 0.8), center=c, nsub=1))
    return _merge(cells)


def immune_cells_on(mesh: pv.PolyData, *, count: int, seed: int) -> pv.PolyData:
    """Round cells sitting on the surface of exposed nucleus material (a herniation).

    Cells are placed at surface points, just outside along the normal, spread
    over the whole exposed surface and crowding a little on its outer part.
    """
    rng = np.random.default_rng(seed)
    normals = mesh.compute_normals(point_normals=True, cell_normals=False)
    pts = np.asarray(normals.points)
    nrm = np.asarray(normals.point_data["Normals"])
    centre = pts.mean(axis=0)
    # Prefer the outer (dome) side: weight by distance from the disc-side centre.
    w = np.linalg.norm(pts - centre, axis=1) + 1.0
    idx = rng.choice(len(pts), size=min(count, len(pts)), replace=False, p=w / w.sum())
    cells = [
        pv.Icosphere(radius=rng.uniform(0.55, 0.8), center=pts[i] + nrm[i] * rng.uniform(0.9, 1.6), nsub=1)
        for i in idx
    ]
    return _merge(cells)
