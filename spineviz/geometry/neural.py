"""Neural structures: dural sac, cauda equina, nerve roots and their small nerves.

Everything here is a swept tube (:mod:`.tubes`) whose centreline is placed
from the vertebrae's own shape numbers and landmarks, in each vertebra's
local frame, so the nerves follow when the bones are retuned:

* the dural sac runs down the canal behind the discs and bodies, leaving room
  for the posterior longitudinal ligament in front and epidural fat and the
  ligamentum flavum behind; its oval section has the published healthy area
  at L4-L5;
* the cauda equina is a scalloped bundle lying dorsally inside the sac;
* root ``V`` leaves the sac at the level of the disc above ``V``, runs down
  the lateral recess behind that disc (so at L4-L5 the L5 root *traverses*),
  turns out under the pedicle of ``V`` and leaves through the foramen below
  it with its ganglion in the foramen (so at L4-L5 the L4 root *exits*);
* the sinuvertebral nerve leaves the root just outside the foramen and runs
  back into the canal onto the posterior annulus;
* the basivertebral nerve enters the back of the body through the posterior
  vascular foramen (Fras 2003).

Root centrelines are relaxed out of bone and disc, so a retuned bone pushes
the root rather than swallowing it.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyvista as pv

from . import sdf
from .dimensions import VERTEBRAE, recipe, value
from .disc import PHYSIOLOGICAL_BULGE, DiscFields, disc_fields, disc_frame
from .frames import Placement
from .part_cache import PartCache, mirror_symmetric, placement_key
from .surface import LIPSCHITZ, gradient
from .tubes import centreline, control_fractions, oval_tube_field, profile, sweep, tube_field
from .vertebra import VertebraShape, arch_landmarks, outline_field, vertebra_field


@dataclass(frozen=True)
class RootCompression:
    """How a condition deforms one nerve root (plain numbers, healthy = none).

    Attributes
    ----------
    displacement : (3,) float
        Shift of the root's centreline in world mm (LPS) at the centre of the
        compression, e.g. ``(0, 3, 0)`` pushed 3 mm backward by a herniation.
    flattening : float
        Thickness of the root along the displacement, as a fraction of its
        healthy thickness (1 = round, 0.5 = squashed to half).
    length : float
        Length of root affected, mm (a smooth bump).
    at : float or None
        Where along the root the compression is centred, as the world z (mm)
        of its centre; ``None`` = where the root crosses the disc it
        traverses (the disc above its vertebra) or else its ganglion.
    """

    displacement: tuple[float, float, float] = (0.0, 0.0, 0.0)
    flattening: float = 1.0
    length: float = 12.0
    at: float | None = None


def _m(section: str, key: str) -> float:
    return value(recipe()[section][key])


# ---------------------------------------------------------------------------
# landmarks derived from the bones
# ---------------------------------------------------------------------------


def _first_exit(field_line, start: float, stop: float, *, samples: int = 64) -> float:
    """Where a field first changes sign along a line (``start`` inside).

    ``field_line`` maps an array of line parameters to field values.  One
    call on evenly spread samples brackets the first crossing, and two
    calls on 31 points inside the bracket narrow it to 1e-3 of a sample
    step (ten bisection steps, two calls of a costly field instead of ten).
    """
    ts = np.linspace(start, stop, samples)
    outside = np.asarray(field_line(ts)) >= 0
    if not outside.any():
        return float(stop)
    k = int(np.argmax(outside))
    if k == 0:
        return float(start)
    lo, hi = ts[k - 1], ts[k]
    for _ in range(2):
        inner = lo + (hi - lo) * np.arange(1, 32) / 32
        out = np.asarray(field_line(inner)) >= 0
        j = int(np.argmax(out)) if out.any() else 31
        lo, hi = (inner[j - 1] if j > 0 else lo), (inner[j] if j < 31 else hi)
    return float((lo + hi) / 2)


@functools.lru_cache(maxsize=256)
def posterior_wall_y(shape: VertebraShape, x: float = 0.0) -> float:
    """Local ``y`` of the back of the body (at the rim) at lateral offset ``x``."""
    return _first_exit(lambda y: outline_field(shape, np.full(len(y), x), y, 1.0), 0.0, shape.depth)


def sac_centre_y(shape: VertebraShape) -> float:
    """Local ``y`` of the sac's axis: behind the disc bulge, the PLC and a thin gap."""
    front = (
        posterior_wall_y(shape)
        + PHYSIOLOGICAL_BULGE
        + _m("ligaments", "plc_thickness")
        + _m("dural_sac", "front_gap")
    )
    return front + _m("dural_sac", "ap_depth") / 2


