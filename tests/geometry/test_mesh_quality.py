"""Whole-model sweep: every part of a built model is a sound solid that fits its neighbours.

The geometry modules test their own parts; this file checks what holds for
*all* parts of a built model, parametrised over ``model.parts`` so that a new
part is covered the day it is added:

- a closed, manifold, consistently wound surface with positive signed volume,
  in one connected piece, with no folded triangles (also at ``high``);
- the surface lies on the zero level of the part's implicit field (the MRI
  labels voxels with the field, the 3D view draws the mesh: they must agree),
  and the field is a distance bound there, as the contouring assumes;
- a clip through the part (what the app's cutting plane does) gives a filled
  cut face, and the two halves add up to the whole;
- no part pokes into another, except pairs that overlap by design;
- the build is deterministic, and a part's coordinates do not depend on which
  other levels are built.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import pyvista as pv
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from spineviz.geometry import surface
from spineviz.geometry.dimensions import VERTEBRAE
from spineviz.geometry.model import DETAIL_SPACING, build_model
from spineviz.geometry.names import Levels, part_names

LEVELS = "L4-L5"
DETAIL = "medium"
SPACING = DETAIL_SPACING[DETAIL]

FIELD_TOLERANCE = 0.6
"""How far (in grid cells) a surface vertex may lie from its field's zero level.

Contouring puts vertices on the zero level up to interpolation error, and the
smoothing that removes terracing moves them a little; measured at ``medium``
the largest offset of a sound part is 0.35 cell."""

CONTACT_TOLERANCE = 0.75
"""How deep (in grid cells) one part may reach into a neighbour it touches.

