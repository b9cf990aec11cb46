"""The intervertebral disc: annulus fibrosus, nucleus pulposus, cartilage endplates.

A disc fills the space between two placed vertebrae exactly.  Its top is the
upper vertebra's inferior endplate and its bottom the lower vertebra's
superior endplate, both read from :func:`.vertebra.endplate_z` in each
vertebra's own frame, so the disc meets the concave bony endplates without a
gap and without overlap, and follows them when the bones are retuned.  Its
outline blends from the lower vertebra's outline at the bottom to the upper
one's at the top, with a slight physiological bulge at mid-height.

Inside, three parts share the space without overlapping:

* the cartilage endplates, 0.7 mm slabs on the central endplate inside the
  ring apophysis, built analytically (too thin to contour);
* the nucleus, a rounded core with the disc's own outline shrunk to the
  published share of the cross-section, reaching from cartilage to
  cartilage;
* the annulus, everything else: one ring around the nucleus, closed above and
  below by the cartilage and, at its rim, by the bony ring apophysis.  Shallow
  circumferential ridges on its outer wall stand for its lamellae.

Lamellae in a cut: every annulus mesh carries two point-data arrays,
``"lamella_position"`` (0 at the nucleus, 1 at the outer wall: the
normalised radial position across the annulus) and ``"lamella"``
(``cos(2 pi * LAMELLA_COUNT * position)``, in [-1, 1], one period per
lamella).  A cut face made by ``clip_closed_surface`` has vertices only on
its outline, so to band it a renderer refines the cut face (e.g.
``subdivide_adaptive``) and evaluates :func:`lamella_bands` with the disc's
fields (``model.fields`` cannot tell the disc's outer wall from its nucleus,
so use :func:`disc_fields` or :func:`lamella_of_model`); a subtle tint of the
annulus colour by ``lamella`` (a few percent of lightness) reads as layers.

The keyword options are the hooks of the conditions layer; their defaults
describe a healthy disc and give exactly the no-argument geometry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pyvista as pv
from vtkmodules.vtkFiltersCore import vtkCleanPolyData, vtkPolyDataConnectivityFilter

from . import sdf
from .dimensions import VERTEBRAE, recipe, value
from .frames import Frame, Placement
from .part_cache import PartCache, kept_table, placement_key
from .sdf import rotation_x
from .surface import BLOCK, LEVELS, LIPSCHITZ, contour_volume, sample
from .tubes import disk_grid, grid_slab
from .vertebra import endplate_rim_z, endplate_z, outline_field

PHYSIOLOGICAL_BULGE = 0.8
"""Healthy outward bulge of the annulus at mid-height, mm.  Model: a normal
disc's wall is gently convex between the rims (bulge beyond the rims counts as
a finding only when > 25% of the circumference, MSU/Fardon 2014 nomenclature
in the design reference); 0.8 mm keeps it visible and below a finding."""

LAMELLA_DEPTH = 0.3
"""Depth of the circumferential grooves between outer lamellae, mm.  Model:
shallow enough not to change the disc's measured heights, deep enough to show
at 1 mm contour spacing."""

LAMELLA_PITCH = 3.2
"""Height of one ridge of the outer wall, mm.  Model: the annulus has 15-25
lamellae (Marchand & Ahmed 1990) too thin to draw; a few wide ridges read as
layers."""

LAMELLA_COUNT = 20
"""Concentric lamellae across the annulus, for the banding of cut faces.
Marchand & Ahmed 1990: 15-25 lamellae (model: the middle of the range)."""

NUCLEUS_ROUNDING = 1.5
"""Rounding of the nucleus' rim where it meets the cartilage, mm (model)."""

NUCLEUS_CONTACT_LIFT = 0.6
"""How far up its rounding (a fraction of it) the nucleus' rim meets the
cartilage: where a circular rounding would meet it at about 65 degrees
instead of tangentially (model; see :func:`disc_fields`)."""

NUCLEUS_SHIFT = 0.8
"""Posterior offset of the nucleus from the disc's centre, mm.  Model: the
nucleus lies slightly behind the centre (the posterior annulus is thinner)."""

CARTILAGE_SCALE = 0.80
"""Outline scale of the cartilage endplate: it covers the central endplate and
the inner annulus but not the ring apophysis, which is 3-7 mm wide (Wang 2012),
i.e. about 80% of the outline (model, ≈ 4.7 mm lateral, 3.5 mm posterior)."""


