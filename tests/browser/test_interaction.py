"""Pointing, naming, comparing and presenting in a real Chromium: what a click changes on screen."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from browser_helpers import (
    changed_mask,
    choose,
    drag,
    drawn_box,
    drawn_fraction,
    field,
    open_app,
    settled,
    slider_point,
    upper_body_point,
    view_pixels,
    wait_changed,
    wait_for,
)
from PIL import Image
from playwright.sync_api import expect


def test_tapping_a_part_names_it_and_the_background_clears_it(served, page):
    image = open_app(page, served.url)
    box = page.locator("#view-main").bounding_box()
    expect(page.locator("#pick-hint")).to_contain_text("Tap a part")
    x, y = upper_body_point(image)
    page.mouse.click(box["x"] + x, box["y"] + y)
    expect(page.locator("#picked-title")).to_have_text("L4 · Vertebral body", timeout=20_000)
    expect(page.locator("#picked-text")).to_contain_text("carries your weight")
    expect(page.locator("#pick-hint")).to_have_count(0)
    # The name follows the language.
    page.locator("#lang").click()
    expect(page.locator("#picked-title")).to_have_text("L4 · Virvellegeme")
    # Empty space above the segment: the card goes.
    left, top, right, _ = drawn_box(image)
    page.mouse.click(box["x"] + (left + right) / 2, box["y"] + max(2, top // 2))
    expect(page.locator("#picked")).to_have_count(0, timeout=20_000)


def test_show_names_draws_the_labels_and_takes_them_away(served, page):
    open_app(page, served.url)
    before = settled(page)
    page.locator("#labels").check()
    wait_changed(page, before)
    labelled = settled(page)
    # The names are drawn over the segment (dark text on pale boxes), not somewhere else.
    left, top, right, bottom = drawn_box(before)
    rows, cols = np.nonzero(changed_mask(labelled, before))
    assert left - 20 < np.median(cols) < right + 20
    assert top - 20 < np.median(rows) < bottom + 20
    assert changed_mask(labelled, before).mean() > 0.01
    page.locator("#labels").uncheck()
    wait_for(lambda: changed_mask(view_pixels(page), before).mean() < 0.002, what="the labels to go")


def test_compare_draws_healthy_beside_current_with_linked_cameras(served, page):
    open_app(page, served.url + "?modic=1&modic_extent=gt50")
    page.locator("#compare").check()
    expect(page.locator("#view-healthy")).to_be_visible()

    def both_drawn():
        healthy, current = view_pixels(page, "#view-healthy"), view_pixels(page, "#view-main")
        if healthy.shape != current.shape or min(drawn_fraction(healthy), drawn_fraction(current)) < 0.05:
            return None
        return healthy, current

    wait_for(both_drawn, what="both views drawn at half width")

    def same_framing():
        # Same camera, same segment, both framed for the half-width view (left, top, right:
        # the tap hint may sit below the healthy one).
        healthy, current = settled(page, selector="#view-healthy"), settled(page)
        if healthy.shape == current.shape and drawn_box(healthy)[:3] == _near(drawn_box(current)[:3]):
            return healthy, current
        return None

    healthy, current = wait_for(same_framing, what="both views framed alike")
    # They differ at the finding, in the vertebral bodies at the front.
    diff = changed_mask(current, healthy)
    assert diff.mean() > 0.01
    left, _, right, _ = drawn_box(current)
    assert np.median(np.nonzero(diff)[1]) < left + 0.55 * (right - left)
    # Turning the healthy view turns the current one; zooming the current one zooms the healthy one.
    box = page.locator("#view-healthy").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    drag(page, centre, (centre[0] + box["width"] / 4, centre[1]))
    page.mouse.up()
    turned = wait_changed(page, current)
    turned_healthy = settled(page, selector="#view-healthy")
    assert changed_mask(turned_healthy, healthy).mean() > 0.02
    main = page.locator("#view-main").bounding_box()
    page.mouse.move(main["x"] + main["width"] / 2, main["y"] + main["height"] / 2)
    page.mouse.wheel(0, -600)
    wait_changed(page, turned_healthy, selector="#view-healthy")
    wait_changed(page, turned)


def _near(box, tolerance: int = 6):
    class Near(tuple):
        def __eq__(self, other):
            return all(abs(a - b) <= tolerance for a, b in zip(self, other, strict=True))

    return Near(box)


def test_presenter_mode_large_controls_full_screen_and_keys(served, page):
    open_app(page, served.url)
    before = settled(page)
    page.evaluate(
        "window.__fullscreen = 0; document.documentElement.requestFullscreen = () => {"
        " window.__fullscreen += 1; return Promise.resolve(); };"
        "0"  # (a script whose value is a function would be called by Playwright)
    )
    page.locator("#presenter").click()
    expect(page.locator("#presenter-bar")).to_be_visible()
    assert page.evaluate("window.__fullscreen") == 1
    for button in ("#presenter", "#presenter-next", "#presenter-compare", "#presenter-modic .v-btn"):
        assert page.locator(button).first.bounding_box()["height"] >= 56, button
    expect(page.locator("#presenter-keys")).to_contain_text("compare")
    # The controls drawer closed to give the view the whole width.
    expect(field(page, "modic")).not_to_be_in_viewport()
    wait_for(lambda: view_pixels(page).shape != before.shape, what="the view to widen")
    before = settled(page)

    # Number keys pick the Modic type.
    page.keyboard.press("1")
    expect(page.locator("#presenter-modic .v-btn--active")).to_have_text("Modic 1", timeout=20_000)
    modic1 = wait_changed(page, before)
    page.keyboard.press("3")
    expect(page.locator("#presenter-modic .v-btn--active")).to_have_text("Modic 3", timeout=20_000)
    modic3 = wait_changed(page, modic1)
    page.keyboard.press("0")
    expect(page.locator("#presenter-modic .v-btn--active")).to_have_text("No Modic", timeout=20_000)
    wait_changed(page, modic3)
    # A key toggles compare.
    page.keyboard.press("c")
    expect(page.locator("#view-healthy")).to_be_visible(timeout=20_000)
    page.keyboard.press("c")
    expect(page.locator("#view-healthy")).to_be_hidden(timeout=20_000)
    # Arrow keys step the tour.
    card = page.locator("#tour-card")
    page.keyboard.press("ArrowRight")
    expect(card).to_contain_text("1 /", timeout=20_000)
    page.keyboard.press("ArrowRight")
    expect(card).to_contain_text("2 /", timeout=20_000)
    page.keyboard.press("ArrowLeft")
    expect(card).to_contain_text("1 /", timeout=20_000)
    # Leaving presenter mode leaves full screen and takes the bar away.
    page.locator("#presenter").click()
    expect(page.locator("#presenter-bar")).to_have_count(0)


def test_screenshot_is_high_resolution_and_can_be_transparent(served, page):
    open_app(page, served.url)
    view = page.locator("#view-main").bounding_box()

    def download() -> Image.Image:
        with page.expect_download() as info:
            page.locator("#screenshot").click()
        data = Path(info.value.path()).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        image = Image.open(io.BytesIO(data))
        image.load()
        return image

    opaque = download()
    assert opaque.size[0] >= 1.5 * view["width"]
    assert abs(opaque.size[0] / opaque.size[1] - view["width"] / view["height"]) < 0.02
    alpha = np.asarray(opaque.convert("RGBA"))[..., 3]
    assert alpha.min() == 255

    page.locator("#transparent").check()
    clear = download()
    assert clear.mode == "RGBA"
    rgba = np.asarray(clear).astype(int)
    alpha = rgba[..., 3]
    corners = [alpha[0, 0], alpha[0, -1], alpha[-1, 0], alpha[-1, -1]]
    assert max(corners) == 0
    assert 0.05 < (alpha == 255).mean() < 0.9  # the segment stays solid
    # The solid pixels are where the opaque picture has the segment.
    solid = alpha == 255
    left, top, right, bottom = drawn_box(np.asarray(opaque.convert("RGB")).astype(int))
    rows, cols = np.nonzero(solid)
    slack = 0.02 * solid.shape[1]  # thin ends (nerve tips) that the box leaves out
    assert left - slack <= cols.min()
    assert cols.max() <= right + slack
    assert top - slack <= rows.min()
    assert rows.max() <= bottom + slack


def test_sliders_redraw_while_dragged(served, page):
    before = open_app(page, served.url)
    # Progression stage: the segment changes before the slider is let go.
    drag(page, slider_point(page, "#field-stage", 0.0), slider_point(page, "#field-stage", 0.4))
    during = wait_changed(page, before, timeout=60)
    expect(field(page, "stage")).not_to_contain_text("set each finding")
    page.mouse.up()
    staged = settled(page)
    assert changed_mask(staged, during).mean() < 0.5
    # Bone opacity: several pictures on the way, each before release.
    page.get_by_text("Structures").click()
    drag(page, slider_point(page, "#opacity-bone", 1.0), slider_point(page, "#opacity-bone", 0.7), steps=4)
    first = wait_changed(page, staged)
    page.mouse.move(*slider_point(page, "#opacity-bone", 0.2), steps=6)
    wait_changed(page, first)
    page.mouse.up()


def test_cut_position_moves_while_dragged(served, page):
    open_app(page, served.url)
    page.locator("#clip").check()
    cut = settled(page)
    drag(page, slider_point(page, "#clip-offset", 0.5), slider_point(page, "#clip-offset", 0.75), steps=5)
    quarter = wait_changed(page, cut)
    page.mouse.move(*slider_point(page, "#clip-offset", 0.95), steps=5)
    wait_changed(page, quarter)
    page.mouse.up()


def _changed_where(after: np.ndarray, before: np.ndarray) -> tuple[float, float]:
    """Median position of the changed pixels as fractions (across, down) of the segment's box before."""
    left, top, right, bottom = drawn_box(before)
    rows, cols = np.nonzero(changed_mask(after, before))
    assert len(rows) > 0.002 * before.shape[0] * before.shape[1], "too little changed"
    return (np.median(cols) - left) / (right - left), (np.median(rows) - top) / (bottom - top)


def test_each_control_changes_the_view_where_it_should(served, page):
    # Side view: the front (vertebral bodies, discs) on the left, the back muscle on the right.
    open_app(page, served.url)
    healthy = settled(page)
    choose(page, "herniation", "extrusion")
    wait_changed(page, healthy)
    herniated = settled(page)
    across, down = _changed_where(herniated, healthy)
    # Behind the disc, at its height or just below (an extruded piece and the root it presses on).
    assert 0.2 < across < 0.7, across
    assert 0.3 < down < 0.85, down
    page.mouse.click(*slider_point(page, "#field-pfirrmann", 0.97))
    wait_changed(page, herniated)
    worn = settled(page)
    across, down = _changed_where(worn, herniated)
    # The disc between the bodies.
    assert across < 0.6, across
    assert 0.25 < down < 0.75, down
    page.get_by_text("Structures").click()
    page.locator("#show-muscle").uncheck()
    wait_changed(page, worn)
    across, _ = _changed_where(settled(page), worn)
    assert across > 0.6, across  # the back muscle
