"""The state vocabulary: round trips, validation messages, stage presets, CLI flag specs."""

from __future__ import annotations

import argparse
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spineviz.conditions.state import (
    FIELDS,
    SPECS,
    STAGE_FIELDS,
    STAGE_PRESETS,
    State,
    StateError,
    cli_flags,
    state_from_flags,
    vocabulary_table,
)


def valid_states():
    """Hypothesis strategy over every valid state (custom stage)."""

    def build(values):
        if values["inflammation"] and values["modic"] not in ("1", "1/2"):
            values["inflammation"] = False
        return State(**values)

    return st.fixed_dictionaries(
        {s.name: st.sampled_from(s.values) for s in FIELDS if s.name != "stage"}
    ).map(build)


def test_default_is_healthy_and_writes_nothing():
    s = State()
    assert s.is_healthy
    assert s.to_mapping() == {}
    assert s.to_query() == ""
    assert State.from_mapping({}) == s


@pytest.mark.parametrize("spec", FIELDS, ids=lambda s: s.name)
def test_every_value_of_every_field_round_trips(spec):
    for value, token in zip(spec.values, spec.tokens, strict=True):
        if spec.name == "inflammation" and value:
            base = {"modic": "1"}
        elif spec.name == "stage" and value != "custom":
            base = {}
        else:
            base = {}
        s = State.from_mapping({**base, spec.name: token})
        assert getattr(s, spec.name) == value
        assert State.from_mapping(s.to_mapping()) == s
        assert State.from_query(s.to_query()) == s
        # The token is what gets written, under the field's exact name.
        if value != spec.default and not (s.stage != "custom" and spec.name in STAGE_FIELDS):
            assert s.to_mapping()[spec.name] == token


@given(valid_states())
@settings(max_examples=60, deadline=None)
def test_any_state_round_trips_and_hashes(s):
    assert State.from_mapping(s.to_mapping()) == s
    assert State.from_query(s.to_query()) == s
    assert hash(State.from_query(s.to_query())) == hash(s)
    assert set(s.to_mapping()) <= set(SPECS)


def test_query_uses_exact_field_names_and_only_non_defaults():
    s = State.from_mapping(
        {"modic": 1, "pfirrmann": 4, "herniation": "extrusion", "herniation_zone": "foraminal"}
    )
    assert s.to_query() == "modic=1&pfirrmann=4&herniation=extrusion&herniation_zone=foraminal"


def test_values_are_normalised_from_strings_numbers_and_aliases():
    a = State.from_mapping({"modic": "1/2", "pfirrmann": "IV", "ingrowth": "on", "inflammation": "true"})
    b = State(modic="1-2", pfirrmann=4, ingrowth=True, inflammation=True)
    assert a == b
    assert a.modic == "1/2"
    assert a.modic_types == (1, 2)
    assert a.pfirrmann == 4
    assert a.ingrowth is True


