"""Shared fixtures of the render tests: one model, one small scene, image comparison."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from image_reference import mean_abs_error  # shared with tests/conditions

REFERENCE = Path(__file__).parent / "reference"
UPDATE = os.environ.get("SPINEVIZ_UPDATE_REFERENCE") == "1"
"""Set ``SPINEVIZ_UPDATE_REFERENCE=1`` to (re)write the reference images after
a deliberate change of look; review them before committing."""


@pytest.fixture(scope="session")
def model():
    from spineviz.geometry.model import build_model

    return build_model("L4-L5", detail="low")


@pytest.fixture(scope="session")
def scene(model):
    """A 400×400 scene of the whole default segment, shared by the pixel tests."""
    from spineviz.render.scene import ScenePresenter

    presenter = ScenePresenter(size=(400, 400))
    presenter.update(model.parts)
    yield presenter
    presenter.close()


@pytest.fixture
def compare_image():
    """``compare_image(image, "name", tolerance)``: compare with ``reference/name.png``.

    On failure the actual image is saved to a temporary directory whose path
    is in the assertion message.
    """
    from PIL import Image

    def compare(image: np.ndarray, name: str, tolerance: float = 2.0) -> float:
        path = REFERENCE / f"{name}.png"
        if UPDATE:
            REFERENCE.mkdir(exist_ok=True)
            Image.fromarray(image).save(path)
        assert path.exists(), f"no reference image {path}; run with SPINEVIZ_UPDATE_REFERENCE=1 to create it"
        expected = np.asarray(Image.open(path))
        error = mean_abs_error(image, expected)
        if error > tolerance:
            out = Path(tempfile.mkdtemp(prefix="spineviz-render-")) / f"{name}.png"
            Image.fromarray(image).save(out)
            pytest.fail(
                f"{name}: mean abs error {error:.2f} > {tolerance} (0–255 levels); actual image: {out}",
                pytrace=False,
            )
        return error

    return compare
