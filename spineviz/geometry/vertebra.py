"""Lumbar vertebrae and the top of the sacrum as implicit solids.

Every vertebra is built in its own local frame — origin at the centre of the
vertebral body, +x toward the patient's left, +y posterior, +z superior — and
placed on the lordotic curve by :mod:`.frames`.  All lengths in mm.

The bone is one field: a waisted body with concave endplates, blended with
a neural arch drawn as an anatomy atlas draws a lumbar vertebra, from
rounded plates (:class:`.sdf.Plate`) and round-ended lobes
(:class:`.sdf.Blade`): short oval pedicles; laminae that slope back as they
go down and meet at the spinous root; a pars interarticularis narrower than
the processes it joins; superior articular processes rising as lobes with a
mamillary process on their posterior rim; inferior articular processes
hanging down and tapering to a rounded tip; transverse processes flattened
from front to back, tapering to a rounded tip, with an accessory process at
the root; a hatchet-shaped spinous process, fuller at its tubercle.  The
arch is symmetric, so one side is modelled and the field is read at
``|x|``.  The articular processes are cut by the facet joint surface that
the vertebra shares with its neighbour (:class:`FacetJoint`), so the
superior process of one vertebra and the inferior process of the one above
face each other across a joint space of about 1.5 mm.

Published dimensions (endplate width, posterior body height, canal width and
depth, pedicle width) come from ``meshes/levels.toml``; the proportions that
the literature does not give were tuned against the Clouthier 2023 mean
lumbar surface (see ``meshes/README.md``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from . import sdf
from .dimensions import VERTEBRAE, recipe, value, vertebra_measures

# ---------------------------------------------------------------------------
# shape numbers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetJoint:
    """One facet joint (the +x one; the other is its mirror), local frame.

    The joint surface is a vertical cylinder of radius ``radius`` whose
    axis stands ``radius`` mm from ``centre`` along ``normal``: the superior
    articular process of the lower vertebra lies outside it (its facet is
    concave and faces posteromedially, along ``normal``), the inferior
    process of the upper vertebra inside (convex, facing anterolaterally).
    Each is kept ``gap / 2`` from the surface.
    """

    centre: tuple[float, float, float]
    normal: tuple[float, float, float]
    axis: tuple[float, float, float]
    radius: float
    gap: float

    @classmethod
    def make(cls, centre, normal, axis, *, radius: float, gap: float) -> FacetJoint:
        """A joint from array-like vectors (stored as tuples: shapes stay hashable)."""

        def vec(v):
            return tuple(float(c) for c in np.asarray(v, float))

        return cls(vec(centre), vec(normal), vec(axis), float(radius), float(gap))

    def field(self, p: np.ndarray) -> np.ndarray:
        """Signed distance to the joint surface, negative on the inferior-process side."""
        n = np.asarray(self.normal)
        a = np.asarray(self.axis)
        q = p - (np.asarray(self.centre) + self.radius * n)
        radial = q - np.outer(q @ a, a)
        return np.linalg.norm(radial, axis=1) - self.radius

    def moved(self, rotation: np.ndarray, origin: np.ndarray) -> FacetJoint:
        """The same joint in another frame (``new = rotation @ old + origin``)."""
        return FacetJoint.make(
            rotation @ np.asarray(self.centre) + origin,
            rotation @ np.asarray(self.normal),
            rotation @ np.asarray(self.axis),
            radius=self.radius,
            gap=self.gap,
        )


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
    waist: float = 0.045
    squareness: float = 2.4
    notch: float = 0.5
    sacral: bool = False
    pedicle_height: float = 15.0
    pedicle_angle: float = 15.0
    transverse_reach: float = 45.0
    spinous_reach: float = 68.0
    spinous_height: float = 22.0
    articular_top: float = 23.0
    articular_bottom: float = -22.0
    facet_angle: float = 60.0
    facet_superior: FacetJoint | None = field(default=None, repr=False)
    facet_inferior: FacetJoint | None = field(default=None, repr=False)

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
        body centre).  :mod:`.frames` sets them so that vertebrae and discs
        together make the published segmental lordosis.

    Returns
    -------
    VertebraShape
        With default facet joints (:func:`default_facet`); :func:`.frames.placement`
        replaces them by the joints shared with the actual neighbours.
    """
    if level not in VERTEBRAE:
        msg = f"level: unknown vertebra {level!r}; allowed: {', '.join(VERTEBRAE)}"
        raise ValueError(msg)
    m = vertebra_measures(level)
    ep = recipe()["endplate"]
    shape = VertebraShape(
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
        pedicle_height=value(m["pedicle_height"]),
        pedicle_angle=value(m["pedicle_angle"]),
        transverse_reach=value(m["transverse_reach"]),
        spinous_reach=value(m["spinous_reach"]),
        spinous_height=value(m["spinous_height"]),
        articular_top=value(m["articular_top"]),
        articular_bottom=value(m["articular_bottom"]),
        facet_angle=value(m["facet_angle"]),
    )
    return with_facets(shape, default_facet(shape, "superior"), default_facet(shape, "inferior"))


