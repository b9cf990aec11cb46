"""Lumbar vertebrae as implicit solids: body, endplates and neural arch.

Every vertebra is built in its own local frame — origin at the centre of the
vertebral body, +x toward the patient's left, +y posterior, +z superior — and
placed on the lordotic curve by :mod:`.spine`.  All lengths in mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import sdf
from .dimensions import recipe, value, vertebra_measures


@dataclass(frozen=True)
class VertebraShape:
    """The numbers that shape one vertebra (mm and degrees).

    Built from the published measures by :func:`vertebra_shape`; the extra
    proportions that the literature does not give are modelling choices
    tuned against the Clouthier 2023 mean surface.
    """

    level: str
    width: float
    depth: float
    posterior_height: float
    wedge_superior: float
    wedge_inferior: float
    canal_width: float
    canal_depth: float
    pedicle_width: float
    concavity_superior: float
    concavity_inferior: float
    central_fraction: float
    waist: float = 0.07
    squareness: float = 2.6
    notch: float = 3.0
    sacral: bool = False

    @property
    def half_width(self) -> float:
        return self.width / 2

    @property
    def half_depth(self) -> float:
        return self.depth / 2


def vertebra_shape(level: str, *, wedge_superior: float = 0.0, wedge_inferior: float = 0.0) -> VertebraShape:
    """Shape numbers of one vertebra from the recipe.

    Parameters
    ----------
    level : str
        ``"L1"`` … ``"L5"`` or ``"S1"``.
    wedge_superior, wedge_inferior : float, optional
        Tilt of the superior and inferior endplates in degrees, positive when
        the endplate opens toward the front (anterior edge further from the
        body centre).  :mod:`.spine` sets them so that vertebrae and discs
        together make the published segmental lordosis.
    """
    m = vertebra_measures(level)
    ep = recipe()["endplate"]
    return VertebraShape(
        level=level,
        width=value(m["endplate_width"]),
        depth=value(m["endplate_depth"]),
        posterior_height=value(m["posterior_height"]),
        wedge_superior=wedge_superior,
        wedge_inferior=wedge_inferior,
        canal_width=value(m["canal_width"]),
        canal_depth=value(m["canal_depth"]),
        pedicle_width=value(m["pedicle_width"]),
        concavity_superior=value(ep["concavity_superior"]),
        concavity_inferior=value(ep["concavity_inferior"]),
        central_fraction=value(ep["central_fraction"]),
        sacral=level == "S1",
    )


# ---------------------------------------------------------------------------
# body and endplates
# ---------------------------------------------------------------------------


def endplate_rim_z(shape: VertebraShape, side: str, y: np.ndarray) -> np.ndarray:
    """Height of the endplate's flat rim (ring apophysis) at depth ``y``.

    The rim is a plane tilted by the endplate's wedge about the body's
    posterior wall, where the body has its published posterior height.
    """
    hp = shape.posterior_height / 2
    if side == "superior":
        return hp + (shape.half_depth - y) * np.tan(np.radians(shape.wedge_superior))
    return -hp - (shape.half_depth - y) * np.tan(np.radians(shape.wedge_inferior))


def endplate_z(shape: VertebraShape, side: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Height of the bony endplate surface facing the disc (local frame).

    The centre is a shallow bowl (Wang 2012: 0.7 mm superior, 1.5 mm
    inferior) over the central ~70% of the diameter, inside a flat rim.
    """
    a = shape.half_width * shape.central_fraction
    b = shape.half_depth * shape.central_fraction
    r2 = (x / a) ** 2 + ((y + 1.0) / b) ** 2
    bowl = np.clip(1.0 - r2, 0.0, None) ** 2
    rim = endplate_rim_z(shape, side, y)
    if side == "superior":
        return rim - shape.concavity_superior * bowl
    return rim + shape.concavity_inferior * bowl


def outline_field(shape: VertebraShape, x: np.ndarray, y: np.ndarray, scale=1.0) -> np.ndarray:
    """2-D distance to the body's outline: a squared oval, flattened behind.

    The posterior wall of a lumbar body is flat to slightly concave (kidney
    shaped); a large disc removed from the back gives that notch.
    """
    a = shape.half_width * scale
    b = shape.half_depth * scale
    d = sdf.superellipse_2d(x, y, a, b, shape.squareness)
    radius = shape.width * 0.9
    notch_center = b + radius - shape.notch
    notch = np.hypot(x, y - notch_center) - radius
    return sdf.smooth_subtract(d, notch, 4.0)


def body_field(shape: VertebraShape) -> sdf.Field:
    """The vertebral body: waisted, with concave endplates and a rounded rim."""

    def field(p: np.ndarray) -> np.ndarray:
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        top = endplate_z(shape, "superior", x, y)
        bottom = endplate_z(shape, "inferior", x, y)
        half = np.maximum((top - bottom) / 2, 1.0)
        t = np.clip((z - (top + bottom) / 2) / half, -1.0, 1.0)
        # Waist: narrowest at mid-height, flaring to the endplate rims.
        scale = 1.0 - shape.waist * (1.0 - t * t)
        radial = outline_field(shape, x, y, scale)
        vertical = sdf.slab(z, bottom, top)
        return sdf.smooth_intersect(radial, vertical, 2.0)

    return field


