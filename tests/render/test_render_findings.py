"""Findings show in the picture: pixels of the real model with conditions on.

Each test renders a built state and reads the pixel where a finding projects,
then the same pixel of a state without it, so a look that hides the finding
(opaque bone over a Modic zone, a root in plain nerve yellow) fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from spineviz.geometry.names import group_of
from spineviz.render import style
from spineviz.render.scene import ScenePresenter, section_for

pytestmark = pytest.mark.render

SIZE = (400, 400)
HERNIATION = {"herniation": "extrusion", "herniation_zone": "subarticular", "herniation_side": "left"}


def built(*, hide=("muscle",), **state):
    from spineviz.conditions.build import build, default_levels
    from spineviz.conditions.state import State

    s = State(**state)
    model = build(s, levels=default_levels(s), detail="low")
    return {n: m for n, m in model.parts.items() if group_of(n) not in hide}


@pytest.fixture(scope="module")
def presenter():
    with ScenePresenter(size=SIZE) as p:
        yield p


def look_at(presenter, parts, camera):
    presenter.update(parts)
    return presenter.screenshot(camera)


def patch(image: np.ndarray, pixel, half: int = 1) -> np.ndarray:
    """Median colour (0–255) of a small patch around a pixel."""
    c, r = (round(v) for v in pixel)
    block = image[r - half : r + half + 1, c - half : c + half + 1, :3].reshape(-1, 3)
    return np.median(block, axis=0)


def orange_red(rgb) -> bool:
    r, g, b = rgb
    return r > 200 and r - g > 90 and g > b


def nerve_yellow(rgb) -> bool:
    r, g, b = rgb
    return r > 150 and g > 120 and r - g < 60 and g - b > 60


def pale_yellow(rgb) -> bool:
    r, g, b = rgb
    return r > 180 and g > 150 and g - b > 40


def yellow(rgb) -> bool:
    _, g, b = rgb
    return g - b > 60


def warmth(rgb) -> float:
    """Red over blue: high for the Modic 1 orange-red, low for ivory bone and grey."""
    r, _, b = (float(v) for v in rgb)
    return r - b


def test_modic_1_zone_shows_its_colour_through_the_bone(presenter):
    parts = built(modic="1", modic_extent="25-50")
    zone = parts["L4.modic"]
    image = look_at(presenter, parts, "lateral")
    # The zone's middle, pushed toward the viewer's side so the pixel is on the zone, not its rim.
    pixel = presenter.world_to_pixel(zone.center)[0]
    seen = patch(image, pixel)
    healthy = patch(look_at(presenter, built(), "lateral"), pixel)
    expected = np.asarray(style.MODIC_COLOURS[1]) * 255
    assert warmth(seen) > warmth(healthy) + 60, (seen, healthy)
    # Closer to the type-1 colour than to bone.
    bone = np.asarray(style.BONE.color) * 255
    assert np.linalg.norm(seen - expected) < np.linalg.norm(seen - bone), (seen, expected, bone)


def test_modic_types_read_differently_at_the_same_pixel(presenter):
    colours = {}
    pixel = None
    for modic in ("1", "2", "3"):
        parts = built(modic=modic, modic_extent="25-50")
        image = look_at(presenter, parts, "lateral")
        if pixel is None:
            pixel = presenter.world_to_pixel(parts["L4.modic"].center)[0]
        colours[modic] = patch(image, pixel)
    (r1, g1, _), (r3, _, b3) = colours["1"], colours["3"]
    assert r1 - g1 > 40, colours  # red-orange
    assert yellow(colours["2"]), colours
    assert colours["2"][1] > g1 + 30, colours
    assert abs(r3 - b3) < 30, colours  # grey: no strong hue
    assert min(np.linalg.norm(colours[a] - colours[b]) for a, b in (("1", "2"), ("2", "3"), ("1", "3"))) > 40


def _distal_end(mesh) -> np.ndarray:
    """The middle of the lowest tenth of a root: below the arch, free in the posterior view."""
    pts = np.asarray(mesh.points)
    low = pts[pts[:, 2] <= np.quantile(pts[:, 2], 0.1)]
    return low.mean(axis=0)


def test_compressed_root_glows_and_the_other_stays_nerve_yellow(presenter):
    parts = built(**HERNIATION)
    image = look_at(presenter, parts, "posterior")
    squeezed = patch(image, presenter.world_to_pixel(_distal_end(parts["L5.root.left"]))[0])
    free = patch(image, presenter.world_to_pixel(_distal_end(parts["L5.root.right"]))[0])
    assert orange_red(squeezed), squeezed
    assert nerve_yellow(free), free
    healthy = patch(
        look_at(presenter, built(), "posterior"),
        presenter.world_to_pixel(_distal_end(parts["L5.root.left"]))[0],
    )
    assert squeezed[0] - squeezed[1] > healthy[0] - healthy[1] + 50, (squeezed, healthy)


def visible_colours(presenter, image: np.ndarray, mesh) -> np.ndarray:
    """Image colours (0–255, float) at the face centres of ``mesh`` that are in front.

    A face centre counts when its depth matches the z-buffer of the last
    render there: nothing else (nor the part's own far side) covers it.
    """
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkCommonCore import vtkFloatArray

    renderer = presenter.plotter.renderer
    window = renderer.GetRenderWindow()
    w, h = window.GetSize()
    buffer = vtkFloatArray()
    window.GetZbufferData(0, 0, w - 1, h - 1, buffer)
    depth = vtk_to_numpy(buffer).reshape(h, w)  # row 0 at the bottom
    shown = []
    for p in np.asarray(mesh.cell_centers().points):
        renderer.SetWorldPoint(*p, 1.0)
        renderer.WorldToDisplay()
        x, y, z = renderer.GetDisplayPoint()
        c, r = round(x), round(y)
        if 0 <= c < w and 0 <= r < h and z < depth[r, c] + 1e-4:
            shown.append((c, h - 1 - r))
    scale = image.shape[1] / w
    pixels = np.round(np.asarray(shown, float).reshape(-1, 2) * scale).astype(int)
    return image[pixels[:, 1], pixels[:, 0], :3].astype(float)


def test_multifidus_fat_is_pale_yellow_against_red_muscle(presenter):
    parts = built(multifidus_fat=3, hide=())
    image = look_at(presenter, parts, "posterior")
    fat = visible_colours(presenter, image, parts["multifidus.left.fat"])
    muscle = visible_colours(presenter, image, parts["multifidus.left"])
    assert len(fat) > 100, len(fat)
    assert len(muscle) > 100, len(muscle)

    def yellowish(c):
        return (c[:, 1] > 0.75 * c[:, 0]) & (c[:, 1] - c[:, 2] > 30)

    def reddish(c):
        return c[:, 0] > 1.6 * c[:, 1]

    # Most of what shows of each part has its colour (where fat and muscle
    # meet, their shared faces may show either).
    assert yellowish(fat).mean() > 0.5
    assert yellowish(fat).mean() > 2 * reddish(fat).mean()
    assert reddish(muscle).mean() > 0.5
    assert reddish(muscle).mean() > 2 * yellowish(muscle).mean()
    r, g, b = np.median(fat, axis=0)
    assert min(r, g) > 130, (r, g, b)  # pale, not a dark ochre
    assert g - b > 30, (r, g, b)  # yellow
    r, g, _ = np.median(muscle, axis=0)
    assert r > 1.6 * g, (r, g)  # red-brown


def test_axial_view_of_a_herniation_cuts_through_the_disc(presenter):
    parts = built(**HERNIATION)
    image = look_at(presenter, parts, "axial")
    assert presenter.section is not None
    pixel = presenter.world_to_pixel(parts["L4-L5.herniation"].center)[0]
    r, g, b = patch(image, pixel)
    # Disc material (blue) or the root it presses on (orange-red), not the bone of L4 above it.
    assert b > r + 20 or r - g > 90, (r, g, b)
    look_at(presenter, parts, "lateral")
    assert presenter.section is None
    assert all(a.GetMapper().GetNumberOfClippingPlanes() == 0 for a in presenter.actors.values())


def test_only_the_axial_view_of_a_narrowing_finding_is_cut():
    parts = built(stenosis="severe")
    assert section_for(parts, "axial") is not None
    assert section_for(parts, "lateral") is None
    assert section_for(built(), "axial") is None
    assert section_for(built(modic="1"), "axial") is None


def test_section_caps_lie_on_the_cut_and_go_with_the_section(presenter):
    parts = built(**HERNIATION)
    look_at(presenter, parts, "axial")
    section = presenter.section
    caps = presenter.section_caps
    assert "L4-L5.nucleus" in caps
    assert "dural_sac" not in caps  # it holds the roots: it shows its inner wall instead
    for cap in caps.values():
        heights = (np.asarray(cap.points) - section.origin) @ np.asarray(section.keep)
        assert np.all(np.abs(heights) < 0.1)
    look_at(presenter, parts, "lateral")
    assert presenter.section_caps == {}
