"""Ligaments and muscle: posterior longitudinal ligament, ligamentum flavum, multifidus.

* The posterior longitudinal ligament (PLC in the part names) is a thin band
  lying on the backs of the bodies and discs, in front of the dural sac: wide
  over each disc, narrow behind the bodies (its hourglass outline).  It is an
  analytic slab whose front face is found by probing the bone and disc
  fields, so it touches them exactly.
* The ligamentum flavum closes the back of the canal between the laminae of
  two vertebrae: a sheet, V-shaped seen from above, cut to the bone so it
  meets the laminae without overlapping them.
* Multifidus fills the groove on each side of the spinous processes over all
  built levels: a belly of elliptical section swept along the lordosis from
  the vertebrae's landmarks, convex at the back, rounded at its ends, with
  faint grooves between its fascicles.  Its deep face is the back of the
  bone (laminae, articular and mamillary processes, the side of the
  spinous process), sampled once per placement on a coarse column grid
  with a clearance; short gaps between the laminae and spinous processes,
  which ligaments close, are bridged.  Evaluating the field is then a table
  look-up, so contouring and snapping the muscle cost little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv

from . import sdf
from .dimensions import VERTEBRAE, recipe, value
from .disc import disc_fields, disc_frame, largest_piece
from .frames import Placement
from .part_cache import PartCache, kept_table, mirror_symmetric, placement_key
from .surface import LIPSCHITZ, contour, gradient, repair_folds, triangles
from .tubes import centreline, control_fractions, ellipse_distance, grid_slab, nearest_section, spline
from .vertebra import arch_landmarks, body_field, local_bounds, vertebra_field

MUSCLE_COARSENING = 1.8
"""The muscle, a large smooth mass, is contoured on a grid this many times
coarser than the detail setting's: it keeps the triangle budget for the
small parts."""


def _m(section: str, key: str) -> float:
    return value(recipe()[section][key])


def snap_to_field(
    mesh: pv.PolyData, field: sdf.Field, *, iterations: int = 3, step: float = 0.25
) -> pv.PolyData:
    """Move each vertex onto its field's zero level (a few Newton steps), folding no triangle over.

    Muscle and ligaments are contoured coarsely or carved with sharp creases,
    so their vertices stand up to a grid cell off the surface they stand
    for; snapping puts the mesh back on the solid that the field (used for
    voxel labelling and overlap checks) describes.  Moves are capped at
    ``step`` mm per iteration.  Triangles that fold over all the same are
    opened up and their corners put back on the zero level
    (:func:`.surface.repair_folds`).
    """
    pts = np.asarray(mesh.points, float).copy()
    # The gradient is taken once: the moves are a fraction of a millimetre,
    # over which it hardly turns, and it costs six field evaluations.
    d, grad = gradient(field, pts, step=0.1, value=True)
    g2 = np.maximum(np.einsum("ij,ij->i", grad, grad), 1e-6)

    def newton(i, d):
        move = -(d / g2[i])[:, None] * grad[i]
        length = np.linalg.norm(move, axis=1, keepdims=True)
        return move * np.minimum(1.0, step / np.maximum(length, 1e-12))

    everything = np.arange(len(pts))
    for i in range(iterations):
        pts += newton(everything, d if i == 0 else field(pts))
    repair_folds(pts, triangles(mesh), project=lambda p, i: p + newton(i, field(p)))
    out = mesh.copy()
    out.points = pts
    return out


def _box_distance(q: np.ndarray, box) -> np.ndarray:
    lo, hi = np.asarray(box[0::2]), np.asarray(box[1::2])
    return np.linalg.norm(np.maximum(np.maximum(lo - q, q - hi), 0.0), axis=1)


def _culled(field: sdf.Field, box, to_local, floor: float = 3.0) -> sdf.Field:
    """``field`` evaluated only inside ``box`` (local coordinates).

    Outside it the value is ``floor`` plus the distance to the box: every
    use here only needs the sign and values near the surface, and the box
    leaves at least ``floor`` mm around the solid, so nothing changes but
    the cost (the vertebra field is the expensive one).
    """

    def culled(p):
        q = to_local(p)
        out = floor + _box_distance(q, box)
        near = out <= floor
        if near.any():
            out[near] = field(q[near])
        return out

    return culled


def _bone(place: Placement, v: str, *, whole: bool = True) -> sdf.Field:
    shape, frame = place.shapes[v], place.frames[v]
    f = vertebra_field(shape) if whole else body_field(shape)
    return _culled(f, local_bounds(shape), frame.to_local)


# ---------------------------------------------------------------------------
# posterior longitudinal ligament
# ---------------------------------------------------------------------------


def plc_mesh(
    place: Placement, disc: str, *, n_across: int = 9, n_along: int = 33
) -> tuple[pv.PolyData, sdf.Field]:
    """The PLC over one disc, from mid-body above to mid-body below."""
    upper, lower = disc.split("-")
    fu, fl = place.frames[upper], place.frames[lower]
    frame = disc_frame(place, disc)
    front = [
        _bone(place, upper, whole=False),
        _bone(place, lower, whole=False),
        disc_fields(place, disc).whole,
    ]

    def anterior(p):
        return np.minimum.reduce([f(p) for f in front])

    su, sl = place.shapes[upper], place.shapes[lower]
    canal = np.array(
        [
            fu.to_world(np.array([[0.0, su.half_depth + 6.0, 0.0]]))[0],
            frame.to_world(np.array([[0.0, (su.half_depth + sl.half_depth) / 2 + 6.0, 0.0]]))[0],
            fl.to_world(np.array([[0.0, sl.half_depth + 6.0, 0.0]]))[0],
        ]
    )
    axis = spline(canal, n=n_along)
    tangent = np.gradient(axis, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    lateral = np.array([1.0, 0.0, 0.0])
    forward = np.cross(lateral, tangent)  # points anterior (-y) for a descending axis
    forward /= np.linalg.norm(forward, axis=1, keepdims=True)
    if forward[len(forward) // 2, 1] > 0:
        forward = -forward
    t = np.linspace(0, 1, n_along)
    w_body, w_disc = _m("ligaments", "plc_width_body"), _m("ligaments", "plc_width_disc")
    s_disc = float(np.argmin(np.abs(frame.to_local(axis)[:, 2]))) / (n_along - 1)
    half_w = (
        w_body + (w_disc - w_body) * np.cos(np.clip(np.abs(t - s_disc) / 0.45, 0, 1) * np.pi / 2) ** 2
    ) / 2
    u = np.linspace(-1, 1, n_across)
    start = axis[:, None, :] + (half_w[:, None] * u[None, :])[..., None] * lateral
    direction = np.broadcast_to(forward[:, None, :], start.shape)
    flat = start.reshape(-1, 3)
    dirs = direction.reshape(-1, 3)
    lo, hi = np.zeros(len(flat)), np.full(len(flat), 20.0)
    # 18 halvings of 20 mm: within 1e-4 mm, and the band is snapped to its field after.
    for _ in range(18):
        mid = (lo + hi) / 2
        inside = anterior(flat + mid[:, None] * dirs) < 0
        hi = np.where(inside, mid, hi)
        lo = np.where(inside, lo, mid)
    hit = (flat + lo[:, None] * dirs).reshape(start.shape)
    thickness = _m("ligaments", "plc_thickness")
    # Thin out toward the edges so the band's side is not a cliff.
    edge = 1 - 0.6 * np.abs(u) ** 4
    back = hit - (thickness * edge)[None, :, None] * direction
    mesh = grid_slab(back.transpose(1, 0, 2), hit.transpose(1, 0, 2))

    def field(p):
        # Distance bound: within the band's outline, between the bone and
        # ``thickness`` behind it.
        q = frame.to_local(p)
        d = anterior(p)
        z = q[:, 2]
        zr = np.interp(z, frame.to_local(axis)[::-1, 2], half_w[::-1])
        z0, z1 = frame.to_local(axis)[:, 2].min(), frame.to_local(axis)[:, 2].max()
        local_t = thickness * (1 - 0.6 * np.clip(np.abs(q[:, 0]) / zr, 0, 1) ** 4)
        return np.maximum.reduce([-d, d - local_t, np.abs(q[:, 0]) - zr, sdf.slab(z, z0, z1)])

    return mesh, field


# ---------------------------------------------------------------------------
# ligamentum flavum
# ---------------------------------------------------------------------------


def flavum_field(place: Placement, disc: str) -> sdf.Field:
    """The ligamentum flavum of a disc level: a V-shaped sheet cut to the laminae."""
    upper, lower = disc.split("-")
    su, sl = place.shapes[upper], place.shapes[lower]
    frame = disc_frame(place, disc)
    th = _m("ligaments", "flavum_thickness")
    back_u = su.half_depth + su.canal_depth
    back_l = sl.half_depth + sl.canal_depth
    # Attachments: the front of the upper lamina's lower half and the upper
    # edge of the lower lamina (arch landmarks of each vertebra).
    lu, ll = arch_landmarks(su), arch_landmarks(sl)
    top = frame.to_local(place.frames[upper].to_world(np.array([[0.0, back_u, lu.lamina_bottom[2] + 3.0]])))[
        0
    ]
    bottom = frame.to_local(place.frames[lower].to_world(np.array([[0.0, back_l, ll.lamina_top[2] - 2.0]])))[
        0
    ]
    half_x = max(su.canal_width, sl.canal_width) / 2 + 1.5
    bones = [_bone(place, upper), _bone(place, lower)]
    box = (
        -half_x - 2,
        half_x + 2,
        min(top[1], bottom[1]) - 0.5 - 0.22 * half_x - 2,
        max(top[1], bottom[1]) + th + 2,
    )
    box = (*box, bottom[2] - 2, top[2] + 2)

    def exact(q):
        x, y, z = q[:, 0], q[:, 1], q[:, 2]
        f = np.clip((z - bottom[2]) / (top[2] - bottom[2]), 0, 1)
        y_front = bottom[1] + (top[1] - bottom[1]) * f - 0.5 - 0.22 * np.abs(x)
        sheet = np.maximum.reduce(
            [sdf.slab(y, y_front, y_front + th), np.abs(x) - half_x, sdf.slab(z, bottom[2], top[2])]
        )
        # Cut to the bone.  The bone fields are distance bounds as steep as
        # the sheet's (slope near 1, which the bony tests hold them to), so
        # the maximum is one too.  Where the sheet alone is well outside, its
        # value stands: smaller than the maximum but of the same sign, still
        # a bound, and the costly bone is evaluated only along the sheet.
        out = sheet
        near = sheet < FLAVUM_BONE_REACH
        if near.any():
            p = frame.to_world(q[near])
            out = sheet.copy()
            out[near] = np.maximum(sheet[near], -np.minimum(bones[0](p), bones[1](p)))
        return out

    return _culled(exact, box, frame.to_local, floor=1.0)


FLAVUM_BONE_REACH = 2.0
"""Beyond this (mm) outside the flavum's sheet the bone cut is not evaluated:
well past the step of a gradient at the surface and the grid's cells there."""


