"""Vertebrae: sound solids, published dimensions, joints, canal and foramina.

Dimensions are measured on the generated meshes (local frame: the parts of
one vertebra built with the identity frame) and compared with the published
mean ± one SD recorded in ``meshes/levels.toml``.  Each measuring method is
described where it is defined.
"""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spineviz.geometry import sdf, surface
from spineviz.geometry.bones import PARTS, body_arch_boundary, bone_parts, local_bone_meshes
from spineviz.geometry.dimensions import VERTEBRAE, vertebra_measures
from spineviz.geometry.frames import IDENTITY
from spineviz.geometry.model import DETAIL_SPACING
from spineviz.geometry.vertebra import arch_field, arch_landmarks, vertebra_field, vertebra_shape

LUMBAR = VERTEBRAE[:-1]


def _local(placement, level: str, spacing: float = 1.0):
    return bone_parts(placement.shapes[level], IDENTITY, spacing=spacing)


def _hits(meshes, start, direction, length=120.0) -> np.ndarray:
    """Distances along a ray at which it crosses any of the meshes, sorted."""
    start = np.asarray(start, float)
    direction = np.asarray(direction, float) / np.linalg.norm(direction)
    out = []
    for mesh in meshes:
        pts, _ = mesh.ray_trace(start, start + length * direction)
        out += [float((p - start) @ direction) for p in np.atleast_2d(pts) if len(p)]
    return np.sort(np.asarray(out))


# ---------------------------------------------------------------------------
# measuring methods
# ---------------------------------------------------------------------------


def endplate_width(placement, level) -> float:
    """Width of the superior bony endplate: its x extent in the coronal plane
    through the body's centre (Panjabi's EPWu)."""
    meshes, _ = _local(placement, level)
    cut = meshes[f"{level}.endplate.superior"].slice(normal="y", origin=(0, 0, 0))
    return float(cut.bounds[1] - cut.bounds[0])


def posterior_height(placement, level) -> float:
    """Height of the body 2 mm in front of its posterior wall on the midline,
    from the inferior to the superior rim (Panjabi's VBHp)."""
    meshes, _ = _local(placement, level)
    shape = placement.shapes[level]
    bone = [meshes[f"{level}.{k}"] for k in ("body", "endplate.superior", "endplate.inferior")]
    back = _hits(bone, (0, shape.half_depth + 10, 0), (0, -1, 0))[0]
    y = shape.half_depth + 10 - back - 2.0
    hits = _hits(bone, (0, y, -60), (0, 0, 1))
    return float(hits[-1] - hits[0])


def canal_width(placement, level) -> float:
    """Interpedicular distance: from the canal's midline, rays along ±x at the
    pedicles' centre (height and depth) to the first bone (Panjabi's SCW)."""
    meshes, _ = _local(placement, level)
    c = arch_landmarks(placement.shapes[level]).pedicle_center
    arch = [meshes[f"{level}.arch"]]
    start = (0.0, c[1], c[2])
    return float(_hits(arch, start, (1, 0, 0))[0] + _hits(arch, start, (-1, 0, 0))[0])


def canal_depth(placement, level) -> float:
    """Midsagittal depth at pedicle height: from the back of the body to the
    front of the laminae's junction (Panjabi's SCD)."""
    meshes, _ = _local(placement, level)
    shape = placement.shapes[level]
    c = arch_landmarks(shape).canal_center
    bone = list(meshes.values())
    return float(_hits(bone, c, (0, 1, 0))[0] + _hits(bone, c, (0, -1, 0))[0])


def pedicle_width(placement, level) -> float:
    """Pedicle width at its isthmus (Panjabi's PDW): the narrowest bone chord
    across the pedicle axis, at the pedicle's centre height, over chords from
    the front of the pedicle to its centre.

    The rays cross the arch and (for the angled lower pedicles) the body;
    crossings of the flat cut shared by the two parts are not bone surface.
    """
    meshes, _ = _local(placement, level)
    shape = placement.shapes[level]
    lm = arch_landmarks(shape)
    axis = lm.pedicle_back - lm.pedicle_front
    axis[2] = 0.0
    across = np.array([axis[1], -axis[0], 0.0]) / np.linalg.norm(axis)
    parts = [meshes[f"{level}.arch"], meshes[f"{level}.body"]]
    chords = []
    for s in np.linspace(0.3, 1.0, 8):
        centre = lm.pedicle_front + s * (lm.pedicle_center - lm.pedicle_front)
        centre[2] = lm.pedicle_center[2]
        start = centre - 25.0 * across
        hits = _hits(parts, start, across, 50.0)
        y = start[1] + hits * across[1]
        hits = hits[np.abs(y - body_arch_boundary(shape)) > 0.3]
        i = np.searchsorted(hits, 25.0)
        if 0 < i < len(hits):
            chords.append(hits[i] - hits[i - 1])
    return float(min(chords))


