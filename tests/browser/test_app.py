"""The app in a real Chromium: what a visitor sees and does."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from browser_helpers import (
    choose,
    drawn_box,
    drawn_fraction,
    field,
    open_app,
    settled,
    upper_body_point,
    view_pixels,
    wait_changed,
    wait_for,
)
from PIL import Image
from playwright.sync_api import expect


def test_page_shows_the_segment_and_the_education_note(served, page):
    image = open_app(page, served.url)
    assert drawn_fraction(image) > 0.05
    expect(page.locator("#education")).to_contain_text("not a diagnosis")


def test_a_control_changes_what_is_drawn(served, page):
    before = open_app(page, served.url)
    choose(page, "modic", "type 1")
    after = wait_changed(page, before)
    # The change is in the middle of the segment (the vertebral bodies), not at the edges.
    diff = np.abs(after - before).sum(axis=2) > 40
    rows, cols = np.nonzero(diff)
    height, width = diff.shape
    assert 0.1 * height < rows.mean() < 0.9 * height
    assert 0.1 * width < cols.mean() < 0.9 * width


def test_hiding_bone_changes_the_view(served, page):
    before = open_app(page, served.url)
    page.get_by_text("Structures").click()
    page.locator("#show-bone").uncheck()
    wait_changed(page, before)


def test_language_switch(served, page):
    open_app(page, served.url)
    page.locator("#lang").click()
    expect(page.locator("#education")).to_contain_text("ikke en diagnose")
    expect(page.get_by_text("Funn").first).to_be_visible()


def test_share_url_restores_state(served, page):
    open_app(page, served.url + "?modic=1&pfirrmann=4&lang=nb")
    expect(field(page, "modic")).to_contain_text("type 1")
    expect(field(page, "pfirrmann")).to_contain_text("IV")
    expect(page.locator("#education")).to_contain_text("ikke en diagnose")
    page.locator("#share").click()

    # The address bar gets the share URL (and the clipboard, where allowed).
    def share_url():
        href = page.evaluate("location.href")
        return href if "modic=1" in href and "view=" in href else None

    shared = wait_for(share_url, timeout=20, what="the share URL")
    other = page.context.new_page()
    open_app(other, shared)
    expect(field(other, "modic")).to_contain_text("type 1")


def test_two_sessions_stay_independent(served, browser):
    first, second = browser.new_page(), browser.new_page()
    before_first = open_app(first, served.url)
    open_app(second, served.url)
    # The first image may be followed by a sharper one: compare with the settled view.
    before_second = settled(second)
    choose(first, "modic", "type 2")
    wait_changed(first, before_first)
    expect(field(first, "modic")).to_contain_text("type 2")
    expect(field(second, "modic")).to_contain_text("none")
    # The second session's segment did not follow the first one's change.
    assert _centre_changed(view_pixels(second), before_second) < 0.002
    # And a new visitor starts from the healthy segment, not from the first visitor's state.
    third = browser.new_page()
    open_app(third, served.url)
    expect(field(third, "modic")).to_contain_text("none")
    for page in (first, second, third):
        page.close()


def _centre_changed(after: np.ndarray, before: np.ndarray) -> float:
    """Share of changed pixels in the middle of the view, where the segment is drawn."""
    height, width = before.shape[:2]
    rows, cols = slice(height // 5, 4 * height // 5), slice(width // 5, 4 * width // 5)
    return float((np.abs(after[rows, cols] - before[rows, cols]).sum(axis=2) > 40).mean())


def test_phone_layout(served, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    before = open_app(page, served.url)
    # The controls start closed (a closed drawer is moved off the screen); the view fills the screen.
    expect(field(page, "modic")).not_to_be_in_viewport()
    view = page.locator("#view-main").bounding_box()
    assert view["width"] > 350
    assert view["height"] > 600
    # The camera was refitted for the tall, narrow view: the segment spans most of its width
    # without being cut off at the sides.
    before = settled(page)
    left, _, right, _ = drawn_box(before)
    assert (right - left) / before.shape[1] > 0.7
    assert left > 0.02 * before.shape[1]
    assert right < 0.98 * before.shape[1]
    # A tap names the part under the finger (the screenshot has 2 pixels per CSS pixel).
    x, y = upper_body_point(before)
    page.touchscreen.tap(view["x"] + x / 2, view["y"] + y / 2)
    expect(page.locator("#picked-title")).to_have_text("L4 · Vertebral body", timeout=20_000)
    page.locator("#picked-close").tap()
    expect(page.locator("#picked")).to_have_count(0)
    for button in (".v-app-bar-nav-icon", "#tour", "#lang", "#panel", "#share", "#screenshot", "#presenter"):
        box = page.locator(button).bounding_box()
        assert min(box["width"], box["height"]) >= 44, button
    # The bottom sheet opens from the toolbar; its controls are large enough for a finger.
    page.locator(".v-app-bar-nav-icon").click()
    expect(field(page, "modic")).to_be_in_viewport()

    # A bottom sheet: it starts below the middle of the screen and reaches its bottom edge.
    def sheet_in_place():  # once it has slid in
        sheet = page.locator(".v-navigation-drawer").bounding_box()
        return sheet["y"] > 0.3 * 844 and abs(sheet["y"] + sheet["height"] - 844) < 2

    wait_for(sheet_in_place, timeout=10, what="the bottom sheet on the screen's bottom edge")
    box = field(page, "modic").locator(".v-field").bounding_box()
    assert box["height"] >= 44
    for control in ("#field-stage", "#field-pfirrmann", "#field-ingrowth", "#labels", "#compare"):
        box = page.locator(f".v-input:has({control}) .v-input__control").bounding_box()
        assert box["height"] >= 44, control
    # Closing it gives the whole view back, drawn at its own size (not a stretched old image).
    page.locator(".v-app-bar-nav-icon").click()
    expect(field(page, "modic")).not_to_be_in_viewport()

    def same_as_before():
        image = view_pixels(page)
        if image.shape != before.shape:
            return None
        return (np.abs(image - before).sum(axis=2) > 40).mean() < 0.01

    wait_for(same_as_before, timeout=20, what="the view to be redrawn at full size")
    context.close()


def test_screenshot_download_is_a_png_of_the_view(served, page):
    open_app(page, served.url)
    with page.expect_download() as info:
        page.locator("#screenshot").click()
    data = Path(info.value.path()).read_bytes()
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    view = page.locator("#view-main").bounding_box()
    assert image.size[0] >= 1.5 * view["width"]
    assert drawn_fraction(np.asarray(image.convert("RGB")).astype(int)) > 0.05


@pytest.mark.parametrize(
    "message",
    [
        "{modic: {evil: 1}, pfirrmann: 'DROP TABLE'}",
        "{camera: 42, opacity: 'x', visible: null, clip_offset: 1e308}",
    ],
)
def test_malformed_state_message_does_not_crash_the_server(served, page, message):
    before = open_app(page, served.url)
    page.evaluate(f"window.trame.state.update({message})")
    expect(page.locator(".v-snackbar")).to_contain_text("not allowed", timeout=20_000)
    expect(field(page, "modic")).to_contain_text("none")
    # The session goes on: a good change is still drawn.
    choose(page, "modic", "type 3")
    wait_changed(page, before)
    assert "refused a value from the browser" in served.log_text()
    assert served.process.poll() is None


def test_tour_steps_with_buttons_and_arrow_keys(served, page):
    before = open_app(page, served.url)
    page.locator("#tour").click()
    card = page.locator("#tour-card")
    expect(card).to_contain_text("1 /")
    page.keyboard.press("ArrowRight")
    expect(card).to_contain_text("2 /")
    wait_changed(page, before)
    page.locator("#tour-close").click()
    expect(card).to_have_count(0)
