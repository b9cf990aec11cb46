"""Looking at the app's page: pixels of the 3D view, waiting on them, picking options."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

# ---- looking at the page ------------------------------------------------------


def view_pixels(page, selector: str = "#view-main") -> np.ndarray:
    from PIL import Image

    png = page.locator(selector).screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def drawn_fraction(image: np.ndarray) -> float:
    """Share of pixels that are not background (the background is a vertical gradient: one colour a row)."""
    return float(drawn_mask(image).mean())


def wait_for(predicate, *, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def open_app(page, url: str) -> np.ndarray:
    """Load the app and wait until the segment is drawn; returns the view's pixels."""
    page.goto(url)
    page.locator("#view-main").wait_for(state="visible", timeout=90_000)

    def drawn():
        image = view_pixels(page)
        return image if drawn_fraction(image) > 0.05 else None

    return wait_for(drawn, timeout=90, what="the segment to be drawn")


def wait_changed(
    page, before: np.ndarray, *, selector: str = "#view-main", timeout: float = 30.0
) -> np.ndarray:
    def changed():
        image = view_pixels(page, selector)
        if image.shape == before.shape and (np.abs(image - before).sum(axis=2) > 40).mean() > 0.002:
            return image
        return None

    return wait_for(changed, timeout=timeout, what="the view to change")


def settled(page, *, selector: str = "#view-main", timeout: float = 30.0) -> np.ndarray:
    """The view's pixels once two looks 0.3 s apart agree (after a resize or a redraw)."""
    last = [view_pixels(page, selector)]

    def same():
        time.sleep(0.3)
        image = view_pixels(page, selector)
        previous, last[0] = last[0], image
        if image.shape == previous.shape and (np.abs(image - previous).sum(axis=2) > 40).mean() < 0.001:
            return image
        return None

    return wait_for(same, timeout=timeout, what="the view to settle")


def field(page, name: str):
    """The whole control of condition ``name`` (Vuetify puts the id on its inner input)."""
    return page.locator(f".v-input:has(#field-{name})").first


def choose(page, name: str, label: str) -> None:
    """Pick ``label`` in the select of condition ``name``."""
    field(page, name).locator(".v-field").click()
    page.locator(".v-overlay--active .v-list-item", has_text=label).first.click()


def drawn_mask(image: np.ndarray) -> np.ndarray:
    """Pixels that are not background (the background is one colour a row)."""
    edge = image[:, :4].mean(axis=1, keepdims=True)
    return np.abs(image - edge).sum(axis=2) > 40


def drawn_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the drawn segment, in pixels (ignoring stray specks)."""
    mask = drawn_mask(image)
    # Columns drawn over 8% of the height, then rows drawn over 3% of those columns: a small
    # overlay (the tap hint in a corner) is neither.
    cols = np.nonzero(mask.mean(axis=0) > 0.08)[0]
    if not len(cols):
        pytest.fail("nothing is drawn in the view")
    rows = np.nonzero(mask[:, cols.min() : cols.max() + 1].mean(axis=1) > 0.03)[0]
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def changed_mask(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    return np.abs(after - before).sum(axis=2) > 40


def drag(page, start, end, *, steps: int = 8) -> None:
    """Press at ``start``, move to ``end`` in steps, and keep the button down."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)


def slider_point(page, selector: str, fraction: float) -> tuple[float, float]:
    """A point on a slider's track, ``fraction`` of the way from its start."""
    track = page.locator(f".v-input:has({selector}) .v-slider-track")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    return box["x"] + fraction * box["width"], box["y"] + box["height"] / 2


def bone_pixels(image: np.ndarray) -> np.ndarray:
    """Pixels of the ivory bone colour (not the blue discs, yellow nerves or red muscle)."""
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    return (r > 150) & (g > 140) & (b > 100) & (r - b > 12) & (r - b < 70) & (g - b > 5)


def upper_body_point(image: np.ndarray) -> tuple[int, int]:
    """Middle of the upper vertebral body in the side view: the first tall run of bone rows in the
    front (left) quarter of the segment."""
    left, top, right, bottom = drawn_box(image)
    band = slice(left + (right - left) // 20, left + (right - left) // 4)
    bone = bone_pixels(image)[:, band]
    rows = bone.mean(axis=1) > 0.5
    run_start = None
    for y in range(top, bottom):
        if rows[y] and run_start is None:
            run_start = y
        elif not rows[y] and run_start is not None:
            if y - run_start > 0.1 * (bottom - top):
                y_mid = (run_start + y) // 2
                x_mid = band.start + int(np.median(np.nonzero(bone[y_mid])[0]))
                return x_mid, y_mid
            run_start = None
    raise AssertionError("no vertebral body found in the side view")