MEASURES = {
    "endplate_width": endplate_width,
    "posterior_height": posterior_height,
    "canal_width": canal_width,
    "canal_depth": canal_depth,
    "pedicle_width": pedicle_width,
}


@pytest.mark.parametrize("level", LUMBAR)
@pytest.mark.parametrize("measure", list(MEASURES))
def test_dimension_within_one_sd_of_published_mean(lumbar_placement, level, measure):
    got = MEASURES[measure](lumbar_placement, level)
    published = vertebra_measures(level)[measure]
    print(f"\n{level} {measure}: {got:.1f} mm (published {published.mean} ± {published.sd})")
    assert abs(got - published.mean) <= published.sd


# ---------------------------------------------------------------------------
# sound solids
# ---------------------------------------------------------------------------


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(level=st.sampled_from(VERTEBRAE), detail=st.sampled_from(["low", "medium"]))
def test_bony_parts_are_sound_solids_that_touch_without_overlap(lumbar_placement, level, detail):
    spacing = DETAIL_SPACING[detail]
    meshes, fields = _local(lumbar_placement, level, spacing)
    for name, mesh in meshes.items():
        assert surface.is_closed_manifold(mesh), name
        assert surface.is_consistently_wound(mesh), name
        assert surface.signed_volume(mesh) > 0, name
        assert surface.n_bodies(mesh) == 1, name
    body = f"{level}.body"
    for name, mesh in meshes.items():
        for other, field in fields.items():
            if other != name:
                # No vertex of one part lies inside another beyond the grid's tolerance.
                assert field(np.asarray(mesh.points)).min() > -spacing, (name, other)
        if name != body:
            # Every part rests on the body.
            assert np.abs(fields[body](np.asarray(mesh.points))).min() < spacing, name


def euler_characteristic(mesh: pv.PolyData) -> int:
    """V − E + F of a triangle mesh: 2 for a closed surface without handles,
    2 − 2g for one with ``g`` tunnels through it."""
    mesh = mesh.clean()
    tri = mesh.faces.reshape(-1, 4)[:, 1:]
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    return mesh.n_points - len(np.unique(edges, axis=0)) + len(tri)


def test_euler_characteristic_counts_tunnels():
    assert euler_characteristic(pv.Sphere()) == 2
    assert euler_characteristic(pv.ParametricTorus().triangulate()) == 0


@pytest.mark.parametrize(
    ("level", "detail"),
    [(v, d) for v in VERTEBRAE for d in ("low", "medium")],
)
def test_arch_has_no_tunnel_through_the_bone(lumbar_placement, level, detail):
    # Pieces of the arch that nearly touch without their blends closing leave
    # a crack: contoured, a tunnel (a handle, genus ≥ 1) that no real arch has.
    arch = local_bone_meshes(lumbar_placement.shapes[level], DETAIL_SPACING[detail])["arch"]
    assert euler_characteristic(arch) == 2


def test_lamina_runs_solid_into_the_pedicle(lumbar_placement):
    # Where the L5 lamina's lateral end meets the pedicle's medial wall, the
    # pieces once left a crack about 1 mm wide, open by up to 0.08 mm along
    # z = 0…4 mm (a tunnel from the lateral recess to behind the arch).
    shape = lumbar_placement.shapes["L5"]
    x, y, z = np.meshgrid(np.arange(14.0, 15.6, 0.1), np.arange(25.0, 27.1, 0.1), np.arange(0.0, 4.1, 0.5))
    points = np.c_[x.ravel(), y.ravel(), z.ravel()]
    for side in (1, -1):
        # Solid bone throughout (the grid's medial edge lies 0.45 mm from the canal wall,
        # so it cannot be deeper than that there).
        assert arch_field(shape)(points * [side, 1, 1]).max() < -0.25


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(level=st.sampled_from(VERTEBRAE), part=st.sampled_from(PARTS))
def test_clipping_a_bony_part_gives_a_filled_cut(lumbar_placement, level, part):
    mesh = _local(lumbar_placement, level)[0][f"{level}.{part}"]
    for normal in ("x", "y", "z"):
        half = mesh.clip_closed_surface(normal=normal, origin=mesh.center)
        assert half.n_cells > 0
        assert half.n_open_edges == 0, normal