Parts that fit against each other (body and arch, disc and cartilage) share
a boundary in their fields; each contoured surface may stray from it by up to
``FIELD_TOLERANCE``, so two of them can overlap by about twice the stray of
one."""


_BUILT: dict[tuple[str, str], object] = {}


def built(levels: str, detail: str):
    """One model per (levels, detail) for the whole session (building is the slow part).

    A build that fails is remembered too, so every test that needs it fails at
    once with the same error instead of building again.
    """
    key = (levels, detail)
    if key not in _BUILT:
        try:
            _BUILT[key] = build_model(levels, detail=detail)
        except Exception as err:
            _BUILT[key] = err
    if isinstance(_BUILT[key], Exception):
        raise _BUILT[key]
    return _BUILT[key]


def pytest_generate_tests(metafunc):
    # Parametrise over the parts the model really has, so new parts join the sweep unasked.
    if "part" in metafunc.fixturenames:
        try:
            parts = list(built(LEVELS, DETAIL).parts)
        except Exception:
            # Not a collection error (that would stop the whole suite): the tests fail with the error.
            parts = ["(model does not build)"]
        metafunc.parametrize("part", parts)


@pytest.fixture(scope="session")
def model():
    return built(LEVELS, DETAIL)


@pytest.fixture
def mesh(model, part) -> pv.PolyData:
    return model.parts[part]


# ---------------------------------------------------------------------------
# each part on its own
# ---------------------------------------------------------------------------


def test_is_closed_manifold(mesh):
    counts = surface.edge_use_counts(mesh)
    assert mesh.n_cells > 0
    assert np.all(counts == 2), f"{np.sum(counts == 1)} open edges, {np.sum(counts > 2)} fins"


def test_is_consistently_wound(mesh):
    assert surface.is_consistently_wound(mesh)


def test_faces_outward(mesh):
    # Positive signed volume: triangles face out, so lighting and clipping caps come out right.
    assert surface.signed_volume(mesh) > 0


def test_is_one_piece(mesh):
    assert surface.n_bodies(mesh) == 1


def test_has_no_folded_triangles(mesh):
    # A fold turns the surface inside out locally: dark seams in the shading,
    # and points beside it get the wrong sign of mesh-based distance.
    assert surface.folded_edges(mesh) == 0


def folded_parts(model) -> dict[str, int]:
    """Parts with folded edges, and how many."""
    counts = {name: surface.folded_edges(mesh) for name, mesh in model.parts.items()}
    return {name: n for name, n in counts.items() if n}


@pytest.mark.slow
def test_high_detail_has_no_folded_triangles():
    # The finest grid resolves thin wedges (the annulus' edge against the
    # nucleus and cartilage) that coarser ones round off: folds showed there first.
    assert folded_parts(built(LEVELS, "high")) == {}


def field_gradient(field, points: np.ndarray, step: float = 0.05) -> np.ndarray:
    """Central-difference gradient of ``field`` at ``points``, ``(N, 3)``."""
    columns = [(field(points + d) - field(points - d)) / (2 * step) for d in np.eye(3) * step]
    return np.stack(columns, axis=1)


def sample_vertices(mesh: pv.PolyData, n: int = 1500) -> np.ndarray:
    """Up to ``n`` vertices spread over the mesh (every k-th), enough to find a bad patch."""
    points = np.asarray(mesh.points, float)
    return points[:: max(1, len(points) // n)]


def test_surface_lies_on_its_field(model, part, mesh):
    points = sample_vertices(mesh)
    values = model.fields[part](points)
    slope = np.linalg.norm(field_gradient(model.fields[part], points), axis=1)
    # First-order distance to the zero level: the raw value overstates it where the field is steeper
    # than a distance (that is checked below); where it is flatter the raw value is kept.
    offset = np.abs(values) / np.maximum(slope, 1.0)
    worst = int(np.argmax(offset))
    assert offset[worst] <= FIELD_TOLERANCE * SPACING, (
        f"vertex {points[worst].round(1)} lies {offset[worst]:.2f} mm from the zero level of the field "
        f"of {part} (tolerance {FIELD_TOLERANCE * SPACING:.2f} mm): mesh and field are different solids"
    )


def test_field_is_a_distance_bound_at_the_surface(model, part, mesh):
    # surface.sample skips grid cells whose corner values say the surface is far away, trusting
    # that the field changes by at most LIPSCHITZ mm per mm; a steeper field can hide thin features.
    points = sample_vertices(mesh)
    slope = np.linalg.norm(field_gradient(model.fields[part], points), axis=1)
    worst = int(np.argmax(slope))
    assert slope[worst] <= surface.LIPSCHITZ, (
        f"the field of {part} changes by {slope[worst]:.2f} mm per mm at {points[worst].round(1)}, "
        f"more than the {surface.LIPSCHITZ} that contouring assumes"
    )


def cap_area(cut: pv.PolyData, origin: np.ndarray, normal: np.ndarray) -> float:
    """Area of the triangles lying in the cutting plane."""
    tri = cut.triangulate()
    on_plane = np.abs((np.asarray(tri.points, float) - origin) @ normal) < 1e-3
    faces = surface.triangles(tri)
    cap = faces[on_plane[faces].all(axis=1)]
    p = np.asarray(tri.points, float)[cap]
    return float(0.5 * np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1).sum())


@pytest.mark.parametrize("axis", ["x", "y", "z"])
def test_clip_gives_a_filled_cut_face(mesh, axis):
    normal = np.eye(3)["xyz".index(axis)]
    origin = np.asarray(mesh.center, float)
    halves = [mesh.clip_closed_surface(normal=tuple(s * normal), origin=tuple(origin)) for s in (1, -1)]
    for half in halves:
        assert half.n_cells > 0
        assert cap_area(half, origin, normal) > 0, "the cut is left open"
    # Filled cut faces make two closed halves whose volumes add up to the whole.
    total = sum(abs(surface.signed_volume(h.triangulate())) for h in halves)
    assert total == pytest.approx(surface.signed_volume(mesh), rel=0.01)


# ---------------------------------------------------------------------------
# the parts together
# ---------------------------------------------------------------------------


def test_names_come_from_names_py_in_order(model):
    expected = part_names(Levels.parse(LEVELS))
    assert set(model.parts) <= set(expected)
    assert list(model.parts) == [n for n in expected if n in model.parts]
    assert list(model.fields) == list(model.parts)


_ALLOWED = (
    # The basivertebral nerve runs inside its vertebral body.
    (r"(L\d|S1)\.basivertebral", r"\1\.body"),
    # The cauda equina lies inside the dural sac.
    (r"cauda_equina", r"dural_sac"),
    # Nerve roots leave the dural sac: they start inside it and among the cauda equina.
    (r"(L\d|S1)\.root\.(left|right)", r"dural_sac|cauda_equina"),
    # The sinuvertebral nerve branches off next to the root on its side.
    (r"(L\d|S1)-(L\d|S1)\.sinuvertebral\.(left|right)", r"(L[0-9]|S1)\.root\.\3"),
)
"""Pairs of parts that overlap by design: (first part, second part) regular
expressions; the second may refer to groups of the first."""


def overlap_allowed(a: str, b: str) -> bool:
    """True if parts ``a`` and ``b`` may overlap (in either order)."""
    for first, second in _ALLOWED:
        for x, y in ((a, b), (b, a)):
            m = re.fullmatch(first, x)
            if m and re.fullmatch(m.expand(second), y):
                return True
    return False


def test_overlap_allowlist_is_specific():
    # A loose pattern would hide real collisions; check it on names both ways.
    assert overlap_allowed("L4.basivertebral", "L4.body")
    assert overlap_allowed("L4.body", "L4.basivertebral")
    assert not overlap_allowed("L4.basivertebral", "L5.body")
    assert overlap_allowed("L4-L5.sinuvertebral.left", "L4.root.left")
    assert not overlap_allowed("L4-L5.sinuvertebral.left", "L4.root.right")
    assert not overlap_allowed("L4.arch", "L5.arch")
    assert not overlap_allowed("L4-L5.nucleus", "L4-L5.annulus")


def signed_distance(points: np.ndarray, mesh: pv.PolyData) -> np.ndarray:
    """Signed distance of ``points`` to the closed surface ``mesh`` (negative inside), mm."""
    probe = pv.PolyData(points).compute_implicit_distance(mesh)
    return np.asarray(probe["implicit_distance"], float)


def test_does_not_reach_into_other_parts(model, part, mesh):
    points = np.asarray(mesh.points, float)
    tolerance = CONTACT_TOLERANCE * SPACING
    collisions = {}
    for other, other_mesh in model.parts.items():
        if other == part or overlap_allowed(part, other):
            continue
        b = np.asarray(other_mesh.bounds, float)
        near = np.all((points >= b[0::2] - 1e-9) & (points <= b[1::2] + 1e-9), axis=1)
        if not near.any():
            continue
        depth = -float(signed_distance(points[near], other_mesh).min())
        if depth > tolerance:
            collisions[other] = round(depth, 2)
    assert not collisions, f"{part} reaches into (depth in mm, tolerance {tolerance:.2f}): {collisions}"


# ---------------------------------------------------------------------------
# determinism and placement
# ---------------------------------------------------------------------------

_FINGERPRINT = """
import hashlib, json, sys
import numpy as np
from spineviz.geometry.model import build_model