def with_facets(
    shape: VertebraShape, superior: FacetJoint | None, inferior: FacetJoint | None
) -> VertebraShape:
    """A copy of ``shape`` with other facet joints."""
    from dataclasses import replace

    return replace(shape, facet_superior=superior, facet_inferior=inferior)


def default_facet(shape: VertebraShape, side: str) -> FacetJoint | None:
    """The facet joint above (``"superior"``) or below a vertebra, own frame.

    The superior joint is designed from the vertebra's own numbers: it sits
    on its superior articular process, at the height of the disc above.  The
    inferior joint (used when the vertebra below is not known) assumes a
    typical disc and neighbour.  :func:`.frames.placement` moves the lower
    vertebra's superior joint into the upper vertebra's frame instead.
    """
    if side == "inferior" and shape.sacral:
        return None
    b = shape.half_depth
    hp = shape.posterior_height / 2
    alpha = np.radians(shape.facet_angle)
    normal = np.array([-np.sin(alpha), np.cos(alpha), 0.0])
    x = joint_x(shape)
    if side == "superior":
        centre = np.array([x, b + 15.0, hp + 5.5])
    else:
        centre = np.array([x - 1.5, b + 14.5, -hp - 7.5])
    return FacetJoint.make(centre, normal, (0.0, 0.0, 1.0), radius=16.0, gap=1.8)


def joint_x(shape: VertebraShape) -> float:
    """Lateral offset of the superior facet joint's centre."""
    return shape.canal_width / 2 + 5.0 + (3.0 if shape.sacral else 0.0)


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
    inferior) over the central ~70% of the diameter, inside the flat ring
    apophysis.
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
    """The vertebral body: waisted, with concave endplates and a rounded rim.

    The waist narrows the body by ``waist`` at mid-height; toward each
    endplate the wall flares out to the ring apophysis, the thick cortical
    rim on which the disc's annulus inserts.
    """

    def field(p: np.ndarray) -> np.ndarray:
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        top = endplate_z(shape, "superior", x, y)
        bottom = endplate_z(shape, "inferior", x, y)
        half = np.maximum((top - bottom) / 2, 1.0)
        t = np.clip((z - (top + bottom) / 2) / half, -1.0, 1.0)
        scale = 1.0 - shape.waist * (1.0 - t * t) ** 1.5
        radial = outline_field(shape, x, y, scale)
        if shape.sacral:
            # Only the top of the sacrum is drawn: the first segment ends in
            # a flat cut, and the body widens into the alae below its rim.
            bottom = np.full_like(z, -shape.posterior_height / 2)
        vertical = sdf.slab(z, bottom, top)
        return sdf.smooth_intersect(radial, vertical, 1.5)

    return field