def test_build_is_deterministic_and_cache_returns_copies(lumbar_placement):
    shape = lumbar_placement.shapes["L3"]
    fresh = local_bone_meshes.__wrapped__(shape, 1.6)
    first, _ = bone_parts(shape, IDENTITY, spacing=1.6)
    first["L3.body"].points[:] += 100.0
    second, _ = bone_parts(shape, IDENTITY, spacing=1.6)
    for key in PARTS:
        np.testing.assert_array_equal(fresh[key].points, second[f"L3.{key}"].points)
        np.testing.assert_array_equal(fresh[key].faces, second[f"L3.{key}"].faces)


def test_mesh_lies_on_the_field_zero_level(lumbar_placement):
    meshes, fields = _local(lumbar_placement, "L4")
    for name, mesh in meshes.items():
        d = fields[name](np.asarray(mesh.points))
        assert np.percentile(np.abs(d), 95) < 0.35, name


# ---------------------------------------------------------------------------
# anatomy
# ---------------------------------------------------------------------------


def _world_parts(model, level):
    return {
        k: v
        for k, v in model.parts.items()
        if k.startswith(f"{level}.") and k.split(".")[1] in ("body", "arch", "endplate")
    }


@pytest.mark.parametrize(("upper", "lower"), [("L4", "L5")])
def test_facet_joints_meet_with_a_joint_space(default_model, upper, lower):
    """The upper inferior and lower superior articular processes face each
    other 1–2 mm apart, the lower facet facing posteromedially."""
    up = default_model.parts[f"{upper}.arch"]
    low = default_model.parts[f"{lower}.arch"]
    low_n = low.compute_normals(cell_normals=False, point_normals=True, auto_orient_normals=False)
    d = np.abs(low_n.compute_implicit_distance(up)["implicit_distance"])
    frame = default_model.placement.frames[lower]
    for side in (1, -1):
        local = frame.to_local(np.asarray(low_n.points))
        centre = np.asarray(default_model.placement.shapes[lower].facet_superior.centre) * [side, 1, 1]
        mask = (np.sign(local[:, 0]) == side) & (np.linalg.norm(local - centre, axis=1) < 10.0)
        i = np.flatnonzero(mask)[np.argmin(d[mask])]
        assert 0.8 <= d[i] <= 2.5, f"joint space {d[i]:.2f} mm"
        # Facet surface near the contact: normals of the lower (superior) facet.
        near = mask & (d < d[i] + 0.6)
        n = np.asarray(low_n["Normals"])[near] @ frame.rotation
        n = n.mean(axis=0)
        assert n[1] > 0.2, "superior facet should face posteriorly"
        assert -side * n[0] > 0.2, "superior facet should face medially"
        angle = np.degrees(np.arctan2(abs(n[0]), n[1]))
        assert 35.0 <= angle <= 80.0, f"facet angle {angle:.0f}° to the coronal plane"


def test_upper_inferior_process_faces_anterolaterally(lumbar_placement):
    shape = lumbar_placement.shapes["L4"]
    joint = shape.facet_inferior
    normal = -np.asarray(joint.normal)  # the inferior facet's outward normal
    assert normal[0] > 0.3, "lateral (+x side joint)"
    assert normal[1] < -0.2, "anterior"