def nucleus_fraction() -> float:
    """Published share of the disc cross-section taken by the nucleus."""
    return value(recipe()["disc"]["nucleus_area_fraction"])


def cartilage_thickness() -> float:
    """Cartilage endplate thickness in mm (recipe)."""
    return value(recipe()["endplate"]["cartilage_thickness"])


# ---------------------------------------------------------------------------
# frames
# ---------------------------------------------------------------------------


def _angle(frame: Frame) -> float:
    r = frame.rotation
    return float(np.degrees(np.arctan2(r[2, 1], r[1, 1])))


def disc_frame(place: Placement, disc: str) -> Frame:
    """World frame of a disc's mid-plane.

    Origin halfway between the centres of the two rim planes; the axes
    halfway in angle between the two endplates, +z up, +y posterior.
    """
    upper, lower = disc.split("-")
    fu = place.endplate_frame(upper, "inferior")
    fl = place.endplate_frame(lower, "superior")
    cu = place.frames[upper].to_world(
        np.array([[0.0, 0.0, float(endplate_rim_z(place.shapes[upper], "inferior", np.array(0.0)))]])
    )[0]
    cl = place.frames[lower].to_world(
        np.array([[0.0, 0.0, float(endplate_rim_z(place.shapes[lower], "superior", np.array(0.0)))]])
    )[0]
    return Frame(rotation_x((_angle(fu) + _angle(fl)) / 2), (cu + cl) / 2)


def with_disc_height(place: Placement, disc: str, height_factor: float) -> Placement:
    """The placement with one disc's height scaled, vertebrae above it moved down.

    A degenerate disc loses height (Pfirrmann grades IV-V); the vertebrae
    above it settle onto it.  Anterior and posterior heights both scale by
    ``height_factor``; the lower vertebra stays put and every vertebra above
    the disc moves rigidly with the upper one, so all parts built from the
    returned placement (discs, roots, ligaments) follow.

    Parameters
    ----------
    place : Placement
        The healthy placement.
    disc : str
        ``"L4-L5"``.
    height_factor : float
        1 = healthy; 0.5 = half height.  Must be in (0.1, 1.5].
    """
    if not 0.1 < height_factor <= 1.5:
        msg = f"height_factor: {height_factor!r} is out of range; use a number in (0.1, 1.5]"
        raise ValueError(msg)
    if disc not in place.discs:
        msg = f"disc: {disc!r} is unknown; choose one of {', '.join(place.discs)}"
        raise ValueError(msg)
    geo = place.discs[disc]
    if height_factor == 1.0:
        return place
    base = place.endplate_frame(geo.lower, "superior")
    hp, ha = geo.posterior_height, geo.anterior_height
    w_old = np.degrees(np.arctan2(ha - hp, geo.depth))
    w_new = np.degrees(np.arctan2(height_factor * (ha - hp), geo.depth))
    old_top = Frame(np.eye(3), np.array([0.0, 0.0, hp])).compose(Frame(rotation_x(-w_old), np.zeros(3)))
    new_top = Frame(np.eye(3), np.array([0.0, 0.0, height_factor * hp])).compose(
        Frame(rotation_x(-w_new), np.zeros(3))
    )
    move = base.compose(new_top).compose(old_top.inverse()).compose(base.inverse())
    above = VERTEBRAE[: VERTEBRAE.index(geo.lower)]
    frames = {v: (move.compose(f) if v in above else f) for v, f in place.frames.items()}
    discs = dict(place.discs)
    discs[disc] = dataclasses.replace(
        geo,
        anterior_height=ha * height_factor,
        posterior_height=hp * height_factor,
        middle_height=geo.middle_height * height_factor,
    )
    return Placement(place.shapes, frames, discs)


# ---------------------------------------------------------------------------
# fields
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DiscFields:
    """World implicit fields of one disc's parts (negative inside)."""

    whole: sdf.Field
    annulus: sdf.Field
    nucleus: sdf.Field
    cartilage_superior: sdf.Field
    cartilage_inferior: sdf.Field
    halves: object = dataclasses.field(default=None, repr=False, compare=False)
    """``halves(part, half)``: the annulus' or nucleus' field cut at mid-height,
    keeping the ``"superior"`` or ``"inferior"`` half (the framing half discs),
    sharing one evaluation of the disc's columns with the cut."""
    both: object = dataclasses.field(default=None, repr=False, compare=False)
    """``both(half)``: ``points -> (annulus, nucleus)`` values from one
    evaluation (``half`` None for the whole disc, else as in ``halves``)."""


