"""Disc degeneration by Pfirrmann grade: what each grade does to the geometry.

Pfirrmann 2001 (design reference, section 5a) grades the disc on T2 MRI:
I–II bright and of normal height, III grey with an unclear nucleus–annulus
border and height normal to slightly lower, IV dark with the border lost and
height normal to moderately lower, V black and collapsed.  The article adds
that an advanced degenerated disc bulges, its endplates calcify and bony
spurs (osteophytes) grow at the rims.  :data:`GRADES` turns that into
numbers; they are modelling choices within the published descriptions, not
measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv

from spineviz.geometry.frames import Frame
from spineviz.geometry.surface import contour
from spineviz.geometry.vertebra import VertebraShape, endplate_rim_z, outline_field


@dataclass(frozen=True)
class Grade:
    """Geometry and tissue numbers of one Pfirrmann grade.

    Attributes
    ----------
    height : float
        Disc height as a share of the healthy height.
    hydration : float
        Water content of the nucleus, 1 = healthy, 0 = dry (drives its
        brightness on the synthetic T2 image and its colour).
    blur : float
        Extra rounding of the nucleus–annulus border in mm (it fades from III).
    bulge : float
        Extra circumferential bulge of the annulus at mid-height in mm.
    nucleus_scale : float
        Nucleus cross-section as a share of the healthy one (it shrinks as it dries).
    fissures : tuple of (angle_deg, depth)
        Radial annular tears: direction seen from above (0 = straight back,
        +90 = patient's left) and the share of the annulus torn, from inside out.
    osteophyte : float
        Length of the rim spurs in mm (0 = none).
    """

    height: float
    hydration: float
    blur: float
    bulge: float
    nucleus_scale: float
    fissures: tuple[tuple[float, float], ...]
    osteophyte: float


GRADES: dict[int, Grade] = {
    1: Grade(1.00, 1.00, 0.0, 0.0, 1.00, (), 0.0),
    2: Grade(0.97, 0.80, 0.0, 0.2, 1.00, (), 0.0),
    3: Grade(0.88, 0.50, 1.5, 0.5, 0.92, ((-20.0, 0.55),), 0.0),
    4: Grade(0.72, 0.25, 3.0, 1.0, 0.82, ((-20.0, 0.85), (25.0, 0.6)), 2.2),
    5: Grade(0.42, 0.08, 4.5, 1.5, 0.70, ((-20.0, 1.0), (25.0, 0.9), (150.0, 0.7)), 4.0),
}
"""Pfirrmann grade → geometry.  Height V ≈ 40% of normal: a collapsed L4-L5
disc keeps about 4 mm posteriorly, the height at which Hasegawa 1995 found
most foramina compressed (design reference, section 3)."""

STENOSIS_BULGE = {"none": 0.0, "mild": 0.6, "moderate": 1.2, "severe": 1.8}
"""Extra posterior disc bulge that stenosis brings, mm (model)."""


def spur_field(shape: VertebraShape, side: str, length: float):
    """Local field of the bony spurs along an endplate rim.

    Traction spurs grow from the rim outward and bend toward the disc; they
    are largest at the front and sides and small at the back (model, after
    the article's "jagged bone deposits" at the rims).
    """
    sign = 1.0 if side == "superior" else -1.0

    def field(p: np.ndarray) -> np.ndarray:
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        out = outline_field(shape, x, y)
        angle = np.arctan2(x, -y)  # 0 at the front
        reach = length * (0.55 + 0.45 * np.cos(angle) ** 2) * (1.0 + 0.18 * np.sin(5.0 * angle))
        reach = np.where(np.abs(angle) > 2.3, 0.35 * reach, reach)
        t = np.clip(out / np.maximum(reach, 1e-3), 0.0, 1.0)
        rim = endplate_rim_z(shape, side, y)
        # The spur leaves the rim horizontally, then curls toward the disc.
        centre = rim + sign * (0.5 + 0.9 * reach * t**2)
        half_thick = 1.6 * (1.0 - 0.75 * t)
        return np.maximum.reduce([-out - 1.0, out - reach, np.abs(z - centre) - half_thick])

    return field


def osteophyte_mesh(
    shape: VertebraShape, frame: Frame, *, side: str, length: float, spacing: float
) -> pv.PolyData:
    """World mesh of the rim spurs of one endplate (empty when ``length`` is 0)."""
    if length <= 0:
        return pv.PolyData()
    rim = float(endplate_rim_z(shape, side, np.array(0.0)))
    w = shape.half_depth * np.tan(np.radians(max(shape.wedge_superior, shape.wedge_inferior))) + 2
    box = (
        -shape.half_width - length - 2,
        shape.half_width + length + 2,
        -shape.half_depth - length - 2,
        shape.half_depth + length,
        rim - length - w - 3,
        rim + length + w + 3,
    )
    local = contour(spur_field(shape, side, length), box, spacing=min(spacing, 0.7), smooth_iterations=8)
    return local.transform(frame.matrix, inplace=False)