def flavum_bounds(place: Placement, disc: str) -> tuple[float, ...]:
    upper, lower = disc.split("-")
    pts = []
    for v, z in (
        (upper, -place.shapes[upper].posterior_height),
        (lower, place.shapes[lower].posterior_height),
    ):
        s = place.shapes[v]
        back = s.half_depth + s.canal_depth
        for x in (-s.canal_width, s.canal_width):
            for y in (back - 12, back + 8):
                pts.append(place.frames[v].to_world(np.array([[x / 2 + np.sign(x) * 3, y, z]]))[0])
    c = np.array(pts)
    lo, hi = c.min(0), c.max(0)
    return (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])


# ---------------------------------------------------------------------------
# multifidus
# ---------------------------------------------------------------------------


MUSCLE_FLOOR_STEP = (1.0, 1.5, 1.5)
"""Grid steps (mm; across, front to back, head to foot) on which the bone
under the multifidus is sampled once per placement: the muscle's deep face
follows the bone to about these (finest across, where the spinous process
is a wall), and the field then costs a table look-up instead of several
bone evaluations."""

MUSCLE_BRIDGE = 24.0
"""Gaps in the bony floor shorter than this (mm, head to foot) are bridged:
the muscle passes over the interlaminar and interspinous spaces, which
ligaments close, instead of sinking into them."""

