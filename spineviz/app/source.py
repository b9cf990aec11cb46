"""Where the app's meshes come from: the model for a state, cut open on request.

:class:`PartSource` asks :func:`spineviz.conditions.build.build` for the parts
of a state (it caches per state and rebuilds only the components a change
touches) and remembers the detail setting; :func:`clip_section` places the
cutting plane of the "cut open" control.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyvista as pv

from spineviz.conditions.build import build
from spineviz.conditions.state import State
from spineviz.geometry.model import check_detail
from spineviz.render.scene import Section

_AXIS_NORMALS = {"sagittal": (1.0, 0.0, 0.0), "axial": (0.0, 0.0, 1.0), "coronal": (0.0, 1.0, 0.0)}


class PartSource:
    """Parts for each state at one detail setting.

    Parameters
    ----------
    detail : {"low", "medium", "high"}, optional
        Mesh resolution of the model.
    """

    def __init__(self, *, detail: str = "medium") -> None:
        self.detail = check_detail(detail)

    def parts(self, state: State) -> Mapping[str, pv.PolyData]:
        """The parts of ``state``'s model (shared, cached objects: do not modify them)."""
        return build(state, detail=self.detail).parts


def clip_section(parts: Mapping[str, pv.PolyData], *, axis: str, offset: float) -> Section:
    """The cutting plane for the app's "cut open" control.

    Parameters
    ----------
    parts : Mapping[str, pyvista.PolyData]
        The parts shown (the plane is placed across their joint bounds).
    axis : {"sagittal", "axial", "coronal"}
        Plane normal: left–right, up–down or front–back.
    offset : float
        Plane position from −1 to 1 across the half-extent of the parts.

    Returns
    -------
    Section
        Keeps the half away from the default viewpoints (the patient's right
        for a sagittal cut, seen from the left; what lies below for an axial
        cut, seen from above; the front for a coronal cut, seen from behind),
        so the cut face looks at the camera.
    """
    normal = np.asarray(_AXIS_NORMALS[axis])
    bounds = np.array([p.bounds for p in parts.values() if p.n_points]).reshape(-1, 3, 2)
    low, high = bounds[:, :, 0].min(axis=0), bounds[:, :, 1].max(axis=0)
    centre, half = (low + high) / 2, (high - low) / 2
    origin = centre + normal * half * float(offset)
    return Section(tuple(float(v) for v in origin), tuple(float(v) for v in -normal))