# ---------------------------------------------------------------------------
# neural arch
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchLandmarks:
    """Key points of the posterior elements in the local frame (mm), +x side.

    Mirror ``x`` for the other side.  The points are where the parts are
    built from, so other structures (nerve roots, ligaments, muscles) can be
    placed against the bone without searching it.
    """

    pedicle_front: np.ndarray
    pedicle_back: np.ndarray
    lamina_top: np.ndarray
    lamina_bottom: np.ndarray
    spinous_root: np.ndarray
    spinous_tip: np.ndarray
    transverse_tip: np.ndarray
    superior_facet: np.ndarray
    inferior_facet: np.ndarray
    pedicle_center: np.ndarray = None
    foramen_center: np.ndarray = None
    """Centre of the intervertebral foramen below this vertebra's pedicle,
    behind the disc below: where this level's nerve root leaves the canal."""
    lamina_inner_top: np.ndarray = None
    """The canal-facing surface of the lamina near its upper edge (where the
    ligamentum flavum from the vertebra above inserts)."""
    lamina_inner_bottom: np.ndarray = None
    """The canal-facing surface of the lamina near its lower edge."""
    facet_joint_superior: np.ndarray | None = None
    """Centre of the facet joint with the vertebra above (joint space)."""
    facet_joint_inferior: np.ndarray | None = None
    """Centre of the facet joint with the vertebra below (joint space)."""
    canal_center: np.ndarray = None
    """Middle of the vertebral canal at pedicle height, on the midline."""


@dataclass(frozen=True)
class _ArchPlan:
    """Internal: the plates of one side of the arch and their key points."""

    pedicle: tuple
    sup_along: np.ndarray
    lamina: tuple
    spinous: tuple
    transverse: tuple
    superior_process: tuple
    inferior_process: tuple | None
    pars: tuple
    ped_front: np.ndarray
    ped_back: np.ndarray
    ped_center: np.ndarray
    lam_top: np.ndarray
    lam_bottom: np.ndarray
    sp_root: np.ndarray
    sp_tip: np.ndarray
    tp_tip: np.ndarray
    sup_tip: np.ndarray
    inf_tip: np.ndarray
    canal_back_y: float