def sac_semi_axes(area_scale: float = 1.0) -> tuple[float, float]:
    """Lateral and AP semi-axes (mm) of the sac's oval section."""
    area = _m("dural_sac", "area_L4_L5") * area_scale
    b = _m("dural_sac", "ap_depth") / 2 * area_scale**0.7
    return area / (np.pi * b), b


def pedicle_underside(shape: VertebraShape) -> np.ndarray:
    """Local point just under the middle of the (+x) pedicle, on the bone."""
    return _pedicle_underside(shape).copy()


@functools.lru_cache(maxsize=64)
def _pedicle_underside(shape: VertebraShape) -> np.ndarray:
    lm = arch_landmarks(shape)
    c = (lm.pedicle_front + lm.pedicle_back) / 2
    field = vertebra_field(shape)
    z = _first_exit(
        lambda z: field(np.c_[np.full(len(z), c[0]), np.full(len(z), c[1]), z]), c[2], c[2] - 30.0
    )
    return np.array([c[0], c[1], z])


def drg_width(level: str) -> float:
    """Ganglion width in mm: rises from L1 to L5 (Shen 2006), 6.5 mm at L5."""
    w1, w5 = _m("roots", "drg_width_L1"), _m("roots", "drg_width_L5")
    i = min(VERTEBRAE.index(level), 4)
    return w1 + (w5 - w1) * i / 4


# ---------------------------------------------------------------------------
# dural sac and cauda equina
# ---------------------------------------------------------------------------


def _sac_control(levels, place: Placement) -> tuple[np.ndarray, bool, bool]:
    pts = []
    vs = levels.vertebrae
    first, last = vs[0], vs[-1]
    i0, i1 = VERTEBRAE.index(first), VERTEBRAE.index(last)
    s0 = place.shapes[first]
    top_open = i0 > 0
    if top_open:
        above = place.discs[f"{VERTEBRAE[i0 - 1]}-{first}"]
        pts.append((first, s0.posterior_height / 2 + above.posterior_height / 2))
    else:
        pts.append((first, s0.posterior_height / 2 + 4.0))
    for v in vs:
        hp = place.shapes[v].posterior_height / 2
        pts += [(v, hp * 0.6), (v, 0.0), (v, -hp * 0.6)]
    sl = place.shapes[last]
    bottom_open = i1 + 1 < len(VERTEBRAE)
    if bottom_open:
        below = place.discs[f"{last}-{VERTEBRAE[i1 + 1]}"]
        pts.append((last, -sl.posterior_height / 2 - below.posterior_height / 2))
    # Roots leave the sac down to S2, where it ends: at S1 close it round.
    world = np.array(
        [place.frames[v].to_world(np.array([[0.0, sac_centre_y(place.shapes[v]), z]]))[0] for v, z in pts]
    )
    return world, top_open, bottom_open


def _disc_fractions(path: np.ndarray, place: Placement, names) -> dict[str, float]:
    """Arc fraction where a centreline crosses each named disc's mid-plane."""
    s = np.linspace(0, 1, len(path))
    out = {}
    for d in names:
        f = disc_frame(place, d)
        h = f.to_local(path)[:, 2]
        k = np.nonzero(np.diff(np.sign(h)))[0]
        if len(k):
            i = k[0]
            out[d] = float(s[i] + (s[i + 1] - s[i]) * h[i] / (h[i] - h[i + 1]))
    return out


