"""Reference images: the look of the synthetic MRI, compared within a tolerance.

Three small (256 px), noise-free mid-sagittal images of Modic type 1, one per sequence.
A deliberate change of look is recorded with ``SPINEVIZ_UPDATE_REFERENCE=1``
(the same switch as the 3D render references); review the images before
committing them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from image_reference import compare_with_reference  # shared with tests/render and tests/conditions

from spineviz.conditions.state import State
from spineviz.render.mri.figures import grey_image, state_slice

REFERENCE = Path(__file__).parent / "reference"
TOLERANCE = 0.75
"""Mean absolute difference allowed, 0–255 grey levels, on noise-free images:
below a change of tissue contrast (Modic 1 against a healthy segment differs
by 1.3–2.6 over the whole image, against Modic 2 by 2.5–3.4 on T1 and STIR) and well above differences
of floating-point order between machines."""


@pytest.mark.parametrize("seq", ["t1", "t2", "stir"])
def test_modic1_sagittal_looks_as_recorded(seq):
    image = state_slice(
        State(modic="1", modic_extent="25-50"), seq=seq, plane="sagittal", seed=None, size=256
    )
    actual = np.asarray(grey_image(image, letters=False))
    compare_with_reference(actual, REFERENCE / f"modic1-sagittal-{seq}.png", tolerance=TOLERANCE)