FASCICLE_PITCH = 9.0
"""Spacing of the faint grooves between multifidus fascicles on the muscle's
back, mm (model: a few bundles per level, as drawn in atlases)."""

FASCICLE_DEPTH = 0.6
"""Depth of those grooves, mm (model: visible in raking light, no change
to the measured area)."""

FASCICLE_ANGLE = 25.0
"""Angle of the fascicles from the head-to-foot direction, degrees: they
run from a spinous process down and out to mamillary processes two to four
levels below (Macintosh & Bogduk 1986, described in anatomy texts)."""


@dataclass(frozen=True)
class _Floor:
    """Height of the bone's back under a muscle, on world ``(|x|, z)`` columns.

    ``y[i, k]`` is the most posterior bone (plus clearance) in the column at
    ``x0 + i * step``, ``z0 + k * step``; short gaps along ``z`` bridged.
    """

    x0: float
    z0: float
    step: tuple[float, float]
    y: np.ndarray
    slope: np.ndarray

    def field(self, p: np.ndarray, sx: float) -> np.ndarray:
        """Signed distance estimate to the floor's back side (negative behind it)."""
        fx = (sx * p[:, 0] - self.x0) / self.step[0]
        fz = (p[:, 2] - self.z0) / self.step[1]
        nx, nz = self.y.shape
        i = np.clip(np.floor(fx).astype(int), 0, nx - 2)
        k = np.clip(np.floor(fz).astype(int), 0, nz - 2)
        a = np.clip(fx - i, 0.0, 1.0)
        b = np.clip(fz - k, 0.0, 1.0)

        def at(g):
            return (g[i, k] * (1 - a) + g[i + 1, k] * a) * (1 - b) + (
                g[i, k + 1] * (1 - a) + g[i + 1, k + 1] * a
            ) * b

        # A height map's first-order distance: divided by its slope, taken at
        # each node as the steeper of the two cells beside it, so that the
        # divisor is continuous and never less than the slope of the cell.
        return (at(self.y) - p[:, 1]) / at(self.slope)


