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


def _rotated(x, y, cx, cy, rx, ry, angle) -> np.ndarray:
    """Ellipse turned by ``angle`` radians (positive: long axis towards +y as x grows)."""
    c, s = np.cos(angle), np.sin(angle)
    dx, dy = x - cx, y - cy
    return ((dx * c + dy * s) / rx) ** 2 + ((-dx * s + dy * c) / ry) ** 2 <= 1.0


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
    arch_z: tuple[float, float] = (-np.inf, np.inf),
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
    arch_z : (float, float)
        Lowest and highest point of the built vertebral arches: the
        interspinous ligament runs only between built spinous processes.
    """
    xs, ys, zs = axes
    # One height at a time: 2D arrays stay in cache, about five times faster
    # than broadcasting every shape over the whole grid.
    for k in range(len(zs)):
        _paint_slab(
            labels[k : k + 1], (xs, ys, zs[k : k + 1]), line, code, bifurcation_z, confluence_z, arch_z
        )


def _paint_slab(labels, axes, line, code, bifurcation_z, confluence_z, arch_z) -> None:
    xs, ys, zs = axes
    lm = line.at(zs)
    x = xs[None, None, :]
    yr = ys[None, :, None] - lm["body_y"][:, None, None]
    z = zs[:, None, None]
    hw = lm["half_width"][:, None, None]
    hd = lm["half_depth"][:, None, None]

    # The back is flatter than the belly and has a groove over the spinous
    # processes; the skin line is pulled forward a little in the midline.
    groove = 5.0 * np.exp(-((x / 18.0) ** 2)) * (yr > 0)
    skin = _superellipse(x, yr + groove, OUTLINE_CENTRE_Y, *OUTLINE_RADII)
    inner = _superellipse(
        x,
        yr + groove * 0.6,
        OUTLINE_CENTRE_Y,
        OUTLINE_RADII[0] - SUBCUTANEOUS_FAT,
        OUTLINE_RADII[1] - SUBCUTANEOUS_FAT,
    )
    labels[skin] = code["fat"]
    # Bowel and mesentery fill the abdomen from about 12 mm in front of the
    # bodies; a smooth fixed pattern breaks it into loops with fat between, as
    # bowel looks on a scan (no anatomy is claimed for the loops).
    loops = (
        np.sin(x / 9.0 + 0.9 * np.sin(yr / 13.0 + z / 21.0))
        + np.sin(yr / 7.0 + 0.8 * np.sin(x / 11.0 - z / 15.0))
        + 0.7 * np.sin((x + yr) / 5.3 + z / 9.0)
    )
    abdomen = inner & _ellipse(x, yr, 0.0, -hd - 112.0, 165.0, 100.0)
    labels[abdomen & (loops > -0.4)] = code["viscera"]
    labels[abdomen & (np.abs(loops - 1.6) < 0.12)] = code["fluid"]

    ax = np.abs(x)
    # Psoas: a teardrop against the side of the body and disc, its tail
    # reaching back to the transverse process; it grows from L1 to L5 (its
    # cross-section roughly doubles, model).
    grow = np.clip(1.0 - z / 120.0, 0.8, 1.35)
    psoas = _rotated(ax, yr, hw + 13.0 * grow, 0.0, 13.0 * grow, 17.0 * grow, 0.5) | _rotated(
        ax, yr, hw + 8.0 + 4.0 * grow, 14.0, 5.0, 9.0 * grow, 0.6
    )
    # Quadratus lumborum: a thin band lateral to the transverse processes.
    quadratus = _rotated(ax, yr, hw + 47.0, 12.0, 17.0, 7.0, -0.35)

    # Erector spinae: a bean behind the transverse process, lateral to
    # multifidus; the model's multifidus (where built) is painted over the
    # medial gutter.  A thin fat plane separates the two, and the
    # thoracolumbar fascia wraps them.
    def paraspinal(grow):
        erector = _rotated(ax, yr, 42.0, hd + 37.0, 25.0 + grow, 17.0 + grow, -0.25)
        gutter = _rotated(ax, yr, 15.0, hd + 36.0, 11.0 + grow, 21.0 + grow, 0.1)
        return erector, gutter

    erector, gutter = paraspinal(0.0)
    fascia = np.logical_or(*paraspinal(1.3)) & (ax > 2.5)
    labels[inner & psoas] = code["psoas"]
    labels[inner & fascia] = code["ligament"]
    labels[inner & (quadratus | erector | (gutter & (ax > 1.5)))] = code["muscle"]
    # Interspinous ligament: a thin sheet between the spinous processes, from
    # the laminae to their tips (collagen with fat between its fibres).
    canal_back = (
        lm["canal_y"][:, None, None] + lm["canal_depth"][:, None, None] / 2 - lm["body_y"][:, None, None]
    )
    # Its back edge follows the arches and rounds off at the ends of the
    # built segment instead of stopping square.
    if np.isfinite(arch_z[0]) and np.isfinite(arch_z[1]):
        t = np.clip(np.abs(z - (arch_z[0] + arch_z[1]) / 2) / ((arch_z[1] - arch_z[0]) / 2), 0.0, 1.0)
    else:
        t = np.zeros_like(z)
    reach = (hd + 47.0 - canal_back - 3.0) * np.sqrt(np.clip(1.0 - t**4, 0.0, 1.0))
    interspinous = (ax <= 1.2) & (yr > canal_back + 3.0) & (yr < canal_back + 3.0 + reach)
    labels[interspinous] = code["interspinous"]

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
