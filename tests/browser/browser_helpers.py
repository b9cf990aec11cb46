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
    edge = image[:, :4].mean(axis=1, keepdims=True)
    return float((np.abs(image - edge).sum(axis=2) > 40).mean())


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
