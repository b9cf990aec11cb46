"""Appearance by part name: every part of every level range gets a fitting look."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from spineviz.geometry.names import GROUPS, Levels, group_of, part_names
from spineviz.render import style


def hue_family(rgb) -> str:
    r, g, b = rgb
    if b > r and b > g:
        return "blue"
    if r > 0.7 and g > 0.7 and b < 0.5:
        return "yellow"
    if r > 1.5 * g:
        return "red"
    return "ivory"


ALL_NAMES = part_names(Levels.parse("L1-S1"))


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_named_part_has_a_specific_look(name):
    look = style.appearance(name)
    assert look is not style.DEFAULT
    assert 0.0 < look.opacity <= 1.0
    assert all(0.0 <= c <= 1.0 for c in look.color)


def test_groups_read_as_atlas_colours():
    assert hue_family(style.appearance("L4.body").color) == "ivory"
    assert hue_family(style.appearance("L4-L5.annulus").color) == "blue"
    assert hue_family(style.appearance("L4-L5.nucleus").color) == "blue"
    for name in ("L5.root.left", "cauda_equina", "L4-L5.sinuvertebral.right", "L4.basivertebral"):
        assert hue_family(style.appearance(name).color) == "yellow", name
    assert hue_family(style.appearance("multifidus.left").color) == "red"
    assert hue_family(style.appearance("L4-L5.vessels").color) == "red"


def test_nucleus_is_brighter_than_annulus_and_annulus_shows_through():
    annulus, nucleus = style.appearance("L4-L5.annulus"), style.appearance("L4-L5.nucleus")
    assert sum(nucleus.color) > sum(annulus.color)
    assert annulus.translucent
    assert not nucleus.translucent
    assert style.appearance("dural_sac").translucent


def test_arch_is_warmer_than_body():
    body, arch = style.appearance("L4.body").color, style.appearance("L4.arch").color
    assert arch[0] - arch[2] > body[0] - body[2]


def test_condition_parts_are_styled_before_the_structure_they_sit_in():
    # A Modic zone is named under its vertebra but must not be drawn as bone.
    assert style.appearance("L4.modic.inferior").color == style.MODIC_COLOURS[1]
    assert style.appearance("L4-L5.herniation") == style.HERNIATION
    assert style.appearance("L4-L5.fibres") == style.FIBRES


@pytest.mark.parametrize("modic_type", [1, 2, 3])
def test_modic_colour_follows_the_type_in_the_mesh(modic_type):
    zone = pv.Sphere()
    zone.field_data["modic_type"] = np.array([modic_type])
    assert style.appearance("L5.modic.superior", zone).color == style.MODIC_COLOURS[modic_type]


def test_modic_types_have_distinct_colours():
    colours = list(style.MODIC_COLOURS.values())
    assert len(set(colours)) == len(colours)


def test_unknown_names_fall_back_by_group_then_default():
    assert style.appearance("something.else") is style.DEFAULT
    for group in GROUPS:
        key = GROUPS[group][0]
        assert group_of(f"X.{key}") == group
        assert style.appearance(f"X.{key}") is not style.DEFAULT


def test_modic_body_and_its_endplates_turn_see_through_and_others_stay_solid():
    parts = {n: pv.Sphere() for n in ("L4.body", "L4.endplate.inferior", "L4.arch", "L5.body", "L4.modic")}
    looks = style.looks(parts)
    assert looks["L4.body"].opacity == style.SEE_THROUGH
    assert looks["L4.endplate.inferior"].opacity == style.SEE_THROUGH
    assert looks["L4.arch"].opacity == 1.0
    assert looks["L5.body"].opacity == 1.0
    del parts["L4.modic"]
    assert style.looks(parts)["L4.body"].opacity == 1.0


def test_mixed_modic_blends_its_two_type_colours():
    zone = pv.Sphere()
    zone.field_data["modic_type"] = np.array(["1/2"])
    colour = np.asarray(style.appearance("L4.modic", zone).color)
    one, two = np.asarray(style.MODIC_COLOURS[1]), np.asarray(style.MODIC_COLOURS[2])
    assert np.allclose(colour, (one + two) / 2)
    fissures = np.asarray(style.appearance("L4.modic.fissures", zone).color)
    assert fissures.sum() < colour.sum()


def test_condition_marks_on_meshes_change_the_look():
    root = pv.Sphere()
    assert style.appearance("L5.root.left", root) == style.NERVE
    root.field_data["compressed"] = np.array([1])
    assert style.appearance("L5.root.left", root) == style.COMPRESSED
    wet, dry = pv.Sphere(), pv.Sphere()
    wet.field_data["hydration"] = np.array([1.0])
    dry.field_data["hydration"] = np.array([0.1])
    assert sum(style.appearance("L4-L5.nucleus", dry).color) < sum(
        style.appearance("L4-L5.nucleus", wet).color
    )
    assert style.appearance("multifidus.left.fat") == style.FAT
    assert hue_family(style.appearance("L4.osteophytes").color) == "ivory"
    assert hue_family(style.appearance("L4-L5.facet_hypertrophy.left").color) == "ivory"


def test_sac_is_more_solid_when_a_finding_narrows_it():
    plain = style.looks({"dural_sac": pv.Sphere()})["dural_sac"].opacity
    narrowed = style.looks({"dural_sac": pv.Sphere(), "L4-L5.herniation": pv.Sphere()})["dural_sac"].opacity
    assert narrowed > plain