def _max_filter(a: np.ndarray, radius: int, axis: int) -> np.ndarray:
    out = a.copy()
    for r in range(1, radius + 1):
        out = np.maximum(out, _shift(a, r, axis))
        out = np.maximum(out, _shift(a, -r, axis))
    return out


def _shift(a: np.ndarray, r: int, axis: int) -> np.ndarray:
    """``a`` moved ``r`` cells along ``axis``, the edge value repeated."""
    idx = np.clip(np.arange(a.shape[axis]) - r, 0, a.shape[axis] - 1)
    return np.take(a, idx, axis=axis)


def _min_filter(a: np.ndarray, radius: int, axis: int) -> np.ndarray:
    return -_max_filter(-a, radius, axis)


def _blur(a: np.ndarray, passes: int) -> np.ndarray:
    out = a
    for _ in range(passes):
        for axis in (0, 1):
            out = 0.25 * _shift(out, 1, axis) + 0.5 * out + 0.25 * _shift(out, -1, axis)
    return out


_FLOORS: dict[tuple, _Floor] = kept_table()
_FLOORS_KEPT = 16


def _muscle_floor(shapes: tuple, frames: tuple, side: str, box: tuple, clearance: float) -> _Floor:
    """The bony floor of one multifidus (cached: builds on one placement share it)."""
    if mirror_symmetric(frames):
        side = "left"  # in ``|x|`` the two floors are the same table
    key = (shapes, tuple(f.matrix.tobytes() for f in frames), side, box, clearance)
    if key not in _FLOORS:
        if len(_FLOORS) >= _FLOORS_KEPT:
            _FLOORS.pop(next(iter(_FLOORS)))
        _FLOORS[key] = _sample_floor(shapes, frames, side, box, clearance)
    return _FLOORS[key]


