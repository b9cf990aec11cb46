"""Scene files: every shipped scene is valid, every broken fixture gets its one exact message."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from spineviz.cli import main
from spineviz.conditions.state import State
from spineviz.geometry.names import part_names
from spineviz.render.scenes import SceneError, load_scene, load_scenes, scene_paths
from spineviz.render.scenes.select import highlighted_names, opacity_of, visible_names

BROKEN = Path(__file__).parent / "broken"
SHIPPED = scene_paths()

GROUPS_HINT = (
    "use a group (bone, disc, nerves, vessels, muscle, ligaments, findings), a part name such as "
    "'L4.body' or 'L5.root.left', or a glob such as '*.root.*' (the README lists the names)"
)
TOP = "id, order, levels, title, caption, sources, state, camera, parts, panel, labels"

EXPECTED = {
    "unknown-key.toml": f"captoin: unknown key (did you mean 'caption'?); allowed keys here: {TOP}",
    "wrong-type.toml": "order: expected a whole number, got text ('ten')",
    "out-of-range.toml": 'parts.opacity."bone": 1.5 is out of range; allowed: 0 to 1',
    "zoom-out-of-range.toml": "camera.zoom: 0 is out of range; allowed: 0.25 to 4",
    "unknown-part.toml": (
        f"parts.highlight[1]: 'L4.vertebra' matches no part (did you mean 'L4.basivertebral'?); {GROUPS_HINT}"
    ),
    "part-outside-levels.toml": (
        "parts.hide[1]: 'L2.body' is not built in this scene; add its vertebrae to levels "
        '(e.g. levels = "L1-S1") or name a part of the scene\'s own levels'
    ),
    "bad-toml.toml": (
        "not valid TOML: Illegal character '\\n' (at line 6, column 11); "
        "look for a missing quote, bracket or '=' there"
    ),
    "not-utf8.toml": "is not UTF-8 text; save it as UTF-8",
    "missing-caption-language.toml": "caption.en: is missing; every caption needs both languages (nb, en)",
    "label-missing-language.toml": "labels[1].en: is missing; every label needs both languages (nb, en)",
    "empty-title.toml": "title.nb: is empty; write the text",
    "missing-order.toml": "order: is missing; every scene needs order, title, caption, sources",
    "no-sources.toml": "sources: is empty; cite at least one source for the caption's claims",
    "id-mismatch.toml": "id: 'another-scene' must equal the file name 'id-mismatch' (or leave id out)",
    "unknown-camera-preset.toml": (
        "camera.preset: 'side' is not allowed; "
        "choose one of lateral, posterior, anterior, oblique, axial, endplate"
    ),
    "camera-preset-and-pose.toml": "camera: give either preset or position/focal_point/view_up, not both",
    "panel-without-sequence.toml": "panel.sequence: is missing; an MRI panel needs one of t1, t2, stir",
    "unknown-mri-sequence.toml": "panel.sequence: 'flair' is not allowed; choose one of t1, t2, stir",
    "bad-state-value.toml": "state.pfirrmann: '7' is not allowed; choose one of 1, 2, 3, 4, 5",
    "bad-state-combination.toml": (
        "state.inflammation: 'on' needs Modic type 1 or 1/2 (oedema), but modic is 0; "
        "choose inflammation off or modic 1 or 1/2"
    ),
    "unknown-state-field.toml": (
        "state: unknown field 'colour'; the fields are level, stage, modic, modic_endplates, modic_extent, "
        "pfirrmann, herniation, herniation_zone, herniation_side, stenosis, ingrowth, inflammation, theory, "
        "multifidus_fat"
    ),
}


def test_every_broken_fixture_has_an_expected_message():
    assert sorted(p.name for p in BROKEN.glob("*.toml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_gets_one_exact_message_and_status_2(name, capsys):
    path = BROKEN / name
    status = main(["scenes", "check", str(path)])
    out, err = capsys.readouterr()
    assert status == 2
    assert err == f"{path}: {EXPECTED[name]}\n"  # one line, nothing else: no traceback, no summary
    assert out == ""


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_raises_scene_error_naming_the_file(name):
    with pytest.raises(SceneError) as info:
        load_scene(BROKEN / name)
    assert info.value.path == str(BROKEN / name)


def test_the_full_shipped_set_is_there():
    ids = {p.stem for p in SHIPPED}
    wanted = {
        "healthy-segment",
        "what-is-modic",
        "modic-type-1",
        "modic-type-2",
        "modic-type-3",
        "modic-on-t1",
        "modic-on-t2",
        *(f"pfirrmann-{g}" for g in range(1, 6)),
        "bulge",
        "protrusion",
        "extrusion",
        "sequestration",
        "central-stenosis",
        "compressed-root",
        "ingrowth-healthy",
        "ingrowth-degenerated",
        "theory-biomechanical",
        "theory-bacterial",
        "theory-autoimmune",
        "multifidus-fat",
        "how-common",
    }
    assert wanted <= ids


def test_check_passes_every_shipped_scene(capsys):
    assert main(["scenes", "check"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("ok  ") == len(SHIPPED)


def test_check_reports_every_bad_file_of_a_folder(capsys):
    assert main(["scenes", "check", "-q", str(BROKEN)]) == 2
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert lines[-1] == f"0 of {len(EXPECTED)} scene files are valid"
    assert len(lines) == len(EXPECTED) + 1


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scene_content(path):
    scene = load_scene(path)
    assert scene.id == path.stem
    for lang in ("nb", "en"):
        assert scene.title[lang]
        assert scene.caption[lang]
    assert scene.sources
    # Captions stay calm: none of the words a worried patient should not meet.
    alarming = ("dangerous", "serious", "severe", "damage", "alarming", "farlig", "alvorlig", "skadet nerve")
    text = (scene.caption["en"] + scene.caption["nb"]).lower()
    assert not [w for w in alarming if w in text]


def test_shipped_tour_order_is_unique_and_starts_healthy():
    scenes = load_scenes()
    orders = [s.order for s in scenes]
    assert len(set(orders)) == len(orders)
    assert scenes[0].id == "healthy-segment"
    assert scenes[0].state == State()


def test_duplicate_ids_are_rejected(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    shutil.copy(SHIPPED[0], first)
    shutil.copy(SHIPPED[0], second)
    with pytest.raises(SceneError, match="ids must be unique"):
        load_scenes([first / SHIPPED[0].name, second / SHIPPED[0].name])


def test_a_copied_and_edited_scene_loads_with_the_new_values(tmp_path):
    """The physiotherapist's workflow: copy a file, change a few values, use it."""
    source = (Path(SHIPPED[0]).parent / "modic-type-1.toml").read_text(encoding="utf-8")
    edited = source.replace('modic = "1"', 'modic = "2"').replace('inflammation = "on"\n', "")
    edited = re.sub(r"\[camera\]\n(.+\n)*", '[camera]\npreset = "posterior"\nzoom = 2.5\n', edited)
    path = tmp_path / "my-patient-view.toml"
    path.write_text(edited, encoding="utf-8")
    scene = load_scene(path)
    assert scene.id == "my-patient-view"
    assert scene.state.modic == "2"
    assert (scene.camera.preset, scene.camera.zoom) == ("posterior", 2.5)


def test_patterns_select_parts(tmp_path):
    path = tmp_path / "patterns.toml"
    path.write_text(
        (BROKEN / "no-sources.toml").read_text(encoding="utf-8").replace("sources = []", 'sources = ["x"]')
        + '\n[parts]\nhide = ["muscle", "*.root.*"]\nhighlight = ["L4-L5.nucleus"]\n'
        + '[parts.opacity]\nbone = 0.3\n"L4.body" = 0.8\n',
        encoding="utf-8",
    )
    scene = load_scene(path)
    names = part_names()
    shown = visible_names(scene, names)
    assert "L4.body" in shown
    assert not [n for n in shown if ".root." in n or n.startswith("multifidus")]
    assert highlighted_names(scene, names) == ["L4-L5.nucleus"]
    assert opacity_of(scene, "L4.body") == 0.8  # the later, narrower entry wins
    assert opacity_of(scene, "L5.arch") == 0.3
    assert opacity_of(scene, "dural_sac") is None
