"""The innervation illustration: drawn from the model, fibres deeper when worn."""

from __future__ import annotations

import numpy as np
import pytest

from spineviz.conditions.state import State
from spineviz.render.mri.innervation import COLOURS, axial_panel, innervation_figure


def nerve_share(img, where, radius_px):
    """Share of nerve-coloured pixels within ``radius_px`` of the nucleus centre."""
    a = np.asarray(img).astype(int)
    nerve = (np.abs(a - np.array(COLOURS["nerve"])).sum(-1) < 60) | (
        np.abs(a - np.array(COLOURS["nerve_edge"])).sum(-1) < 60
    )
    yy, xx = np.mgrid[: a.shape[0], : a.shape[1]]
    cx, cy = where["centre"]
    inner = (xx - cx) ** 2 + (yy - cy) ** 2 < radius_px**2
    return nerve[inner].mean()


def test_fibres_reach_the_centre_only_in_the_worn_disc(grid_of):
    _, healthy = grid_of(State())
    _, worn = grid_of(State(pfirrmann=4))
    h_img, h_where = axial_panel(healthy, degenerated=False, px=300)
    w_img, w_where = axial_panel(worn, degenerated=True, px=300)
    # Inner region: the middle half of the disc, around the nucleus.
    assert nerve_share(h_img, h_where, 60) == pytest.approx(0.0, abs=1e-3)
    assert nerve_share(w_img, w_where, 60) > 0.01


def test_the_nucleus_is_drawn_from_the_model_outline(grid_of):
    _, healthy = grid_of(State())
    img, where = axial_panel(healthy, degenerated=False, px=300)
    a = np.asarray(img).astype(int)
    cx, cy = (int(v) for v in where["centre"])
    assert np.abs(a[cy, cx] - np.array(COLOURS["nucleus_healthy"])).sum() < 30


def test_figure_in_both_languages_and_bad_language():
    fig = innervation_figure(lang="nb", px=240)
    assert fig.width > 2 * 240
    with pytest.raises(ValueError, match="lang: 'de'"):
        innervation_figure(lang="de")