def _plan(shape: VertebraShape) -> _ArchPlan:
    b = shape.half_depth
    hp = shape.posterior_height / 2
    cw = shape.canal_width / 2
    pw = shape.pedicle_width / 2
    ph = shape.pedicle_height / 2
    # The pedicle's narrowest point (where its width is measured) stands just
    # behind the body; its medial wall bounds the canal there.
    y_isthmus = b + 4.0
    pc = np.array([cw + pw, y_isthmus, hp - ph - 2.5])
    tan = np.tan(np.radians(shape.pedicle_angle))
    ped_front = pc + np.array([-tan * 10.0, -10.0, 0.0])
    ped_back = pc + np.array([tan * 6.0, 6.0, 0.5])
    canal_back = b + shape.canal_depth
    # Lamina: a broad plate from behind the pedicle to the midline behind
    # the canal, sloping back as it goes down.
    lam_lat = np.array([cw + 1.5, b + 11.0, 0.0])
    lam_med = np.array([-1.0, canal_back + 3.0, 0.0])
    # The sacral laminae leave a wide L5-S1 interlaminar window.
    lam_top_z = hp * (0.1 if shape.sacral else 0.55)
    lam_bot_z = -hp - 4.0
    thick = 2.9

    def slope_moves(z):
        # Where the laminae's slope (LAMINA_SLOPE about the pedicles' height)
        # puts the lamina at height z, from where the landmarks were first
        # placed (a 0.2 slope about the lamina's middle).
        return (pc[2] - z) * LAMINA_SLOPE - ((lam_top_z + lam_bot_z) / 2 - z) * 0.2

    sp_root = np.array([0.0, canal_back + 4.0, -hp * 0.1])
    sp_tip = np.array([0.0, shape.spinous_reach - 6.0, -hp * 0.5])
    sup = shape.facet_superior
    n_sup = np.asarray(sup.normal) if sup is not None else np.array([-0.87, 0.5, 0.0])
    t_sup = np.array([n_sup[1], -n_sup[0], 0.0])  # along the joint, anteromedial → posterolateral
    if t_sup[1] < 0:
        t_sup = -t_sup
    jc = np.asarray(sup.centre) if sup is not None else np.array([cw + 3.5, b + 13.5, hp + 5.5])
    sup_tip = jc + np.array([0.0, 0.0, shape.articular_top - jc[2] - 4.0])
    sup_base = np.array([pc[0] - 1.0, pc[1] + 6.0, pc[2] + 2.0])
    # The superior process: a thick curved blade behind the joint's outer side.
    sp_off = -(2.5 + 0.75) * n_sup
    # The lobe's round bottom reaches its radius below its lower end point:
    # raised, it leaves the canal's width at the pedicles as it was.
    superior_process = (
        sup_base + sp_off * 0.5 + 2.5 * t_sup + np.array([0.0, 0.0, 6.0]),
        sup_tip + sp_off + 1.5 * t_sup + np.array([0.0, 0.0, -5.0]),
        n_sup,
        (9.0, 7.0),
        (4.0, 3.0),
        2.5,
        t_sup,
    )
    inf = shape.facet_inferior
    if inf is not None:
        n_inf = np.asarray(inf.normal)
        inf_c = np.asarray(inf.centre)
        # The process ends about 9 mm below the joint's centre, whatever
        # the disc below: a thin disc must not push it into the pedicle below.
        inf_tip = np.array(
            [inf_c[0] - 1.0, inf_c[1] + 2.0, max(shape.articular_bottom + 1.0, inf_c[2] - 9.0)]
        )
        # Not more than 7 mm medial of its tip: over a wide joint below (L5-S1) the
        # process still hangs down instead of lying along the lamina.
        inf_top = np.array([max(cw * 0.8, inf_tip[0] - 7.0), canal_back + 1.0, -hp * 0.2])
        inferior_process = (
            inf_top + np.array([0.0, -2.0, -6.0]),
            inf_tip + 2.0 * n_inf + np.array([0, 0, 4.0]),
            n_inf,
            (6.8, 6.0),
            (5.5, 5.0),
            3.0,
            None,
        )
    else:
        inf_tip = np.array([cw * 0.9, canal_back + 4.0, lam_bot_z])
        inferior_process = None
    tp_root = np.array([pc[0] + pw * 0.3, pc[1] + 5.0, pc[2] + 2.5])
    tp_tip = np.array([shape.transverse_reach - 3.0, tp_root[1] + 8.0, tp_root[2]])
    return _ArchPlan(
        pedicle=(ped_front, ped_back, (ph, ph), (pw * 0.9, pw), min(pw, ph) * 0.6),
        sup_along=t_sup,
        lamina=(lam_lat, lam_med, lam_top_z, lam_bot_z, thick),
        spinous=(sp_root, sp_tip),
        transverse=(tp_root, tp_tip),
        superior_process=superior_process,
        inferior_process=inferior_process,
        pars=(np.array([pc[0] - 1.5, pc[1] + 8.0, pc[2] - 2.0]), inf_tip),
        ped_front=ped_front,
        ped_back=ped_back,
        ped_center=pc,
        lam_top=np.array([cw * 0.6, canal_back - 1.0 + slope_moves(lam_top_z), lam_top_z]),
        lam_bottom=np.array([cw * 0.6, canal_back + 3.0 + slope_moves(lam_bot_z), lam_bot_z]),
        sp_root=sp_root,
        sp_tip=sp_tip,
        tp_tip=tp_tip,
        sup_tip=sup_tip,
        inf_tip=inf_tip,
        canal_back_y=canal_back,
    )


def arch_landmarks(shape: VertebraShape) -> ArchLandmarks:
    """Landmarks of the arch (the +x side; mirror ``x`` for the other side)."""
    pl = _plan(shape)
    hp = shape.posterior_height / 2
    b = shape.half_depth
    lat = pl.lamina[0]
    med = pl.lamina[1]
    # Inner (canal) face of the lamina: the plate's anterior face, part way
    # from its lateral end to the midline.
    inward = _canal_side(lat, med)
    mid = lat + 0.45 * (med - lat)

    def shift(z):
        return _lamina_shift(pl, z)

    t = pl.lamina[4] + LAMINA_FORWARD
    ped_bottom = pl.ped_center[2] - shape.pedicle_height / 2
    foramen_z = (ped_bottom + (-hp - 4.0)) / 2 - 2.0
    return ArchLandmarks(
        pedicle_front=pl.ped_front,
        pedicle_back=pl.ped_back,
        lamina_top=pl.lam_top,
        lamina_bottom=pl.lam_bottom,
        spinous_root=pl.sp_root,
        spinous_tip=np.array([0.0, shape.spinous_reach, pl.sp_tip[2]]) if not shape.sacral else pl.sp_root,
        transverse_tip=pl.tp_tip,
        superior_facet=pl.sup_tip,
        inferior_facet=pl.inf_tip,
        pedicle_center=pl.ped_center,
        foramen_center=np.array([pl.ped_center[0] - 1.0, b + 3.5, foramen_z]),
        lamina_inner_top=np.array([mid[0], mid[1] + shift(pl.lamina[2] - 2.0), pl.lamina[2] - 2.0])
        + t * inward,
        lamina_inner_bottom=np.array([mid[0], mid[1] + shift(pl.lamina[3] + 3.0), pl.lamina[3] + 3.0])
        + t * inward,
        facet_joint_superior=None if shape.facet_superior is None else np.array(shape.facet_superior.centre),
        facet_joint_inferior=None if shape.facet_inferior is None else np.array(shape.facet_inferior.centre),
        canal_center=np.array([0.0, (b + pl.canal_back_y) / 2, pl.ped_center[2]]),
    )


