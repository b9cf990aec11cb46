"""Ligaments and muscle, and the soft parts of the whole model not overlapping."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from spineviz.geometry import surface
from spineviz.geometry.bones import bone_regions
from spineviz.geometry.dimensions import recipe
from spineviz.geometry.disc import disc_frame
from spineviz.geometry.model import build_model
from spineviz.geometry.names import DEFAULT_LEVELS, part_names
from spineviz.geometry.soft_tissue import build_soft_tissue

SOFT_KEYS = ("plc", "ligamentum_flavum", "multifidus")

TOLERANCE = 1.0
"""How far (mm) one part may seem to enter another: the contour spacing of the
default detail, since contoured surfaces stand up to about that far off."""

TOUCHING_BY_DESIGN = {
    frozenset(p)
    for p in [
        ("root", "dural_sac"),  # roots leave the sac
        ("root", "cauda_equina"),  # ... from among the rootlets
        ("cauda_equina", "dural_sac"),  # the cauda lies inside the sac
        ("basivertebral", "body"),  # the nerve runs inside its body
        ("sinuvertebral", "root"),  # it branches off the root
    ]
}
MINE = (
    "annulus",
    "nucleus",
    "cartilage",
    *SOFT_KEYS,
    "root",
    "sinuvertebral",
    "basivertebral",
    "dural_sac",
    "cauda_equina",
)


def kind(name: str) -> str:
    parts = name.split(".")
    for k in (*MINE, "body", "arch", "endplate"):
        if k in parts:
            return k
    return name


@pytest.fixture(scope="session")
def model():
    return build_model("L4-L5")


@pytest.fixture(scope="session")
def soft():
    from spineviz.geometry.frames import placement

    return build_soft_tissue(DEFAULT_LEVELS, placement(), 1.0)


def test_names_are_the_registered_ones(soft):
    meshes, fields = soft
    expected = {n for n in part_names(DEFAULT_LEVELS) if set(n.split(".")) & set(SOFT_KEYS)}
    assert set(meshes) == expected == set(fields)


def test_every_part_is_a_valid_solid(soft):
    meshes, _ = soft
    assert [n for n, m in meshes.items() if not surface.is_valid_solid(m)] == []


def folded_edges(mesh) -> int:
    """Edges whose two triangles' unit normals are more than 120 degrees apart (dot < -0.5).

    Found from the directed edges: on a consistently wound closed mesh the
    triangle across edge ``a -> b`` is the one holding ``b -> a``.
    """
    t = surface.triangles(mesh)
    p = np.asarray(mesh.points, float)
    n = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    start = t.ravel()
    end = t[:, [1, 2, 0]].ravel()
    face = np.repeat(np.arange(len(t)), 3)
    key = start * len(p) + end
    order = np.argsort(key)
    across = face[order[np.searchsorted(key[order], end * len(p) + start)]]
    return int(np.count_nonzero(np.einsum("ij,ij->i", n[face], n[across]) < -0.5)) // 2


@pytest.mark.parametrize("atrophy", [1.0, 0.4])
def test_no_soft_part_has_folded_triangles(atrophy):
    # A fold turns the surface inside out locally: mesh-based distance then
    # takes a point beside it for one inside (the L4 arch "7 mm into" multifidus).
    from spineviz.geometry.frames import placement

    meshes, _ = build_soft_tissue(DEFAULT_LEVELS, placement(), 1.0, multifidus_atrophy=atrophy)
    assert {n: k for n, m in meshes.items() if (k := folded_edges(m))} == {}


def test_fold_check_finds_a_fold(soft):
    meshes, _ = soft
    mesh = meshes["multifidus.left"].copy()
    t = surface.triangles(mesh)
    pts = np.asarray(mesh.points, float).copy()
    # Push one vertex through its opposite neighbour's far side: its fan turns over.
    a, b = t[0, 0], t[0, 1]
    pts[a] = pts[b] + 3.0 * (pts[b] - pts[a])
    mesh.points = pts
    assert folded_edges(meshes["multifidus.left"]) == 0
    assert folded_edges(mesh) > 0


def overlaps(model, tol: float):
    """Pairs (a, b, depth) where vertices of part ``a`` lie deeper than ``tol`` inside ``b``.

    Only pairs with at least one soft-tissue, disc or neural part are looked
    at (bone against bone is the bones' own test), and the pairs that touch
    by design are left out.
    """
    found = []
    names = list(model.parts)
    for a in names:
        mesh = model.parts[a]
        pts = mesh.points[:: max(1, mesh.n_points // 4000)]
        for b in names:
            if a == b or frozenset((kind(a), kind(b))) in TOUCHING_BY_DESIGN:
                continue
            if kind(a) not in MINE and kind(b) not in MINE:
                continue
            box = np.array(model.parts[b].bounds).reshape(3, 2)
            sel = np.all((pts >= box[:, 0] - tol) & (pts <= box[:, 1] + tol), axis=1)
            if sel.any():
                d = model.fields[b](pts[sel])
                if d.min() < -tol:
                    found.append((a, b, round(float(d.min()), 2)))
    return found


def test_no_part_enters_another(model):
    assert overlaps(model, TOLERANCE) == []


def test_overlap_check_finds_an_overlap(model):
    # A sac pushed 8 mm forward runs into the discs and bodies.
    shifted = SimpleNamespace(parts=dict(model.parts), fields=dict(model.fields))
    shifted.parts["dural_sac"] = model.parts["dural_sac"].translate((0, -8.0, 0), inplace=False)
    shifted.fields["dural_sac"] = lambda p: model.fields["dural_sac"](p + np.array([0, 8.0, 0]))
    hit = {(a, b) for a, b, _ in overlaps(shifted, TOLERANCE)}
    assert ("dural_sac", "L4-L5.annulus") in hit or ("L4-L5.annulus", "dural_sac") in hit


def test_plc_lies_on_the_back_of_bodies_and_disc_in_front_of_the_sac(model):
    plc = model.parts["L4-L5.plc"].points
    frame = disc_frame(model.placement, "L4-L5")
    # Between the posterior annulus and the sac: behind the disc's middle, in front of the sac's axis.
    y = frame.to_local(plc)[:, 1]
    sac_y = frame.to_local(model.parts["dural_sac"].points)[:, 1]
    assert y.min() > 5.0
    assert y.max() < np.median(sac_y)
    # Thin, and wider over the disc than behind the bodies (hourglass).
    q = frame.to_local(plc)
    width_disc = np.ptp(q[np.abs(q[:, 2]) < 1.5, 0])
    width_body = np.ptp(q[q[:, 2] > q[:, 2].max() - 1.5, 0])
    assert width_disc > width_body + 4
    t = recipe()["ligaments"]["plc_thickness"].mean
    assert surface.signed_volume(model.parts["L4-L5.plc"]) < t * width_disc * np.ptp(q[:, 2])


def test_flavum_closes_the_canal_behind_the_sac(model):
    frame = disc_frame(model.placement, "L4-L5")
    fl = frame.to_local(model.parts["L4-L5.ligamentum_flavum"].points)
    sac = frame.to_local(model.parts["dural_sac"].points)
    level = np.abs(sac[:, 2]) < 3
    assert fl[:, 1].min() > sac[level, 1].max()
    # It spans the canal from side to side and touches both laminae.
    assert np.ptp(fl[:, 0]) > model.placement.shapes["L5"].canal_width * 0.8
    for v in ("L4", "L5"):
        d = bone_regions(model.placement.shapes[v])["whole"](
            model.placement.frames[v].to_local(model.parts["L4-L5.ligamentum_flavum"].points)
        )
        assert np.abs(d).min() < 0.5


@pytest.mark.parametrize("side", ["left", "right"])
def test_multifidus_lies_beside_the_spinous_processes_off_the_bone(model, side):
    pts = model.parts[f"multifidus.{side}"].points
    sx = 1.0 if side == "left" else -1.0
    assert np.all(sx * pts[:, 0] > 0)
    for v in DEFAULT_LEVELS.vertebrae:
        d = bone_regions(model.placement.shapes[v])["whole"](model.placement.frames[v].to_local(pts))
        assert d.min() > 0.0
    # It spans the built levels and carries the fat-fraction hook.
    assert np.ptp(pts[:, 2]) > 50
    assert model.parts[f"multifidus.{side}"].field_data["fat_fraction"][0] == 0.0


def test_hooks(soft):
    from spineviz.geometry.frames import placement

    meshes, _ = build_soft_tissue(DEFAULT_LEVELS, placement(), 1.0, multifidus_atrophy=0.6, fat_fraction=0.4)
    thin = surface.signed_volume(meshes["multifidus.left"])
    assert thin < 0.85 * surface.signed_volume(soft[0]["multifidus.left"])
    assert meshes["multifidus.left"].field_data["fat_fraction"][0] == 0.4
    with pytest.raises(ValueError, match="fat_fraction"):
        build_soft_tissue(DEFAULT_LEVELS, placement(), 1.0, fat_fraction=2.0)


def _section(model, side: str, v: str):
    """Vertices of a multifidus near the mid-plane of vertebra ``v``, in its frame."""
    frame = model.placement.frames[v]
    q = frame.to_local(model.parts[f"multifidus.{side}"].points)
    return q[np.abs(q[:, 2]) < 1.5]


@pytest.mark.parametrize("v", ["L4", "L5"])
def test_multifidus_fills_the_groove_with_a_rounded_back(model, v):
    from spineviz.geometry.vertebra import arch_landmarks

    lm = arch_landmarks(model.placement.shapes[v])
    q = _section(model, "left", v)
    # Medially it lies against the spinous process; laterally it reaches over the facet joint.
    assert q[:, 0].min() < 6.0
    assert q[:, 0].max() > lm.superior_facet[0] + 4.0
    # Its deep face reaches down onto the laminae; its back stays below the
    # longest spinous tip (L5's short one lies buried between the muscles).
    assert q[:, 1].min() < lm.spinous_root[1] + 2.0
    tips = [arch_landmarks(model.placement.shapes[w]).spinous_tip[1] for w in ("L4", "L5")]
    assert q[:, 1].max() < max(tips) + 3.0
    # A convex back: the highest point is between the edges, and the back falls off to both sides.
    x, y = q[:, 0], q[:, 1]
    top_x = x[np.argmax(y)]
    assert x.min() + 3 < top_x < x.max() - 3
    back_at = [y[np.abs(x - c) < 1.5].max() for c in (x.min() + 2, top_x, x.max() - 2)]
    assert back_at[1] > back_at[0]
    assert back_at[1] > back_at[2] + 5


def test_multifidus_tapers_to_rounded_ends(model):
    pts = model.parts["multifidus.left"].points
    z = pts[:, 2]
    lo, hi = z.min(), z.max()

    def width(z0):
        sel = np.abs(z - z0) < 1.5
        return np.ptp(pts[sel, 1]) if sel.any() else 0.0

    middle = width((lo + hi) / 2)
    assert width(hi - 3) < 0.8 * middle
    assert width(lo + 3) < 0.8 * middle


def test_multifidus_field_is_signed_inside(model):
    field = model.fields["multifidus.left"]
    pts = model.parts["multifidus.left"].points
    centre = pts.mean(axis=0)
    assert field(centre[None])[0] < -5.0
    assert field(centre[None] + np.array([[0.0, 80.0, 0.0]]))[0] > 20.0


def test_multifidus_sides_are_mirror_images_on_a_symmetric_spine(soft):
    meshes, fields = soft
    left, right = meshes["multifidus.left"], meshes["multifidus.right"]
    mirrored = np.asarray(left.points) * np.array([-1.0, 1.0, 1.0])
    assert np.allclose(np.asarray(right.points), mirrored, atol=1e-9)
    assert surface.is_valid_solid(right)
    # ... and the mirrored mesh lies on the right muscle's own field.
    assert np.abs(fields["multifidus.right"](np.asarray(right.points))).max() < 0.6


def test_multifidus_sides_are_built_apart_on_a_shifted_spine():
    from spineviz.geometry.frames import Frame, Placement, placement

    base = placement()
    # The whole spine 3 mm to the left: no longer mirror-symmetric about x = 0.
    shifted = Placement(
        base.shapes,
        {v: Frame(f.rotation, f.origin + np.array([3.0, 0.0, 0.0])) for v, f in base.frames.items()},
        base.discs,
    )
    meshes, fields = build_soft_tissue(DEFAULT_LEVELS, shifted, 1.0)
    left, right = meshes["multifidus.left"], meshes["multifidus.right"]
    # Each side sits beside the shifted spinous processes, on its own field.
    assert left.center[0] - 3.0 == pytest.approx(-(right.center[0] - 3.0), abs=1.0)
    for side, mesh in (("left", left), ("right", right)):
        assert surface.is_valid_solid(mesh)
        assert folded_edges(mesh) == 0
        assert np.abs(fields[f"multifidus.{side}"](np.asarray(mesh.points))).max() < 0.6
