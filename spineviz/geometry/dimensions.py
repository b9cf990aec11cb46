"""Per-level dimensions read from the anatomical recipe ``meshes/levels.toml``."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

VERTEBRAE = ("L1", "L2", "L3", "L4", "L5", "S1")
"""Every vertebra spineviz can build, top to bottom."""


def recipe_path() -> Path:
    """Location of ``levels.toml`` (repository checkout or installed wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "_meshes", here.parents[1] / "meshes"):
        if (candidate / "levels.toml").is_file():
            return candidate / "levels.toml"
    msg = "spineviz cannot find its anatomical recipe meshes/levels.toml"
    raise FileNotFoundError(msg)


@dataclass(frozen=True)
class Measure:
    """A published dimension: population mean, spread and where it comes from."""

    mean: float
    sd: float
    source: str


@functools.cache
def recipe() -> dict:
    """The parsed recipe, as nested dictionaries of :class:`Measure`."""
    with recipe_path().open("rb") as fh:
        raw = tomllib.load(fh)

    def convert(node):
        if isinstance(node, dict) and set(node) == {"mean", "sd", "source"}:
            return Measure(float(node["mean"]), float(node["sd"]), str(node["source"]))
        if isinstance(node, dict):
            return {k: convert(v) for k, v in node.items()}
        return node

    return convert(raw)


def vertebra_measures(level: str) -> dict[str, Measure]:
    """Published measures of one vertebra (``"L4"``)."""
    return recipe()["vertebra"][level]


def disc_measures(upper: str) -> dict[str, Measure]:
    """Published measures of the disc below vertebra ``upper``."""
    return recipe()["disc"][disc_name(upper)]


def disc_name(upper: str) -> str:
    """``"L4"`` → ``"L4-L5"``: the disc below a vertebra."""
    i = VERTEBRAE.index(upper)
    if i + 1 >= len(VERTEBRAE):
        msg = f"there is no disc below {upper} in the lumbar model"
        raise ValueError(msg)
    return f"{upper}-{VERTEBRAE[i + 1]}"


def value(measure: Measure) -> float:
    """The number the model builds with: the published mean."""
    return measure.mean