@pytest.mark.parametrize("level", LUMBAR)
def test_canal_and_foramen_are_open(lumbar_placement, level):
    shape = lumbar_placement.shapes[level]
    field = vertebra_field(shape)
    lm = arch_landmarks(shape)
    assert field(lm.canal_center[None])[0] > 4.0
    # The foramen below the pedicle: clear of bone, with the pedicle above it.
    assert field(lm.foramen_center[None])[0] > 2.0
    zs = np.linspace(lm.foramen_center[2], lm.foramen_center[2] + 20, 81)
    column = np.c_[np.full_like(zs, lm.foramen_center[0]), np.full_like(zs, lm.pedicle_center[1]), zs]
    assert (field(column) < 0).any(), "no pedicle above the foramen"


def test_foramen_lies_between_pedicles_behind_the_disc(default_model):
    place = default_model.placement
    fl = place.frames["L4"].to_world(arch_landmarks(place.shapes["L4"]).foramen_center[None])[0]
    ped_up = place.frames["L4"].to_world(arch_landmarks(place.shapes["L4"]).pedicle_center[None])[0]
    ped_low = place.frames["L5"].to_world(arch_landmarks(place.shapes["L5"]).pedicle_center[None])[0]
    assert ped_low[2] < fl[2] < ped_up[2]
    for name in ("L4.body", "L5.body", "L4.arch", "L5.arch"):
        assert default_model.fields[name](fl[None])[0] > 1.0, name


def test_lamina_inner_landmarks_lie_on_the_bone(lumbar_placement):
    for level in LUMBAR:
        shape = lumbar_placement.shapes[level]
        field = vertebra_field(shape)
        lm = arch_landmarks(shape)
        for p in (lm.lamina_inner_top, lm.lamina_inner_bottom):
            assert abs(field(p[None])[0]) < 2.0, level


def test_sacrum_has_no_lumbar_spinous_or_transverse_processes(lumbar_placement):
    s1 = local_bone_meshes(lumbar_placement.shapes["S1"], 1.6)
    l5 = local_bone_meshes(lumbar_placement.shapes["L5"], 1.6)
    # The spinous process of L5 reaches far behind its canal; S1's crest does not.
    assert s1["arch"].bounds[3] < l5["arch"].bounds[3] - 15.0
    # The S1 body carries the alae: much wider than its own endplate.
    shape = lumbar_placement.shapes["S1"]
    assert s1["body"].bounds[1] - s1["body"].bounds[0] > 1.6 * shape.width


def test_unknown_level_is_a_clear_error():
    with pytest.raises(ValueError, match="level: unknown vertebra 'T12'"):
        vertebra_shape("T12")


def test_parts_of_neighbours_do_not_overlap(default_model):
    fields = default_model.fields
    for a in ("L4.arch", "L4.body"):
        for b in ("L5.arch", "L5.body", "L5.endplate.superior"):
            pts = np.asarray(default_model.parts[a].points)
            assert fields[b](pts).min() > -0.5, (a, b)


def test_union_of_parts_is_one_bone(lumbar_placement):
    meshes = local_bone_meshes(lumbar_placement.shapes["L4"], 1.0)
    merged = pv.merge(list(meshes.values())).clean(tolerance=0.6)
    assert surface.n_bodies(merged) == 1


# ---------------------------------------------------------------------------
# the blade primitive and the shapes of the arch built from it
# ---------------------------------------------------------------------------


def _slope(field, points: np.ndarray, step: float = 0.05) -> np.ndarray:
    """Length of the central-difference gradient at ``points``."""
    grad = [(field(points + d) - field(points - d)) / (2 * step) for d in np.eye(3) * step]
    return np.linalg.norm(np.stack(grad, axis=1), axis=1)


def test_blade_with_edge_equal_to_thickness_is_a_rounded_flat_capsule():
    # With the rim rounded by the whole half thickness, the blade is the flat
    # stadium of radius r - t (in the plane z = 0) grown by a ball of radius t.
    r, t = 5.0, 2.0
    blade = sdf.Blade.make((-8, 0, 0), (8, 0, 0), normal=(0, 0, 1), half_width=r, half_thickness=t, edge=t)
    p = np.random.default_rng(3).uniform(-20, 20, size=(4000, 3))
    along = np.clip(p[:, 0], -8, 8)
    in_plane = np.maximum(np.hypot(p[:, 0] - along, p[:, 1]) - (r - t), 0.0)
    np.testing.assert_allclose(blade(p), np.hypot(in_plane, p[:, 2]) - t, atol=1e-9)


