"""Intervertebral discs: valid solids, published heights, nucleus share, fit on the endplates."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spineviz.geometry import surface
from spineviz.geometry.bones import bone_regions
from spineviz.geometry.dimensions import disc_measures
from spineviz.geometry.disc import (
    cartilage_thickness,
    disc_frame,
    disc_parts,
    nucleus_fraction,
    with_disc_height,
)
from spineviz.geometry.frames import placement
from spineviz.geometry.names import DEFAULT_LEVELS, part_names
from spineviz.geometry.vertebra import endplate_rim_z, outline_field

SPACING = 1.0
"""Contour spacing of the default detail ("medium"); also the tolerance of fits."""

DISCS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")


@pytest.fixture(scope="session")
def place():
    return placement()


@pytest.fixture(scope="session")
def built(place):
    """The default segment's discs: L4-L5 whole, L3-L4 lower half, L5-S1 upper half."""
    meshes, fields = disc_parts(place, "L4-L5", spacing=SPACING)
    for d, half in DEFAULT_LEVELS.half_discs:
        m, f = disc_parts(place, d, spacing=SPACING, half=half)
        meshes.update(m)
        fields.update(f)
    return meshes, fields


def euler(mesh: pv.PolyData) -> int:
    t = surface.triangles(mesh)
    edges = np.unique(np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1), axis=0)
    return mesh.n_points - len(edges) + len(t)


def test_names_are_the_registered_ones(built):
    meshes, _ = built
    expected = {
        n for n in part_names(DEFAULT_LEVELS) if any(k in n for k in ("annulus", "nucleus", "cartilage"))
    }
    assert set(meshes) == expected


def test_every_part_is_a_valid_solid(built):
    meshes, _ = built
    bad = [n for n, m in meshes.items() if not surface.is_valid_solid(m)]
    assert not bad


def test_annulus_is_a_ring_and_nucleus_a_ball(built):
    meshes, _ = built
    # Euler characteristic 2 - 2g: the annulus has one hole (genus 1).
    assert euler(meshes["L4-L5.annulus"]) == 0
    assert euler(meshes["L4-L5.nucleus"]) == 2


def _thickness(mesh: pv.PolyData, frame, y: float) -> float:
    """Extent of a mesh along the disc frame's z through mid-sagittal depth ``y``."""
    a = frame.to_world(np.array([[0.0, y, -30.0]]))[0]
    b = frame.to_world(np.array([[0.0, y, 30.0]]))[0]
    pts, _ = mesh.ray_trace(a, b)
    z = frame.to_local(pts)[:, 2]
    return float(z.max() - z.min())


def _margins(mesh: pv.PolyData, frame) -> tuple[float, float]:
    a = frame.to_world(np.array([[0.0, -60.0, 0.0]]))[0]
    b = frame.to_world(np.array([[0.0, 60.0, 0.0]]))[0]
    pts, _ = mesh.ray_trace(a, b)
    y = frame.to_local(pts)[:, 1]
    return float(y.min()), float(y.max())


def _whole_disc(meshes, d):
    return pv.merge(
        [meshes[f"{d}.{p}"] for p in ("annulus", "nucleus", "cartilage.superior", "cartilage.inferior")]
    )


def _corner_depths(place, d) -> tuple[float, float]:
    """Mid-sagittal depth (disc frame y) of the vertebral corners framing the disc.

    Each is the mean of the two facing bodies' rim corners: anterior at the
    front of the outline, posterior at the back of the (notched) outline.
    """
    frame = disc_frame(place, d)
    upper, lower = d.split("-")
    ys = []
    for sign in (-1.0, 1.0):
        pts = []
        for v, side in ((upper, "inferior"), (lower, "superior")):
            s = place.shapes[v]
            lo, hi = (0.0, s.depth) if sign > 0 else (-s.depth, 0.0)
            for _ in range(40):  # bisection for the outline's edge on the midline
                mid = (lo + hi) / 2
                inside = outline_field(s, np.array([0.0]), np.array([mid]), 1.0)[0] < 0
                lo, hi = (
                    ((mid, hi) if inside else (lo, mid)) if sign > 0 else ((lo, mid) if inside else (mid, hi))
                )
            y = (lo + hi) / 2
            z = float(endplate_rim_z(s, side, np.array(y)))
            pts.append(place.frames[v].to_world(np.array([[0.0, y, z]]))[0])
        ys.append(float(frame.to_local(np.array(pts))[:, 1].mean()))
    return ys[0], ys[1]