def _bump(s: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    x = np.clip(np.abs(s - centre) / max(half_width, 1e-6), 0.0, 1.0)
    return np.cos(np.pi * x / 2) ** 2


def sac_parts(
    levels, place: Placement, *, sac_area_scale: Mapping[str, float] | None = None, n_along: int = 60
) -> tuple[dict[str, pv.PolyData], dict[str, sdf.Field]]:
    """Dural sac and cauda equina through the canals of the built levels.

    Parameters
    ----------
    levels : Levels
        Built vertebrae.
    place : Placement
        Shapes and frames.
    sac_area_scale : mapping of disc name to float, optional
        Narrowing of the sac at a disc level (central stenosis): the sac's
        section area there is scaled by the factor (1 = healthy, 0.5 = half),
        fading over about 10 mm above and below.
    """
    ctrl, top_open, bottom_open = _sac_control(levels, place)
    path, _tangent, normal, binormal, s = centreline(ctrl, n_along=n_along)
    length = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
    scale = np.ones_like(s)
    all_discs = list(levels.discs) + [d for d, _ in levels.half_discs]
    crossings = _disc_fractions(path, place, all_discs)
    for d, f in (sac_area_scale or {}).items():
        if not 0.05 <= f <= 1.5:
            msg = f"sac_area_scale[{d!r}]: {f!r} is out of range; use a number in [0.05, 1.5]"
            raise ValueError(msg)
        if d in crossings:
            scale = scale * (1 + (f - 1) * _bump(s, crossings[d], 10.0 / length))
    a0, b0 = sac_semi_axes()
    a = a0 * scale**0.3
    b = b0 * scale**0.7

    def sac_section(ss, theta):
        i = np.clip(np.round(ss * (n_along - 1)).astype(int), 0, n_along - 1)
        return b[i] * np.cos(theta), a[i] * np.sin(theta)

    caps = "flat" if top_open and bottom_open else "round"
    sac = sweep(ctrl, sac_section, n_along=n_along, n_around=36, caps=caps)

    share = _m("dural_sac", "cauda_share")
    k = np.sqrt(share)
    lobes, depth = 11, 0.09
    # The bundle lies dorsally (supine), thinning as roots leave it.
    taper = 1.0 - 0.15 * s
    offset = b * (1 - k * (1 + depth)) * 0.8

    def cauda_section(ss, theta):
        i = np.clip(np.round(ss * (n_along - 1)).astype(int), 0, n_along - 1)
        wobble = 1 + depth * np.cos(lobes * theta)
        return offset[i] + k * taper[i] * b[i] * wobble * np.cos(theta), k * taper[i] * a[
            i
        ] * wobble * np.sin(theta)

    inset = ctrl.copy()
    inset[0] += (ctrl[1] - ctrl[0]) / np.linalg.norm(ctrl[1] - ctrl[0]) * 0.6
    inset[-1] += (ctrl[-2] - ctrl[-1]) / np.linalg.norm(ctrl[-2] - ctrl[-1]) * 0.6
    cauda = sweep(inset, cauda_section, n_along=n_along, n_around=66, caps=caps)

    sac_field = oval_tube_field(path, normal, binormal, b, a)
    cauda_field = oval_tube_field(
        path + offset[:, None] * normal, normal, binormal, k * taper * b, k * taper * a
    )
    return {"dural_sac": sac, "cauda_equina": cauda}, {"dural_sac": sac_field, "cauda_equina": cauda_field}


# ---------------------------------------------------------------------------
# roots
# ---------------------------------------------------------------------------


def _obstacles(place: Placement, v: str) -> list[sdf.Field]:
    """World fields of the bones and discs around vertebra ``v``'s root."""
    i = VERTEBRAE.index(v)
    near = VERTEBRAE[max(i - 1, 0) : i + 2]
    fields = []
    for w in near:
        f, frame = vertebra_field(place.shapes[w]), place.frames[w]
        fields.append(lambda p, f=f, frame=frame: f(frame.to_local(p)))
    for a, b in itertools.pairwise(near):
        fields.append(disc_fields(place, f"{a}-{b}").whole)
    return fields


def _relax(path: np.ndarray, radius: np.ndarray, obstacles, *, clearance: float = 0.4, pinned: int = 2):
    """Push centreline points out of obstacles until the tube clears them."""
    path = path.copy()
    h = 0.3
    reach = radius + clearance
    # Each obstacle's values and where it last saw the path: the fields are
    # distance bounds, so an obstacle that was farther from every point than
    # the point has moved since cannot push it, and is not evaluated again.
    seen: list = [None] * len(obstacles)
    for _ in range(8):
        moved = False
        for n, f in enumerate(obstacles):
            if seen[n] is not None:
                d_then, then = seen[n]
                bound = d_then - LIPSCHITZ * np.linalg.norm(path - then, axis=1)
                if np.all(bound[pinned:] >= reach[pinned:]):
                    continue
            # Values and gradients in one call: the bone fields cost most per call.
            d, grad = gradient(f, path, step=h, value=True)
            seen[n] = (d, path.copy())
            need = reach - d
            bad = need > 0
            bad[:pinned] = False
            if not bad.any():
                continue
            moved = True
            grad = grad[bad] / np.maximum(np.linalg.norm(grad[bad], axis=1, keepdims=True), 1e-9)
            path[bad] = path[bad] + grad * need[bad, None]
        if not moved:
            break
        # Keep the path smooth after the pushes.
        inner = path[1:-1].copy()
        path[1:-1] = 0.5 * inner + 0.25 * (path[:-2] + path[2:])
        path[:pinned] = path[:pinned]
    return path


@dataclass(frozen=True)
class RootPath:
    """A root's relaxed centreline and radius profile (world mm)."""

    path: np.ndarray
    radius: np.ndarray
    drg: np.ndarray
    s_drg: float


def root_path(place: Placement, v: str, side: str, *, n_along: int = 48) -> RootPath:
    """Centreline and radii of root ``v`` on ``side`` ("left" is +x)."""
    shape, frame = place.shapes[v], place.frames[v]
    sx = 1.0 if side == "left" else -1.0
    mirror = np.array([sx, 1.0, 1.0])
    hp = shape.posterior_height / 2
    i = VERTEBRAE.index(v)
    r = _m("roots", "radius")
    w = drg_width(v)
    a, _ = sac_semi_axes()
    yc = sac_centre_y(shape)
    half_cw = shape.canal_width / 2
    under = pedicle_underside(shape)
    wall = posterior_wall_y(shape, half_cw - 3.0)
    above = place.discs.get(f"{VERTEBRAE[i - 1]}-{v}") if i > 0 else None
    z_take = hp + (0.35 * above.posterior_height if above else 4.0)
    z_drg = under[2] - w / 2 - 0.8
    local = np.array(
        [
            [0.4 * a, yc + 0.5, z_take + 6.0],
            [a + 0.8, yc - 1.0, z_take],
            [half_cw - 3.0, wall + PHYSIOLOGICAL_BULGE + r + 1.2, hp * 0.45],
            [half_cw + 0.5, under[1] - 1.0, under[2] - r - 1.0],
            [under[0] + 3.0, under[1] - 1.5, z_drg],
            # Out of the foramen the ventral ramus runs down, out and a little
            # forward, in front of the transverse process below, toward the
            # lumbar plexus in psoas: its end stays behind the middle of the
            # body and within a level of the foramen.
            [under[0] + 12.0, shape.half_depth - 2.0, z_drg - 10.0],
            [under[0] + 19.0, shape.half_depth - 6.0, z_drg - 20.0],
        ]
    )
    ctrl = frame.to_world(local * mirror)
    fr = control_fractions(ctrl)
    path, *_ = centreline(ctrl, n_along=n_along)
    length = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
    s = np.linspace(0, 1, n_along)
    s_drg = float(fr[4])
    radius = r + (w / 2 - r) * _bump(s, s_drg, _m("roots", "drg_length") / 2 / length)
    radius = radius * (1 - 0.25 * s**2)
    path = _relax(path, radius, _obstacles(place, v), pinned=3)
    return RootPath(path, radius, path[int(np.argmin(np.abs(s - s_drg)))], s_drg)


MIRROR_X = np.array([-1.0, 1.0, 1.0])


def root_parts(
    levels, place: Placement, *, root_compression: Mapping[str, RootCompression] | None = None
) -> tuple[dict[str, pv.PolyData], dict[str, sdf.Field], dict[str, RootPath]]:
    """Meshes and fields of ``V.root.left/right`` for every built vertebra."""
    meshes, fields, paths = {}, {}, {}
    comp = dict(root_compression or {})
    for name in comp:
        v, _, side = name.partition(".root.")
        if v not in levels.vertebrae or side not in ("left", "right"):
            msg = f"root_compression: {name!r} is not a built root (e.g. L5.root.left)"
            raise ValueError(msg)
    symmetric = mirror_symmetric(tuple(place.frames.values()))
    plain: dict[str, RootPath] = {}
    for v in levels.vertebrae:
        for side in ("left", "right"):
            name = f"{v}.root.{side}"
            if side == "right" and symmetric:
                # The mirror image of the left root (a symmetric spine's obstacles are mirrored too).
                left = plain[f"{v}.root.left"]
                rp = RootPath(left.path * MIRROR_X, left.radius, left.drg * MIRROR_X, left.s_drg)
            else:
                rp = root_path(place, v, side)
            plain[name] = rp
            path, radius = rp.path, rp.radius
            c = comp.get(name)
            squash = None
            if c is not None and (any(c.displacement) or c.flattening != 1.0):
                path, weight = _compress(place, v, rp, c)
                direction = np.asarray(c.displacement, float)
                if not np.any(direction):
                    direction = np.array([0.0, 1.0, 0.0])
                squash = (
                    direction,
                    profile(np.c_[np.linspace(0, 1, len(weight)), 1 - weight * (1 - c.flattening)]),
                )
            meshes[name] = sweep(
                path,
                profile(np.c_[np.linspace(0, 1, len(radius)), radius]),
                n_along=len(path),
                n_around=14,
                squash=squash,
            )
            fields[name] = tube_field(path, radius)
            paths[name] = RootPath(path, radius, rp.drg, rp.s_drg)
    return meshes, fields, paths


def _compress(place: Placement, v: str, rp: RootPath, c: RootCompression):
    if not 0.1 <= c.flattening <= 1.0:
        msg = f"flattening: {c.flattening!r} is out of range; use a number in [0.1, 1]"
        raise ValueError(msg)
    s = np.linspace(0, 1, len(rp.path))
    length = float(np.linalg.norm(np.diff(rp.path, axis=0), axis=1).sum())
    if c.at is not None:
        centre = float(s[int(np.argmin(np.abs(rp.path[:, 2] - c.at)))])
    else:
        i = VERTEBRAE.index(v)
        above = f"{VERTEBRAE[i - 1]}-{v}" if i > 0 else None
        crossing = _disc_fractions(rp.path, place, [above]) if above else {}
        centre = crossing.get(above, rp.s_drg)
    weight = _bump(s, centre, c.length / 2 / length)
    return rp.path + weight[:, None] * np.asarray(c.displacement, float), weight


# ---------------------------------------------------------------------------
# small nerves
# ---------------------------------------------------------------------------


def sinuvertebral_path(
    place: Placement, disc: str, side: str, root: RootPath, annulus: DiscFields
) -> np.ndarray:
    """Control points of the sinuvertebral nerve of ``disc`` on ``side``.

    It leaves the exiting root (the upper vertebra's) just beyond its
    ganglion, turns back medially through the foramen in front of the root
    and ends on the posterior annulus beside the posterior longitudinal
    ligament, climbing a little toward the body above.
    """
    frame = disc_frame(place, disc)
    sx = 1.0 if side == "left" else -1.0
    upper = disc.split("-")[0]
    half_cw = place.shapes[upper].canal_width / 2
    r = _m("roots", "sinuvertebral_radius")
    x_edge = _m("ligaments", "plc_width_disc") / 2 + r + 0.6

    def on_annulus(x, z):
        f = annulus.whole
        y = _first_exit(
            lambda y: f(frame.to_world(np.c_[np.full(len(y), sx * x), y, np.full(len(y), z)])), 0.0, 40.0
        )
        return frame.to_world(np.array([[sx * x, y + r + 0.5, z]]))[0]

    start = root.drg + (root.path[-1] - root.drg) * 0.08
    start_local = frame.to_local(start[None])[0]
    return np.array(
        [
            start,
            frame.to_world(
                np.array([[start_local[0] - sx * 2.0, start_local[1] - 2.5, start_local[2] - 1.0]])
            )[0],
            on_annulus(half_cw + 1.0, 1.0),
            on_annulus(x_edge + 2.0, 2.0),
            on_annulus(x_edge, 4.0),
        ]
    )


def basivertebral_path(place: Placement, v: str) -> np.ndarray:
    """Control points of the basivertebral nerve: from just behind the body's
    midline, through the posterior vascular foramen, to the body's centre."""
    shape, frame = place.shapes[v], place.frames[v]
    # It starts on the bone, under the PLC that covers the foramen.
    wall = posterior_wall_y(shape)
    local = np.array(
        [
            [0.0, wall, -1.0],
            [0.0, wall - 3.0, -0.5],
            [0.0, wall - 9.0, 0.8],
            [0.0, wall - 14.0, 2.5],
        ]
    )
    return frame.to_world(local)


def build_neural(
    levels,
    place: Placement,
    spacing: float,
    *,
    sac_area_scale: Mapping[str, float] | None = None,
    root_compression: Mapping[str, RootCompression] | None = None,
    discs: Mapping[str, DiscFields] | None = None,
):
    """Model builder: sac, cauda equina, roots, sinuvertebral and basivertebral nerves.

    ``discs`` lets a conditioned model pass its reshaped disc fields so the
    sinuvertebral nerves lie on the disc actually built.  Healthy builds (no
    keyword given) are shared between builds (:mod:`.part_cache`).
    """
    if sac_area_scale is None and root_compression is None and discs is None:
        return _NEURAL.get(
            (levels, spacing, placement_key(place)), lambda: _build_neural(levels, place, spacing)
        )
    return _build_neural(
        levels,
        place,
        spacing,
        sac_area_scale=sac_area_scale,
        root_compression=root_compression,
        discs=discs,
    )


_NEURAL = PartCache()


def _build_neural(
    levels,
    place: Placement,
    spacing: float,
    *,
    sac_area_scale: Mapping[str, float] | None = None,
    root_compression: Mapping[str, RootCompression] | None = None,
    discs: Mapping[str, DiscFields] | None = None,
):
    meshes, fields = sac_parts(levels, place, sac_area_scale=sac_area_scale)
    m, f, paths = root_parts(levels, place, root_compression=root_compression)
    meshes.update(m)
    fields.update(f)
    rs = _m("roots", "sinuvertebral_radius")
    for d in levels.discs:
        df = (discs or {}).get(d) or disc_fields(place, d)
        upper = d.split("-")[0]
        for side in ("left", "right"):
            name = f"{d}.sinuvertebral.{side}"
            ctrl = sinuvertebral_path(place, d, side, paths[f"{upper}.root.{side}"], df)
            meshes[name] = sweep(ctrl, rs, n_along=28, n_around=8)
            path, *_ = centreline(ctrl, n_along=28)
            fields[name] = tube_field(path, rs)
    rb = _m("roots", "basivertebral_radius")
    for v in levels.vertebrae:
        if place.shapes[v].sacral:
            # S1 has no posterior nutrient foramen; its nerves enter laterally (PMC4681698).
            continue
        ctrl = basivertebral_path(place, v)
        radius = profile([(0, rb), (1, rb * 0.6)])
        meshes[f"{v}.basivertebral"] = sweep(ctrl, radius, n_along=20, n_around=8)
        path, *_ = centreline(ctrl, n_along=20)
        fields[f"{v}.basivertebral"] = tube_field(path, radius(np.linspace(0, 1, 20)))
    return meshes, fields
