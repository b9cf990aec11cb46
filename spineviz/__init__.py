"""spineviz: an educational 3D and 2D visualisation of the lumbar spine.

The public API is small and lives here; ``import spineviz`` stays light
because each name is imported from its module only when first used.

>>> import spineviz
>>> model = spineviz.build_model("L4-L5", detail="low")  # doctest: +SKIP
>>> model.parts["L4.body"]  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_API = {
    "build_model": "spineviz.geometry.model",
    "Model": "spineviz.geometry.model",
    "DETAILS": "spineviz.geometry.model",
    "Levels": "spineviz.geometry.names",
    "part_names": "spineviz.geometry.names",
    "group_of": "spineviz.geometry.names",
}
"""Public name → module that defines it."""

__all__ = [  # noqa: RUF022 (same order as _API; tests check the two agree)
    "__version__",
    "build_model",
    "Model",
    "DETAILS",
    "Levels",
    "part_names",
    "group_of",
]

if TYPE_CHECKING:
    from spineviz.geometry.model import DETAILS, Model, build_model
    from spineviz.geometry.names import Levels, group_of, part_names


def __getattr__(name: str):
    try:
        module = _API[name]
    except KeyError:
        raise AttributeError(f"module 'spineviz' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
