"""Screenshots of scenes: file names, sizes, transparency, labels, framing that does not jump."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spineviz.cli import main
from spineviz.render.scenes import load_scene, scene_paths
from spineviz.render.scenes.shots import scene_model, scene_pose

SCENES = Path(scene_paths()[0]).parent
BROKEN = Path(__file__).parent / "broken"


def test_bad_scene_file_is_one_usage_error(capsys, tmp_path):
    status = main(["render", "--scene", str(BROKEN / "unknown-camera-preset.toml"), "--out", str(tmp_path)])
    _, err = capsys.readouterr()
    assert status == 2
    assert err.count("\n") == 1
    assert "camera.preset: 'side' is not allowed" in err
    assert not list(tmp_path.iterdir())


def test_hiding_parts_does_not_move_the_camera(tmp_path):
    """Same preset, same state: the same frame, whatever a scene hides or stresses."""
    source = (SCENES / "healthy-segment.toml").read_text(encoding="utf-8")
    other = tmp_path / "bones-only.toml"
    other.write_text(
        source.replace('hide = ["muscle"]', 'hide = ["muscle", "nerves", "disc"]'), encoding="utf-8"
    )
    a, b = load_scene(SCENES / "healthy-segment.toml"), load_scene(other)
    assert a.parts != b.parts
    pose_a = scene_pose(a, scene_model(a).parts, aspect=16 / 9)
    pose_b = scene_pose(b, scene_model(b).parts, aspect=16 / 9)
    assert pose_a == pose_b


def test_zoom_moves_the_camera_closer_along_the_same_line(tmp_path):
    source = (SCENES / "healthy-segment.toml").read_text(encoding="utf-8")
    near = tmp_path / "near.toml"
    near.write_text(source.replace('preset = "oblique"', 'preset = "oblique"\nzoom = 2.0'), encoding="utf-8")
    a, b = load_scene(SCENES / "healthy-segment.toml"), load_scene(near)
    pa, pb = (scene_pose(s, scene_model(s).parts, aspect=1.0) for s in (a, b))
    da = np.subtract(pa.position, pa.focal_point)
    db = np.subtract(pb.position, pb.focal_point)
    assert np.allclose(db, da / 2)


@pytest.mark.render
def test_render_two_scenes_with_contact_sheet(tmp_path, capsys):
    out = tmp_path / "shots"
    scenes = [SCENES / "healthy-segment.toml", SCENES / "compressed-root.toml"]
    args = ["render", "--out", str(out), "--size-preset", "card", "--lang", "en"]
    for s in scenes:
        args += ["--scene", str(s)]
    assert main(args) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["compressed-root.png", "contact-sheet.png", "healthy-segment.png"]
    with Image.open(out / "healthy-segment.png") as im:
        assert im.size == (800, 600)
        pixels = np.asarray(im.convert("RGB"))
    # The labels are white boxes with dark text on the left margin, where the model is not.
    margin = pixels[:, :200]
    assert (margin.min(axis=2) > 250).mean() > 0.02  # label paper
    assert (margin.max(axis=2) < 80).mean() > 0.001  # label ink
    with Image.open(out / "contact-sheet.png") as sheet:
        assert sheet.width > 800


@pytest.mark.render
def test_transparent_and_double_density(tmp_path):
    path = tmp_path / "x.png"
    scene = str(SCENES / "pfirrmann-5.toml")
    assert (
        main(
            [
                "render",
                "--scene",
                scene,
                "--out",
                str(path),
                "--size",
                "320x200",
                "--scale",
                "2",
                "--transparent",
            ]
        )
        == 0
    )
    with Image.open(path) as im:
        assert im.size == (640, 400)
        alpha = np.asarray(im.convert("RGBA"))[..., 3]
    assert alpha[0, 0] == 0  # background corner
    assert (alpha == 255).mean() > 0.05  # the segment itself is opaque
