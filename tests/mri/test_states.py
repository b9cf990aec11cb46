"""State level: region-of-interest ratios on synthetic images match the tables.

Modic (1988) signal table and Pfirrmann (2001) grading, design-reference §4b
and §5a.  Each ratio compares two regions of the *same* image, as a reader
compares a lesion with normal marrow, so windowing does not matter.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from spineviz.cli import main
from spineviz.conditions.state import State
from spineviz.render.mri.figures import standard_plane
from spineviz.render.mri.signal import sequence
from spineviz.render.mri.slices import mr_slice, roi_mean

SEED = 5


def images(grid_of, state, plane="sagittal", position=0.0):
    grid, model = grid_of(state)
    pl = standard_plane(grid, model.placement, plane, position, level=state.level, size=(400, 400))
    return grid, {s: mr_slice(grid, pl, sequence(s), seed=SEED) for s in ("t1", "t2", "stir")}


def modic_ratios(grid_of, modic):
    grid, imgs = images(grid_of, State(modic=modic, modic_extent="25-50"))
    return {s: roi_mean(im, grid, "modic.L4") / roi_mean(im, grid, "marrow.L4") for s, im in imgs.items()}


def test_modic_type_1_dark_t1_bright_t2_and_stir(grid_of):
    r = modic_ratios(grid_of, "1")
    assert r["t1"] < 0.85
    assert r["t2"] > 1.2
    assert r["stir"] > 1.5


def test_modic_type_2_bright_t1_iso_or_bright_t2_dark_stir(grid_of):
    r = modic_ratios(grid_of, "2")
    assert r["t1"] > 1.1
    assert r["t2"] > 0.95
    assert r["stir"] < 0.7


def test_modic_type_3_dark_t1_and_t2(grid_of):
    r = modic_ratios(grid_of, "3")
    assert r["t1"] < 0.6
    assert r["t2"] < 0.6


@pytest.mark.parametrize("modic", ["1/2", "2/3"])
def test_mixed_modic_types_sit_between_their_types(grid_of, modic):
    a, b = (modic_ratios(grid_of, t)["t1"] for t in modic.split("/"))
    mixed = modic_ratios(grid_of, modic)["t1"]
    assert min(a, b) < mixed < max(a, b)


def test_healthy_marrow_is_uniform_between_vertebrae(grid_of):
    grid, imgs = images(grid_of, State())
    for im in imgs.values():
        assert roi_mean(im, grid, "marrow.L4") == pytest.approx(roi_mean(im, grid, "marrow.L5"), rel=0.05)


def disc_height_mm(grid, img, disc="L4-L5"):
    """Disc height along the image column through the nucleus centre, mm."""
    labels = [grid.label(f"{p}.{disc}") for p in ("nucleus", "annulus")]
    _, cols = np.nonzero(img.labels == grid.label(f"nucleus.{disc}"))
    c = int(np.median(cols))
    return np.isin(img.labels[:, c], labels).sum() * img.plane.pixel_mm


def test_pfirrmann_grades_on_t2(grid_of):
    ratio, height = {}, {}
    for grade in range(1, 6):
        grid, imgs = images(grid_of, State(pfirrmann=grade))
        t2 = imgs["t2"]
        ratio[grade] = roi_mean(t2, grid, "nucleus.L4-L5") / roi_mean(t2, grid, "csf")
        height[grade] = disc_height_mm(grid, t2)
    # I–II bright like CSF, III intermediate, IV–V dark.
    assert ratio[1] > 0.8
    assert ratio[2] > 0.5
    assert 0.25 < ratio[3] < 0.55
    assert ratio[4] < 0.2
    assert ratio[5] < 0.2
    # Height: normal for I–III, lower at IV, lowest (collapsed) at V.
    assert height[2] == pytest.approx(height[1], abs=1.5)
    assert height[4] < height[1] - 0.5
    assert height[5] < height[4]


def sac_areas(grid_of, state):
    """Dural sac cross-section on the axial disc slice: in the image, and from the model's field."""
    grid, model = grid_of(state)
    plane = standard_plane(grid, model.placement, "axial", state.level, size=(400, 400))
    img = mr_slice(grid, plane, sequence("t2"), seed=None)
    inside = np.isin(img.labels, [grid.label(n) for n in ("csf", "dura", "nerve")])
    # Only the canal: the sac's own bounding box (roots outside it are not counted).
    lo, hi = np.array(model.parts["dural_sac"].bounds).reshape(3, 2).T
    pts = plane.pixel_centers()
    in_box = np.all((pts >= lo - 1) & (pts <= hi + 1), axis=-1)
    image_area = (inside & in_box).sum() * plane.pixel_mm**2
    # The field, sampled four times finer than the image, independent of the voxelisation.
    fine = replace(plane, size=(plane.size[0] * 4, plane.size[1] * 4))
    fpts = fine.pixel_centers().reshape(-1, 3)
    sel = np.all((fpts >= lo - 1) & (fpts <= hi + 1), axis=-1)
    # "<= 0": the sac field currently reads 0, not negative, deep inside (reported).
    model_area = (model.fields["dural_sac"](fpts[sel]) <= 0).sum() * fine.pixel_mm**2
    return image_area, model_area