def disc_fields(
    place: Placement,
    disc: str,
    *,
    bulge: float = 0.0,
    nucleus_scale: float = 1.0,
    nucleus_blur: float = 0.0,
    fissures: Sequence[tuple[float, float]] = (),
) -> DiscFields:
    """Implicit fields of a disc's annulus, nucleus and cartilage endplates.

    Parameters
    ----------
    place : Placement
        Vertebra shapes and frames (e.g. :func:`.frames.placement`).
    disc : str
        ``"L4-L5"``.
    bulge : float, optional
        Extra circumferential bulge at mid-height in mm beyond the healthy
        one (a bulging disc: 1-3 mm).
    nucleus_scale : float, optional
        Scale of the nucleus' cross-section area (1 = the published 42%;
        a degenerate, dehydrated nucleus shrinks).
    nucleus_blur : float, optional
        Extra rounding of the nucleus-annulus boundary in mm (the boundary
        fades with degeneration, Pfirrmann III+).
    fissures : sequence of (angle_deg, depth), optional
        Radial annular fissures.  ``angle_deg`` is the direction seen from
        above, 0 = straight back (posterior), +90 = patient's left;
        ``depth`` is the fraction of the annulus torn from the nucleus
        outward (1 = reaching the outer wall).  Nucleus tissue fills the
        tear, so the two parts still do not overlap.
    """
    healthy = bulge == 0.0 and nucleus_scale == 1.0 and nucleus_blur == 0.0 and not fissures
    if healthy:
        key = (disc, placement_key(place))
        if key not in _HEALTHY_FIELDS:
            if len(_HEALTHY_FIELDS) > 32:
                _HEALTHY_FIELDS.clear()
            _HEALTHY_FIELDS[key] = _disc_fields(place, disc, 0.0, 1.0, 0.0, ())
        return _HEALTHY_FIELDS[key]
    return _disc_fields(place, disc, bulge, nucleus_scale, nucleus_blur, fissures)


_HEALTHY_FIELDS: dict[tuple, DiscFields] = kept_table()
"""Fields of healthy discs by placement: the nerves and ligaments ask for them
again and again, and finding the nucleus' size costs a grid of samples."""


