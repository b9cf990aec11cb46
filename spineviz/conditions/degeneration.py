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
from spineviz.geometry.surface import signed_volume
from spineviz.geometry.vertebra import VertebraShape, endplate_rim_z, outline_field

from .deform import ray_surface


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


def _spur_reach(length: float, angle: np.ndarray) -> np.ndarray:
    """How far the spurs reach out from the rim at an angle about the body (0 at the front)."""
    # Irregular, like deposits rather than a machined flange: a few
    # incommensurate waves around the rim.
    rough = (
        1.0
        + 0.18 * np.sin(5.0 * angle)
        + 0.12 * np.sin(11.0 * angle + 1.0)
        + 0.1 * np.sin(23.0 * angle + 2.0)
    )
    reach = length * (0.55 + 0.45 * np.cos(angle) ** 2) * rough
    # Small at the back: down to 35 % over a tenth of a turn around 2.3 rad.
    back = np.clip((np.abs(angle) - 2.0) / 0.6, 0.0, 1.0)
    return reach * (1.0 - 0.65 * back * back * (3.0 - 2.0 * back))


def _spur_section(shape: VertebraShape, side: str, reach, out, y):
    """Centre height and half thickness of a spur at ``out`` mm beyond the outline (local frame)."""
    sign = 1.0 if side == "superior" else -1.0
    t = np.clip(out / np.maximum(reach, 1e-3), 0.0, 1.0)
    # The spur leaves the rim horizontally, then curls toward the disc.
    centre = endplate_rim_z(shape, side, y) + sign * (0.5 + 0.9 * reach * t**2)
    return centre, 1.6 * (1.0 - 0.75 * t)


def spur_field(shape: VertebraShape, side: str, length: float):
    """Local field of the bony spurs along an endplate rim.

    Traction spurs grow from the rim outward and bend toward the disc; they
    are largest at the front and sides and small at the back (model, after
    the article's "jagged bone deposits" at the rims).  :func:`osteophyte_mesh`
    sweeps this solid's sections around the rim (thick across the spur
    rather than straight up, and rounded at the tip).
    """

    def field(p: np.ndarray) -> np.ndarray:
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        out = outline_field(shape, x, y)
        reach = _spur_reach(length, np.arctan2(x, -y))
        centre, half_thick = _spur_section(shape, side, reach, out, y)
        return np.maximum.reduce([-out - 1.0, out - reach, np.abs(z - centre) - half_thick])

    return field


def _outline_ring(shape: VertebraShape, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points on the body's outline (local xy) and its outward unit normals there."""
    phi = 2 * np.pi * np.arange(n) / n
    direction = np.c_[np.sin(phi), -np.cos(phi)]
    # The outline is star-shaped about the centre: one crossing per ray.

    def values(r):
        p = direction * r[:, None]
        return outline_field(shape, p[:, 0], p[:, 1])

    far = np.full(n, 2.0 * max(shape.half_width, shape.half_depth))
    ring = direction * ray_surface(values, np.zeros(n), far, steps=6)[:, None]
    h = 0.05
    x, y = ring[:, 0], ring[:, 1]
    normal = np.c_[
        outline_field(shape, x + h, y) - outline_field(shape, x - h, y),
        outline_field(shape, x, y + h) - outline_field(shape, x, y - h),
    ]
    return ring, normal / np.linalg.norm(normal, axis=1, keepdims=True)


SPUR_STATIONS = 180
"""Cross-sections of the spur ring around the rim (one every 2 degrees)."""

SPUR_SECTION = 7
"""Points along the top (and again along the bottom) of one spur cross-section."""

SPUR_TIP = 3
"""Points on the rounded tip of one spur cross-section, between top and bottom."""


def osteophyte_mesh(shape: VertebraShape, frame: Frame, *, side: str, length: float) -> pv.PolyData:
    """World mesh of the rim spurs of one endplate (empty when ``length`` is 0).

    The solid of :func:`spur_field` swept directly around the outline: at
    each station a cross-section from 1 mm inside the rim out to the spur's
    reach, thick at the base and thin at the tip, curling toward the disc.
    The ring is one closed surface, built without contouring a grid.
    """
    if length <= 0:
        return pv.PolyData()
    ring, normal = _outline_ring(shape, SPUR_STATIONS)
    reach = _spur_reach(length, np.arctan2(ring[:, 0], -ring[:, 1]))[:, None]
    s = (1.0 - np.cos(np.linspace(0.0, np.pi, SPUR_SECTION))) / 2
    out = -1.0 + (reach + 1.0) * s[None, :]
    sign = 1.0 if side == "superior" else -1.0
    # The spur's mid-line in the plane of (outward, up) and its unit normal
    # there: the section is thick across the curling spur, not straight up,
    # and rounded at its tip, so no edge of the ring is sharper than a right angle.
    slope = sign * 1.8 * np.clip(out / reach, 0.0, 1.0)
    across = np.stack([-slope, np.ones_like(slope)], axis=-1) / np.hypot(slope, 1.0)[..., None]
    along = np.stack([across[..., 1], -across[..., 0]], axis=-1)
    centre, half = _spur_section(shape, side, reach, out, ring[:, None, 1] + out * normal[:, None, 1])
    turn = np.linspace(0.0, np.pi, SPUR_TIP + 2)[1:-1]
    tip = (
        np.cos(turn)[None, :, None] * across[:, -1:, :] + np.sin(turn)[None, :, None] * along[:, -1:, :]
    ) * half[:, -1:, None]
    # Each section's loop (outward, up): along the top from the base to the
    # tip, round the tip, back along the bottom.
    mid = np.stack([out, centre], axis=-1)
    loop = np.concatenate(
        [mid + half[..., None] * across, mid[:, -1:, :] + tip, (mid - half[..., None] * across)[:, ::-1]],
        axis=1,
    )
    loop_xy = ring[:, None, :] + loop[..., 0:1] * normal[:, None, :]
    loop_z = loop[..., 1]
    points = np.c_[loop_xy.reshape(-1, 2), loop_z.ravel()]
    n, m = loop_z.shape
    i, j = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    a = i * m + j
    b = ((i + 1) % n) * m + j
    c = ((i + 1) % n) * m + (j + 1) % m
    d = i * m + (j + 1) % m
    tri = np.r_[np.c_[a.ravel(), b.ravel(), c.ravel()], np.c_[a.ravel(), c.ravel(), d.ravel()]]
    if signed_volume(pv.PolyData.from_regular_faces(points, tri)) < 0:
        tri = tri[:, ::-1]
    # Placed by numpy: a rigid motion keeps the winding, and no VTK filter pass is needed.
    return pv.PolyData.from_regular_faces(frame.to_world(points), tri)