def test_state_is_frozen_and_hashable():
    s = State(modic=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.modic = "1"  # type: ignore[misc]
    assert {s: 1}[State(modic="2")] == 1


@pytest.mark.parametrize("spec", FIELDS, ids=lambda s: s.name)
def test_bad_value_names_the_field_and_lists_allowed_values(spec):
    with pytest.raises(StateError) as info:
        State.from_mapping({spec.name: "nonsense"})
    msg = str(info.value)
    assert msg.startswith(f"{spec.name}: 'nonsense' is not allowed; choose one of ")
    for token in spec.tokens:
        assert token in msg
    assert info.value.field == spec.name
    assert isinstance(info.value, ValueError)


def test_modic_message_exactly():
    with pytest.raises(StateError, match=r"^modic: '7' is not allowed; choose one of 0, 1, 2, 3, 1/2, 2/3$"):
        State.from_query("modic=7")


def test_bad_value_in_constructor_and_replace():
    with pytest.raises(StateError, match=r"^pfirrmann: '6'"):
        State(pfirrmann=6)
    with pytest.raises(StateError, match=r"^multifidus_fat: '4'"):
        State().replace(multifidus_fat=4)


def test_unknown_field_is_named():
    with pytest.raises(StateError, match="unknown field 'modic_type'; the fields are level, stage, modic"):
        State.from_mapping({"modic_type": "1"})
    with pytest.raises(StateError, match="unknown field 'colour'"):
        State().replace(colour="red")


@pytest.mark.parametrize("modic", ["0", "2", "3", "2/3"])
def test_inflammation_needs_modic_type_1(modic):
    with pytest.raises(StateError, match=r"^inflammation: 'on' needs Modic type 1 or 1/2"):
        State.from_mapping({"modic": modic, "inflammation": "on"})


@pytest.mark.parametrize("modic", ["1", "1/2"])
def test_inflammation_allowed_with_oedema(modic):
    assert State(modic=modic, inflammation=True).inflammation


def test_stage_sets_fields_and_rejects_contradictions():
    for stage, preset in STAGE_PRESETS.items():
        s = State(stage=stage)
        for name, value in preset.items():
            assert getattr(s, name) == value
        assert s.to_mapping() == {"stage": stage}
        # Restating a preset value explicitly is fine.
        for name, value in preset.items():
            assert State.from_mapping({"stage": stage, name: SPECS[name].token(value)}) == s
    with pytest.raises(StateError, match=r"^modic: '2' contradicts stage modic1, which sets modic to 1"):
        State.from_mapping({"stage": "modic1", "modic": "2"})
    with pytest.raises(StateError, match=r"^modic: '0' contradicts stage modic3"):
        State.from_mapping({"stage": "modic3", "modic": "0"})
    with pytest.raises(StateError, match=r"^pfirrmann: '5' contradicts stage healthy"):
        State.from_query("stage=healthy&pfirrmann=5")


def test_stage_progression_is_monotonic():
    walk = [State(stage=s) for s in ("healthy", "degeneration", "modic1", "modic2", "modic3")]
    grades = [s.pfirrmann for s in walk]
    assert grades == sorted(grades)
    assert [s.modic for s in walk] == ["0", "0", "1", "2", "3"]
    assert walk[0].is_healthy


def test_stage_leaves_other_fields_free():
    s = State.from_mapping({"stage": "modic2", "herniation": "extrusion", "level": "L5-S1"})
    assert (s.modic, s.herniation, s.level) == ("2", "extrusion", "L5-S1")
    assert State.from_query(s.to_query()) == s


def test_replace_validates_and_leaves_stage_when_a_stage_field_changes():
    s = State(stage="modic1")
    t = s.replace(pfirrmann=5)
    assert t.stage == "custom"
    assert (t.pfirrmann, t.modic) == (5, "1")
    u = s.replace(stage="modic2")
    assert (u.modic, u.inflammation) == ("2", False)
    with pytest.raises(StateError, match=r"^modic: '3' contradicts stage modic2"):
        s.replace(stage="modic2", modic=3)
    with pytest.raises(StateError, match=r"^inflammation"):
        State(modic=1, inflammation=True).replace(modic=2)
    assert State(modic=1).replace(herniation="bulge").herniation == "bulge"


def test_repeated_query_key_with_different_values():
    with pytest.raises(StateError, match=r"^modic: given twice"):
        State.from_query("modic=1&modic=2")


def test_level_names_the_two_vertebrae():
    assert (State().upper, State().lower) == ("L4", "L5")
    assert (State(level="L5-S1").upper, State(level="L5-S1").lower) == ("L5", "S1")
    assert State(modic=2, modic_endplates="lower").modic_vertebrae == ("L5",)
    assert State(modic=2).modic_vertebrae == ("L4", "L5")
    assert State().modic_vertebrae == ()


def test_every_field_has_labels_and_help_in_both_languages():
    for spec in FIELDS:
        for lang in ("en", "nb"):
            assert len(spec.labels[lang]) == len(spec.values)
            assert spec.help[lang].strip().endswith(".")
            assert spec.title[lang]
        assert len(set(spec.tokens)) == len(spec.tokens)
        # Tokens survive a URL without escaping except the mixed-Modic slash.
        assert all(t.replace("/", "").replace("-", "").isalnum() for t in spec.tokens)
    rows = vocabulary_table("nb")
    assert [r["field"] for r in rows] == [s.name for s in FIELDS]


def parser_from_flags() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    for f in cli_flags():
        parser.add_argument(f.flag, dest=f.dest, default=None, help=f.help, metavar="|".join(f.choices))
    return parser


def test_cli_flags_are_the_field_names_with_dashes():
    flags = {f.dest: f for f in cli_flags()}
    assert set(flags) == set(SPECS)
    assert flags["herniation_zone"].flag == "--herniation-zone"
    assert flags["modic"].choices == ("0", "1", "2", "3", "1/2", "2/3")
    assert flags["ingrowth"].default == "off"


def test_cli_flags_build_the_same_state_as_the_query():
    args = parser_from_flags().parse_args(
        [
            "--modic",
            "1",
            "--pfirrmann",
            "4",
            "--herniation",
            "extrusion",
            "--herniation-zone",
            "subarticular",
            "--herniation-side",
            "left",
        ]
    )
    assert state_from_flags(args) == State.from_query("modic=1&pfirrmann=4&herniation=extrusion")
    bad = parser_from_flags().parse_args(["--herniation", "huge"])
    with pytest.raises(StateError, match=r"^herniation: 'huge' is not allowed; choose one of none, bulge"):
        state_from_flags(bad)