def _disc_fields(place, disc, bulge, nucleus_scale, nucleus_blur, fissures) -> DiscFields:
    upper, lower = disc.split("-")
    su, sl = place.shapes[upper], place.shapes[lower]
    fu, fl = place.frames[upper], place.frames[lower]
    frame = disc_frame(place, disc)
    tc = cartilage_thickness()

    def columns(p):
        qu, ql = fu.to_local(p), fl.to_local(p)
        top = endplate_z(su, "inferior", qu[:, 0], qu[:, 1]) - qu[:, 2]
        bot = ql[:, 2] - endplate_z(sl, "superior", ql[:, 0], ql[:, 1])
        t = np.clip(bot / np.maximum(top + bot, 1e-6), 0.0, 1.0)
        return qu, ql, top, bot, t

    def blend(qu, ql, t, scale, shift=0.0):
        return (1 - t) * outline_field(sl, ql[:, 0], ql[:, 1] - shift, scale) + t * outline_field(
            su, qu[:, 0], qu[:, 1] - shift, scale
        )

    def whole_of(c):
        qu, ql, top, bot, t = c
        height = np.maximum(top + bot, 1e-6)
        lower_outline = outline_field(sl, ql[:, 0], ql[:, 1])
        upper_outline = outline_field(su, qu[:, 0], qu[:, 1])
        amount = PHYSIOLOGICAL_BULGE + bulge
        radial = (1 - t) * lower_outline + t * upper_outline - 4 * t * (1 - t) * amount
        # Ridges one pitch apart counted from mid-height, fading toward the
        # rims: a continuous phase (a ridge count rounded from the local
        # height jumped where the height crossed a half pitch) and a slope
        # of at most pi * depth / pitch ~ 0.3 whatever the height.
        phase = np.pi * (bot - top) / LAMELLA_PITCH
        groove = LAMELLA_DEPTH * 0.5 * (1 - np.cos(phase)) * np.sin(np.pi * t)
        # Blending two outlines and bulging along the height tilts the wall,
        # which makes the blend change faster than distance by the factor
        # below (its rate along the height over the height); dividing by it
        # keeps the field a distance bound without moving its zero level.
        tilt = (upper_outline - lower_outline - 4 * (1 - 2 * t) * amount) / height
        radial = (radial + groove) / np.sqrt(1 + tilt * tilt)
        return np.maximum(radial, np.maximum(-top, -bot))

    def whole(p):
        return whole_of(columns(p))

    def cartilage_of(side):
        shape = su if side == "superior" else sl
        bony = "inferior" if side == "superior" else "superior"
        sign = 1.0 if side == "superior" else -1.0

        def field(q):
            ez = endplate_z(shape, bony, q[:, 0], q[:, 1])
            # superior cartilage hangs below the upper bone: ez - tc <= z <= ez
            inside_z = sdf.slab(sign * (q[:, 2] - ez), -tc, 0.0)
            return np.maximum(outline_field(shape, q[:, 0], q[:, 1], CARTILAGE_SCALE), inside_z)

        return field

    sup_of, inf_of = cartilage_of("superior"), cartilage_of("inferior")

    def cart_sup(p):
        return sup_of(fu.to_local(p))

    def cart_inf(p):
        return inf_of(fl.to_local(p))

    scale_n = _nucleus_scale(place, disc, whole, nucleus_scale)
    fissure_list = [(float(a), float(d)) for a, d in fissures]

    def fissure_field(p, qu, ql, t):
        if not fissure_list:
            return np.full(len(p), np.inf)
        q = frame.to_local(p)
        d = np.full(len(p), np.inf)
        # The tear is a thin radial slit through the middle of the height.
        off_mid = np.abs(t - 0.5) * 2 - 0.6
        for angle, depth in fissure_list:
            a = np.radians(angle)
            direction = np.array([np.sin(a), np.cos(a)])
            along = q[:, :2] @ direction
            across = q[:, :2] @ np.array([-direction[1], direction[0]])
            reach = blend(qu, ql, t, scale_n + np.clip(depth, 0.0, 1.0) * (1 - scale_n), NUCLEUS_SHIFT)
            d = np.minimum(d, np.maximum.reduce([np.abs(across) - 0.8, -along, reach, off_mid * 4.0]))
        return d

    def nucleus_of(p, c, w):
        qu, ql, top, bot, t = c
        radial = blend(qu, ql, t, scale_n, NUCLEUS_SHIFT)
        vertical = np.maximum(tc - top, tc - bot)
        # The rounded rim is cut off part way up its rounding: the annulus
        # between it and the cartilage then ends in an edge steeper than
        # 60 degrees, not in a tangential cusp thinner than any grid, whose
        # two faces contouring puts back to back (folded triangles).
        rounding = NUCLEUS_ROUNDING + nucleus_blur
        lift = NUCLEUS_CONTACT_LIFT * rounding
        d = np.maximum(sdf.smooth_intersect(radial, vertical - lift, rounding), vertical)
        d = np.minimum(d, np.maximum(fissure_field(p, qu, ql, t), vertical))
        return np.maximum(d, w + 0.6)

    def nucleus(p):
        c = columns(p)
        return nucleus_of(p, c, whole_of(c))

    def annulus_of(p, c):
        # The parts share one evaluation of the columns and the wall.
        w = whole_of(c)
        return np.maximum.reduce([w, -nucleus_of(p, c, w), -sup_of(c[0]), -inf_of(c[1])])

    def annulus(p):
        return annulus_of(p, columns(p))

    parts_of = {"annulus": annulus_of, "nucleus": lambda p, c: nucleus_of(p, c, whole_of(c))}

    def halves(part, half):
        of = parts_of[part]

        def halved(p):
            c = columns(p)
            # Positive on the discarded side of the mid-height surface.
            keep_upper = (c[3] - c[2]) / 2
            return np.maximum(of(p, c), -keep_upper if half == "superior" else keep_upper)

        return halved

    def both(half):
        def values(p):
            c = columns(p)
            w = whole_of(c)
            nuc = nucleus_of(p, c, w)
            ann = np.maximum.reduce([w, -nuc, -sup_of(c[0]), -inf_of(c[1])])
            if half is None:
                return ann, nuc
            keep_upper = (c[3] - c[2]) / 2
            cut = -keep_upper if half == "superior" else keep_upper
            return np.maximum(ann, cut), np.maximum(nuc, cut)

        return values

    return DiscFields(whole, annulus, nucleus, cart_sup, cart_inf, halves, both)


