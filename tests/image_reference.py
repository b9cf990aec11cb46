"""Comparing rendered images with kept reference images (shared by the render and conditions tests).

Set ``SPINEVIZ_UPDATE_REFERENCE=1`` to (re)write the reference images after a
deliberate change of look; review them before committing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

UPDATE = os.environ.get("SPINEVIZ_UPDATE_REFERENCE") == "1"


def mean_abs_error(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two RGB(A) images, in 0–255 levels."""
    if a.shape != b.shape:
        return float("inf")
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def compare_with_reference(image: np.ndarray, path: Path, tolerance: float = 2.0) -> float:
    """Compare ``image`` with the PNG at ``path``; fail with the actual image saved aside."""
    from PIL import Image

    path = Path(path)
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(image).save(path)
    assert path.exists(), f"no reference image {path}; run with SPINEVIZ_UPDATE_REFERENCE=1 to create it"
    expected = np.asarray(Image.open(path))
    error = mean_abs_error(image, expected)
    if error > tolerance:
        out = Path(tempfile.mkdtemp(prefix="spineviz-render-")) / path.name
        Image.fromarray(image).save(out)
        pytest.fail(
            f"{path.stem}: mean abs error {error:.2f} > {tolerance} (0–255 levels); actual image: {out}",
            pytrace=False,
        )
    return error
