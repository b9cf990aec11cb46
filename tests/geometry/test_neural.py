"""Neural structures: valid tubes, sac area, roots through the right foramina, condition hooks."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spineviz.geometry import surface
from spineviz.geometry.bones import bone_regions
from spineviz.geometry.dimensions import VERTEBRAE, recipe
from spineviz.geometry.disc import disc_fields, disc_frame
from spineviz.geometry.frames import placement
from spineviz.geometry.names import DEFAULT_LEVELS, Levels, part_names
from spineviz.geometry.neural import (
    RootCompression,
    build_neural,
    pedicle_underside,
    root_path,
    sac_parts,
    sac_semi_axes,
)
from spineviz.geometry.tubes import grid_slab, sweep

NEURAL_KEYS = ("root", "sinuvertebral", "basivertebral", "dural_sac", "cauda_equina")


@pytest.fixture(scope="session")
def place():
    return placement()


@pytest.fixture(scope="session")
def built(place):
    return build_neural(DEFAULT_LEVELS, place, 1.0)


def section_area(mesh: pv.PolyData, frame) -> float:
    """Area of the largest loop where the frame's xy plane cuts the mesh (mm²)."""
    cut = mesh.slice(normal=frame.rotation[:, 2], origin=frame.origin).strip()
    best, lines, i = 0.0, cut.lines, 0
    while i < len(lines):
        n = lines[i]
        q = frame.to_local(cut.points[lines[i + 1 : i + 1 + n]])
        best = max(best, abs(0.5 * np.sum(q[:, 0] * np.roll(q[:, 1], -1) - np.roll(q[:, 0], -1) * q[:, 1])))
        i += n + 1
    return best


def test_names_are_the_registered_ones(built):
    meshes, fields = built
    expected = {n for n in part_names(DEFAULT_LEVELS) if set(n.split(".")) & set(NEURAL_KEYS)}
    assert set(meshes) == expected
    assert set(fields) == expected


def test_every_part_is_a_valid_solid(built):
    meshes, _ = built
    assert [n for n, m in meshes.items() if not surface.is_valid_solid(m)] == []


def test_sweep_and_slab_are_closed_and_outward():
    tube = sweep([[0, 0, 0], [5, 0, -10], [10, 5, -20]], 2.0, caps="round")
    flat = sweep([[0, 0, 0], [0, 3, -10], [0, 3, -20]], lambda s: 1 + s, caps="flat")
    u, v = np.meshgrid(np.linspace(0, 4, 6), np.linspace(0, 3, 5), indexing="ij")
    bottom = np.dstack([u, v, 0.1 * u * v])
    slab = grid_slab(bottom, bottom + np.array([0.0, 0.0, 0.5]))
    for mesh in (tube, flat, slab):
        assert surface.is_valid_solid(mesh)
    assert surface.signed_volume(slab) == pytest.approx(4 * 3 * 0.5, rel=1e-6)
    # A straight round tube of radius 2 and length ~22 mm, plus two half-domes.
    assert surface.signed_volume(tube) == pytest.approx(np.pi * 4 * 22.9 + 4 / 3 * np.pi * 8, rel=0.12)


def test_sac_area_at_l4_l5_is_the_published_one(place, built):
    meshes, _ = built
    m = recipe()["dural_sac"]["area_L4_L5"]
    area = section_area(meshes["dural_sac"], disc_frame(place, "L4-L5"))
    assert abs(area - m.mean) <= 0.1 * m.mean


def test_cauda_lies_inside_the_sac_and_fills_about_half(place, built):
    meshes, fields = built
    assert fields["dural_sac"](meshes["cauda_equina"].points).max() <= 0.05
    frame = disc_frame(place, "L4-L5")
    share = section_area(meshes["cauda_equina"], frame) / section_area(meshes["dural_sac"], frame)
    assert share == pytest.approx(recipe()["dural_sac"]["cauda_share"].mean, abs=0.12)
    # The rootlets lie dorsally in the sac (supine).
    y = frame.to_local(meshes["cauda_equina"].points)[:, 1].mean()
    assert y > frame.to_local(meshes["dural_sac"].points)[:, 1].mean()