def measured_heights(place, meshes, d):
    """Anterior, middle and posterior height measured on the mesh (mm).

    Anterior and posterior: the disc's thickness on the mid-sagittal line,
    1.5 mm inside the vertebral corners that frame it (the radiographic
    convention: disc height between the corners of the adjacent bodies; the
    inset keeps the ray off the rounded corner of the mesh).  Middle: the
    distance between the two rim chords (the lines joining those rim points
    of each endplate) at mid-depth, i.e. the mean of the two; the concave
    bony endplates make the disc thicker at its centre than that, by up to
    the two concavities (returned fourth, measured at mid-depth).
    """
    frame = disc_frame(place, d)
    whole = _whole_disc(meshes, d)
    front, back = _corner_depths(place, d)
    ant = _thickness(whole, frame, front + 1.5)
    post = _thickness(whole, frame, back - 1.5)
    return ant, (ant + post) / 2, post, _thickness(whole, frame, (front + back) / 2)


@pytest.mark.parametrize("disc", DISCS)
def test_heights_match_the_published_table(place, disc):
    meshes, _ = disc_parts(place, disc, spacing=SPACING)
    geo = place.discs[disc]
    m = disc_measures(geo.upper)
    ant, mid, post, centre = measured_heights(place, meshes, disc)
    assert abs(ant - m["anterior_height"].mean) <= m["anterior_height"].sd
    assert abs(post - m["posterior_height"].mean) <= m["posterior_height"].sd
    assert abs(mid - m["middle_height"].mean) <= m["middle_height"].sd
    # The bowls of both endplates add to the centre, never more than the two concavities.
    extra = place.shapes[geo.upper].concavity_inferior + place.shapes[geo.lower].concavity_superior
    assert centre <= mid + extra + SPACING


def _section_areas(mesh: pv.PolyData, frame) -> list[float]:
    """Areas of the closed loops where the disc's mid-plane cuts a mesh, largest first."""
    normal = frame.rotation[:, 2]
    cut = mesh.slice(normal=normal, origin=frame.origin).strip()
    areas = []
    lines = cut.lines
    i = 0
    while i < len(lines):
        n = lines[i]
        loop = frame.to_local(cut.points[lines[i + 1 : i + 1 + n]])
        x, y = loop[:, 0], loop[:, 1]
        areas.append(abs(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)))
        i += n + 1
    return sorted(areas, reverse=True)


def test_nucleus_takes_the_published_share(place, built):
    meshes, _ = built
    frame = disc_frame(place, "L4-L5")
    outer = _section_areas(meshes["L4-L5.annulus"], frame)[0]
    nucleus = _section_areas(meshes["L4-L5.nucleus"], frame)[0]
    assert nucleus / outer == pytest.approx(nucleus_fraction(), abs=0.04)
    # Slightly behind the middle of the disc's depth.
    front, back = _margins(meshes["L4-L5.annulus"], frame)
    centre_y = frame.to_local(meshes["L4-L5.nucleus"].points)[:, 1].mean()
    assert 0.0 < centre_y - (front + back) / 2 < 3.0


def test_cartilage_is_thin_and_lies_on_the_bone(place, built):
    meshes, _ = built
    t = cartilage_thickness()
    assert 0.3 <= t <= 1.0
    frame = disc_frame(place, "L4-L5")
    assert _thickness(meshes["L4-L5.cartilage.superior"], frame, 0.0) == pytest.approx(t, abs=0.1)
    # Its bone-facing face is the L4 inferior endplate surface.
    upper = bone_regions(place.shapes["L4"])["whole"]
    pts = meshes["L4-L5.cartilage.superior"].points
    d = upper(place.frames["L4"].to_local(pts))
    assert d.min() > -0.05
    # One whole face (half the vertices of the slab) lies on the bone.
    assert np.mean(np.abs(d) < 0.05) > 0.45


@pytest.mark.parametrize("part", ["annulus", "nucleus"])
def test_disc_touches_but_does_not_enter_bone(place, built, part):
    meshes, _ = built
    pts = meshes[f"L4-L5.{part}"].points
    for v in ("L4", "L5"):
        d = bone_regions(place.shapes[v])["whole"](place.frames[v].to_local(pts))
        assert d.min() > -SPACING
    if part == "annulus":
        # The annulus rim sits on the ring apophyses of both vertebrae.
        for v in ("L4", "L5"):
            d = bone_regions(place.shapes[v])["whole"](place.frames[v].to_local(pts))
            assert np.count_nonzero(np.abs(d) < 0.5) > 200


def test_half_discs_keep_the_side_next_to_the_segment(place, built):
    meshes, _ = built
    lower = disc_frame(place, "L3-L4").to_local(meshes["L3-L4.annulus"].points)[:, 2]
    upper = disc_frame(place, "L5-S1").to_local(meshes["L5-S1.annulus"].points)[:, 2]
    assert lower.max() < 0.6
    assert lower.min() < -4
    assert upper.min() > -0.6
    assert upper.max() > 4