def _nucleus_scale(place: Placement, disc: str, whole: sdf.Field, nucleus_scale: float) -> float:
    """Outline scale that gives the nucleus its published share of the mid-plane."""
    frame = disc_frame(place, disc)
    upper, lower = disc.split("-")
    su, sl = place.shapes[upper], place.shapes[lower]
    half = max(su.half_width, sl.half_width) + 4
    g = np.arange(-half, half, 0.25)
    disc_area = _count_inside(lambda x, y: whole(frame.to_world(np.c_[x, y, np.zeros(len(x))])), g)
    own = sum(
        _count_inside(lambda x, y, s=s: outline_field(s, x, y - NUCLEUS_SHIFT, 1.0), g) for s in (su, sl)
    )
    # Area grows with the square of the outline scale.
    return float(np.sqrt(nucleus_fraction() * nucleus_scale * disc_area / (own / 2)))


def _count_inside(field2d, g: np.ndarray, block: int = 4) -> int:
    """How many points of the square grid ``g × g`` lie inside ``field2d(x, y) < 0``.

    Counted exactly, but the field is evaluated on every ``block``-th point
    and then only in the coarse cells whose corners allow the outline to
    pass (slope at most :data:`.surface.LIPSCHITZ`, or corners of both
    signs); the other points take their cell's sign.
    """
    n = len(g)
    ci = np.arange(0, n, block)
    m = ci[-1] + 1
    cx, cy = np.meshgrid(g[ci], g[ci], indexing="ij")
    coarse = field2d(cx.ravel(), cy.ravel()).reshape(cx.shape)
    a, b, c, d = coarse[:-1, :-1], coarse[1:, :-1], coarse[:-1, 1:], coarse[1:, 1:]
    t2 = (LIPSCHITZ * float(np.hypot(g[ci[1]] - g[0], g[ci[1]] - g[0]))) ** 2 if len(ci) > 1 else 0.0
    corners = np.stack([a, b, c, d])
    near = ((a * a + d * d <= t2) & (b * b + c * c <= t2)) | ((corners.min(0) < 0) & (corners.max(0) >= 0))
    exact = np.ones((n, n), bool)
    cover = np.zeros((m, m), bool)
    cover[:-1, :-1] = np.repeat(np.repeat(near, block, 0), block, 1)
    cover[1:] |= cover[:-1].copy()
    cover[:, 1:] |= cover[:, :-1].copy()
    exact[:m, :m] = cover
    inside = np.zeros((n, n), bool)
    inside[:m, :m] = np.pad(np.repeat(np.repeat(a < 0, block, 0), block, 1), ((0, 1), (0, 1)), mode="edge")
    i, j = np.nonzero(exact)
    inside[i, j] = field2d(g[i], g[j]) < 0
    return int(np.count_nonzero(inside))


def lamella_position(fields: DiscFields, points: np.ndarray) -> np.ndarray:
    """Normalised radial position across the annulus, 0 at the nucleus and 1 at the outer wall.

    The ratio of the distance out of the nucleus to the annulus' thickness
    through the point (from the two fields), so its level sets are rings
    following both the nucleus and the outline.
    """
    points = np.asarray(points, float)
    depth = np.maximum(-fields.whole(points), 0.0)
    out_of_nucleus = np.maximum(fields.nucleus(points), 0.0)
    return np.clip(out_of_nucleus / np.maximum(out_of_nucleus + depth, 1e-6), 0.0, 1.0)


def lamella_bands(fields: DiscFields, points: np.ndarray, *, count: int = LAMELLA_COUNT) -> np.ndarray:
    """``cos(2 pi count position)`` across the annulus: one period per lamella, in [-1, 1]."""
    return np.cos(2 * np.pi * count * lamella_position(fields, points))


def lamella_of_model(model, disc: str):
    """``points -> lamella bands`` of a built model's (healthy) disc, for banding a cut face."""
    fields = disc_fields(model.placement, disc)
    return lambda points: lamella_bands(fields, points)


