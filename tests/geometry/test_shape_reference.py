"""The generated vertebrae against the published mean lumbar shape.

Clouthier et al. 2023 published the mean surface of L2–L5 of 87 patients
(CT).  Each generated vertebra (the union of its bony parts, as the model
ships them) is aligned rigidly to the matching mean vertebra and the surface
distance is measured both ways.  The target: a mean symmetric distance
≤ 2 mm and a 95th percentile ≤ 5 mm at every level.  For scale, the mean L3
against the mean L4 gives 0.9 / 2.5 mm and a plain elliptic cylinder body
6.3 / 31 mm.

The mean surface lives outside the repository (it is a measuring target,
not shipped geometry): in ``shared/reference/clouthier2023-mean-lumbar``
beside the clone (where CI places ``shared/``), else in ``/work/shared``;
``SPINEVIZ_REFERENCE`` names its folder outright.  Without it the tests skip,
except under CI (``CI=true``), where a missing reference is a failure.  Run
with ``-s`` to see the per-level figures.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
import vtk

from spineviz.geometry.bones import bone_parts
from spineviz.geometry.frames import IDENTITY, placement

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_PATH = Path("shared/reference/clouthier2023-mean-lumbar")


def reference_candidates(env=os.environ, repo_root: Path = REPO_ROOT) -> list[Path]:
    """Folders that may hold the mean surface, first choice first."""
    if env.get("SPINEVIZ_REFERENCE"):
        return [Path(env["SPINEVIZ_REFERENCE"])]
    return [repo_root.parent / REFERENCE_PATH, Path("/work") / REFERENCE_PATH]


def find_reference(env=os.environ, repo_root: Path = REPO_ROOT) -> Path | None:
    """The first candidate folder that holds the mean surface, or ``None``."""
    for folder in reference_candidates(env, repo_root):
        if (folder / "mean_vertices.csv").is_file():
            return folder
    return None


REFERENCE = find_reference()
LEVELS = ("L2", "L3", "L4", "L5")
MEAN_LIMIT = 2.0
P95_LIMIT = 5.0
SPACING = 1.0
"""Grid spacing of the detail setting ``medium``, the one the app shows."""

# Their frame: +x anterior, y lateral, +z superior.  Ours (LPS): +x left,
# +y posterior.  Their −x is our +y; a proper rotation then makes their +y
# our +x.
TO_LPS = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def _components(faces: np.ndarray, n_points: int) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    e = np.r_[faces[:, [0, 1]], faces[:, [1, 2]]]
    graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n_points, n_points))
    return connected_components(graph, directed=False)[1]


def load_reference(folder: Path) -> dict[str, pv.PolyData]:
    """The four mean vertebrae in LPS axes, keyed ``"L2"`` … ``"L5"``."""
    points = np.loadtxt(folder / "mean_vertices.csv", delimiter=",") @ TO_LPS.T
    faces = np.loadtxt(folder / "mean_faces.csv", delimiter=",", dtype=np.int64) - 1
    label = _components(faces, len(points))
    pieces = []
    for region in np.unique(label):
        f = faces[label[faces[:, 0]] == region]
        pieces.append(pv.PolyData(points, np.c_[np.full(len(f), 3), f].ravel()).clean())
    if len(pieces) != len(LEVELS):
        msg = f"expected {len(LEVELS)} closed pieces in the mean surface, found {len(pieces)}"
        raise ValueError(msg)
    pieces.sort(key=lambda p: -p.center[2])
    return dict(zip(LEVELS, pieces, strict=True))


def outer_surface(meshes: dict[str, pv.PolyData], *, tolerance: float) -> pv.PolyData:
    """The triangles of the parts that lie on the outside of their union.

    Parts meet on shared cut faces inside the bone; a triangle whose corners
    all lie on (or in) another part is on such a face and is left out.
    """
    pieces = []
    for name, part in meshes.items():
        inside = np.zeros(part.n_points, bool)
        for other, mesh in meshes.items():
            if other != name:
                inside |= part.compute_implicit_distance(mesh)["implicit_distance"] < tolerance
        tri = part.faces.reshape(-1, 4)[:, 1:]
        keep = ~inside[tri].all(axis=1)
        pieces.append(pv.PolyData(part.points, np.c_[np.full(keep.sum(), 3), tri[keep]].ravel()))
    return pv.merge(pieces).clean()


def _distances(points: np.ndarray, surface: pv.PolyData) -> np.ndarray:
    return np.abs(pv.PolyData(points).compute_implicit_distance(surface)["implicit_distance"])


def alignment(points: np.ndarray, target: pv.PolyData) -> np.ndarray:
    """4×4 rigid transform taking ``points`` onto ``target``.

    The generated vertebra is built in our local frame and the reference is
    rotated into LPS axes, so matching the centroids is a good start; ICP
    then settles the remaining tilt (the mean vertebrae sit on a lordosis).
    """
    start = np.eye(4)
    start[:3, 3] = np.asarray(target.points).mean(axis=0) - points.mean(axis=0)
    icp = vtk.vtkIterativeClosestPointTransform()
    icp.SetSource(pv.PolyData(points + start[:3, 3]))
    icp.SetTarget(target)
    icp.GetLandmarkTransform().SetModeToRigidBody()
    icp.SetMaximumNumberOfLandmarks(5000)
    icp.SetMaximumNumberOfIterations(200)
    icp.SetMaximumMeanDistance(1e-5)
    icp.CheckMeanDistanceOn()
    icp.StartByMatchingCentroidsOff()
    icp.Update()
    m = np.array([[icp.GetMatrix().GetElement(i, j) for j in range(4)] for i in range(4)])
    return m @ start


def shape_distance(meshes: dict[str, pv.PolyData], reference: pv.PolyData) -> dict[str, float]:
    """Symmetric surface distance of a vertebra's parts to a reference (mm).

    Distances from our outer surface's points to the reference surface and
    from the reference's points to our outer surface are pooled; the mean
    and the 95th percentile of the pool are returned with the two one-way
    means.
    """
    outer = outer_surface(meshes, tolerance=0.5 * SPACING)
    outer = outer.transform(alignment(np.asarray(outer.points), reference), inplace=False)
    there = _distances(outer.points, reference)
    back = _distances(reference.points, outer)
    both = np.concatenate([there, back])
    return {
        "mean": float(both.mean()),
        "p95": float(np.percentile(both, 95)),
        "to_reference": float(there.mean()),
        "from_reference": float(back.mean()),
    }


@pytest.fixture(scope="module")
def reference() -> dict[str, pv.PolyData]:
    if REFERENCE is None:
        where = ", ".join(str(p) for p in reference_candidates())
        msg = f"mean lumbar surface (mean_vertices.csv) not found in {where}; set SPINEVIZ_REFERENCE"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{msg}: CI must run the shape test", pytrace=False)
        pytest.skip(msg)
    return load_reference(REFERENCE)


def test_reference_is_looked_for_beside_the_clone_first(tmp_path):
    # CI places a copy of shared/ beside a fresh clone, not in /work.
    repo = tmp_path / "clone"
    beside = tmp_path / REFERENCE_PATH
    beside.mkdir(parents=True)
    (beside / "mean_vertices.csv").write_text("0,0,0\n")
    assert find_reference({}, repo) == beside
    assert reference_candidates({}, repo)[-1] == Path("/work") / REFERENCE_PATH
    assert find_reference({"SPINEVIZ_REFERENCE": str(tmp_path / "elsewhere")}, repo) is None


def test_reference_pieces_are_ordered_top_down(reference):
    heights = [reference[v].center[2] for v in LEVELS]
    assert heights == sorted(heights, reverse=True)
    # After the axis change the bulky body lies in front (−y) of the middle
    # of the bounding box and the spinous process reaches far behind it.
    for mesh in reference.values():
        y = np.asarray(mesh.points)[:, 1]
        assert y.mean() < (y.min() + y.max()) / 2


def test_metric_separates_neighbouring_levels_from_a_cylinder(reference):
    """The metric itself: two mean levels are close, a bare cylinder is not."""
    near = shape_distance({"a": reference["L3"]}, reference["L4"])
    cylinder = pv.Cylinder(radius=20.0, height=30.0, direction=(0, 0, 1), resolution=120)
    far = shape_distance({"a": cylinder.triangulate().subdivide(3)}, reference["L4"])
    assert near["mean"] < 1.5 < 4.0 < far["mean"]


@pytest.mark.parametrize("level", LEVELS)
def test_vertebra_matches_mean_shape(level, reference):
    shape = placement().shapes[level]
    meshes, _ = bone_parts(shape, IDENTITY, spacing=SPACING)
    d = shape_distance(meshes, reference[level])
    print(
        f"\n{level}: mean {d['mean']:.2f} mm, p95 {d['p95']:.2f} mm "
        f"(ours→mean {d['to_reference']:.2f}, mean→ours {d['from_reference']:.2f})"
    )
    assert d["mean"] <= MEAN_LIMIT
    assert d["p95"] <= P95_LIMIT
