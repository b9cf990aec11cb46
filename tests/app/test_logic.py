"""App logic without a browser: set state as a browser would, flush, look at the scene."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

import numpy as np
import pytest

from spineviz.app import text
from spineviz.app.viewstate import CONDITION_KEYS, check_view
from spineviz.conditions.state import State

pytestmark = pytest.mark.render


def _set(app, **values):
    app.state.update(values)
    app.state.flush()


def test_starts_with_the_healthy_segment(an_app):
    assert an_app.conditions == State()
    names = set(an_app.presenter.actors)
    assert {"L4.body", "L5.body", "L4-L5.nucleus"} <= names
    assert not any(n.endswith((".modic", ".herniation")) for n in names)


def test_a_condition_toggle_adds_its_part(an_app):
    _set(an_app, modic="1")
    assert an_app.conditions.modic == "1"
    assert any(n.endswith(".modic") for n in an_app.presenter.actors)
    _set(an_app, modic="0")
    assert not any(n.endswith(".modic") for n in an_app.presenter.actors)


def test_a_tampered_value_is_refused_logged_and_put_back(an_app, caplog):
    with caplog.at_level(logging.ERROR, logger="spineviz.app"):
        _set(an_app, modic="7", pfirrmann={"x": 1})
    assert an_app.conditions == State()
    assert an_app.state.modic == "0"
    assert an_app.state.pfirrmann == "1"
    assert "modic" in an_app.state.notice or "pfirrmann" in an_app.state.notice
    assert any("refused" in r.message for r in caplog.records)
    # The session goes on: a good value after a bad one is drawn.
    _set(an_app, pfirrmann="4")
    assert an_app.conditions.pfirrmann == 4


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("camera", "../../etc"),
        ("opacity", {"bone": 5}),
        ("clip_offset", float("nan")),
        ("lang", "de"),
        ("visible", "all"),
        ("labels", "yes"),
    ],
)
def test_tampered_view_values_are_refused(an_app, key, value):
    before = getattr(an_app.view, key)
    _set(an_app, **{key: value})
    assert getattr(an_app.view, key) == before
    assert an_app.state[key] == before
    assert an_app.state.notice


def test_hiding_a_group_hides_exactly_its_parts(an_app):
    _set(an_app, visible={**an_app.state.visible, "bone": False})
    for name, actor in an_app.presenter.actors.items():
        assert bool(actor.GetVisibility()) == (
            ".body" not in name and ".arch" not in name and ".endplate." not in name
        )


def test_opacity_makes_a_group_see_through(an_app):
    _set(an_app, opacity={**an_app.state.opacity, "bone": 0.3})
    assert an_app.presenter.actors["L4.body"].prop.opacity == pytest.approx(0.3, abs=0.01)
    assert an_app.presenter.actors["L4-L5.nucleus"].prop.opacity > 0.3


def test_clipping_cuts_every_part_with_shaded_cut_faces(an_app):
    _set(an_app, clip=True, clip_axis="sagittal", clip_offset=0.0)
    section = an_app.presenter.section
    assert section is not None
    assert section.keep == (-1.0, 0.0, 0.0)  # the left half (towards the lateral camera) goes
    for actor in an_app.presenter.actors.values():
        assert actor.GetMapper().GetNumberOfClippingPlanes() == 1
        assert actor.GetBackfaceProperty() is not None  # the inside reads as a filled cut face
    _set(an_app, clip_offset=0.5)
    assert an_app.presenter.section.origin[0] > section.origin[0]
    _set(an_app, clip=False)
    assert all(a.GetMapper().GetNumberOfClippingPlanes() == 0 for a in an_app.presenter.actors.values())


def test_compare_shows_a_healthy_twin_with_the_same_camera(an_app):
    _set(an_app, modic="2", compare=True)
    assert any(n.endswith(".modic") for n in an_app.presenter.actors)
    assert not any(n.endswith(".modic") for n in an_app.healthy.actors)
    # One camera object for both: rotating one view turns the other.
    an_app.presenter.plotter.camera.azimuth = 30
    assert an_app.healthy.plotter.camera.position == pytest.approx(an_app.presenter.plotter.camera.position)


def test_language_switch_changes_every_word(an_app):
    _set(an_app, lang="nb")
    assert an_app.state.t["findings"] == text.UI["findings"]["nb"]
    modic = next(f for f in an_app.state.field_ui if f["name"] == "modic")
    assert modic["title"] == "Modic-type"


def test_share_query_round_trip_restores_state_and_camera(an_app):
    _set(an_app, modic="1", pfirrmann="4", herniation="extrusion", camera="oblique")
    query = an_app.share_query()
    pairs = dict(parse_qsl(query))
    assert (pairs["modic"], pairs["pfirrmann"], pairs["herniation"]) == ("1", "4", "extrusion")
    position = np.array(an_app.presenter.plotter.camera.position)

    from trame.app import get_server

    from spineviz.app import SpineVizApp

    other = SpineVizApp(get_server("test_share_round_trip", client_type="vue3"), detail="low")
    other.state.ready()
    other.apply_url("?" + query, "en-GB")
    assert other.conditions == an_app.conditions
    assert np.allclose(other.presenter.plotter.camera.position, position, atol=0.1)


def test_bad_share_url_keeps_the_healthy_segment(an_app):
    an_app.apply_url("?modic=9&view=1,2", "nb-NO")
    assert an_app.conditions == State()
    assert an_app.view.lang == "nb"
    assert an_app.state.notice


def test_pick_names_the_part_under_the_pointer(an_app):
    an_app.presenter.plotter.render()
    centre = an_app.presenter.actors["L4.body"].mapper.dataset.center
    renderer = an_app.presenter.plotter.renderer
    renderer.SetWorldPoint(*centre, 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    width, height = an_app.presenter.plotter.render_window.GetSize()
    # The browser reports its own view size and y from the bottom (VTK's display convention).
    event = {"position": {"x": x / 2, "y": y / 2}, "size": [width / 2, height / 2]}
    assert an_app.pick(event) == "L4.body"
    assert an_app.state.picked_title == "L4 · Vertebral body"
    assert an_app.state.picked_text == text.part_sentence("L4.body", "en")
    _set(an_app, lang="nb")
    assert an_app.state.picked_title == "L4 · Virvellegeme"
    # A click on the background clears the card; garbage is refused.
    assert an_app.pick({"position": {"x": 2, "y": 2}, "size": [width, height]}) == ""
    assert an_app.state.picked_title == ""
    assert an_app.pick({"position": "garbage"}) == ""
    assert an_app.pick({"position": {"x": 1, "y": 1}, "size": [0, "x"]}) == ""


def test_number_keys_pick_the_modic_type_and_c_toggles_compare(an_app):
    an_app.on_key("2")
    assert an_app.conditions.modic == "2"
    an_app.on_key("c")
    assert an_app.view.compare is True


def test_screenshot_is_a_png_at_twice_the_view_size(an_app):
    data = an_app.screenshot_png(2)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(data))
    width, height = an_app.presenter.plotter.window_size
    assert image.size == (2 * width, 2 * height)


def test_every_condition_field_has_a_control_bound_in_the_layout(an_app):
    html = an_app.ui.html
    for key in CONDITION_KEYS:
        assert f'id="field-{key}"' in html


def test_view_checks_accept_good_values():
    assert (
        check_view(
            "opacity",
            dict.fromkeys(["bone", "disc", "nerves", "vessels", "muscle", "ligaments", "findings"], 0.5),
        )["bone"]
        == 0.5
    )


def test_tour_steps_set_state_camera_and_caption(an_app):
    assert an_app.scenes, "the shipped scenes are loaded"
    first = an_app.tour_step(1)
    assert first == 0
    scene = an_app.scenes[0]
    assert an_app.conditions == scene.state
    assert an_app.state.tour_title == scene.title["en"]
    position = an_app.presenter.plotter.camera.position
    an_app.on_key("ArrowRight")
    assert an_app.state.tour_index == 1
    assert an_app.conditions == an_app.scenes[1].state
    assert an_app.state.tour_caption == an_app.scenes[1].caption["en"]
    _set(an_app, lang="nb")
    assert an_app.state.tour_caption == an_app.scenes[1].caption["nb"]
    an_app.on_key("ArrowLeft")
    assert an_app.presenter.plotter.camera.position == pytest.approx(position)
    an_app.tour_close()
    assert an_app.state.tour_index == -1
    assert all(a.GetVisibility() for a in an_app.presenter.actors.values())


def _drawn(image) -> np.ndarray:
    """Where the segment is drawn (the background has one colour per row)."""
    image = np.asarray(image[..., :3], int)
    return np.abs(image - image[:, :2].mean(axis=1, keepdims=True)).sum(axis=2) > 40


def _drawn_columns(image) -> float:
    """Share of image columns in which the segment is drawn."""
    drawn = _drawn(image)
    cols = np.nonzero(drawn.mean(axis=0) > 0.01)[0]
    return (cols.max() - cols.min() + 1) / drawn.shape[1] if len(cols) else 0.0


@pytest.mark.parametrize("size", [(390, 760), (480, 720)])
def test_a_narrow_view_is_refitted_so_the_segment_fills_its_width(an_app, size):
    plotter = an_app.presenter.plotter
    plotter.camera.azimuth = 20  # the visitor turned it a little
    direction = np.array(plotter.camera.direction)
    plotter.render_window.SetSize(*size)
    plotter.render()
    image = plotter.screenshot(return_img=True)
    assert image.shape[:2] == (size[1], size[0])
    assert 0.7 < _drawn_columns(image) < 0.95
    # Only the distance changed: the segment is seen from the same side.
    assert np.allclose(plotter.camera.direction, direction, atol=1e-6)


def _labels(app) -> int:
    return sum(1 for a in app.presenter.plotter.renderer.actors.values() if type(a).__name__ == "vtkActor2D")


def test_show_names_adds_one_label_per_shown_part_and_removes_them(an_app):
    assert _labels(an_app) == 0
    _set(an_app, labels=True)
    assert _labels(an_app) == 1
    # Seen from the patient's left, the left member of each mirrored pair is named, not both.
    named = set(an_app.labelled)
    assert {"L4.body", "L5.root.left"} <= named
    assert "L5.root.right" not in named
    assert all(not n.endswith(".right") or n.replace(".right", ".left") not in named for n in named)
    _set(an_app, visible={**an_app.state.visible, "muscle": False})
    assert not any(n.startswith("multifidus") for n in an_app.labelled)
    _set(an_app, labels=False)
    assert _labels(an_app) == 0
    assert an_app.labelled == []


def test_transparent_screenshot_has_a_clear_background_and_a_solid_segment(an_app):
    from io import BytesIO

    from PIL import Image

    _set(an_app, transparent=True)
    image = Image.open(BytesIO(an_app.screenshot_png(1)))
    assert image.mode == "RGBA"
    alpha = np.asarray(image)[..., 3]
    assert alpha[0, 0] == alpha[-1, -1] == 0
    assert 0.05 < (alpha == 255).mean() < 0.9
    _set(an_app, transparent=False)
    assert np.asarray(Image.open(BytesIO(an_app.screenshot_png(1))).convert("RGBA"))[..., 3].min() == 255


def test_controls_that_apply_only_sometimes_are_hidden_by_the_same_rule():
    from spineviz.app.ui import SHOWN_WHEN
    from spineviz.conditions.state import FIELDS

    conditional = {spec.name for spec in FIELDS if spec.applies}
    assert set(SHOWN_WHEN) == conditional
    for spec in FIELDS:
        if spec.applies:
            # The rule names the fields its words name (e.g. "modic is not 0" reads modic).
            named = {other.name for other in FIELDS if other.name in spec.applies.split()}
            assert named, spec.name
            assert all(name in SHOWN_WHEN[spec.name] for name in named), spec.name


def _drawn_rows(image) -> tuple[float, float]:
    """Top and bottom of the drawn segment as shares of the image height (0 = top)."""
    drawn = _drawn(image)
    rows = np.nonzero(drawn.mean(axis=1) > 0.01)[0]
    return rows.min() / drawn.shape[0], (rows.max() + 1) / drawn.shape[0]


def test_on_an_upright_phone_the_tour_frames_the_segment_below_its_card(an_app):
    from spineviz.app.core import TOUR_CARD_SHARE

    plotter = an_app.presenter.plotter
    plotter.render_window.SetSize(390, 760)
    an_app.tour_step(1)
    plotter.render()
    top, bottom = _drawn_rows(plotter.screenshot(return_img=True))
    # All of the segment lies in the part the card leaves free, and fills most of it.
    assert top >= TOUR_CARD_SHARE - 0.01
    assert bottom - top > 0.6 * (1 - TOUR_CARD_SHARE)
    assert 0.6 < _drawn_columns(plotter.screenshot(return_img=True)) < 0.97
    # Leaving the tour puts the segment back in the middle of the whole view.
    an_app.tour_close()
    plotter.render()
    top, bottom = _drawn_rows(plotter.screenshot(return_img=True))
    assert top < TOUR_CARD_SHARE - 0.1
    assert abs((top + bottom) / 2 - 0.5) < 0.1


def test_on_a_landscape_view_the_tour_keeps_the_whole_view(an_app):
    plotter = an_app.presenter.plotter
    plotter.render_window.SetSize(960, 720)
    an_app.tour_step(1)
    plotter.render()
    top, bottom = _drawn_rows(plotter.screenshot(return_img=True))
    assert plotter.camera.GetWindowCenter() == (0.0, 0.0)
    assert abs((top + bottom) / 2 - 0.5) < 0.15
