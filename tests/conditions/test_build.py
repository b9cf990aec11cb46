"""Building states: what each condition does to the geometry, measured on the parts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from spineviz.conditions.build import build, depends, disc_bulge, healthy
from spineviz.conditions.compression import section_area
from spineviz.conditions.herniation import exit_angle
from spineviz.conditions.ingrowth import fibre_depth
from spineviz.conditions.state import FIELDS, LEVELS, State
from spineviz.geometry import surface
from spineviz.geometry.disc import disc_fields, disc_frame
from spineviz.geometry.names import CONDITION_PARTS, Levels, part_names

DETAIL = "low"


@pytest.fixture(scope="module")
def base():
    return build(State(), detail=DETAIL)


def test_healthy_state_is_the_healthy_model_itself(base):
    model = healthy(base.levels, DETAIL)
    assert list(base.parts) == list(model.parts)
    assert all(base.parts[n] is model.parts[n] for n in model.parts)
    assert base.contacts == ()


def test_all_conditions_off_again_gives_back_the_healthy_geometry(base):
    sick = build(
        State(stage="modic1", herniation="extrusion", stenosis="severe", theory="bacterial"), detail=DETAIL
    )
    assert set(sick.parts) > set(base.parts)
    again = build(
        sick.state.replace(stage="healthy", herniation="none", stenosis="none", theory="none"), detail=DETAIL
    )
    assert list(again.parts) == list(base.parts)
    for n, m in base.parts.items():
        assert np.array_equal(again.parts[n].points, m.points), n


def test_one_change_rebuilds_only_its_parts(base):
    a = build(State(modic=2), detail=DETAIL)
    b = build(State(modic=2, multifidus_fat=0, theory="biomechanical"), detail=DETAIL)
    changed = {n for n in b.parts if b.parts[n] is not a.parts.get(n)}
    assert changed == {"L4-L5.theory.microfractures"}
    assert "theory" in depends()
    assert a.parts["L4.body"] is base.parts["L4.body"]


def test_condition_part_names_are_registered():
    model = build(
        State(
            stage="modic3", herniation="extrusion", stenosis="moderate", theory="autoimmune", ingrowth=True
        ),
        detail=DETAIL,
    )
    known = set(part_names(model.levels))
    for p in CONDITION_PARTS:
        for v in model.levels.vertebrae:
            for side in ("left", "right"):
                known.add(p.format(v=v, d=model.state.level, s=side))
    assert set(model.parts) <= known
    assert "L4.modic" in model.parts
    assert "L4-L5.herniation" in model.parts


# -- Modic --------------------------------------------------------------------


@pytest.mark.parametrize("modic", ["1", "2", "3", "1/2", "2/3"])
def test_modic_zones_leave_bone_shape_untouched(base, modic):
    model = build(State(modic=modic, modic_extent="gt50"), detail=DETAIL)
    for v in ("L4", "L5"):
        for part in ("body", "arch", "endplate.superior", "endplate.inferior"):
            assert np.array_equal(model.parts[f"{v}.{part}"].points, base.parts[f"{v}.{part}"].points)
        zone = model.parts[f"{v}.modic"]
        assert zone.field_data["modic_type"][0] == modic
        assert surface.is_valid_solid(zone)
        # Marrow inside the bone: every zone point is inside the body's solid.
        assert np.all(base.fields[f"{v}.body"](zone.points) < 0.6)


@pytest.mark.parametrize(
    ("extent", "lo", "hi"), [("lt25", 0.0, 0.25), ("25-50", 0.25, 0.5), ("gt50", 0.5, 1.0)]
)
def test_modic_extent_reaches_its_share_of_body_height(extent, lo, hi):
    from spineviz.conditions.modic import body_height, depth_below_endplate
    from spineviz.geometry.frames import placement

    model = build(State(modic=1, modic_extent=extent, modic_endplates="lower"), detail=DETAIL)
    assert "L4.modic" not in model.parts
    place = placement()
    shape = place.shapes["L5"]
    local = place.frames["L5"].to_local(model.parts["L5.modic"].points)
    reach = depth_below_endplate(shape, "superior", local).max() / float(body_height(shape, 0.0, 0.0))
    assert lo < reach <= hi


def test_modic_follows_the_upper_vertebra_when_the_disc_collapses():
    from spineviz.conditions.build import motion

    a = build(State(modic=2), detail=DETAIL)
    b = build(State(modic=2, pfirrmann=5), detail=DETAIL)
    move = motion("L4-L5", 5)
    assert np.allclose(b.parts["L4.modic"].points, move.to_world(a.parts["L4.modic"].points), atol=1e-3)
    assert np.allclose(b.parts["L4.body"].points, move.to_world(a.parts["L4.body"].points), atol=1e-3)
    assert a.parts["L4.modic"].center[2] - b.parts["L4.modic"].center[2] > 3.0
    assert np.allclose(a.parts["L5.modic"].points, b.parts["L5.modic"].points)


def test_fissures_cross_the_bony_endplate_into_the_marrow_and_grow_with_type():
    from spineviz.conditions.modic import FISSURES, depth_below_endplate
    from spineviz.geometry.bones import ENDPLATE_THICKNESS
    from spineviz.geometry.frames import placement

    place = placement()
    volumes = {}
    for modic in ("1", "2", "3"):
        model = build(State(modic=modic, modic_endplates="lower"), detail=DETAIL)
        name = "L5.modic.fissures"
        if modic == "3":
            assert name not in model.parts  # sclerosis: no open clefts
            continue
        cracks = model.parts[name]
        assert surface.is_closed_manifold(cracks)
        assert surface.is_consistently_wound(cracks)
        assert surface.n_bodies(cracks) == FISSURES[int(modic)][0]  # one closed blade per cleft
        assert surface.folded_edges(cracks) == 0
        local = place.frames["L5"].to_local(cracks.points)
        depth = depth_below_endplate(place.shapes["L5"], "superior", local)
        # From inside the bony plate down past it into the marrow zone.
        assert 0.0 < depth.min() < ENDPLATE_THICKNESS < depth.max()
        bone = np.minimum(
            model.fields["L5.body"](cracks.points), model.fields["L5.endplate.superior"](cracks.points)
        )
        assert np.all(bone < 0.0)  # in the plate and the marrow, never out into the disc
        volumes[modic] = surface.signed_volume(cracks)
    assert volumes["2"] > volumes["1"]


# -- degeneration -------------------------------------------------------------


def disc_height(model, level="L4-L5") -> float:
    """Distance between the two bony endplates along the disc axis at the centre."""
    upper, lower = level.split("-")
    frame = disc_frame(model.placement, level)
    axis = frame.rotation[:, 2]
    hits = []
    for name in (f"{upper}.endplate.inferior", f"{lower}.endplate.superior"):
        pts, _ = model.parts[name].ray_trace(frame.origin - 40 * axis, frame.origin + 40 * axis)
        hits.append((pts - frame.origin) @ axis)
    return float(hits[0].min() - hits[1].max())


def test_disc_height_and_hydration_fall_with_pfirrmann():
    models = [build(State(pfirrmann=g), detail=DETAIL) for g in range(1, 6)]
    heights = [disc_height(m) for m in models]
    hydration = [m.measurements["hydration"] for m in models]
    assert all(a > b for a, b in itertools.pairwise(heights)), heights
    assert all(a > b for a, b in itertools.pairwise(hydration)), hydration
    assert heights[-1] < 0.5 * heights[0]  # grade V: collapsed
    assert "L4.osteophytes" in models[4].parts
    assert "L4.osteophytes" not in models[2].parts
    nucleus = models[3].parts["L4-L5.nucleus"]
    assert nucleus.field_data["hydration"][0] == pytest.approx(hydration[3])
    # The deformed disc is the graded disc: within a lamella groove and a
    # contour step of the exact field of its height and bulge.
    fields = disc_fields(models[4].placement, "L4-L5", bulge=disc_bulge(5, "none"))
    assert np.all(fields.whole(models[4].parts["L4-L5.annulus"].points) < 0.8)
    # Mesh and field of the deformed parts describe the same solid.
    for name in ("L4-L5.annulus", "dural_sac", "L5.root.left"):
        pts = models[4].parts[name].points[::7]
        assert np.percentile(np.abs(models[4].fields[name](pts)), 95) < 0.35, name


def test_rim_spurs_are_clean_rings_that_grow_with_grade():
    from spineviz.geometry.vertebra import outline_field

    reach = {}
    for grade in (4, 5):
        model = build(State(pfirrmann=grade), detail=DETAIL)
        for v in ("L4", "L5"):
            spurs = model.parts[f"{v}.osteophytes"]
            assert surface.is_valid_solid(spurs)
            assert surface.n_bodies(spurs) == 1
            assert surface.folded_edges(spurs) == 0
        local = model.placement.frames["L5"].to_local(model.parts["L5.osteophytes"].points)
        out = outline_field(model.placement.shapes["L5"], local[:, 0], local[:, 1])
        assert out.min() < 0.0  # rooted in the rim
        reach[grade] = out.max()
    assert 1.5 < reach[4] < reach[5]


def test_disc_height_loss_narrows_the_foramen():
    from spineviz.geometry.vertebra import arch_landmarks

    def foramen_height(model):
        # From the underside of L4's pedicle to the top of L5's, left side.
        p = model.placement
        top = p.frames["L4"].to_world(arch_landmarks(p.shapes["L4"]).pedicle_front[None])[0]
        bottom = p.frames["L5"].to_world(arch_landmarks(p.shapes["L5"]).pedicle_front[None])[0]
        return top[2] - bottom[2]

    heights = [foramen_height(build(State(pfirrmann=g), detail=DETAIL)) for g in (1, 3, 5)]
    assert heights[0] > heights[1] > heights[2]
    assert heights[0] - heights[2] > 3.0


# -- herniation (Fardon 2014) -------------------------------------------------


def widths(model, level="L4-L5"):
    """Base width (on the disc wall) and widest width beyond it, axially and sagittally."""
    mesh = model.parts[f"{level}.herniation"]
    frame = disc_frame(model.placement, level)
    whole = disc_fields(model.placement, level, bulge=0.0).whole
    st = model.state
    a = np.radians(exit_angle(st.herniation_zone, st.herniation_side))
    n = np.array([np.sin(a), np.cos(a), 0.0])
    t = np.array([-n[1], n[0], 0.0])
    q = frame.to_local(mesh.points)
    d = whole(mesh.points)
    base = q[np.abs(d) < 1.2]
    beyond = q[d > 1.2]
    return {
        "base_axial": np.ptp(base @ t) if len(base) else 0.0,
        "base_sagittal": np.ptp(base[:, 2]) if len(base) else 0.0,
        "dome_axial": np.ptp(beyond @ t),
        "dome_sagittal": np.ptp(beyond[:, 2]),
        "reach": float(d.max()),
    }


def test_protrusion_base_wider_than_dome():
    m = build(State(herniation="protrusion"), detail=DETAIL)
    w = widths(m)
    assert surface.n_bodies(m.parts["L4-L5.herniation"]) == 1
    assert w["base_axial"] > w["reach"]
    assert w["base_sagittal"] > w["reach"]
    assert w["base_axial"] >= w["dome_axial"] - 0.5


def test_extrusion_dome_wider_than_base_and_migrated():
    m = build(State(herniation="extrusion"), detail=DETAIL)
    w = widths(m)
    assert surface.n_bodies(m.parts["L4-L5.herniation"]) == 1
    assert w["dome_axial"] > w["base_axial"] or w["dome_sagittal"] > w["base_sagittal"]
    frame = disc_frame(m.placement, "L4-L5")
    assert (
        frame.to_local(m.parts["L4-L5.herniation"].points)[:, 2].min()
        < -m.placement.discs["L4-L5"].posterior_height / 2
    )


def test_sequestration_is_a_free_fragment():
    m = build(State(herniation="sequestration"), detail=DETAIL)
    frag = m.parts["L4-L5.herniation"]
    assert surface.n_bodies(frag) == 1
    whole = disc_fields(m.placement, "L4-L5").whole
    assert whole(frag.points).min() > 1.0  # no continuity with the disc


def assert_fardon_bulge(model):
    """One closed band of disc tissue beyond the ring apophyses over > 25 % of the circumference."""
    band = model.parts[f"{model.state.level}.herniation"]
    assert band.n_cells > 0, "the bulge part is empty"
    assert surface.is_valid_solid(band)
    # Beyond the ring apophyses: outside the healthy disc's wall at this height.
    rim = disc_fields(model.placement, model.state.level, bulge=0.0).whole
    assert np.median(rim(band.points)) > 0.0
    frame = disc_frame(model.placement, model.state.level)
    q = frame.to_local(band.points[rim(band.points) > 0.0])
    angles = np.degrees(np.arctan2(q[:, 0], q[:, 1]))
    covered = np.unique(np.floor(angles / 5.0)).size * 5.0
    assert covered > 90.0, covered


# The disc already bulges with grade and stenosis: the band must stand out from that wall too.
@pytest.mark.parametrize(
    "findings",
    [
        {},
        {"stenosis": "severe"},
        {"pfirrmann": 4},
        {"pfirrmann": 5, "stenosis": "severe"},
        {"stage": "modic2"},
    ],
)
def test_bulge_covers_more_than_a_quarter_of_the_circumference(findings):
    assert_fardon_bulge(build(State(herniation="bulge", **findings), detail=DETAIL))


# A central herniation has no side: it is tested once.
ZONE_SIDES = [(z, s) for z in ("subarticular", "foraminal") for s in ("left", "right")]
ZONE_SIDES.append(("central", "left"))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("zone", "side"), ZONE_SIDES)
def test_the_right_root_is_contacted(level, zone, side):
    upper, lower = level.split("-")
    m = build(
        State(level=level, herniation="extrusion", herniation_zone=zone, herniation_side=side), detail=DETAIL
    )
    touched = {c.structure for c in m.contacts}
    expected = {
        "subarticular": f"{lower}.root.{side}",
        "foraminal": f"{upper}.root.{side}",
        "central": "dural_sac",
    }[zone]
    assert expected in touched, m.contacts
    other = "right" if side == "left" else "left"
    assert not any(s.endswith(f".root.{other}") for s in touched)
    if zone != "central":
        # The named root is the one pushed furthest (a wide mass may graze its neighbour).
        roots = [c for c in m.contacts if ".root." in c.structure]
        assert max(roots, key=lambda c: c.displacement_mm).structure == expected
        c = next(c for c in m.contacts if c.structure == expected)
        assert c.displacement_mm > 0.3
        assert m.parts[expected].field_data["compressed"][0] == 1
        assert expected in m.highlighted


# -- stenosis ------------------------------------------------------------------


def test_dural_sac_area_healthy_and_severe(base):
    frame = disc_frame(base.placement, "L4-L5")
    healthy_area = section_area(base.parts["dural_sac"], frame)
    assert 120 < healthy_area < 185
    areas = []
    for grade in ("mild", "moderate", "severe"):
        m = build(State(stenosis=grade), detail=DETAIL)
        areas.append(section_area(m.parts["dural_sac"], disc_frame(m.placement, "L4-L5")))
        assert "L4-L5.facet_hypertrophy.left" in m.parts
    assert healthy_area > areas[0] > areas[1] > areas[2]
    assert areas[2] < 75


# -- ingrowth ------------------------------------------------------------------


def test_fibres_stay_in_outer_third_when_healthy_and_go_deeper_when_degenerated():
    h = build(State(ingrowth=True), detail=DETAIL)
    d = build(State(ingrowth=True, pfirrmann=4), detail=DETAIL)
    for model, check in ((h, lambda x: x <= 1 / 3 + 0.05), (d, lambda x: x > 0.6)):
        frame = disc_frame(model.placement, "L4-L5")
        fields = disc_fields(model.placement, "L4-L5")
        pts = model.parts["L4-L5.fibres"].points[::25]
        depth = fibre_depth(fields, frame, pts)
        assert check(np.percentile(depth, 99)), np.percentile(depth, 99)
    q = disc_frame(h.placement, "L4-L5").to_local(h.parts["L4-L5.fibres"].points)
    assert np.mean(q[:, 1] > 0) > 0.6  # mostly at the back


def test_basivertebral_branches_multiply_next_to_modic():
    m = build(State(ingrowth=True, modic=1), detail=DETAIL)
    assert "L4.basivertebral.branches" in m.parts
    assert "L4.basivertebral.branches" not in build(State(ingrowth=True), detail=DETAIL).parts


# -- every state ---------------------------------------------------------------


def states():
    def fix(v):
        if v["inflammation"] and v["modic"] not in ("1", "1/2"):
            v["inflammation"] = False
        return State(**v)

    skip = {"stage", "level"}
    return st.fixed_dictionaries(
        {f.name: st.sampled_from(f.values) for f in FIELDS if f.name not in skip}
    ).map(fix)


@given(states())
@example(State(herniation="bulge", stenosis="severe", pfirrmann=4))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_state_gives_closed_well_wound_parts(state):
    m = build(state, detail=DETAIL)
    if state.herniation == "bulge":
        assert_fardon_bulge(m)
    elif state.herniation != "none":
        assert m.parts[f"{state.level}.herniation"].n_cells > 0
    for name, mesh in m.parts.items():
        if mesh.n_cells == 0:
            continue
        assert surface.is_closed_manifold(mesh), name
        assert surface.is_consistently_wound(mesh), name
        assert surface.signed_volume(mesh) > 0, name


def test_levels_default_to_the_state_level():
    m = build(State(level="L2-L3", modic=1), detail=DETAIL)
    assert m.levels == Levels("L2", "L3")
    assert "L2.modic" in m.parts


# -- multifidus fat, ligamentum flavum, theory overlays --------------------------


def test_multifidus_fat_share_grows_with_grade_and_does_not_overlap_the_muscle(base):
    shares = [0.0]
    for grade in (1, 2, 3):
        m = build(State(multifidus_fat=grade), detail=DETAIL)
        for side in ("left", "right"):
            fat, muscle = m.parts[f"multifidus.{side}.fat"], m.parts[f"multifidus.{side}"]
            assert surface.is_closed_manifold(fat)
            assert surface.signed_volume(fat) > 0
            # The fat lies inside the healthy muscle's outline and outside the remaining muscle.
            assert np.percentile(base.fields[f"multifidus.{side}"](fat.points), 99) < 0.8
            assert np.percentile(m.fields[f"multifidus.{side}"](fat.points[::5]), 5) > -0.8
        share = surface.signed_volume(fat) / (surface.signed_volume(fat) + surface.signed_volume(muscle))
        assert fat.field_data["fat_share"][0] == pytest.approx(share, abs=1e-6)
        shares.append(share)
    assert all(a < b for a, b in itertools.pairwise(shares)), shares
    assert shares[1] < 0.2  # streaks
    assert shares[2] < 0.5  # less fat than muscle
    assert shares[3] >= 0.45  # about as much fat as muscle, or more


def test_stenosis_thickens_the_ligamentum_flavum_toward_the_narrowed_sac(base):
    frame = disc_frame(base.placement, "L4-L5")
    front = {}
    for grade in ("none", "moderate", "severe"):
        m = build(State(stenosis=grade), detail=DETAIL)
        q = frame.to_local(m.parts["L4-L5.ligamentum_flavum"].points)
        mid = q[(np.abs(q[:, 2]) < 3) & (np.abs(q[:, 0]) < 4)]
        front[grade] = mid[:, 1].min()
        # The sac and the thicker ligament meet without running into each other.
        sac = m.parts["dural_sac"].points
        assert np.min(m.fields["L4-L5.ligamentum_flavum"](sac)) > -0.6, grade
    assert front["none"] - front["moderate"] > 1.0
    assert front["moderate"] > front["severe"]


def test_bacteria_sit_in_the_new_vessels_and_immune_cells_on_the_herniation():
    m = build(State(theory="bacterial", ingrowth=True, pfirrmann=4), detail=DETAIL)
    bacteria = m.parts["L4-L5.theory.bacteria"]
    centres = np.array([bacteria.extract_cells(i).center for i in range(0, bacteria.n_cells, 20)])
    probe = pv_points(centres).compute_implicit_distance(m.parts["L4-L5.vessels"])
    assert np.percentile(probe["implicit_distance"], 95) < 0.15
    h = build(State(theory="autoimmune", herniation="extrusion"), detail=DETAIL)
    cells = h.parts["L4-L5.theory.immune"]
    d = pv_points(cells.points).compute_implicit_distance(h.parts["L4-L5.herniation"])["implicit_distance"]
    assert 0.0 < np.median(d) < 2.6


def test_immune_cells_gather_outside_a_disc_that_stenosis_already_bulges():
    # Severe stenosis bulges the disc about as far as a bulge finding reaches,
    # so little or no material lies outside it: the cells still gather there.
    m = build(State(theory="autoimmune", herniation="bulge", stenosis="severe", pfirrmann=4), detail=DETAIL)
    cells = m.parts["L4-L5.theory.immune"]
    assert surface.n_bodies(cells) > 10
    whole = disc_fields(m.placement, "L4-L5", bulge=disc_bulge(4, "severe")).whole
    assert np.median(whole(cells.points)) > 0.0  # outside the disc wall


def pv_points(points):
    import pyvista as pv

    return pv.PolyData(np.asarray(points, float))


# -- medium detail (the app's default) ----------------------------------------


def test_key_findings_hold_at_medium_detail():
    healthy_model = build(State(), detail="medium")
    frame = disc_frame(healthy_model.placement, "L4-L5")
    assert 120 < section_area(healthy_model.parts["dural_sac"], frame) < 185
    severe = build(State(stenosis="severe", herniation="extrusion"), detail="medium")
    assert section_area(severe.parts["dural_sac"], disc_frame(severe.placement, "L4-L5")) < 75
    assert "L5.root.left" in severe.highlighted
    collapsed = build(State(pfirrmann=5, multifidus_fat=3), detail="medium")
    assert disc_height(collapsed) < 0.55 * disc_height(healthy_model)  # 42% plus the endplate bowls
    for model in (severe, collapsed):
        for name, mesh in model.parts.items():
            if mesh.n_cells:
                assert surface.is_closed_manifold(mesh), name
                assert surface.signed_volume(mesh) > 0, name
