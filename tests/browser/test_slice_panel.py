"""The 2D panel in a real Chromium: the MR slice follows its controls, its plane moves in 3D."""

from __future__ import annotations

from browser_helpers import drag, open_app, settled, slider_point, view_pixels, wait_changed, wait_for
from playwright.sync_api import expect


def _plane_share(page) -> float:
    """Share of the view tinted by the slice's translucent blue plane."""
    image = view_pixels(page)
    return float(((image[..., 2] - image[..., 0]) > 55).mean())


def _src(page) -> str | None:
    image = page.locator("#mri-image")
    return image.get_attribute("src") if image.count() else None


def test_sequence_and_slider_change_the_image_and_move_the_plane(served, page):
    before = open_app(page, served.url)
    page.locator("#panel").click()
    expect(page.locator("#mri-image")).to_be_visible(timeout=60_000)
    # The view narrowed for the panel and now shows the slice's plane.
    wait_for(lambda: view_pixels(page).shape != before.shape, what="the view to make room")
    wait_for(lambda: _plane_share(page) > 0.2, what="the slice's plane in 3D")
    with_plane = settled(page)
    t2 = wait_for(lambda: _src(page), what="the T2 image")
    page.locator("#mri-seq button", has_text="T1").click()
    wait_for(lambda: _src(page) not in (None, t2), what="the T1 image")
    t1 = _src(page)

    track = page.locator(".v-input:has(#mri-pos) .v-slider-track")
    box = track.bounding_box()
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + box["height"] / 2)
    wait_for(lambda: _src(page) not in (None, t1), what="the image at the new position")
    moved = wait_changed(page, with_plane)
    assert moved.shape == with_plane.shape


def test_nerve_tab_shows_the_figure_and_hides_the_plane(served, page):
    open_app(page, served.url)
    page.locator("#panel").click()
    expect(page.locator("#mri-image")).to_be_visible(timeout=60_000)
    wait_for(lambda: _plane_share(page) > 0.2, what="the slice's plane in 3D")
    page.locator("#tab-nerves").click()
    expect(page.locator("#nerves-image")).to_be_visible(timeout=60_000)
    wait_for(lambda: _plane_share(page) < 0.05, what="the plane to go")


def test_slice_follows_the_slider_while_it_is_dragged(served, page):
    open_app(page, served.url)
    page.locator("#panel").click()
    expect(page.locator("#mri-image")).to_be_visible(timeout=60_000)
    middle = wait_for(lambda: _src(page), what="the first slice")
    drag(page, slider_point(page, "#mri-pos", 0.5), slider_point(page, "#mri-pos", 0.65), steps=4)
    # A new slice arrives while the button is still down, and another further on.
    wait_for(lambda: _src(page) not in (None, middle), what="a slice during the drag")
    on_the_way = _src(page)
    page.mouse.move(*slider_point(page, "#mri-pos", 0.85), steps=4)
    wait_for(lambda: _src(page) not in (None, on_the_way), what="the next slice during the drag")
    page.mouse.up()
