"""Ligaments and muscle: posterior longitudinal ligament, ligamentum flavum, multifidus.

* The posterior longitudinal ligament (PLC in the part names) is a thin band
  lying on the backs of the bodies and discs, in front of the dural sac: wide
  over each disc, narrow behind the bodies (its hourglass outline).  It is an
  analytic slab whose front face is found by probing the bone and disc
  fields, so it touches them exactly.
* The ligamentum flavum closes the back of the canal between the laminae of
  two vertebrae: a sheet, V-shaped seen from above, cut to the bone so it
  meets the laminae without overlapping them.
* Multifidus fills the groove on each side of the spinous processes, lying on
  the laminae, over all built levels; a slightly dilated bone field is carved
  out of it so muscle never enters bone.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from . import sdf
from .dimensions import VERTEBRAE, recipe, value
from .disc import disc_fields, disc_frame, largest_piece
from .frames import Placement
from .surface import contour
from .tubes import grid_slab, spline
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
    """Move each vertex onto its field's zero level (a few Newton steps).

    Muscle and ligaments are contoured coarsely or carved with sharp creases,
    so their vertices stand up to a grid cell off the surface they stand
    for; snapping puts the mesh back on the solid that the field (used for
    voxel labelling and overlap checks) describes.  Moves are capped at
    ``step`` mm per iteration, so no triangle folds over.
    """
    pts = np.asarray(mesh.points, float).copy()
    h = 0.1
    for _ in range(iterations):
        d = field(pts)
        grad = np.stack([(field(pts + h * e) - field(pts - h * e)) / (2 * h) for e in np.eye(3)], axis=1)
        g2 = np.maximum(np.einsum("ij,ij->i", grad, grad), 1e-6)
        move = -(d / g2)[:, None] * grad
        length = np.linalg.norm(move, axis=1, keepdims=True)
        pts += move * np.minimum(1.0, step / np.maximum(length, 1e-12))
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
    for _ in range(30):
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
        p = frame.to_world(q)
        x, y, z = q[:, 0], q[:, 1], q[:, 2]
        f = np.clip((z - bottom[2]) / (top[2] - bottom[2]), 0, 1)
        y_front = bottom[1] + (top[1] - bottom[1]) * f - 0.5 - 0.22 * np.abs(x)
        sheet = np.maximum.reduce(
            [sdf.slab(y, y_front, y_front + th), np.abs(x) - half_x, sdf.slab(z, bottom[2], top[2])]
        )
        return np.maximum.reduce([sheet, *(-b(p) for b in bones)])

    return _culled(exact, box, frame.to_local, floor=1.0)


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


def multifidus_field(
    levels, place: Placement, side: str, *, atrophy: float = 1.0, spacing: float = 0.0
) -> sdf.Field:
    """One multifidus: a long mass beside the spinous processes, on the laminae.

    ``atrophy`` scales its cross-section area (1 = healthy).  ``spacing`` is
    the grid it will be contoured on: half of it is added to the clearance
    from bone, as a contour may stand that far off its field's zero.
    """
    sx = 1.0 if side == "left" else -1.0
    vs = list(levels.vertebrae)
    i0, i1 = VERTEBRAE.index(vs[0]), VERTEBRAE.index(vs[-1])
    near = VERTEBRAE[max(i0 - 1, 0) : i1 + 2]
    area = _m("muscle", "multifidus_area") * atrophy
    clearance = _m("muscle", "bone_clearance") + spacing / 2
    bones = [_bone(place, v) for v in near]
    flava = [flavum_field(place, d) for d in levels.discs]
    # Limits: the mid-heights of the framing half discs (or the ends of the spine).
    ends = []
    for v, sgn in ((vs[0], 1.0), (vs[-1], -1.0)):
        s = place.shapes[v]
        ends.append(place.frames[v].to_world(np.array([[0.0, 0.0, sgn * (s.posterior_height / 2 + 5.0)]]))[0])

    segs = []
    for v in vs:
        s = place.shapes[v]
        back = s.half_depth + s.canal_depth
        half_w, half_d = 12.5, 18.0
        k = np.sqrt(area / (half_w * half_d * 4 * 0.87))
        # Medial edge on the spinous process, front on the lamina: the bone
        # carved out below shapes those two faces.
        centre = np.array([sx * (3.0 + half_w * k), back - 3.0 + half_d * k, 0.0])
        segs.append((place.frames[v], centre, half_w * k, half_d * k, s.posterior_height / 2 + 9.0))

    def field(p):
        d = np.full(len(p), np.inf)
        for frame, c, a, b, h in segs:
            q = frame.to_local(p) - c
            # Narrower behind than in front: a rounded wedge in cross-section.
            narrowing = 1.0 - 0.22 * np.clip(q[:, 1] / b, -1, 1)
            seg = np.maximum(
                sdf.superellipse_2d(q[:, 0] / narrowing, q[:, 1], a, b, 2.4), np.abs(q[:, 2]) - h
            )
            d = sdf.smooth_union(d, seg, 6.0) if np.isfinite(d).any() else seg
        top = (p - ends[0]) @ np.array([0, 0, 1.0])
        bottom = (ends[1] - p) @ np.array([0, 0, 1.0])
        d = np.maximum.reduce([d, top, bottom])
        for b in bones:
            d = np.maximum(d, -(b(p) - clearance))
        for f in flava:
            d = np.maximum(d, -(f(p) - 0.3))
        return d

    return field


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
    """
    if not 0.0 <= fat_fraction <= 1.0:
        msg = f"fat_fraction: {fat_fraction!r} is out of range; use a number in [0, 1]"
        raise ValueError(msg)
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
    for side in ("left", "right"):
        step = spacing * MUSCLE_COARSENING
        f = multifidus_field(levels, place, side, atrophy=multifidus_atrophy, spacing=step)
        box = _muscle_bounds(levels, place, side)
        mesh = snap_to_field(largest_piece(contour(f, box, spacing=step)), f)
        mesh.field_data["fat_fraction"] = np.array([fat_fraction])
        meshes[f"multifidus.{side}"] = mesh
        fields[f"multifidus.{side}"] = f
    return meshes, fields


def _muscle_bounds(levels, place: Placement, side: str) -> tuple[float, ...]:
    sx = 1.0 if side == "left" else -1.0
    pts = []
    for v in levels.vertebrae:
        s = place.shapes[v]
        back = s.half_depth + s.canal_depth
        for x in (0.0, sx * 40.0):
            for y in (back - 5, back + 50):
                for z in (-s.posterior_height, s.posterior_height):
                    pts.append(place.frames[v].to_world(np.array([[x, y, z]]))[0])
    c = np.array(pts)
    lo, hi = c.min(0), c.max(0)
    return (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])