def _sample_floor(shapes: tuple, frames: tuple, side: str, box: tuple, clearance: float) -> _Floor:
    sx = 1.0 if side == "left" else -1.0
    hx, h, hz = MUSCLE_FLOOR_STEP
    x0, x1, y0, y1, z0, z1 = box
    bones = [
        _culled(vertebra_field(shape), local_bounds(shape), frame.to_local)
        for shape, frame in zip(shapes, frames, strict=True)
    ]

    xs = np.arange(x0, x1 + hx, hx)
    ys = np.arange(y0, y1 + h, h)
    zs = np.arange(z0, z1 + hz, hz)
    gx, gy, gz = np.meshgrid(xs, ys, zs, indexing="ij")
    d = np.zeros(gx.shape)
    known = np.zeros(gx.shape, bool)

    def evaluate(mask):
        mask = mask & ~known
        if mask.any():
            pts = np.c_[sx * gx[mask], gy[mask], gz[mask]]
            d[mask] = np.minimum.reduce([b(pts) for b in bones])
            known[mask] = True

    # Every FLOOR_COARSENING-th sample of each column first; a sample between
    # two of them takes their sign where one is farther from the bone's
    # surface than the sample is from it (the bone fields are distance
    # bounds), and is evaluated where neither is.
    n_y = len(ys)
    coarse = np.unique(np.r_[np.arange(0, n_y, FLOOR_COARSENING), n_y - 1])
    on_coarse = np.zeros(n_y, bool)
    on_coarse[coarse] = True
    evaluate(np.broadcast_to(on_coarse[None, :, None], gx.shape))
    i1 = coarse[np.searchsorted(coarse, np.arange(n_y))]
    i0 = coarse[np.maximum(np.searchsorted(coarse, np.arange(n_y), side="right") - 1, 0)]
    lo, hi = d[:, i0, :], d[:, i1, :]
    sure_lo = np.abs(lo) > (LIPSCHITZ * h * (np.arange(n_y) - i0))[None, :, None]
    sure_hi = np.abs(hi) > (LIPSCHITZ * h * (i1 - np.arange(n_y)))[None, :, None]
    evaluate(~(sure_lo | sure_hi))
    inside = np.where(known, d < 0, np.where(sure_lo, lo < 0, hi < 0))
    # The last bone sample of each column counted from the front, and where the
    # surface crosses between it and the next one out.
    top = np.where(inside.any(axis=1), n_y - 1 - np.argmax(inside[:, ::-1, :], axis=1), -1)
    k = np.clip(top, 0, n_y - 2)
    for kk in (k, k + 1):
        crossing = np.zeros(gx.shape, bool)
        np.put_along_axis(crossing, kk[:, None, :], (top >= 0)[:, None, :], axis=1)
        evaluate(crossing)
    d_in = np.take_along_axis(d, k[:, None, :], axis=1)[:, 0, :]
    d_out = np.take_along_axis(d, (k + 1)[:, None, :], axis=1)[:, 0, :]
    y = ys[k] + h * np.clip(d_in / np.minimum(d_in - d_out, -1e-6), 0.0, 1.0)
    y = np.where(top >= 0, y, y0)
    # Bone between the columns: take the highest of each column's neighbours.
    raw = _max_filter(_max_filter(y, 1, 0), 1, 1)
    # Ligaments close the short gaps between laminae and spinous processes.
    r = round(MUSCLE_BRIDGE / 2 / hz)
    bridged = _min_filter(_max_filter(raw, r, 1), r, 1)
    floor = np.maximum(_blur(bridged, 3), raw) + clearance
    steep = []
    for axis, step in ((0, hx), (1, hz)):
        cell = np.abs(np.diff(floor, axis=axis)) / step
        pad = [(0, 0), (0, 0)]
        pad[axis] = (1, 1)
        cell = np.pad(cell, pad, mode="edge")
        steep.append(
            np.maximum(
                np.take(cell, range(cell.shape[axis] - 1), axis=axis),
                np.take(cell, range(1, cell.shape[axis]), axis=axis),
            )
        )
    slope = np.sqrt(1.0 + steep[0] ** 2 + steep[1] ** 2)
    return _Floor(float(xs[0]), float(zs[0]), (hx, hz), floor, slope)


FLOOR_COARSENING = 4
"""Samples of a floor column per coarse sample in :func:`_sample_floor`."""


BELLY_SLOPE = 1.25
"""Bound on how much faster than distance the belly's raw field changes: the
section planes draw together on the inside of the lordotic bend, and the
section and its grooves change along the axis.  Dividing by it keeps the
field a distance bound (the surface, its zero level, does not move)."""

END_ROUNDING = 15.0
"""Radius (mm) of the rounding where the belly's sides meet its ends."""


def _round_intersect(a: np.ndarray, b: np.ndarray, r: float) -> np.ndarray:
    """Intersection of two solids with their edge rounded to radius ``r`` (a distance bound)."""
    return np.minimum(np.maximum(a, b), -r) + np.hypot(np.maximum(a + r, 0.0), np.maximum(b + r, 0.0))


@dataclass(frozen=True)
class _Belly:
    """Centreline and elliptical sections of one multifidus belly (world mm)."""

    path: np.ndarray
    normal: np.ndarray
    binormal: np.ndarray
    lateral: np.ndarray
    dorsal: np.ndarray
    front: np.ndarray


BELLY_AXIS_LIFT = 12.0
"""How far (mm) the belly's centreline runs behind the centre of its
elliptical section: in the middle of the muscle, so every point of it is
well within the lordotic curve's radius and has one nearest section."""


