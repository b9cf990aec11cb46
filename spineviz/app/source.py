"""Where the app's meshes come from: the model for a state, cut open on request.

:class:`PartSource` builds the parts for a :class:`~spineviz.conditions.state.State`
once and keeps the last few results, so flipping a toggle back and forth
costs a dictionary look-up.  Conditions are built by
``spineviz.conditions.build.build`` once that module exists; until then only
healthy states can be shown and any finding is refused with a clear message
(never silently drawn as healthy).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
import pyvista as pv

from spineviz.conditions.state import State, StateError
from spineviz.geometry.model import build_model, check_detail
from spineviz.geometry.names import Levels

CACHE_SIZE = 8
"""States kept built; a consultation flips between a handful."""

_AXIS_NORMALS = {"sagittal": (1.0, 0.0, 0.0), "axial": (0.0, 0.0, 1.0), "coronal": (0.0, 1.0, 0.0)}


def _condition_builder():
    try:
        module = importlib.import_module("spineviz.conditions.build")
    except ModuleNotFoundError:
        return None
    return getattr(module, "build", None)


class PartSource:
    """Parts for each state, built once and cached.

    Parameters
    ----------
    detail : {"low", "medium", "high"}, optional
        Mesh resolution of the model.
    """

    def __init__(self, *, detail: str = "medium") -> None:
        self.detail = check_detail(detail)
        self._builder = _condition_builder()
        self._cache: OrderedDict[State, Mapping[str, pv.PolyData]] = OrderedDict()

    @property
    def has_conditions(self) -> bool:
        """True when the condition builder is available (findings can be drawn)."""
        return self._builder is not None

    def parts(self, state: State) -> Mapping[str, pv.PolyData]:
        """The parts of ``state``'s model (do not modify them).

        Raises
        ------
        StateError
            When ``state`` has findings and no condition builder is installed.
        """
        if state in self._cache:
            self._cache.move_to_end(state)
            return self._cache[state]
        parts = self._build(state)
        self._cache[state] = parts
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return parts

    def _build(self, state: State) -> Mapping[str, pv.PolyData]:
        if self._builder is not None:
            return self._builder(state).parts
        if not state.is_healthy:
            msg = "findings cannot be drawn yet in this version; only the healthy segment is available"
            raise StateError("state", msg)
        healthy = dataclasses.replace(State(), level=state.level)
        if healthy in self._cache:
            return self._cache[healthy]
        return build_model(Levels.parse(state.level), detail=self.detail).parts


def clip_parts(
    parts: Mapping[str, pv.PolyData], *, axis: str, offset: float
) -> dict[str, pv.PolyData]:
    """Every part cut by a plane, keeping the side away from the viewer's default, with filled cut faces.

    Parameters
    ----------
    parts : Mapping[str, pyvista.PolyData]
        Closed part surfaces.
    axis : {"sagittal", "axial", "coronal"}
        Plane normal: left–right, up–down or front–back.
    offset : float
        Plane position from −1 to 1 across the half-extent of all parts.

    Returns
    -------
    dict
        The cut parts; parts that fall entirely on the removed side are left out.
    """
    normal = np.asarray(_AXIS_NORMALS[axis])
    bounds = np.array([p.bounds for p in parts.values() if p.n_points]).reshape(-1, 3, 2)
    low, high = bounds[:, :, 0].min(axis=0), bounds[:, :, 1].max(axis=0)
    centre, half = (low + high) / 2, (high - low) / 2
    origin = centre + normal * half * float(offset)
    out: dict[str, pv.PolyData] = {}
    for name, mesh in parts.items():
        if mesh.n_points == 0:
            continue
        # vtkClipClosedSurface keeps the side the normal points to and caps the cut.
        cut = mesh.clip_closed_surface(normal=tuple(-normal), origin=tuple(origin))
        if cut.n_cells:
            out[name] = cut
    return out
