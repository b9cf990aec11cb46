"""Small reference renders of conditions, compared with a tolerance.

Each view hides what would cover the finding (the vertebra above for the
axial views, the bone around a Modic zone), as a teacher would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from image_reference import compare_with_reference

from spineviz.conditions.build import build
from spineviz.conditions.state import State

pytestmark = pytest.mark.render

REFERENCE = Path(__file__).parent / "reference"

HIDDEN_FOR_MODIC = ("body", "arch", "root", "basivertebral", "sinuvertebral", "plc", "flavum")


def _modic_view(name: str) -> bool:
    # The zones with the disc and the endplates facing it; the bone is left
    # out because the renderer draws it opaque.
    if name in ("L4.endplate.superior", "L5.endplate.inferior"):
        return False
    return name.split(".")[0] in ("L4", "L5", "L4-L5") and not any(k in name for k in HIDDEN_FOR_MODIC)


def _from_above(name: str) -> bool:
    return not name.startswith(("L4.", "L3-L4", "multifidus", "L4-L5.plc"))


VIEWS = {
    "modic1-lateral": (
        State(modic=1, modic_extent="25-50", inflammation=True, pfirrmann=4),
        "lateral",
        _modic_view,
    ),
    "extrusion-l5-root-axial": (
        State(herniation="extrusion", herniation_zone="subarticular", herniation_side="left"),
        "axial",
        lambda n: _from_above(n) and n != "L4-L5.ligamentum_flavum",
    ),
    "stenosis-severe-axial": (State(stenosis="severe", pfirrmann=3), "axial", _from_above),
}


@pytest.fixture(scope="module")
def presenter():
    from spineviz.render.offscreen import RenderingUnavailable, configure_environment, ensure_rendering

    configure_environment()
    try:
        ensure_rendering()
    except RenderingUnavailable as error:
        pytest.skip(str(error))
    from spineviz.render.scene import ScenePresenter

    with ScenePresenter(size=(400, 400)) as p:
        yield p


@pytest.mark.parametrize("name", list(VIEWS))
def test_condition_render_matches_reference(presenter, name):
    state, camera, visible = VIEWS[name]
    presenter.update(build(state, detail="low").parts)
    presenter.set_visible(visible)
    compare_with_reference(presenter.screenshot(camera), REFERENCE / f"{name}.png", tolerance=3.0)