def _belly(levels, place: Placement, side: str, scale: float, n_along: int = 40) -> _Belly:
    """The belly's centreline and semi-axes from each vertebra's landmarks.

    In each vertebra's frame the belly's section is an ellipse centred on the
    back of the lamina at the root of the spinous process, half way between
    the spinous process and the mamillary process at the back of the superior
    articular process; it reaches from just across the midline (the spinous
    process cuts it) to beyond the facet joint, and back to a little short of
    the spinous tip.  Its front is cut off a little in front of the facet
    joints and then by the bone itself.
    """
    sx = 1.0 if side == "left" else -1.0
    vs = list(levels.vertebrae)
    marks = {v: arch_landmarks(place.shapes[v]) for v in vs}
    # One thickness for the whole muscle, from the longest spinous process
    # built: it does not thin where a spinous process is short (L5), it
    # widens instead as the articular processes spread going down.
    reach = max(
        (
            lm.spinous_tip[1] - lm.spinous_root[1] - 4.0
            for v, lm in marks.items()
            if not place.shapes[v].sacral
        ),
        default=24.0,
    )
    ctrl, sec = [], []
    for v in vs:
        frame, lm = place.frames[v], marks[v]
        x_med, x_lat = -3.0, lm.superior_facet[0] + 12.0
        y_c = lm.spinous_root[1]
        front = y_c - (lm.superior_facet[1] - 5.0)
        ctrl.append(frame.to_world(np.array([[sx * (x_med + x_lat) / 2, y_c + BELLY_AXIS_LIFT, 0.0]]))[0])
        sec.append(((x_lat - x_med) / 2, reach, front))
    sec = np.array(sec)
    # Ends: half way into the framing discs (or a little past the last bone).
    ends = []
    for v, c, sgn in ((vs[0], ctrl[0], 1.0), (vs[-1], ctrl[-1], -1.0)):
        shape, frame = place.shapes[v], place.frames[v]
        q = frame.to_local(c[None])[0]
        ends.append(frame.to_world(np.array([[q[0], q[1], sgn * (shape.posterior_height / 2 + 5.0)]]))[0])
    ctrl = np.vstack([ends[0], ctrl, ends[1]])
    sec = np.vstack([sec[0], sec, sec[-1]])
    fr = control_fractions(ctrl)
    path, _t, normal, binormal, s = centreline(ctrl, n_along=n_along)
    cols = [np.interp(s, fr, sec[:, j]) for j in range(3)]
    # A gentle taper toward the ends, kept gentle (so the field stays a
    # distance bound) and finished before the rounding of the ends, where
    # the section must not change along the axis for the same reason.
    length = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())

    def ramp(d):
        x = np.clip((d - END_ROUNDING) / 30.0, 0.0, 1.0)
        return (1 - np.cos(np.pi * x)) / 2

    # A product of the two ends' ramps: smooth even where they overlap.
    taper = 0.75 + 0.25 * ramp(s * length) * ramp((1 - s) * length)
    lateral = cols[0] * scale * taper
    dorsal = cols[1] * scale * taper
    front = cols[2] * taper
    return _Belly(path, normal, binormal, lateral, dorsal, front)


def _belly_field(belly: _Belly, *, grooves: bool = True) -> sdf.Field:
    grid = np.linspace(0.0, 1.0, len(belly.path))
    path = belly.path
    t0 = (path[1] - path[0]) / np.linalg.norm(path[1] - path[0])
    t1 = (path[-1] - path[-2]) / np.linalg.norm(path[-1] - path[-2])
    length = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
    tilt = np.radians(FASCICLE_ANGLE)

    def field(p):
        s, u, v = nearest_section(path, belly.normal, belly.binormal, p)
        u = u + BELLY_AXIS_LIFT
        ru = np.interp(s, grid, belly.dorsal)
        rv = np.interp(s, grid, belly.lateral)
        d = ellipse_distance(u, v, ru, rv)
        if grooves:
            # Grooves along the fascicles, only on the back of the belly.
            phase = (s * length * np.sin(tilt) + np.abs(v) * np.cos(tilt)) / FASCICLE_PITCH
            back = np.clip(u / (0.5 * ru), 0.0, 1.0) * np.clip(
                (np.minimum(s, 1 - s) * length - END_ROUNDING) / 10.0, 0.0, 1.0
            )
            d = d + FASCICLE_DEPTH * back * 0.5 * (1 - np.cos(2 * np.pi * phase))
        cut = -u - np.interp(s, grid, belly.front)
        caps = np.maximum((path[0] - p) @ t0, (p - path[-1]) @ t1)
        return _round_intersect(np.maximum(d, cut), caps, END_ROUNDING) / BELLY_SLOPE

    return field