def fingerprint(model):
    out = {}
    for name, mesh in model.parts.items():
        h = hashlib.sha256(np.ascontiguousarray(mesh.points, dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(mesh.faces, dtype=np.int64).tobytes())
        out[name] = h.hexdigest()
    return out
"""


def fingerprint(model) -> dict[str, str]:
    namespace: dict = {}
    exec(_FINGERPRINT, namespace)
    return namespace["fingerprint"](model)


@pytest.mark.slow
def test_build_is_deterministic_across_processes():
    # A fresh interpreter (new hash seed, no caches) must give the very same points and triangles.
    code = _FINGERPRINT + "print(json.dumps(fingerprint(build_model('L4-L5', detail='low'))))"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    ours = fingerprint(built("L4-L5", "low"))
    assert list(theirs) == list(ours)
    assert [n for n in ours if ours[n] != theirs[n]] == []


def level_ranges(max_length: int = 2):
    """Contiguous runs of up to ``max_length`` vertebrae, as level strings."""
    runs = []
    for i in range(len(VERTEBRAE)):
        for j in range(i, min(i + max_length, len(VERTEBRAE))):
            runs.append(VERTEBRAE[i] if i == j else f"{VERTEBRAE[i]}-{VERTEBRAE[j]}")
    return runs


def vertebra_part(name: str) -> bool:
    """Parts of one vertebra (not discs or segment parts), whose shape is the same in any run."""
    return re.match(r"(L\d|S1)\.", name) is not None


@pytest.mark.slow
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(levels=st.sampled_from(level_ranges()), detail=st.sampled_from(["low", "medium"]))
@example(levels="L5-S1", detail="low")
def test_any_level_range_builds_sound_parts(levels, detail):
    model = built(levels, detail)
    lv = Levels.parse(levels)
    assert set(model.parts) <= set(part_names(lv))
    for v in lv.vertebrae:
        assert f"{v}.body" in model.parts
    unsound = [
        name
        for name, mesh in model.parts.items()
        if not (
            surface.is_closed_manifold(mesh)
            and surface.is_consistently_wound(mesh)
            and surface.n_bodies(mesh) == 1
            and surface.signed_volume(mesh) > 0
        )
    ]
    assert unsound == []
    assert folded_parts(model) == {}
    # The world frame is fixed for all levels: a vertebra's parts sit where they sit in any model.
    reference = built(LEVELS, detail)
    shared = [n for n in model.parts if vertebra_part(n) and n in reference.parts]
    moved = [n for n in shared if not np.array_equal(model.parts[n].points, reference.parts[n].points)]
    assert moved == []


def test_fingerprint_sees_a_moved_point():
    # The determinism check is only as good as its fingerprint.
    mesh = pv.Sphere()
    moved = mesh.copy()
    moved.points[0] += 1e-3
    model = type("M", (), {"parts": {"a": mesh}})
    other = type("M", (), {"parts": {"a": moved}})
    assert fingerprint(model) != fingerprint(other)
