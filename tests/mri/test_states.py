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


def axial_t2(grid_of, state, seed=None):
    """Axial T2 through the state's disc (400 px), and the grid and model it came from."""
    grid, model = grid_of(state)
    plane = standard_plane(grid, model.placement, "axial", state.level, size=(400, 400))
    return grid, model, mr_slice(grid, plane, sequence("t2"), seed=seed)


def sac_area_in_image(grid, img) -> float:
    """Cross-section of the dural sac on an axial image: CSF, the cauda inside it and its wall, mm²."""
    inside = np.isin(img.labels, [grid.label(n) for n in ("csf", "dura", "nerve")])
    return float(inside.sum() * img.plane.pixel_mm**2)


def sac_area_of_model(model, plane) -> float:
    """The same cross-section from the model's own sac field, sampled four times finer than the image."""
    fine = replace(plane, size=(plane.size[0] * 4, plane.size[1] * 4))
    pts = fine.pixel_centers().reshape(-1, 3)
    lo, hi = np.array(model.parts["dural_sac"].bounds).reshape(3, 2).T
    sel = np.all((pts >= lo - 1) & (pts <= hi + 1), axis=-1)
    return float((model.fields["dural_sac"](pts[sel]) < 0).sum() * fine.pixel_mm**2)


SAC_TOLERANCE = 0.12
"""Image and model sac areas agree within 12 %: a 1 mm grid loses or gains about half a voxel
round a 40–50 mm outline (≈ 20 mm², 15 % of a healthy sac, less on average)."""


def test_dural_sac_in_the_image_matches_the_model(grid_of):
    grid, model, img = axial_t2(grid_of, State())
    model_area = sac_area_of_model(model, img.plane)
    assert model_area > 100.0
    assert sac_area_in_image(grid, img) == pytest.approx(model_area, rel=SAC_TOLERANCE)


def test_stenosis_narrows_the_sac_on_axial_t2_as_the_model_says(grid_of):
    areas = {}
    for grade in ("none", "mild", "moderate", "severe"):
        grid, model, img = axial_t2(grid_of, State(stenosis=grade))
        areas[grade] = sac_area_in_image(grid, img)
        expected = model.measurements.get("dural_sac_area_mm2", sac_area_of_model(model, img.plane))
        assert areas[grade] == pytest.approx(expected, rel=SAC_TOLERANCE), grade
    assert areas["none"] > areas["mild"] > areas["moderate"] > areas["severe"]
    # Severe central stenosis: a dural sac under 75 mm² (Schizas; design-reference §5).
    assert areas["severe"] < 75.0
    # What is lost is CSF: it is bright on T2, so the canal's bright area shrinks with the sac.
    csf = {g: (axial_t2(grid_of, State(stenosis=g))[2].labels == grid.label("csf")).sum() for g in areas}
    assert csf["severe"] < 0.6 * csf["none"]


HERNIATION = {"herniation": "extrusion", "herniation_zone": "subarticular"}


def side_sign(plane, model) -> float:
    """+1 when the patient's left lies at larger image columns (radiological: it does)."""
    centre = model.placement.frames["L4"].origin
    left = plane.world_to_pixel(centre + np.array([10.0, 0.0, 0.0]))[0, 0]
    return float(np.sign(left - plane.world_to_pixel(centre)[0, 0]))


@pytest.mark.parametrize("side", ["left", "right"])
def test_herniation_shows_behind_the_disc_on_its_side_on_axial_t2(grid_of, side):
    state = State(**HERNIATION, herniation_side=side)
    grid, model, t2 = axial_t2(grid_of, state, seed=SEED)
    plane = t2.plane
    mask = t2.labels == grid.label("herniation.L4-L5")
    assert mask.sum() * plane.pixel_mm**2 > 10.0
    rows, cols = np.nonzero(mask)
    pts = plane.pixel_centers()[rows, cols]
    # On the named side of the midline (world x: + is the patient's left) …
    sign = 1.0 if side == "left" else -1.0
    assert sign * pts[:, 0].mean() > 3.0
    # … and on the patient's side of the image the radiological way.
    mid = plane.world_to_pixel(model.placement.frames["L4"].origin)[0, 0]
    assert (cols.mean() - mid) * side_sign(plane, model) * sign > 0
    # Behind the disc: past the back of the healthy annulus at the same columns.
    hgrid, _, healthy = axial_t2(grid_of, State())
    annulus = healthy.labels == hgrid.label("annulus.L4-L5")
    back = max(
        plane.pixel_centers()[annulus[:, c], c][:, 1].max() for c in np.unique(cols) if annulus[:, c].any()
    )
    assert pts[:, 1].max() > back + 2.0
    # Disc material is dark next to the bright CSF it pushes into and the epidural fat round it.
    assert t2.signal[mask].mean() < 0.6 * roi_mean(t2, grid, "csf")
    assert t2.signal[mask].mean() < 0.8 * roi_mean(t2, grid, "epidural_fat", erode_px=0)


def section_centre(mesh, plane) -> np.ndarray:
    """Centre of a mesh's cross-section with the image plane (world mm)."""
    cut = mesh.slice(normal=plane.normal, origin=plane.center)
    assert cut.n_points > 3
    return np.asarray(cut.points).mean(0)


def test_compressed_root_is_displaced_in_the_image_as_in_the_model(grid_of):
    state = State(**HERNIATION, herniation_side="left")
    grid, model, img = axial_t2(grid_of, state)
    hgrid, hmodel, healthy = axial_t2(grid_of, State())
    root = next(c.structure for c in model.contacts if ".root." in c.structure)
    assert root == "L5.root.left"

    def centre_in_image(g, im):
        rows, cols = np.nonzero(im.labels == g.label(root))
        return im.plane.pixel_centers()[rows, cols].mean(0)

    moved = centre_in_image(grid, img) - centre_in_image(hgrid, healthy)
    expected = section_centre(model.parts[root], img.plane) - section_centre(
        hmodel.parts[root], healthy.plane
    )
    # Pushed away from the disc (backwards) by at least half a millimetre, as in the model.
    assert expected[1] > 0.5
    assert moved[1] > 0.5
    assert np.linalg.norm(moved - expected) < 0.6
    # The root on the other side stays where it was.
    other = root.replace("left", "right")
    still = [np.nonzero(im.labels == g.label(other)) for g, im in ((grid, img), (hgrid, healthy))]
    assert np.allclose(*(np.mean(np.c_[r, c], 0) for r, c in still), atol=0.3)


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


def test_figure_captions_describe_the_state_in_both_languages():
    from spineviz.render.mri.figures import state_caption

    healthy = state_caption(State(), "t2")
    worn = state_caption(State(pfirrmann=4), "t2")
    assert healthy != worn
    assert "dried out" in worn
    assert "darker" in state_caption(State(modic="1"), "t1")
    assert "brighter" in state_caption(State(modic="1"), "stir")
    assert "brighter" in state_caption(State(modic="2"), "t1")
    assert "darker" in state_caption(State(modic="2"), "stir")
    assert "left" in state_caption(State(herniation="extrusion", herniation_side="left"), "t2")
    assert "narrow" in state_caption(State(stenosis="severe"), "t2")
    nb = state_caption(State(modic="1"), "t1", lang="nb")
    assert "mørkere" in nb
    assert nb != state_caption(State(modic="1"), "t1")


def test_cli_help_carries_the_scan_note(capsys):
    with pytest.raises(SystemExit):
        main(["mri", "--help"])
    out = capsys.readouterr().out
    assert "fat-suppressed" in out
    assert "156 vs 93" in out