def test_blade_outline_is_the_hull_of_its_end_circles():
    blade = sdf.Blade.make(
        (0, 0, 0), (20, 0, 0), normal=(0, 0, 1), half_width=(6, 3), half_thickness=2, edge=1
    )
    # Round ends of the outline radii beyond the end points; in between the
    # tangent lines narrow from one radius to the other.
    assert blade(np.array([[-6.0, 0, 0], [23.0, 0, 0]])) == pytest.approx([0.0, 0.0], abs=1e-9)
    side = blade(np.array([[10.0, y, 0] for y in np.linspace(3.0, 6.0, 301)]))
    edge_y = np.linspace(3.0, 6.0, 301)[np.argmin(np.abs(side))]
    assert 4.0 < edge_y < 5.0
    with pytest.raises(ValueError, match="Blade"):
        sdf.Blade.make((0, 0, 0), (2, 0, 0), normal=(0, 0, 1), half_width=(6, 1), half_thickness=2, edge=1)


@pytest.mark.parametrize(
    ("half_width", "half_thickness", "edge"),
    [((6.0, 3.3), (3.2, 2.0), 1.8), ((2.4, 1.9), (2.4, 1.9), 1.8), ((8.5, 6.5), (4.0, 3.0), 2.5)],
)
def test_blade_changes_no_faster_than_a_distance(half_width, half_thickness, edge):
    # The contouring's narrow band relies on |grad f| <= surface.LIPSCHITZ.
    blade = sdf.Blade.make(
        (1, 2, 3),
        (12, 9, -4),
        normal=(0.3, -1, 0.2),
        half_width=half_width,
        half_thickness=half_thickness,
        edge=edge,
    )
    p = np.random.default_rng(4).uniform(-15, 25, size=(20000, 3))
    assert _slope(blade, p).max() <= 1.2
    assert _slope(blade, p).max() <= surface.LIPSCHITZ


def _first_bone_along(field, start, direction, length=40.0, step=0.1) -> float:
    """Distance from ``start`` along ``direction`` to the first point inside the bone."""
    t = np.arange(0.0, length, step)
    d = field(np.asarray(start, float) + t[:, None] * np.asarray(direction, float))
    inside = np.flatnonzero(d < 0)
    return float(t[inside[0]]) if len(inside) else np.inf


@pytest.mark.parametrize("level", LUMBAR)
def test_laminae_slope_back_going_down(lumbar_placement, level):
    # Seen from the side, a lamina's back surface runs down and back (the
    # lower lamina overlaps the interlaminar space below), not straight down.
    shape = lumbar_placement.shapes[level]
    field = arch_field(shape)
    lm = arch_landmarks(shape)
    x = shape.canal_width * 0.3
    top, bottom = lm.lamina_top[2] - 3.0, lm.lamina_bottom[2] + 6.0
    back = {z: 80.0 - _first_bone_along(field, (x, 80.0, z), (0, -1, 0), 60.0) for z in (top, bottom)}
    assert back[bottom] - back[top] > 0.25 * (top - bottom)


@pytest.mark.parametrize("level", LUMBAR)
def test_transverse_process_is_flat_and_tapers_to_a_rounded_tip(lumbar_placement, level):
    shape = lumbar_placement.shapes[level]
    field = arch_field(shape)
    tip = arch_landmarks(shape).transverse_tip

    def section(x):
        # Height and depth of the process's cross-section at lateral offset x.
        z = np.arange(tip[2] - 15, tip[2] + 15, 0.1)
        y = np.arange(tip[1] - 15, tip[1] + 15, 0.1)
        zz, yy = np.meshgrid(z, y)
        inside = field(np.c_[np.full(zz.size, x), yy.ravel(), zz.ravel()]) < 0
        if not inside.any():
            return 0.0, 0.0
        return np.ptp(zz.ravel()[inside]), np.ptp(yy.ravel()[inside])

    root_h, _ = section(tip[0] - 12.0)
    mid_h, mid_d = section(tip[0] - 5.0)
    near_h, _ = section(tip[0] - 1.0)
    assert root_h > mid_h > near_h > 0, "narrows toward its tip"
    assert near_h < 0.75 * mid_h, "rounded off at the tip"
    assert mid_d < 0.7 * mid_h, "flattened from front to back"
