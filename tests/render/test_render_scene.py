"""Rendered pixels mean what they should: a part's pixel has that part's colour."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from spineviz.geometry.names import group_of
from spineviz.render import scene as scene_module

pytestmark = pytest.mark.render


def chroma(rgb) -> np.ndarray:
    rgb = np.asarray(rgb, float)
    return rgb / max(rgb.sum(), 1e-9)


def patch(image: np.ndarray, pixel) -> np.ndarray:
    """Median colour (0–1) of a 5×5 patch around a pixel: robust to an edge or a highlight."""
    c, r = (round(v) for v in pixel)
    block = image[max(r - 2, 0) : r + 3, max(c - 2, 0) : c + 3, :3].reshape(-1, 3)
    return np.median(block, axis=0) / 255.0


def closest_colour(rgb, candidates: dict[str, tuple]) -> str:
    return min(candidates, key=lambda k: np.linalg.norm(chroma(rgb) - chroma(candidates[k])))


def competitors(scene, part: str) -> dict[str, tuple]:
    """Colours the pixel could have: each other group's parts, and the background."""
    out = {n: scene.looks[n].color for n in scene.visible_parts() if group_of(n) != group_of(part)}
    out[part] = scene.looks[part].color
    for hexa in (scene_module.BACKGROUND_TOP, scene_module.BACKGROUND_BOTTOM):
        out[f"background {hexa}"] = tuple(int(hexa[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return out


@pytest.fixture
def view(scene):
    yield scene
    scene.set_visible(lambda name: True)


@pytest.mark.parametrize(
    ("part", "camera"),
    [("L4.body", "lateral"), ("L5.body", "anterior"), ("L4.arch", "posterior"), ("L4-L5.annulus", "lateral")],
)
def test_centre_of_a_visible_part_has_its_colour(view, part, camera):
    image = view.screenshot(camera)
    centre = np.asarray(view.parts[part].center)
    if part.endswith(".arch"):
        # The arch's bounding-box centre lies in the canal; aim at the spinous process.
        pts = view.parts[part].points
        centre = pts[np.argmax(pts[:, 1])]
    pixel = view.world_to_pixel(centre)[0]
    colour = patch(image, pixel)
    assert closest_colour(colour, competitors(view, part)) == part, (part, camera, colour)


def test_nucleus_shows_through_the_translucent_annulus(view):
    # Only the disc: the bodies would hide it from most directions.
    view.set_visible(["L4-L5.annulus", "L4-L5.nucleus"])
    view.set_camera("lateral")
    centre = view.world_to_pixel(view.parts["L4-L5.nucleus"].center)[0]
    both = patch(view.screenshot(), centre)
    view.set_visible(["L4-L5.annulus"])
    annulus_only = patch(view.screenshot(), centre)
    view.set_visible(["L4-L5.nucleus"])
    nucleus_only = patch(view.screenshot(), centre)
    # Seen from the side through the annulus wall, the pale nucleus makes the
    # disc's centre clearly brighter and bluer, yet keeps a tint of the annulus.
    assert np.abs(both - annulus_only).sum() > 0.1
    assert both.sum() > annulus_only.sum()
    assert both[2] - both[0] > annulus_only[2] - annulus_only[0]
    assert np.linalg.norm(both - nucleus_only) > 0.02


def test_lights_shade_the_surface(view):
    """Smooth shading with key, fill and rim: one body shows a range of brightness, not a flat fill."""
    view.set_visible(["L4.body"])
    image = view.screenshot("lateral").astype(float)
    background = image[:, :1, :]
    mask = np.abs(image - background).sum(axis=2) > 30
    brightness = image[mask].sum(axis=1)
    assert mask.sum() > 1000
    assert np.percentile(brightness, 95) - np.percentile(brightness, 5) > 60


def test_transparent_background_keeps_parts_opaque(view):
    image = view.screenshot("lateral", transparent=True)
    assert image.shape == (400, 400, 4)
    assert image[2, 2, 3] == 0
    c, r = (int(v) for v in view.world_to_pixel(view.parts["L4.body"].center)[0])
    assert image[r, c, 3] == 255


def test_update_swaps_data_in_place_and_drops_missing_parts():
    from spineviz.render.scene import ScenePresenter

    parts = {"L4.body": pv.Sphere(radius=10.0), "L4-L5.nucleus": pv.Sphere(radius=3.0, center=(0, 0, -15))}
    with ScenePresenter(size=(64, 64), anti_aliasing="none") as sc:
        sc.update(parts)
        actor = sc.actors["L4.body"]
        moved = parts["L4.body"].translate((5.0, 0.0, 0.0))
        before = parts["L4.body"].points.copy()
        sc.update({"L4.body": moved})
        assert sc.actors["L4.body"] is actor  # same actor, new data
        assert sc.parts["L4.body"].center[0] == pytest.approx(5.0, abs=0.05)
        assert "L4-L5.nucleus" not in sc.actors
        np.testing.assert_array_equal(parts["L4.body"].points, before)  # input untouched


def test_style_board_matches_reference(compare_image):
    """A fixed synthetic scene (one shape per tissue) guards the look: colours, lights, AA, peeling."""
    from spineviz.render.scene import ScenePresenter

    shapes = {
        "L4.body": pv.Cylinder(center=(0, -12, 12), direction=(0, 0, 1), radius=10, height=9, resolution=48),
        "L4.arch": pv.Capsule(center=(0, 8, 12), direction=(0, 1, 0), radius=3, cylinder_length=14),
        "L4-L5.annulus": pv.Cylinder(
            center=(0, -12, 0), direction=(0, 0, 1), radius=10, height=7, resolution=48
        ),
        "L4-L5.nucleus": pv.Sphere(radius=4.5, center=(0, -12, 0)),
        "L5.root.left": pv.Capsule(center=(8, 6, -2), direction=(1, 1, -1), radius=1.6, cylinder_length=16),
        "multifidus.left": pv.Capsule(
            center=(6, 22, -6), direction=(0, 0.3, 1), radius=4, cylinder_length=20
        ),
        "dural_sac": pv.Capsule(center=(0, 6, 0), direction=(0, 0, 1), radius=6, cylinder_length=22),
        "cauda_equina": pv.Cylinder(center=(0, 6, 0), direction=(0, 0, 1), radius=2.0, height=30),
    }
    shapes = {k: v.triangulate().clean() for k, v in shapes.items()}
    with ScenePresenter(size=(240, 240)) as sc:
        sc.update(shapes)
        image = sc.screenshot("oblique")
    compare_image(image, "style-board-oblique", tolerance=2.0)


def test_render_png_writes_the_requested_size(tmp_path):
    from PIL import Image

    path = scene_module.render_png(
        {"L4.body": pv.Sphere()}, tmp_path / "a.png", size=(96, 54), camera="posterior"
    )
    with Image.open(path) as im:
        assert im.size == (96, 54)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"size": (10, 10)}, "size"),
        ({"anti_aliasing": "smaa"}, "anti_aliasing"),
        ({"camera": "top"}, "camera"),
    ],
)
def test_bad_render_options_name_the_field(tmp_path, kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}: "):
        scene_module.render_png({"L4.body": pv.Sphere()}, tmp_path / "a.png", **kwargs)