def _crossing(path: np.ndarray, frame) -> np.ndarray:
    """Where a centreline crosses a disc's mid-plane, in the disc frame."""
    q = frame.to_local(path)
    i = int(np.nonzero(np.diff(np.sign(q[:, 2])))[0][0])
    w = q[i, 2] / (q[i, 2] - q[i + 1, 2])
    return q[i] + w * (q[i + 1] - q[i])


@pytest.mark.parametrize("side", ["left", "right"])
def test_l4_exits_and_l5_traverses_at_l4_l5(place, side):
    frame = disc_frame(place, "L4-L5")
    half_canal = place.shapes["L5"].canal_width / 2
    exiting = _crossing(root_path(place, "L4", side).path, frame)
    traversing = _crossing(root_path(place, "L5", side).path, frame)
    # L4 is out in the foramen, lateral of the canal; L5 still in the canal
    # (subarticular zone), behind the disc.
    assert abs(exiting[0]) > half_canal
    assert abs(traversing[0]) < half_canal
    ys = np.linspace(0, 30, 301)
    line = frame.to_world(np.c_[np.full_like(ys, traversing[0]), ys, np.zeros_like(ys)])
    disc_back = ys[disc_fields(place, "L4-L5").whole(line) < 0].max()
    assert traversing[1] > disc_back


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(v=st.sampled_from(VERTEBRAE[:-1]), side=st.sampled_from(["left", "right"]))
def test_ganglion_lies_in_the_foramen_below_its_pedicle(place, v, side):
    rp = root_path(place, v, side)
    nxt = VERTEBRAE[VERTEBRAE.index(v) + 1]
    sx = 1.0 if side == "left" else -1.0
    under = place.frames[v].to_world((pedicle_underside(place.shapes[v]) * [sx, 1, 1])[None])[0]
    below = place.frames[nxt].to_world((pedicle_underside(place.shapes[nxt]) * [sx, 1, 1])[None])[0]
    # Between the two pedicles, lateral to the canal.
    assert below[2] < rp.drg[2] < under[2]
    assert abs(place.frames[v].to_local(rp.drg[None])[0, 0]) > place.shapes[v].canal_width / 2
    # Widest at the ganglion, up to the published 6.5 mm at L5.
    assert 2 * rp.radius.max() <= 6.5 + 1e-9
    assert np.argmax(rp.radius) == pytest.approx(rp.s_drg * (len(rp.radius) - 1), abs=2)


def test_roots_do_not_enter_bone(place, built):
    meshes, _ = built
    for name, mesh in meshes.items():
        if ".root." not in name:
            continue
        for v in DEFAULT_LEVELS.vertebrae:
            d = bone_regions(place.shapes[v])["whole"](place.frames[v].to_local(mesh.points))
            assert d.min() > -1.0, (name, v)


def test_small_nerves_reach_their_targets(place, built):
    meshes, _ = built
    body = bone_regions(place.shapes["L4"])["body"]
    inside = body(place.frames["L4"].to_local(meshes["L4.basivertebral"].points)) < 0
    assert inside.mean() > 0.6
    annulus = disc_fields(place, "L4-L5").whole
    for side in ("left", "right"):
        pts = meshes[f"L4-L5.sinuvertebral.{side}"].points
        # It ends on the back of the disc, inside the canal.
        end = pts[np.argmin(np.abs(disc_frame(place, "L4-L5").to_local(pts)[:, 0]))]
        assert annulus(end[None])[0] < 1.5
        assert abs(end[0]) < place.shapes["L4"].canal_width / 2