@dataclass(frozen=True)
class _Piece:
    """Internal: one piece of the arch, blended into the pieces before it.

    ``plates`` are united with rounded creases of ``inner`` mm (the spinous
    process and its tip); ``cut``, if any, trims the piece (a facet joint).
    """

    plates: tuple
    blend: float
    cut: object = None
    inner: float = 0.0

    @property
    def lo(self) -> np.ndarray:
        return np.min([pl.lo for pl in self.plates], axis=0)

    @property
    def hi(self) -> np.ndarray:
        return np.max([pl.hi for pl in self.plates], axis=0)

    def __call__(self, q: np.ndarray) -> np.ndarray:
        # The first plate is the piece's bulk: the points asked about lie near
        # it, so it is evaluated throughout; the others (a process's knobs, a
        # spinous tubercle) only near their own boxes.
        d = self.plates[0](q)
        for pl in self.plates[1:]:
            d = sdf.smooth_union(d, sdf.culled(q, pl, pl.lo, pl.hi, CULL), self.inner)
        return d if self.cut is None else sdf.smooth_intersect(d, self.cut(q), 1.0)


def _plate(a, b, up, hh, ht, r) -> sdf.Plate:
    return sdf.Plate.make(a, b, up=up, half_height=hh, half_thickness=ht, radius=r)


def _blade(a, b, normal, hw, ht, edge) -> sdf.Blade:
    return sdf.Blade.make(a, b, normal=normal, half_width=hw, half_thickness=ht, edge=edge)


def _knob(a, b, ra, rb) -> sdf.Blade:
    """A small round-tipped bump (mamillary, accessory process): a blade as thick as it is wide."""
    axis = np.asarray(b, float) - np.asarray(a, float)
    normal = np.cross(axis, (0.0, 0.0, 1.0) if abs(axis[2]) < 0.9 * np.linalg.norm(axis) else (1.0, 0, 0))
    return _blade(a, b, normal, (ra, rb), (ra, rb), min(ra, rb) * 0.95)


BLEND = 3.0
"""Blend radius (mm) where arch pieces meet: fillets, not seams."""

CULL = 10.0
"""Beyond this distance (mm) from its bounding box a piece is not evaluated
and does not change the field (see :func:`_side_field`): more than any blend
radius, so every value within ``CULL - BLEND`` of the surface is exact."""


def _joint_cuts(shape: VertebraShape):
    """Fields that keep each articular process to its own side of its joint surface.

    Negative on the superior process's side of the joint above and on the
    inferior process's side of the joint below; ``None`` where there is no joint.
    """
    sup, inf = shape.facet_superior, shape.facet_inferior
    sup_cut = None if sup is None else (lambda q: sup.gap / 2 - sup.field(q))
    inf_cut = None if inf is None else (lambda q: inf.field(q) + inf.gap / 2)
    return sup_cut, inf_cut


LAMINA_FORWARD = 0.5
"""The lamina's plate lies this far (mm) toward the canal from its planned
centre: its canal face stays where it was planned, its back is thinner."""


def _canal_side(lat: np.ndarray, med: np.ndarray) -> np.ndarray:
    """Horizontal unit vector across the lamina (ends ``lat`` and ``med``), toward the canal."""
    d = med - lat
    d = np.array([d[0], d[1], 0.0]) / np.hypot(d[0], d[1])
    inward = np.array([d[1], -d[0], 0.0])
    return -inward if inward[1] > 0 else inward