BELLY_AREA_STEP = 1.2
"""Grid step (mm) on which a trial belly's section area is measured while
sizing it: each sample counts the share of its cell inside (from the field's
value, a distance), so a coarse grid measures the area to well under 1%."""


def _belly_area(field: sdf.Field, frame, side: str) -> float:
    """Area (mm²) of a field's section in a frame's ``xy`` plane, on the muscle's side."""
    sx = 1.0 if side == "left" else -1.0
    step = BELLY_AREA_STEP
    x, y = np.meshgrid(np.arange(0.0, 55.0, step), np.arange(20.0, 90.0, step), indexing="ij")
    pts = frame.to_world(np.c_[sx * x.ravel(), y.ravel(), np.zeros(x.size)])
    inside = np.clip(0.5 - field(pts) / step, 0.0, 1.0)
    return float(inside.sum()) * step * step


_SCALES: dict[tuple, float] = kept_table()
"""Belly scales found by :func:`multifidus_field`, by its inputs (the search
costs a few section areas; a symmetric spine's two sides share one)."""


def multifidus_field(
    levels, place: Placement, side: str, *, atrophy: float = 1.0, spacing: float = 0.0
) -> sdf.Field:
    """One multifidus: a belly in the groove beside the spinous processes, on the laminae.

    The belly is an elliptical section swept along the lordosis (from each
    vertebra's landmarks), rounded at its ends, convex at the back, with
    faint grooves between fascicles; its deep face is the bone's back
    (sampled once per placement, :func:`_muscle_floor`) with a clearance, so
    it fills the groove between spinous and articular processes without
    entering bone.  Its size is set so the section at the middle disc has the
    recipe's area times ``atrophy`` (1 = healthy).  ``spacing`` is the grid it
    will be contoured on: half of it is added to the clearance from bone, as a
    contour may stand that far off its field's zero.
    """
    if not 0.05 <= atrophy <= 1.5:
        msg = f"multifidus_atrophy: {atrophy!r} is out of range; use a number in [0.05, 1.5]"
        raise ValueError(msg)
    sx = 1.0 if side == "left" else -1.0
    vs = list(levels.vertebrae)
    i0, i1 = VERTEBRAE.index(vs[0]), VERTEBRAE.index(vs[-1])
    near = VERTEBRAE[max(i0 - 1, 0) : i1 + 2]
    clearance = _m("muscle", "bone_clearance") + spacing / 2
    box = _muscle_bounds(levels, place, side)
    floor = _muscle_floor(
        tuple(place.shapes[v] for v in near),
        tuple(place.frames[v] for v in near),
        side,
        tuple(round(float(b), 3) for b in (0.0, abs(box[1] - box[0]), box[2], box[3], box[4], box[5])),
        round(clearance, 4),
    )

    def solid(belly_field):
        def f(p):
            p = np.asarray(p, float)
            # The midline plane keeps the two sides apart above the spinous tips.
            return np.maximum.reduce([belly_field(p), floor.field(p, sx), 0.6 - sx * p[:, 0]])

        return f

    # Size: the section at the middle disc (or vertebra) gets the target area.
    mid = levels.discs[len(levels.discs) // 2] if levels.discs else None
    frame = disc_frame(place, mid) if mid else place.frames[vs[len(vs) // 2]]
    target = _m("muscle", "multifidus_area") * atrophy

    def area(k):
        return _belly_area(solid(_belly_field(_belly(levels, place, side, k), grooves=False)), frame, side)

    symmetric = mirror_symmetric(tuple(place.frames[v] for v in near))
    key = (levels, placement_key(place), atrophy, round(clearance, 4), None if symmetric else side)
    if key not in _SCALES:
        if len(_SCALES) > 64:
            _SCALES.clear()
        _SCALES[key] = _size_search(area, target)
    return solid(_belly_field(_belly(levels, place, side, _SCALES[key])))


def _size_search(area, target: float) -> float:
    """The scale ``k`` at which ``area(k)`` meets ``target`` (within 1%)."""
    # Secant steps on log(area) against log(scale): the area grows about as
    # the scale squared, less where bone takes a fixed share.
    k0, k1 = 1.0, 1.0
    a0 = area(k0)
    k1 = float(np.sqrt(target / a0))
    for _ in range(3):
        a1 = area(k1)
        if abs(a1 - target) < 0.01 * target or a1 == a0:
            break
        slope = np.log(a1 / a0) / np.log(k1 / k0) if k1 != k0 else 2.0
        k0, a0, k1 = k1, a1, float(k1 * (target / a1) ** (1 / max(slope, 0.5)))
    return k1


def build_soft_tissue(
    levels, place: Placement, spacing: float, *, multifidus_atrophy: float = 1.0, fat_fraction: float = 0.0
):
    """Model builder: PLC and ligamentum flavum at every disc, both multifidus.

    Parameters
    ----------
    multifidus_atrophy : float, optional
        Scale of each multifidus' cross-section area (1 = healthy).
    fat_fraction : float, optional
        Share of the muscle replaced by fat (0-1, Goutallier-like grading is
        done by the conditions layer).  The geometry does not change; the
        value travels on each multifidus mesh as field data
        ``"fat_fraction"`` for the renderer to tint.

    Healthy builds (the defaults) are shared between builds
    (:mod:`.part_cache`).
    """
    if not 0.0 <= fat_fraction <= 1.0:
        msg = f"fat_fraction: {fat_fraction!r} is out of range; use a number in [0, 1]"
        raise ValueError(msg)
    if multifidus_atrophy == 1.0 and fat_fraction == 0.0:
        return _SOFT.get(
            (levels, spacing, placement_key(place)), lambda: _build_soft_tissue(levels, place, spacing)
        )
    return _build_soft_tissue(
        levels, place, spacing, multifidus_atrophy=multifidus_atrophy, fat_fraction=fat_fraction
    )


_SOFT = PartCache()


def _build_soft_tissue(
    levels, place: Placement, spacing: float, *, multifidus_atrophy: float = 1.0, fat_fraction: float = 0.0
):
    meshes: dict[str, pv.PolyData] = {}
    fields: dict[str, sdf.Field] = {}
    for d in levels.discs:
        mesh, field = plc_mesh(place, d)
        meshes[f"{d}.plc"] = snap_to_field(mesh, field, iterations=4)
        fields[f"{d}.plc"] = field
        ff = flavum_field(place, d)
        flavum = largest_piece(contour(ff, flavum_bounds(place, d), spacing=min(spacing, 0.8)))
        meshes[f"{d}.ligamentum_flavum"] = snap_to_field(flavum, ff)
        fields[f"{d}.ligamentum_flavum"] = ff
    symmetric = mirror_symmetric(tuple(place.frames.values()))
    for side in ("left", "right"):
        step = spacing * MUSCLE_COARSENING
        f = multifidus_field(levels, place, side, atrophy=multifidus_atrophy, spacing=step)
        if side == "right" and symmetric:
            # A symmetric spine's right muscle is the left one's mirror image:
            # contoured and snapped once, and the two sides look alike.
            mesh = _mirrored(meshes["multifidus.left"])
        else:
            box = _muscle_bounds(levels, place, side)
            mesh = snap_to_field(largest_piece(contour(f, box, spacing=step)), f)
        mesh.field_data["fat_fraction"] = np.array([fat_fraction])
        meshes[f"multifidus.{side}"] = mesh
        fields[f"multifidus.{side}"] = f
    return meshes, fields


def _mirrored(mesh: pv.PolyData) -> pv.PolyData:
    """A triangle mesh's mirror image across the midline plane ``x = 0``, still facing outward."""
    pts = np.asarray(mesh.points, float) * np.array([-1.0, 1.0, 1.0])
    tri = triangles(mesh)[:, ::-1]
    return pv.PolyData(pts, np.c_[np.full(len(tri), 3), tri].ravel())


def _muscle_bounds(levels, place: Placement, side: str) -> tuple[float, ...]:
    sx = 1.0 if side == "left" else -1.0
    pts = []
    vs = list(levels.vertebrae)
    for v in vs:
        s = place.shapes[v]
        back = s.half_depth + s.canal_depth
        for x in (0.0, sx * 45.0):
            for y in (back - 12, back + 45):
                for z in (-s.posterior_height / 2 - 7.0, s.posterior_height / 2 + 7.0):
                    pts.append(place.frames[v].to_world(np.array([[x, y, z]]))[0])
    c = np.array(pts)
    lo, hi = c.min(0), c.max(0)
    return (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])
