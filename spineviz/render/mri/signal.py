"""MR signal of a tissue under a pulse sequence, and the look of a scan.

Spin echo (T1- and T2-weighted)::

    S = PD · (1 − e^(−TR/T1)) · e^(−TE/T2)

Short-tau inversion recovery (STIR), magnitude image::

    S = PD · |1 − 2·e^(−TI/T1) + e^(−TR/T1)| · e^(−TE/T2)

with TI chosen where the fat term is zero, so fat is nulled exactly whatever
the field strength.  Every tissue's proton pools (water, fat) are summed.
The fast-spin-echo T2 preset keeps fat bright through the fat T2 chosen in
:mod:`.tissues` (FSE breaks J-coupling).

A scan is then a little blurred (the point-spread of a ~1 mm acquisition)
and carries Rician noise — the magnitude of a complex signal with Gaussian
noise in both channels — drawn from a seeded generator, so an image is the
same for the same seed.  3 T gives twice the signal-to-noise ratio of
1.5 T (model: SNR grows about linearly with field).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .tissues import FAT_T1, Tissue, at_field


@dataclass(frozen=True)
class Sequence:
    """A pulse sequence preset.

    Attributes
    ----------
    key : str
        ``"t1"``, ``"t2"`` or ``"stir"``.
    kind : {"se", "ir"}
        Spin echo or inversion recovery.
    tr, te : float
        Repetition and echo time, ms.
    ti : float or None
        Inversion time, ms; ``None`` means "null fat at this field".
    title : dict
        Display name by language.
    """

    key: str
    kind: str
    tr: float
    te: float
    ti: float | None = None
    title: dict | None = None

    def inversion_time(self, field: float) -> float:
        """TI in ms; the fat null at ``field`` when not set."""
        if self.ti is not None:
            return self.ti
        t1 = at_field(FAT_T1, field)
        return t1 * np.log(2.0 / (1.0 + np.exp(-self.tr / t1)))

    def describe(self, field: float) -> str:
        """Parameters as a short line, e.g. ``"TR 500 / TE 10 ms, 1.5 T"``."""
        ti = f" / TI {self.inversion_time(field):.0f}" if self.kind == "ir" else ""
        return f"TR {self.tr:.0f} / TE {self.te:.0f}{ti} ms, {field:g} T"


SEQUENCES: dict[str, Sequence] = {
    "t1": Sequence("t1", "se", 500.0, 10.0, title={"en": "T1-weighted", "nb": "T1-vektet"}),
    "t2": Sequence("t2", "se", 4000.0, 100.0, title={"en": "T2-weighted (FSE)", "nb": "T2-vektet (FSE)"}),
    "stir": Sequence(
        "stir", "ir", 4000.0, 60.0, title={"en": "STIR (fat suppressed)", "nb": "STIR (fettundertrykt)"}
    ),
}
"""The presets: clinical lumbar T1 (SE 500/10), T2 (FSE 4000/100) and STIR
(IR 4000/60, TI at the fat null) — design-reference §4c."""

NOISE_SIGMA = 0.012
"""Noise standard deviation at 1.5 T, in units of the signal of pure water
fully relaxed (PD 1): about 50:1 for CSF on T2, a typical clinical SNR."""

BLUR_MM = 0.6
"""Gaussian point-spread (sigma, mm) of the simulated acquisition."""


def sequence(key: str, **changes) -> Sequence:
    """A preset by key, optionally with TR/TE/TI changed; clear error for a bad key."""
    if key not in SEQUENCES:
        raise ValueError(f"sequence: {key!r} is not a preset; choose one of {', '.join(SEQUENCES)}")
    return replace(SEQUENCES[key], **changes) if changes else SEQUENCES[key]


def check_field(field: float) -> float:
    field = float(field)
    if field not in (1.5, 3.0):
        raise ValueError(f"field: {field:g} T is not modelled; choose 1.5 or 3")
    return field


def tissue_signal(tissue: Tissue, seq: Sequence, field: float = 1.5) -> float:
    """Noise-free signal of one tissue (sum over its water and fat pools)."""
    field = check_field(field)
    total = 0.0
    ti = seq.inversion_time(field) if seq.kind == "ir" else None
    for c in tissue.components:
        t1 = at_field(c.t1, field)
        decay = np.exp(-seq.te / c.t2)
        if seq.kind == "se":
            total += c.pd * (1.0 - np.exp(-seq.tr / t1)) * decay
        else:
            total += c.pd * abs(1.0 - 2.0 * np.exp(-ti / t1) + np.exp(-seq.tr / t1)) * decay
    return float(total)


def signal_table(tissues, seq: Sequence, field: float = 1.5) -> np.ndarray:
    """Signal of each tissue of a grid (index = label), float32."""
    return np.array([tissue_signal(t, seq, field) for t in tissues], np.float32)


def noise_sigma(field: float) -> float:
    """Noise level at ``field`` (halved at 3 T, see module notes)."""
    return NOISE_SIGMA * 1.5 / check_field(field)


def gaussian_blur(image: np.ndarray, sigma_px: float) -> np.ndarray:
    """Separable Gaussian blur in numpy (edges reflected)."""
    if sigma_px <= 0.05:
        return image
    radius = max(1, int(np.ceil(3 * sigma_px)))
    x = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (x / sigma_px) ** 2)
    k /= k.sum()
    out = image
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="reflect")
        acc = np.zeros_like(out)
        for i, w in enumerate(k):
            sl = [slice(None), slice(None)]
            sl[axis] = slice(i, i + out.shape[axis])
            acc += w * padded[tuple(sl)]
        out = acc
    return out


def rician(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """Magnitude of the image with complex Gaussian noise (seeded)."""
    rng = np.random.default_rng(seed)
    re = image + rng.normal(0.0, sigma, image.shape)
    im = rng.normal(0.0, sigma, image.shape)
    return np.hypot(re, im).astype(np.float32)


def window(
    image: np.ndarray, *, level: float | None = None, width: float | None = None, percentiles=(0.5, 99.5)
) -> np.ndarray:
    """Map an image to 8-bit grey with a window (centre ``level``, ``width``).

    Either value left ``None`` is set from percentiles of the pixels that
    hold tissue (above the noise floor), as scanners auto-window.
    """
    img = np.asarray(image, np.float32)
    if level is None or width is None:
        body = img[img > 3 * NOISE_SIGMA * 0.5]
        body = body if body.size else img.ravel()
        lo, hi = np.percentile(body, percentiles)
        lo = min(lo, 0.0) if percentiles[0] <= 1 else lo
        level = (lo + hi) / 2 if level is None else level
        width = (hi - lo) if width is None else width
    if width <= 0:
        raise ValueError(f"width: {width!r} must be positive")
    out = (img - (level - width / 2)) / width
    return (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