def test_build_is_deterministic(place, built):
    meshes, _ = built
    again, _ = disc_parts(place, "L4-L5", spacing=SPACING)
    for name, mesh in again.items():
        np.testing.assert_array_equal(mesh.points, meshes[name].points)


def test_healthy_defaults_are_the_no_argument_disc(place, built):
    meshes, _ = built
    explicit, _ = disc_parts(
        place, "L4-L5", spacing=SPACING, bulge=0.0, nucleus_scale=1.0, nucleus_blur=0.0, fissures=()
    )
    for name, mesh in explicit.items():
        np.testing.assert_array_equal(mesh.points, meshes[name].points)


def test_condition_hooks_change_the_disc(place, built):
    meshes, _ = built
    frame = disc_frame(place, "L4-L5")
    m, _ = disc_parts(place, "L4-L5", spacing=SPACING, bulge=2.5, nucleus_scale=0.6, fissures=[(20.0, 1.0)])
    assert all(surface.is_valid_solid(x) for x in m.values())
    healthy_back = _margins(meshes["L4-L5.annulus"], frame)[1]
    assert _margins(m["L4-L5.annulus"], frame)[1] > healthy_back + 1.5
    assert surface.signed_volume(m["L4-L5.nucleus"]) < surface.signed_volume(meshes["L4-L5.nucleus"])
    # The fissure carries nucleus out toward the posterior wall.
    assert frame.to_local(m["L4-L5.nucleus"].points)[:, 1].max() > (
        frame.to_local(meshes["L4-L5.nucleus"].points)[:, 1].max() + 2.0
    )


def test_lost_height_settles_the_vertebrae_above(place, built):
    meshes, _ = built
    low = with_disc_height(place, "L4-L5", 0.6)
    assert np.allclose(low.frames["L5"].origin, place.frames["L5"].origin)
    assert low.frames["L4"].origin[2] < place.frames["L4"].origin[2] - 3
    m, _ = disc_parts(low, "L4-L5", spacing=SPACING)
    assert all(surface.is_valid_solid(x) for x in m.values())
    ant, _, post, _ = measured_heights(low, m, "L4-L5")
    ant0, _, post0, _ = measured_heights(place, meshes, "L4-L5")
    assert ant == pytest.approx(0.6 * ant0, rel=0.12)
    assert post == pytest.approx(0.6 * post0, rel=0.15)


def test_bad_condition_values_are_refused(place):
    with pytest.raises(ValueError, match="height_factor"):
        with_disc_height(place, "L4-L5", 0.0)
    with pytest.raises(ValueError, match="half"):
        disc_parts(place, "L4-L5", spacing=SPACING, half="middle")


def test_cut_through_the_disc_is_closed(place, built):
    meshes, _ = built
    frame = disc_frame(place, "L4-L5")
    for part in ("annulus", "nucleus"):
        cut = meshes[f"L4-L5.{part}"].clip_closed_surface(normal=(1.0, 0.0, 0.0), origin=frame.origin)
        assert surface.is_closed_manifold(cut.triangulate().clean())


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(disc=st.sampled_from(DISCS))
def test_every_level_gives_valid_discs(place, disc):
    meshes, _ = disc_parts(place, disc, spacing=1.6)
    assert all(surface.is_valid_solid(m) for m in meshes.values())
    assert euler(meshes[f"{disc}.annulus"]) == 0


def test_annulus_carries_lamella_bands_for_cut_faces(place, built):
    from spineviz.geometry.disc import LAMELLA_COUNT, disc_fields, lamella_bands

    meshes, _ = built
    annulus = meshes["L4-L5.annulus"]
    assert annulus.point_data["lamella"].shape == (annulus.n_points,)
    position = annulus.point_data["lamella_position"]
    assert position.min() >= 0.0
    assert position.max() <= 1.0
    # Across the annulus in the mid-plane, front and back: one light and one dark band per lamella.
    fields = disc_fields(place, "L4-L5")
    frame = disc_frame(place, "L4-L5")
    for sign in (1.0, -1.0):
        y = sign * np.linspace(0.0, 30.0, 1201)
        line = frame.to_world(np.c_[np.zeros_like(y), y, np.zeros_like(y)])
        inside = line[fields.annulus(line) < 0]
        flips = np.count_nonzero(np.diff(np.sign(lamella_bands(fields, inside))))
        assert abs(flips - 2 * LAMELLA_COUNT) <= 2
    # A refined cut face shows the bands (its outline alone would not).
    cut = annulus.clip_closed_surface(normal=frame.rotation[:, 2], origin=frame.origin)
    fine = cut.triangulate().subdivide_adaptive(max_edge_len=0.5)
    bands = lamella_bands(fields, fine.points)
    assert bands.min() < -0.9
    assert bands.max() > 0.9
