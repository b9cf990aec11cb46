"""Tissue texture: the small, smooth variations that make a scan look like tissue.

Real tissue is not uniform on MRI.  Marrow is mottled by its trabeculae and
by islands of red and yellow marrow; muscle shows faint streaks along its
fibres; fat and bowel vary slowly.  Each texture here is a fixed, seeded,
smooth random field in world coordinates (a sum of plane waves with random
directions and phases), so a structure looks the same in a sagittal and an
axial slice through it, and the pattern is part of the anatomy: it does not
change with the noise seed.  Amplitudes are a few per cent (model choices,
tuned by eye against clinical lumbar images), small enough that region
means — the classification ratios — move by well under one per cent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Texture:
    """A family of smooth random variation.

    Attributes
    ----------
    amplitude : float
        Standard deviation as a share of the tissue's signal.
    wavelengths : (float, float)
        Range of the plane waves' wavelengths, mm.
    stretch : float
        How much longer the pattern is along z (head–foot) than across:
        fibres and vertical trabeculae run along the spine.
    seed : int
        Fixed seed of the pattern (anatomy, not noise).
    """

    amplitude: float
    wavelengths: tuple[float, float]
    stretch: float = 1.0
    seed: int = 0


TEXTURES: dict[str, Texture] = {
    # Trabecular bone: fine mottling over a coarser red/yellow marrow pattern.
    "marrow": Texture(0.09, (1.6, 7.0), 1.8, 11),
    "muscle": Texture(0.07, (1.5, 6.0), 5.0, 12),
    "fat": Texture(0.03, (3.0, 10.0), 1.0, 13),
    "disc": Texture(0.035, (2.0, 8.0), 0.4, 14),
    "viscera": Texture(0.12, (3.0, 12.0), 1.0, 15),
    "nerve": Texture(0.03, (1.5, 4.0), 6.0, 16),
    # The cauda's roots: strands along the sac with CSF between them.
    "cauda": Texture(0.35, (1.2, 3.0), 12.0, 17),
}
"""Texture of each family; :func:`family` maps a label name to one."""

WAVES = 28
"""Plane waves per texture (more: less regular, slower)."""


def family(label: str) -> str | None:
    """The texture family of a grid label (``"marrow.L4"`` → ``"marrow"``), or ``None`` for none."""
    head = label.split(".")[0]
    if label.endswith(".fat"):
        return "fat"
    if head in ("marrow", "modic", "arch"):
        return "marrow"
    if head in ("muscle", "multifidus", "psoas"):
        return "muscle"
    if head in ("fat", "epidural_fat"):
        return "fat"
    if head in ("nucleus", "annulus", "herniation"):
        return "disc"
    if head == "viscera":
        return "viscera"
    if head == "nerve":
        return "cauda"
    if ".root." in label:
        return "nerve"
    return None


def field(points: np.ndarray, texture: Texture) -> np.ndarray:
    """The texture's zero-mean, unit-variance field at world points ``(N, 3)``."""
    rng = np.random.default_rng(texture.seed)
    dirs = rng.normal(size=(WAVES, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    dirs[:, 2] /= texture.stretch
    lo, hi = texture.wavelengths
    # Wavelengths spread evenly on a log scale: as much fine as coarse variation.
    k = 2 * np.pi / np.exp(rng.uniform(np.log(lo), np.log(hi), WAVES))
    phase = rng.uniform(0, 2 * np.pi, WAVES)
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    waves = np.cos(pts @ (dirs * k[:, None]).T + phase)
    return (waves.sum(1) * np.sqrt(2.0 / WAVES)).astype(np.float32)


def modulation(points: np.ndarray, labels: np.ndarray, names) -> np.ndarray:
    """Multiplicative texture ``1 + a·n`` for pixels at ``points`` with grid ``labels``.

    Parameters
    ----------
    points : (..., 3) float
        World positions of the pixels.
    labels : (...) int
        Label of each pixel (index into ``names``).
    names : sequence of str
        The grid's label names.
    """
    flat = np.asarray(labels).ravel()
    pts = np.asarray(points).reshape(-1, 3)
    out = np.ones(flat.shape, np.float32)
    fam = np.array([family(n) or "" for n in names])
    for key, tex in TEXTURES.items():
        sel = fam[flat] == key
        if sel.any():
            out[sel] += tex.amplitude * field(pts[sel], tex)
    return out.reshape(np.shape(labels))
