"""The tissues round the spine that the mesh model does not hold.

A scan shows the whole cross-section of the body: skin and subcutaneous fat,
the paraspinal muscles behind, psoas beside the bodies, the aorta and vena
cava in front, bowel further forward, and epidural fat in the canal round the
dural sac.  None of these are parts of the lumbar model, but without them the
synthetic images would not read as an MRI.  They are drawn here as simple
analytic shapes placed relative to the built vertebrae, so they follow the
lordosis; every size is a modelling choice for an average adult, stated next
to it.  Parts of the model (multifidus, ligaments, dural sac …) are painted
over them afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spineviz.geometry.frames import Placement


@dataclass(frozen=True)
class SpineLine:
    """Per-height landmarks of the built vertebrae, for placing soft tissue.

    All arrays are sampled at ``z`` (world mm, ascending).
    """

    z: np.ndarray
    body_y: np.ndarray
    half_width: np.ndarray
    half_depth: np.ndarray
    canal_y: np.ndarray
    canal_width: np.ndarray
    canal_depth: np.ndarray

    def at(self, z: np.ndarray) -> dict[str, np.ndarray]:
        """Every landmark interpolated (clamped) at heights ``z``."""
        return {
            name: np.interp(z, self.z, getattr(self, name))
            for name in ("body_y", "half_width", "half_depth", "canal_y", "canal_width", "canal_depth")
        }


def spine_line(place: Placement, vertebrae) -> SpineLine:
    """Landmarks of the vertebrae ``vertebrae`` from their placed frames."""
    rows = []
    for v in vertebrae:
        s, f = place.shapes[v], place.frames[v]
        body = f.to_world(np.zeros((1, 3)))[0]
        canal = f.to_world(np.array([[0.0, s.half_depth + s.canal_depth / 2, 0.0]]))[0]
        rows.append((body[2], body[1], s.half_width, s.half_depth, canal[1], s.canal_width, s.canal_depth))
    rows.sort()
    a = np.array(rows, float)
    return SpineLine(*(a[:, i] for i in range(7)))


# Layout of the soft tissue relative to the body centre (x, y - body_y), mm.
OUTLINE_CENTRE_Y = -25.0
OUTLINE_RADII = (165.0, 125.0)
"""Skin outline: 330 × 250 mm, an average adult waist at L4 (model)."""
SUBCUTANEOUS_FAT = 20.0
"""Thickness of the subcutaneous fat layer (model; 10–30 mm is common)."""
AORTA_RADIUS = 9.0
ILIAC_RADIUS = 6.0
IVC_RADII = (12.0, 8.0)


def _ellipse(x, y, cx, cy, rx, ry) -> np.ndarray:
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


def _superellipse(x, y, cy, rx, ry, n=2.6) -> np.ndarray:
    return np.abs(x / rx) ** n + np.abs((y - cy) / ry) ** n <= 1.0


def paint_background(
    labels: np.ndarray,
    axes,
    line: SpineLine,
    code: dict[str, int],
    *,
    bifurcation_z: float,
    confluence_z: float,
) -> None:
    """Paint the soft tissue round the spine into ``labels`` (in place).

    Parameters
    ----------
    labels : (nz, ny, nx) uint8
        The grid, all air on entry.
    axes : tuple of 1-D arrays
        World x, y and z of the voxel centres.
    line : SpineLine
        Landmarks of the built vertebrae.
    code : dict
        Label number of each background tissue name.
    bifurcation_z, confluence_z : float
        Heights where the aorta divides into the iliac arteries (at L4) and
        where the iliac veins join into the vena cava (at L5).
    """
    xs, ys, zs = axes
    lm = line.at(zs)
    x = xs[None, None, :]
    yr = ys[None, :, None] - lm["body_y"][:, None, None]
    z = zs[:, None, None]
    hw = lm["half_width"][:, None, None]
    hd = lm["half_depth"][:, None, None]

    skin = _superellipse(x, yr, OUTLINE_CENTRE_Y, *OUTLINE_RADII)
    inner = _superellipse(
        x, yr, OUTLINE_CENTRE_Y, OUTLINE_RADII[0] - SUBCUTANEOUS_FAT, OUTLINE_RADII[1] - SUBCUTANEOUS_FAT
    )
    labels[skin] = code["fat"]
    # Bowel and mesentery fill the abdomen from about 30 mm in front of the
    # bodies; a smooth fixed pattern breaks it into loops with fat between, as
    # bowel looks on a scan (no anatomy is claimed for the loops).
    loops = (
        np.sin(x / 9.0 + 0.9 * np.sin(yr / 13.0 + z / 21.0))
        + np.sin(yr / 7.0 + 0.8 * np.sin(x / 11.0 - z / 15.0))
        + 0.7 * np.sin((x + yr) / 5.3 + z / 9.0)
    )
    abdomen = inner & _ellipse(x, yr, 0.0, -hd - 125.0, 160.0, 95.0)
    labels[abdomen & (loops > -0.4)] = code["viscera"]
    labels[abdomen & (np.abs(loops - 1.6) < 0.12)] = code["fluid"]

    # Psoas grows from L1 to L5 (its cross-section roughly doubles, model).
    grow = np.clip(1.0 - z / 120.0, 0.8, 1.35)
    psoas = _ellipse(np.abs(x), yr, hw + 15.0, -2.0, 15.0 * grow, 18.0 * grow)
    quadratus = _ellipse(np.abs(x), yr, hw + 50.0, 30.0, 20.0, 10.0)
    # Erector spinae and multifidus fill the gutters from the spinous
    # processes out past the transverse processes; bone is painted over them.
    paraspinal = (np.abs((np.abs(x) - 33.0) / 35.0) ** 4 + np.abs((yr - hd - 52.0) / 42.0) ** 4 <= 1.0) & (
        np.abs(x) > 2.5
    )
    # Interspinous ligament joins the spinous processes in the midline.
    interspinous = (np.abs(x) <= 2.5) & (yr > hd + 12.0) & (yr < hd + 58.0)
    labels[inner & psoas] = code["psoas"]
    labels[inner & (quadratus | paraspinal)] = code["muscle"]
    labels[interspinous] = code["ligament"]

    # Great vessels: a flow void on spin echo.
    front = -hd - 10.0
    below_bif = np.clip(bifurcation_z - z, 0.0, None)
    aorta = np.where(
        z >= bifurcation_z,
        _ellipse(x, yr, 10.0, front - 1.0, AORTA_RADIUS, AORTA_RADIUS),
        _ellipse(np.abs(x), yr, 10.0 + 0.6 * below_bif, front - 2.0, ILIAC_RADIUS, ILIAC_RADIUS),
    )
    below_conf = np.clip(confluence_z - z, 0.0, None)
    cava = np.where(
        z >= confluence_z,
        _ellipse(x, yr, -15.0, front + 1.0, *IVC_RADII),
        _ellipse(np.abs(x), yr, 14.0 + 0.55 * below_conf, front + 2.0, 7.0, 6.0),
    )
    labels[aorta | cava] = code["vessel"]

    # Epidural fat lines the canal; bone, ligaments and the dural sac cover most of it.
    yc = ys[None, :, None] - lm["canal_y"][:, None, None]
    canal = _ellipse(
        x,
        yc,
        0.0,
        0.0,
        lm["canal_width"][:, None, None] / 2 + 1.0,
        lm["canal_depth"][:, None, None] / 2 + 2.0,
    )
    labels[canal] = code["epidural_fat"]


def paint_fallback_sac(labels: np.ndarray, axes, line: SpineLine, code: dict[str, int]) -> None:
    """A simple dural sac with CSF and a few roots, for models built without one.

    Used only when the model has no ``dural_sac`` part, so that the images
    still show the bright CSF column that every lumbar T2 shows.
    """
    xs, ys, zs = axes
    lm = line.at(zs)
    x = xs[None, None, :]
    yc = ys[None, :, None] - lm["canal_y"][:, None, None]
    rx = lm["canal_width"][:, None, None] * 0.36
    ry = lm["canal_depth"][:, None, None] * 0.40
    sac = _ellipse(x, yc, 0.0, -1.0, rx, ry)
    lumen = _ellipse(x, yc, 0.0, -1.0, rx - 0.8, ry - 0.8)
    labels[sac] = code["dura"]
    labels[lumen] = code["csf"]
    # Cauda equina roots lie in the dependent (posterior) half of the sac.
    for cx, cy in ((-4.0, 2.5), (-1.5, 4.0), (1.5, 4.0), (4.0, 2.5), (-6.0, 0.5), (6.0, 0.5)):
        labels[lumen & _ellipse(x, yc, cx, cy - 1.0, 1.1, 1.1)] = code["nerve"]