def test_depth_peeling_runs_only_while_something_translucent_is_visible(model):
    with scene_module.ScenePresenter(size=(200, 200), depth_peeling=True) as view:
        view.update(model.parts)
        renderer = view.plotter.renderer
        view.screenshot("lateral")
        assert view.shows_translucent()
        assert renderer.GetUseDepthPeeling()
        view.set_visible(lambda name: not view.looks[name].translucent)
        opaque = view.screenshot("lateral")
        assert not view.shows_translucent()
        assert not renderer.GetUseDepthPeeling()
        # Same picture as with peeling on: nothing translucent is left to order.
        renderer.SetUseDepthPeeling(True)
        view.plotter.render()
        peeled = view.plotter.screenshot(return_img=True)
        assert np.abs(opaque.astype(int) - peeled.astype(int)).mean() < 0.5


def test_blended_translucency_matches_depth_peeling(model, scene):
    # The default draws translucent parts in one order-independent pass; with
    # back faces culled that must look like exact depth peeling.
    assert not scene.depth_peeling
    with scene_module.ScenePresenter(size=scene.size, depth_peeling=True) as peeled:
        peeled.update(model.parts)
        exact = peeled.screenshot("oblique").astype(float)
    blended = scene.screenshot("oblique").astype(float)
    assert np.abs(exact - blended).mean() < 1.0