LAMINA_RISE = 9.0
"""How much higher (mm) the lamina's lower edge lies at the midline than at its lateral end."""

LAMINA_SLOPE = 0.35
"""Backward slope of the laminae (mm of depth per mm of height, ~27° from vertical)."""


def _lamina_shift(pl: _ArchPlan, z):
    """How far behind its position at the pedicles' height the lamina lies at height ``z``."""
    return (pl.ped_center[2] - z) * LAMINA_SLOPE


PEDICLE_WAIST = 0.85
"""Half height of the pedicle at its back end, as a share of its planned half height."""

PEDICLE_FLARE = 1.0
"""How much taller (mm, each way) than planned the pedicle is where it flares into the body."""


SPINOUS_THICKNESS = (5.0, 3.0)
"""Half thickness (mm) of the spinous process at its root and at its tubercle:
seen from above a blade tapering evenly back, its tubercle barely thicker."""


def _pieces(shape: VertebraShape) -> list[_Piece]:
    """The pieces of one (+x) side of the arch including the midline ones, in blending order."""
    pl = _plan(shape)
    hp = shape.posterior_height / 2
    sup_cut, inf_cut = _joint_cuts(shape)
    a, b, hh, ht, _ = pl.pedicle
    # The pedicle: a strut of oval section, seen from the side a lobe that
    # is tallest where it flares into the body and narrows backward to its
    # waist (deepening the vertebral notches above and below it); behind,
    # the articular pillar and the transverse root blend over it.  Its front
    # end lies just inside the body, its round top below the endplate's rim.
    a = pl.ped_center + 0.6 * (a - pl.ped_center)
    across = np.cross(b - a, (0.0, 0.0, 1.0))
    waist = PEDICLE_WAIST * hh[0]
    # A little narrower than planned: the oval's fuller flanks would
    # otherwise narrow the canal.
    tw = ht[1] * 0.95
    strut = _blade(a, b, across, (hh[0] + PEDICLE_FLARE, waist), tw, min(waist, tw) * 0.9)
    pieces = [_Piece((strut,), 0.0)]
    lat, med, ztop, zbot, thick = pl.lamina
    # The lamina is a plate sloping back as it goes down (its lower edge
    # overhangs the interlaminar space below), pivoting about the height
    # of the pedicles so that the canal's depth there stays as measured.
    zm = (ztop + zbot) / 2
    mid = np.array([0.0, _lamina_shift(pl, zm), zm])
    stretch = np.hypot(1.0, LAMINA_SLOPE)
    up = np.array([0.0, -LAMINA_SLOPE, 1.0])
    # Its lower edge rises toward the midline: the interlaminar window
    # below opens between the spinous and the inferior articular processes.
    rise = LAMINA_RISE / 2
    lamina = _plate(
        lat + mid + LAMINA_FORWARD * _canal_side(lat, med),
        med + mid + LAMINA_FORWARD * _canal_side(lat, med) + np.array([0.0, -rise * LAMINA_SLOPE, rise]),
        up,
        ((ztop - zbot) / 2 * stretch, ((ztop - zbot) / 2 - rise) * stretch),
        thick,
        3.0,
    )
    pieces.append(_Piece((lamina,), BLEND))
    if not shape.sacral:
        # Where the lamina's lateral end meets the pedicle's medial wall the two
        # plates nearly touch; a short web closes the crack their blend leaves
        # (contoured, it was a tunnel through the arch). It stays above the
        # lower facet joint's cut zone.
        cw = shape.canal_width / 2
        web_a = np.array([cw + 2.2, pl.ped_center[1] + 2.0, 1.0])
        web_b = np.array([lat[0] + 0.5, lat[1] + 1.0, 1.0])
        pieces.append(_Piece((_plate(web_a, web_b, (0, 0, 1), 3.0, 2.0, 1.5),), BLEND))
    # Pars interarticularis: the lamina's thick lateral pillar running
    # down from behind the pedicle to the inferior articular process.
    top, bottom = pl.pars
    pieces.append(_Piece((_plate(top, bottom, (1, -0.3, 0), (3.8, 3.4), (3.4, 3.4), 3.0),), BLEND))
    root, tip = pl.transverse
    if shape.sacral:
        # Stub of the sacral ala: a broad wing from the body's side, sloping down.
        b_ = shape.half_depth
        ala_root = np.array([shape.half_width * 0.6, b_ * 0.3, -2.0])
        ala_tip = np.array([shape.transverse_reach - 8.0, b_ * 0.55, -6.0])
        tp = _plate(ala_root, ala_tip, (0, 0, 1), (hp - 1.0, hp - 4.0), (11.0, 8.0), 5.0)
        pieces.append(_Piece((tp,), BLEND + 1.0))
    else:
        # Flattened from front to back, narrowing to a rounded tip; its root
        # spreads over the pedicle's back where the accessory process (a
        # small knob) juts backward and down.
        axis = (tip - root) / np.linalg.norm(tip - root)
        normal = np.array([-axis[1], axis[0], 0.0])
        # The blade's round end reaches its tip radius beyond its end point.
        tp = _blade(root, tip - 3.3 * axis, normal, (6.0, 3.3), (3.2, 2.0), 1.8)
        acc = root + np.array([2.0, 3.0, -2.5])
        accessory = _knob(acc, acc + np.array([0.4, 1.8, -1.4]), 1.8, 1.3)
        pieces.append(_Piece((tp, accessory), BLEND + 1.0, inner=2.0))
    a, b, n_sup, hw, ht, edge, _ = pl.superior_process
    # The superior process: an upright lobe parallel to its facet, rounded
    # on top; the joint's cylinder cuts its concave facet.  The mamillary
    # process is the knob on its posterior rim.
    sap = _blade(a, b, n_sup, hw, ht, edge)
    mam = a + 0.6 * (b - a) + 5.0 * pl.sup_along - 2.0 * n_sup
    mamillary = _knob(mam, mam + np.array([0.0, 1.5, -3.5]), 1.9, 1.5)
    pieces.append(_Piece((sap, mamillary), BLEND, cut=sup_cut, inner=2.0))
    if pl.inferior_process is not None:
        a, b, n, hw, ht, edge, _ = pl.inferior_process
        # Tapering down to a rounded tip; the joint's cylinder cuts its convex facet.
        pieces.append(_Piece((_blade(a, b, n, hw, ht, edge),), BLEND, cut=inf_cut))
    root, tip = pl.spinous
    if shape.sacral:
        # The first sacral tubercle: a low crest on the fused laminae.
        crest = _plate(root, root + np.array([0, 6.0, -4.0]), (0, 0, 1), (6.0, 4.0), (2.5, 2.5), 2.0)
        pieces.append(_Piece((crest,), BLEND))
    else:
        hs = shape.spinous_height / 2
        # Hatchet-shaped: a thin blade with fully rounded edges, ending in a
        # thick, rounded posterior border (the tubercle), fuller below.
        # In side view a lobe widening backward; its round ends reach their
        # radius beyond the end points.
        r_root, r_tip = hp * 0.55, hs * 0.75
        blade = _blade(
            root + np.array([0, r_root * 0.6, 0]),
            tip - np.array([0, r_tip * 0.8, 0]),
            (1, 0, 0),
            (r_root, r_tip),
            SPINOUS_THICKNESS,
            2.4,
        )
        r_low, r_high = 4.0, 3.0
        border = _blade(
            tip + np.array([0, 1.2, -hs * 0.92 + r_low]),
            tip + np.array([0, 0.6, hs * 0.88 - r_high]),
            (1, 0, 0),
            (r_low, r_high),
            (SPINOUS_THICKNESS[1] - 0.5, 2.4),
            2.4,
        )
        pieces.append(_Piece((blade, border), BLEND, inner=3.5))
    return pieces