# ---------------------------------------------------------------------------
# meshes
# ---------------------------------------------------------------------------


def largest_piece(mesh: pv.PolyData) -> pv.PolyData:
    """The largest connected piece of a mesh (crumbs left by carving dropped)."""
    if mesh.n_cells == 0:
        return mesh
    # VTK's filters driven directly: pyvista's connectivity() labels every
    # region and thresholds them, several times the cost.
    largest = vtkPolyDataConnectivityFilter()
    largest.SetInputData(mesh)
    largest.SetExtractionModeToLargestRegion()
    clean = vtkCleanPolyData()
    clean.SetInputConnection(largest.GetOutputPort())
    clean.Update()
    return pv.wrap(clean.GetOutput())


def disc_bounds(place: Placement, disc: str, margin: float = 4.0) -> tuple[float, ...]:
    """World box containing the disc (with ``margin`` mm to spare)."""
    upper, lower = disc.split("-")
    corners = []
    for v, side in ((upper, "inferior"), (lower, "superior")):
        s = place.shapes[v]
        for y in (-s.half_depth, s.half_depth):
            z = float(endplate_rim_z(s, side, np.array(y)))
            for x in (-s.half_width, s.half_width):
                corners.append(place.frames[v].to_world(np.array([[x, y, z]]))[0])
    c = np.array(corners)
    lo, hi = c.min(axis=0) - margin, c.max(axis=0) + margin
    return (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])


def cartilage_mesh(place: Placement, disc: str, side: str, *, n: int = 24) -> pv.PolyData:
    """Analytic closed slab of one cartilage endplate, world coordinates.

    ``side`` is the disc's side: ``"superior"`` lies on the upper vertebra's
    inferior endplate.  Its faces follow the bony endplate exactly, 0.7 mm
    thick (recipe), over the central endplate inside the ring apophysis.
    """
    upper, lower = disc.split("-")
    v, bony, sign = (upper, "inferior", -1.0) if side == "superior" else (lower, "superior", 1.0)
    shape, frame = place.shapes[v], place.frames[v]
    rho, phi = disk_grid(n)
    radius = _outline_radius(lambda x, y: outline_field(shape, x, y, CARTILAGE_SCALE), phi.ravel())
    r = rho.ravel() * radius
    x, y = r * np.cos(phi.ravel()), r * np.sin(phi.ravel())
    ez = endplate_z(shape, bony, x, y)
    bone_side = np.c_[x, y, ez].reshape(n, n, 3)
    disc_side = np.c_[x, y, ez + sign * cartilage_thickness()].reshape(n, n, 3)
    lower_face, upper_face = (disc_side, bone_side) if side == "superior" else (bone_side, disc_side)
    mesh = grid_slab(lower_face, upper_face)
    return mesh.transform(frame.matrix, inplace=False)


def _outline_radius(field2d, phi: np.ndarray, r_max: float = 60.0) -> np.ndarray:
    """Distance from the origin to a 2-D outline's zero crossing along each angle."""
    lo = np.zeros_like(phi)
    hi = np.full_like(phi, r_max)
    c, s = np.cos(phi), np.sin(phi)
    # 26 halvings of 60 mm: within 1e-6 mm.
    for _ in range(26):
        mid = (lo + hi) / 2
        inside = field2d(mid * c, mid * s) < 0
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    return (lo + hi) / 2


