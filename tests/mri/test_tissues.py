"""Tissue and signal level: the contrast each classification table describes."""

from __future__ import annotations

import numpy as np
import pytest

from spineviz.render.mri import tissues as T
from spineviz.render.mri.signal import SEQUENCES, gaussian_blur, rician, sequence, tissue_signal, window

FIELDS = (1.5, 3.0)


def sig(tissue, seq, field=1.5):
    return tissue_signal(tissue, SEQUENCES[seq], field)


@pytest.mark.parametrize("field", FIELDS)
def test_modic_types_follow_the_modic_table(field):
    normal = T.marrow()
    m1, m2, m3 = (T.modic_marrow(t) for t in ("1", "2", "3"))
    # Type 1: dark on T1, bright on T2 and STIR.
    assert sig(m1, "t1", field) < 0.85 * sig(normal, "t1", field)
    assert sig(m1, "t2", field) > 1.2 * sig(normal, "t2", field)
    assert sig(m1, "stir", field) > 1.5 * sig(normal, "stir", field)
    # Type 2: bright on T1, iso to bright on T2, dark on STIR.
    assert sig(m2, "t1", field) > 1.1 * sig(normal, "t1", field)
    assert sig(m2, "t2", field) >= 0.95 * sig(normal, "t2", field)
    assert sig(m2, "stir", field) < 0.6 * sig(normal, "stir", field)
    # Type 3: dark on T1 and T2.
    assert sig(m3, "t1", field) < 0.6 * sig(normal, "t1", field)
    assert sig(m3, "t2", field) < 0.6 * sig(normal, "t2", field)


@pytest.mark.parametrize(("mixed", "a", "b"), [("1/2", "1", "2"), ("2/3", "2", "3")])
@pytest.mark.parametrize("seq", ["t1", "t2", "stir"])
def test_mixed_modic_types_lie_between_their_pure_types(mixed, a, b, seq):
    s = sig(T.modic_marrow(mixed), seq)
    lo, hi = sorted((sig(T.modic_marrow(a), seq), sig(T.modic_marrow(b), seq)))
    assert lo < s < hi
    assert s == pytest.approx((lo + hi) / 2, rel=1e-6)


def test_modic_type_outside_the_table_is_refused():
    with pytest.raises(ValueError, match="modic"):
        T.modic_marrow("4")


@pytest.mark.parametrize("field", FIELDS)
def test_pfirrmann_nucleus_on_t2_matches_the_grading_table(field):
    csf = sig(T.BASE["csf"], "t2", field)
    ratio = {g: sig(T.nucleus(g), "t2", field) / csf for g in range(1, 6)}
    # I–II hyperintense, close to CSF; III intermediate; IV–V hypointense.
    assert ratio[1] > 0.85
    assert ratio[2] > 0.55
    assert 0.25 < ratio[3] < 0.55
    assert ratio[4] < 0.2
    assert ratio[5] < 0.2
    assert all(ratio[g] > ratio[g + 1] for g in range(1, 5))
    # Grade I–II: nucleus and annulus clearly distinct; IV–V: the distinction is lost.
    assert sig(T.nucleus(1), "t2", field) > 3 * sig(T.annulus(1), "t2", field)
    assert sig(T.nucleus(5), "t2", field) < 1.5 * sig(T.annulus(5), "t2", field)


@pytest.mark.parametrize("field", FIELDS)
def test_stir_nulls_fat_and_keeps_water(field):
    assert sig(T.BASE["fat"], "stir", field) == pytest.approx(0.0, abs=1e-9)
    assert sig(T.BASE["csf"], "stir", field) > 0.3


def test_sequences_show_the_textbook_contrasts():
    fat, csf, muscle = T.BASE["fat"], T.BASE["csf"], T.BASE["muscle"]
    # T1: fat bright, CSF dark.
    assert sig(fat, "t1") > 2 * sig(muscle, "t1") > 2 * sig(csf, "t1")
    # T2 FSE: CSF brightest, fat stays bright, muscle dark.
    assert sig(csf, "t2") > sig(fat, "t2") > 3 * sig(muscle, "t2")
    # Cortical bone gives no signal anywhere.
    assert max(sig(T.BASE["cortical"], s) for s in SEQUENCES) < 0.01


def test_t1_is_longer_at_3t_by_the_published_factor():
    assert T.at_field(1000.0, 3.0) == pytest.approx(1210.0)
    assert T.at_field(1000.0, 1.5) == 1000.0
    with pytest.raises(ValueError, match="field"):
        T.at_field(1000.0, 7.0)
    # Longer T1 darkens long-T1 tissue on T1-weighting at 3 T.
    assert sig(T.BASE["muscle"], "t1", 3.0) < sig(T.BASE["muscle"], "t1", 1.5)


def test_every_tissue_has_a_source():
    keys = set(T.BASE) - {"air"}
    assert keys <= set(T.SOURCES), keys - set(T.SOURCES)
    for extra in ("nucleus", "annulus", "herniation", "marrow.modic1", "marrow.modic2", "marrow.modic3"):
        assert extra in T.SOURCES


def test_marrow_fat_fraction_is_the_published_one():
    assert T.marrow().fat_fraction == pytest.approx(0.35)
    assert T.marrow().pd == pytest.approx(0.911)
    assert T.modic_marrow("2").fat_fraction > T.marrow().fat_fraction > T.modic_marrow("1").fat_fraction


def test_noise_is_deterministic_for_a_seed():
    img = np.full((32, 32), 0.5, np.float32)
    a, b, c = rician(img, 0.02, 7), rician(img, 0.02, 7), rician(img, 0.02, 8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # Rician noise on a strong signal is unbiased to first order.
    assert a.mean() == pytest.approx(0.5, abs=0.01)


def test_blur_keeps_the_mean_and_softens_an_edge():
    img = np.zeros((20, 20), np.float32)
    img[:, 10:] = 1.0
    out = gaussian_blur(img, 1.0)
    assert out.mean() == pytest.approx(img.mean(), abs=1e-3)
    assert 0.0 < out[5, 9] < 0.5 < out[5, 10] < 1.0


def test_window_maps_level_and_width():
    img = np.array([[0.0, 0.5, 1.0, 2.0]], np.float32)
    out = window(img, level=0.5, width=1.0)
    assert out.tolist() == [[0, 128, 255, 255]]
    with pytest.raises(ValueError, match="width"):
        window(img, level=0.5, width=0.0)


def test_sequence_presets_and_bad_keys():
    assert sequence("t1").tr == 500
    assert sequence("t2").te == 100
    assert sequence("t2", te=120).te == 120
    with pytest.raises(ValueError, match="sequence: 'pd'"):
        sequence("pd")
    stir = sequence("stir")
    # The inversion time nulls fat: near 0.69·T1 of fat at each field.
    assert stir.inversion_time(1.5) == pytest.approx(T.FAT_T1 * np.log(2), rel=0.01)
    assert stir.inversion_time(3.0) > stir.inversion_time(1.5)