def test_build_is_deterministic(place, built):
    again, _ = build_neural(DEFAULT_LEVELS, place, 1.0)
    for name, mesh in again.items():
        np.testing.assert_array_equal(mesh.points, built[0][name].points)


def test_sac_narrowing_hook(place, built):
    frame = disc_frame(place, "L4-L5")
    meshes, _ = sac_parts(DEFAULT_LEVELS, place, sac_area_scale={"L4-L5": 0.5})
    assert surface.is_valid_solid(meshes["dural_sac"])
    healthy = section_area(built[0]["dural_sac"], frame)
    assert section_area(meshes["dural_sac"], frame) == pytest.approx(0.5 * healthy, rel=0.08)
    with pytest.raises(ValueError, match="sac_area_scale"):
        sac_parts(DEFAULT_LEVELS, place, sac_area_scale={"L4-L5": 0.0})


def test_root_compression_hook(place, built):
    push = RootCompression(displacement=(0.0, 3.0, 0.0), flattening=0.5, length=14.0)
    meshes, _ = build_neural(DEFAULT_LEVELS, place, 1.0, root_compression={"L5.root.left": push})
    mesh = meshes["L5.root.left"]
    assert surface.is_valid_solid(mesh)
    assert surface.signed_volume(mesh) < surface.signed_volume(built[0]["L5.root.left"])
    frame = disc_frame(place, "L4-L5")
    before = frame.to_local(built[0]["L5.root.left"].points)
    after = frame.to_local(mesh.points)
    near = np.abs(after[:, 2]) < 2
    assert after[near, 1].mean() > before[np.abs(before[:, 2]) < 2, 1].mean() + 1.5
    # The other roots do not move.
    np.testing.assert_array_equal(meshes["L4.root.left"].points, built[0]["L4.root.left"].points)
    with pytest.raises(ValueError, match="root_compression"):
        build_neural(DEFAULT_LEVELS, place, 1.0, root_compression={"L2.root.left": push})


def test_whole_lumbar_spine_builds(place):
    meshes, _ = build_neural(Levels.parse("L1-S1"), place, 1.6)
    assert all(surface.is_valid_solid(m) for m in meshes.values())
    assert "S1.root.left" in meshes
    assert "S1.basivertebral" not in meshes


def test_sac_field_is_signed_and_matches_its_mesh(place, built):
    meshes, fields = built
    sac, field = meshes["dural_sac"], fields["dural_sac"]
    # Negative along the axis, about a semi-axis deep (not a hollow shell at zero).
    _, b = sac_semi_axes()
    # The swept mesh is rings of 36 points and two cap centres: ring centres lie on the axis.
    axis = sac.points[:-2].reshape(-1, 36, 3).mean(axis=1)[5:-5]
    assert field(axis).max() < -0.8 * b
    # Zero on the mesh, signed about a distance either side of it.
    normals = sac.compute_normals(point_normals=True, split_vertices=False).point_data["Normals"]
    assert np.abs(field(sac.points)).max() < 0.05
    outside, inside = field(sac.points + normals), field(sac.points - normals)
    assert outside.min() > 0.5
    assert np.median(outside) == pytest.approx(1.0, abs=0.1)
    assert inside.max() < 0.0
    assert np.median(inside) == pytest.approx(-1.0, abs=0.1)


@pytest.mark.parametrize("v", ["L4", "L5"])
def test_root_runs_down_out_and_a_little_forward_beyond_the_foramen(place, v):
    frame = place.frames[v]
    rp = root_path(place, v, "left")
    drg, end = frame.to_local(np.vstack([rp.drg, rp.path[-1]]))
    # Lower, more lateral and somewhat in front of the ganglion ...
    assert end[2] < drg[2] - 10
    assert end[0] > drg[0] + 10
    assert 0 < drg[1] - end[1] < 0.8 * (drg[2] - end[2])
    # ... but behind the middle of the body (toward psoas, not round the front), and short.
    assert end[1] > 0
    assert np.linalg.norm(end - drg) < 40