# ---------------------------------------------------------------------------
# neural arch
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchLandmarks:
    """Key points of the posterior elements in the local frame (mm)."""

    pedicle_front: np.ndarray
    pedicle_back: np.ndarray
    lamina_top: np.ndarray
    lamina_bottom: np.ndarray
    spinous_root: np.ndarray
    spinous_tip: np.ndarray
    transverse_tip: np.ndarray
    superior_facet: np.ndarray
    inferior_facet: np.ndarray


def arch_landmarks(shape: VertebraShape) -> ArchLandmarks:
    """Right-hand (+x mirrored) landmarks of the arch from the shape numbers."""
    b = shape.half_depth
    hp = shape.posterior_height / 2
    ped_x = shape.canal_width / 2 + shape.pedicle_width / 2
    back = b + shape.canal_depth
    return ArchLandmarks(
        pedicle_front=np.array([ped_x, b - 5.0, hp * 0.25]),
        pedicle_back=np.array([ped_x, b + 9.0, hp * 0.3]),
        lamina_top=np.array([ped_x - 3.0, b + 11.0, hp * 0.7]),
        lamina_bottom=np.array([shape.canal_width * 0.35, back + 2.0, -hp * 0.6]),
        spinous_root=np.array([0.0, back + 3.0, -hp * 0.1]),
        spinous_tip=np.array([0.0, back + 32.0, -hp * 0.4]),
        transverse_tip=np.array([shape.width * 0.95, b + 15.0, hp * 0.75]),
        superior_facet=np.array([ped_x + 1.0, b + 16.0, hp + 13.0]),
        inferior_facet=np.array([shape.canal_width * 0.5, back + 5.0, -hp - 7.0]),
    )


def arch_field(shape: VertebraShape) -> sdf.Field:
    """Pedicles, laminae, spinous, transverse and articular processes."""
    lm = arch_landmarks(shape)
    mirror = np.array([-1.0, 1.0, 1.0])
    pw = shape.pedicle_width / 2

    def one_side(p: np.ndarray, s: np.ndarray) -> np.ndarray:
        pedicle = sdf.flat_rod(
            p, lm.pedicle_front * s, lm.pedicle_back * s, 7.0, 6.0, normal=(1, 0, 0), flatness=min(pw / 7.0, 1.0)
        )
        lamina = sdf.flat_rod(
            p, lm.lamina_top * s, lm.lamina_bottom * s, 5.5, 5.0, normal=(0, 0.8, -0.6), flatness=0.6
        )
        lamina = sdf.smooth_union(
            lamina,
            sdf.flat_rod(p, lm.lamina_bottom * s, lm.spinous_root, 5.0, 5.5, normal=(0, 1, 0), flatness=0.7),
            3.0,
        )
        transverse = sdf.flat_rod(
            p, lm.pedicle_back * s + np.array([0, 0, 1.0]), lm.transverse_tip * s, 4.5, 3.2, normal=(0, 1, 0.2), flatness=0.6
        )
        sup = sdf.flat_rod(
            p, lm.pedicle_back * s + np.array([0, 2.0, 3.0]), lm.superior_facet * s, 5.5, 5.0, normal=(s[0] * 0.8, -0.6, 0), flatness=0.65
        )
        inf = sdf.flat_rod(
            p, lm.lamina_bottom * s + np.array([0, 0, 2.0]), lm.inferior_facet * s, 5.0, 4.5, normal=(s[0] * 0.8, -0.6, 0), flatness=0.7
        )
        d = sdf.smooth_union(pedicle, lamina, 3.0)
        d = sdf.smooth_union(d, transverse, 3.0)
        d = sdf.smooth_union(d, sup, 2.5)
        return sdf.smooth_union(d, inf, 2.5)

    def field(p: np.ndarray) -> np.ndarray:
        right = one_side(p, np.ones(3))
        left = one_side(p, mirror)
        spinous = sdf.flat_rod(p, lm.spinous_root, lm.spinous_tip, 8.0, 9.5, normal=(1, 0, 0), flatness=0.4)
        d = sdf.smooth_union(right, left, 2.0)
        return sdf.smooth_union(d, spinous, 3.0)

    return field


def vertebra_field(shape: VertebraShape) -> sdf.Field:
    """The whole vertebra: body and arch blended together."""
    body = body_field(shape)
    arch = arch_field(shape)

    def field(p: np.ndarray) -> np.ndarray:
        return sdf.smooth_union(body(p), arch(p), 3.0)

    return field


def local_bounds(shape: VertebraShape) -> tuple[float, ...]:
    """A box in the local frame that contains the whole vertebra."""
    reach = shape.half_depth + shape.canal_depth + 45.0
    half_h = shape.posterior_height / 2 + 25.0
    return (-shape.width - 8, shape.width + 8, -shape.half_depth - 8, reach, -half_h, half_h)