def disc_parts(
    place: Placement,
    disc: str,
    *,
    spacing: float,
    half: str | None = None,
    bulge: float = 0.0,
    nucleus_scale: float = 1.0,
    nucleus_blur: float = 0.0,
    fissures: Sequence[tuple[float, float]] = (),
) -> tuple[dict[str, pv.PolyData], dict[str, sdf.Field]]:
    """Meshes and world fields of one disc's annulus, nucleus and cartilage.

    Parameters
    ----------
    place : Placement
        Vertebra shapes and frames.
    disc : str
        ``"L4-L5"``.
    spacing : float
        Contour grid spacing in mm (the detail setting).
    half : {None, "superior", "inferior"}, optional
        Build only the upper or lower half of the disc, cut at mid-height,
        with the cartilage on that side (the framing half discs).
    bulge, nucleus_scale, nucleus_blur, fissures
        Condition hooks; see :func:`disc_fields`.

    Returns
    -------
    meshes, fields : dict
        Keyed ``"L4-L5.annulus"``, ``"L4-L5.nucleus"``,
        ``"L4-L5.cartilage.superior"``, ``"L4-L5.cartilage.inferior"``.
    """
    if half not in (None, "superior", "inferior"):
        msg = f"half: {half!r} is not allowed; choose superior, inferior or None"
        raise ValueError(msg)
    f = disc_fields(
        place, disc, bulge=bulge, nucleus_scale=nucleus_scale, nucleus_blur=nucleus_blur, fissures=fissures
    )
    bounds = disc_bounds(place, disc)
    if half is None:
        fields = {f"{disc}.annulus": f.annulus, f"{disc}.nucleus": f.nucleus}
    else:
        fields = {f"{disc}.{part}": f.halves(part, half) for part in ("annulus", "nucleus")}
    meshes = _contour_both(f.both(half), fields, bounds, spacing)
    if fissures:
        # A tear grazing the nucleus' rounded rim can leave a crumb of a few
        # triangles of annulus; it is no anatomy.
        meshes = {name: largest_piece(m) for name, m in meshes.items()}
    annulus = meshes[f"{disc}.annulus"]
    position = lamella_position(f, annulus.points)
    annulus.point_data["lamella_position"] = position.astype(np.float32)
    annulus.point_data["lamella"] = np.cos(2 * np.pi * LAMELLA_COUNT * position).astype(np.float32)
    sides = ("superior", "inferior") if half is None else (half,)
    for side in sides:
        name = f"{disc}.cartilage.{side}"
        meshes[name] = cartilage_mesh(place, disc, side)
        fields[name] = f.cartilage_superior if side == "superior" else f.cartilage_inferior
    return meshes, fields


def _contour_both(both, fields: dict, bounds, spacing: float) -> dict[str, pv.PolyData]:
    """Annulus and nucleus contoured (as :func:`.surface.contour` would) from shared evaluations.

    The two surfaces meet along the nucleus' boundary and every evaluation
    of the disc gives both values: the nucleus' values found while sampling
    the annulus are kept by grid point and reused, so its own sample
    evaluates the disc again only where the annulus' band did not reach.
    """
    (a_name, a_field), (n_name, n_field) = fields.items()
    step = np.full(3, float(spacing))
    lo = np.asarray(bounds[0::2], float) - 2 * step
    hi = np.asarray(bounds[1::2], float) + 2 * step
    # The sample grows its grid to whole coarsest cells (see surface.sample).
    unit = BLOCK**LEVELS
    shape = tuple((np.maximum(np.ceil((hi - lo) / (step * unit)).astype(int), 1) * unit + 1)[::-1])
    kept = np.zeros(shape)
    known = np.zeros(shape, bool)

    def index(p):
        i = np.rint((p - lo) / step).astype(int)
        return i[:, 2], i[:, 1], i[:, 0]

    def annulus(p):
        a, n = both(p)
        at = index(p)
        kept[at] = n
        known[at] = True
        return a

    def nucleus(p):
        at = index(p)
        hit = known[at]
        out = kept[at]
        if not hit.all():
            out[~hit] = both(p[~hit])[1]
        return out

    def own(values, _origin, _spacing):
        return [values]

    meshes = {}
    for name, sampled, field in ((a_name, annulus, a_field), (n_name, nucleus, n_field)):
        vol = sample(sampled, lo, hi, step, surfaces=own)
        meshes[name] = contour_volume(vol, lo, step, field=field)
    return meshes


_DISCS = PartCache()


def build_discs(levels, place: Placement, spacing: float):
    """Model builder: every disc between the built vertebrae and the two half discs.

    Healthy discs are shared between builds (:mod:`.part_cache`).
    """
    return _DISCS.get((levels, spacing, placement_key(place)), lambda: _build_discs(levels, place, spacing))


def _build_discs(levels, place: Placement, spacing: float):
    meshes: dict[str, pv.PolyData] = {}
    fields: dict[str, sdf.Field] = {}
    jobs = [(d, None) for d in levels.discs] + list(levels.half_discs)
    for d, half in jobs:
        m, f = disc_parts(place, d, spacing=spacing, half=half)
        meshes.update(m)
        fields.update(f)
    return meshes, fields