def _side_field(shape: VertebraShape) -> sdf.Field:
    """One (+x) side of the arch including the midline pieces."""
    pieces = _pieces(shape)
    boxes = [(piece.lo - CULL, piece.hi + CULL) for piece in pieces]
    sup_cut, inf_cut = _joint_cuts(shape)
    # After the blends, everything of this vertebra near a joint is cut
    # again, so no fillet or neighbouring plate narrows the joint space.
    zones = []
    if sup_cut is not None:
        c = np.asarray(shape.facet_superior.centre)
        zones.append((sup_cut, c + np.array([-11.0, -11.0, -12.0]), c + np.array([11.0, 11.0, 14.0])))
    if inf_cut is not None:
        c = np.asarray(shape.facet_inferior.centre)
        # Not in front of the joint: the pedicle there stays whole.
        zones.append((inf_cut, c + np.array([-11.0, -6.0, -14.0]), c + np.array([11.0, 11.0, 7.0])))

    def field(p: np.ndarray) -> np.ndarray:
        # Far from a piece's box the piece leaves the field alone (the
        # field stays at most CULL there, below the piece's own distance,
        # so it remains a lower bound); only nearby points evaluate it.
        d = np.full(len(p), CULL)
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        for piece, (lo, hi) in zip(pieces, boxes, strict=True):
            near = (x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1]) & (z >= lo[2]) & (z <= hi[2])
            q = p[near]
            d[near] = sdf.smooth_union(d[near], piece(q), piece.blend) if piece.blend else piece(q)
        for cut, lo, hi in zones:
            d = _zone_cut(p, d, cut, lo, hi)
        return d

    return field