def test_dural_sac_in_the_image_matches_the_model(grid_of):
    image_area, model_area = sac_areas(grid_of, State())
    assert model_area > 50.0
    assert image_area == pytest.approx(model_area, rel=0.15)


def test_stenosis_narrows_the_sac_on_axial_t2(grid_of):
    healthy_img, healthy_model = sac_areas(grid_of, State())
    severe_img, severe_model = sac_areas(grid_of, State(stenosis="severe"))
    if severe_model > 0.9 * healthy_model:
        pytest.skip("the conditions layer does not narrow the dural sac yet")
    assert severe_img / healthy_img == pytest.approx(severe_model / healthy_model, abs=0.1)
    assert severe_img < 0.9 * healthy_img


def test_herniation_shows_on_axial_t2(grid_of):
    state = State(herniation="extrusion", herniation_zone="subarticular", herniation_side="left")
    grid, model = grid_of(state)
    if "L4-L5.herniation" not in model.parts:
        pytest.skip("the conditions layer builds no herniation part yet")
    pl = standard_plane(grid, model.placement, "axial", "L4-L5")
    t2 = mr_slice(grid, pl, sequence("t2"), seed=SEED)
    mask = t2.labels == grid.label("herniation.L4-L5")
    assert mask.sum() * pl.pixel_mm**2 > 5.0
    # It lies behind the disc on the patient's left (viewer's right).
    _, cols = np.nonzero(mask)
    centre = pl.world_to_pixel(model.placement.frames["L4"].origin)[0]
    assert cols.mean() > centre[0]
    # Disc material is darker than the CSF it pushes into.
    assert t2.signal[mask].mean() < 0.8 * roi_mean(t2, grid, "csf")


def test_cli_writes_an_image(tmp_path, capsys):
    out = tmp_path / "ax.png"
    assert main(["mri", "--sequence", "t1", "--plane", "axial", "--size", "128", "-o", str(out)]) == 0
    from PIL import Image

    with Image.open(out) as im:
        assert im.size == (128, 128)
        assert im.mode == "L"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--sequence", "pd"], "--sequence: 'pd' is not allowed"),
        (["--plane", "oblique"], "--plane: 'oblique' is not allowed"),
        (["--field", "7"], "--field: '7' is not allowed"),
        (["--modic", "5"], "--modic: '5' is not allowed"),
        (["--position", "L4-L9", "--plane", "axial"], "--position: disc 'L4-L9'"),
        (["--position", "999"], "--position: x = 999 mm is outside"),
    ],
)
def test_cli_bad_input_is_one_line_and_status_2(tmp_path, capsys, argv, needle):
    status = main(["mri", "-o", str(tmp_path / "x.png"), *argv])
    err = capsys.readouterr().err
    assert status == 2
    assert needle in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