def _zone_cut(p: np.ndarray, d: np.ndarray, cut, lo, hi) -> np.ndarray:
    """Intersect ``d`` with ``cut`` inside the box ``lo``–``hi`` only.

    What is removed is the part of the box on the far side of the cut; the
    crease where the cut meets the box's faces is rounded over ``ZONE_ROUND``
    mm.  Built from exact distances with min/max and polynomial blends, the
    result stays a distance bound (it changes by at most 1 mm per mm), which
    the contouring's narrow band relies on.
    """
    reach = ZONE_ROUND + 2.0
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    near = (
        (x >= lo[0] - reach)
        & (x <= hi[0] + reach)
        & (y >= lo[1] - reach)
        & (y <= hi[1] + reach)
        & (z >= lo[2] - reach)
        & (z <= hi[2] + reach)
    )
    if not near.any():
        return d
    q = p[near]
    # Kept: this side of the cut, or outside the box.
    keep = sdf.smooth_union(cut(q), -sdf.box(q, lo, hi), ZONE_ROUND)
    out = d.copy()
    out[near] = sdf.smooth_intersect(d[near], keep, 1.0)
    return out


ZONE_ROUND = 2.0
"""Rounding (mm) of the edge where a joint-zone cut ends at its box."""


def arch_field(shape: VertebraShape) -> sdf.Field:
    """Pedicles, laminae, spinous, transverse and articular processes."""
    side = _side_field(shape)

    def field(p: np.ndarray) -> np.ndarray:
        q = np.array(p, dtype=float, copy=True)
        q[:, 0] = np.abs(q[:, 0])
        return side(q)

    return field


@functools.lru_cache(maxsize=64)
def vertebra_field(shape: VertebraShape) -> sdf.Field:
    """The whole vertebra: body and arch blended together (one field per shape, reused)."""
    body = body_field(shape)
    arch = arch_field(shape)
    # The body fits in this box (the waist only narrows it, the endplates'
    # bowls only lower the top and raise the bottom); further than CULL from
    # it, CULL stands in for its distance (:func:`.sdf.culled`).
    ends = np.array([-shape.half_depth, shape.half_depth])
    lo = (-shape.half_width, -shape.half_depth, float(endplate_rim_z(shape, "inferior", ends).min()))
    hi = (shape.half_width, shape.half_depth, float(endplate_rim_z(shape, "superior", ends).max()))

    def field(p: np.ndarray) -> np.ndarray:
        return sdf.smooth_union(sdf.culled(p, body, lo, hi, CULL), arch(p), 3.5)

    return field


def local_bounds(shape: VertebraShape) -> tuple[float, ...]:
    """A box in the local frame that contains the whole vertebra."""
    reach = max(shape.spinous_reach, shape.half_depth + shape.canal_depth + 20.0) + 6.0
    top = max(shape.articular_top, shape.posterior_height / 2) + 4.0
    bottom = min(shape.articular_bottom, -shape.posterior_height / 2) - 4.0
    half_x = max(shape.transverse_reach, shape.half_width) + 5.0
    return (-half_x, half_x, -shape.half_depth - 6, reach, bottom, top)
