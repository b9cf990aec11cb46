"""Conditions as deformations of the healthy meshes: fast, same topology, fields to match.

Re-contouring a disc or re-relaxing the nerve roots for every change of a
finding costs seconds; most findings only *move* tissue.  A
:class:`Deformation` is a smooth point map; applied to a healthy mesh it gives
the changed part with the very same triangles (so it stays closed, manifold
and outward), and composed with the healthy implicit field it gives the
changed part's field: ``f'(p) = f(D⁻¹(p))``.  The inverse is only computed
when a field is evaluated (the synthetic MRI labels voxels on demand), by a
fixed-point iteration that converges because every map here moves points by
less than the distance between them (its Jacobian stays near the identity).

* :class:`DiscSettling` — degeneration: the disc loses height (everything
  above settles with the upper vertebra; soft tissue in between is blended),
  the annulus bulges at mid-height and pushes the tissue just behind it, the
  nucleus shrinks as it dries;
* :class:`SacNarrowing` — central stenosis: the sac's cross-sections at the
  disc scaled about its axis;
* :class:`Push` — a herniation dents the sac where it reaches into it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyvista as pv

from spineviz.geometry import sdf
from spineviz.geometry.disc import NUCLEUS_SHIFT, cartilage_thickness, disc_fields, disc_frame
from spineviz.geometry.frames import Frame, Placement
from spineviz.geometry.vertebra import endplate_z, outline_field

INVERSE_ITERATIONS = 10
RADIUS_STEPS = 5
"""Steps of :func:`ray_surface` per ray of :attr:`DiscSettling.radii` (within 0.003 mm of the surface)."""
ANGLES = np.linspace(-np.pi, np.pi, 361)


class Deformation:
    """A smooth point map with a lazily inverted field composition."""

    def forward(self, p: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def inverse(self, p: np.ndarray) -> np.ndarray:
        """Points that :meth:`forward` maps onto ``p`` (fixed-point iteration)."""
        p = np.asarray(p, float)
        q = p.copy()
        for _ in range(INVERSE_ITERATIONS):
            q = p - (self.forward(q) - q)
        return q

    def mesh(self, mesh: pv.PolyData) -> pv.PolyData:
        """A deformed copy (same triangles; field data kept)."""
        out = mesh.copy()
        out.points = self.forward(np.asarray(mesh.points, float))
        return out

    def field(self, f: sdf.Field) -> sdf.Field:
        """The deformed solid's field (evaluated only when called)."""
        return lambda p: f(self.inverse(p))


def ray_surface(values, lo: np.ndarray, hi: np.ndarray, *, steps: int) -> np.ndarray:
    """Where each of many rays crosses a surface, between ``lo`` (inside) and ``hi`` (outside).

    ``values(r)`` is a field along the rays at distances ``r`` (one per ray),
    negative inside.  Regula falsi with the Illinois halving of a stale end:
    a distance bound is nearly linear along a ray, so a handful of ``steps``
    meets the surface as closely as twenty halvings of the bracket.
    """
    flo, fhi = values(lo), values(hi)
    last = np.zeros_like(lo)
    for _ in range(steps):
        mid = (lo * fhi - hi * flo) / (fhi - flo)
        fm = values(mid)
        inside = fm < 0
        flo, fhi = (
            np.where(inside, fm, np.where(last > 0, flo / 2, flo)),
            np.where(inside, np.where(last < 0, fhi / 2, fhi), fm),
        )
        lo, hi = np.where(inside, mid, lo), np.where(inside, hi, mid)
        last = np.where(inside, -1.0, 1.0)
    return (lo * fhi - hi * flo) / (fhi - flo)


def smooth_bump(x: np.ndarray) -> np.ndarray:
    """1 at 0, falling smoothly (cos²) to 0 at |x| >= 1."""
    return np.cos(np.pi / 2 * np.clip(np.abs(x), 0.0, 1.0)) ** 2


@dataclass(frozen=True, eq=False)
class DiscSettling(Deformation):
    """A degenerated disc and the soft tissue around it, from the healthy ones.

    Parameters
    ----------
    place : Placement
        The healthy placement.
    level : str
        The disc, ``"L4-L5"``.
    move : Frame
        World rigid motion of the upper vertebra (disc height lost).
    bulge : float
        Extra bulge of the wall at mid-height, mm (as :func:`disc_fields`).
    nucleus_factor : float
        Radial scale of the nucleus (the square root of its area share).
    """

    place: Placement
    level: str
    move: Frame
    bulge: float = 0.0
    nucleus_factor: float = 1.0

    @functools.cached_property
    def radii(self) -> tuple[np.ndarray, np.ndarray]:
        """Mid-plane radii of the wall and the nucleus around the nucleus centre, per degree."""
        fields = disc_fields(self.place, self.level)
        frame = disc_frame(self.place, self.level)
        theta = ANGLES

        def along(f):
            def values(r):
                pts = np.c_[r * np.sin(theta), NUCLEUS_SHIFT + r * np.cos(theta), np.zeros_like(theta)]
                return f(frame.to_world(pts))

            return values

        out = [
            ray_surface(along(f), np.zeros_like(theta), np.full_like(theta, 60.0), steps=RADIUS_STEPS)
            for f in (fields.whole, fields.nucleus)
        ]
        return out[0], out[1]

    def columns(self, p: np.ndarray):
        """Height fractions: ``t`` between the bony endplates (the field's),
        ``t_soft`` between the cartilage faces (0 below, 1 above the disc), and
        whether the point lies between the two endplates at all."""
        upper, lower = self.level.split("-")
        su, sl = self.place.shapes[upper], self.place.shapes[lower]
        fu, fl = self.place.frames[upper], self.place.frames[lower]
        # Both frames in one product: (p - o) R = p R - o R, with the two R side by side.
        shift = np.r_[fu.origin @ fu.rotation, fl.origin @ fl.rotation]
        both = p @ np.hstack([fu.rotation, fl.rotation]) - shift
        qu, ql = both[:, :3], both[:, 3:]
        top = endplate_z(su, "inferior", qu[:, 0], qu[:, 1]) - qu[:, 2]
        bot = ql[:, 2] - endplate_z(sl, "superior", ql[:, 0], ql[:, 1])
        tc = cartilage_thickness()
        raw = bot / np.maximum(top + bot, 1e-6)
        t_soft = np.clip((bot - tc) / np.maximum(top + bot - 2 * tc, 1e-6), 0.0, 1.0)
        return qu, ql, np.clip(raw, 0.0, 1.0), t_soft, (top > 0) & (bot > 0)

    def _outline(self, qu, ql, t, dx=0.0, dy=0.0):
        upper, lower = self.level.split("-")
        su, sl = self.place.shapes[upper], self.place.shapes[lower]
        return (1 - t) * outline_field(sl, ql[:, 0] + dx, ql[:, 1] + dy) + t * outline_field(
            su, qu[:, 0] + dx, qu[:, 1] + dy
        )

    def forward(self, p: np.ndarray) -> np.ndarray:
        p = np.array(p, float)
        qu, ql, t, t_soft, between = self.columns(p)
        # The nucleus map and the bulge act only between the endplates (the
        # bulge fades to nothing at them): only those points are worked on,
        # and only they go to the disc's frame and back.
        inside = np.flatnonzero(between & (t > 0.0) & (t < 1.0))
        if inside.size and (self.nucleus_factor != 1.0 or self.bulge):
            frame = disc_frame(self.place, self.level)
            q = self._between(frame.to_local(p[inside]), qu[inside], ql[inside], t[inside])
            p[inside] = frame.to_world(q)
        return p + t_soft[:, None] * (self.move.to_world(p) - p)

    def _between(self, q, qu, ql, t):
        """Disc-frame points between the endplates, with the nucleus scaled and the wall bulged."""
        if self.nucleus_factor != 1.0:
            # Radial map about the nucleus centre: the nucleus scales, the
            # annulus between it and the wall stretches, the wall stays.
            wall, nucleus = self.radii
            dx, dy = q[:, 0], q[:, 1] - NUCLEUS_SHIFT
            r = np.hypot(dx, dy)
            th = np.arctan2(dx, dy)
            rw = np.interp(th, ANGLES, wall)
            rn = np.interp(th, ANGLES, nucleus)
            k = self.nucleus_factor
            inner = k * r
            stretched = k * rn + (r - rn) * (rw - k * rn) / np.maximum(rw - rn, 1e-6)
            r_new = np.where(r <= rn, inner, np.where(r <= rw, stretched, r))
            ratio = np.where(r > 1e-9, r_new / np.maximum(r, 1e-9), k)
            q = q.copy()
            q[:, 0] = dx * ratio
            q[:, 1] = NUCLEUS_SHIFT + dy * ratio
        if self.bulge:
            # Outward along the outline's normal, as the field's swell; full at
            # the wall, fading 6 mm into the annulus and 9 mm out into the
            # tissue behind it (ligament, nerves), so nothing is overrun.
            o = self._outline(qu, ql, t)
            fall = np.where(o < 0, np.clip(1 + o / 6.0, 0, 1), np.clip(1 - (o - 1.5) / 8.0, 0, 1))
            # Only points within the fade move: the direction is needed there alone.
            near = np.flatnonzero(fall > 0)
            qu, ql, t, o = qu[near], ql[near], t[near], o[near]
            # One-sided differences: the outline is smooth on the scale of the
            # step, and three evaluations cost less than five.
            h = 0.1
            gx = self._outline(qu, ql, t, dx=h) - o
            gy = self._outline(qu, ql, t, dy=h) - o
            g = np.c_[gx, gy]
            g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-9)
            amount = 4 * t * (1 - t) * self.bulge * fall[near]
            # The outline gradient is in the vertebra frames, whose xy planes lie
            # within a few degrees of the disc's: use it in the disc frame.
            q = q.copy()
            q[near, :2] += g * amount[:, None]
        return q


@dataclass(frozen=True, eq=False)
class SacNarrowing(Deformation):
    """Cross-sections of the sac scaled about its axis around one disc.

    ``scale`` is the area factor at the disc's mid-plane; the AP depth takes
    most of it (``scale**0.7``) and the width the rest (``scale**0.3``), as
    a canal narrows mostly front to back; the change fades over ``reach`` mm
    above and below.
    """

    frame: Frame
    centre: tuple[float, float]
    scale: float
    reach: float = 12.0

    def _factors(self, z):
        b = smooth_bump(z / self.reach)
        return 1 - (1 - self.scale**0.3) * b, 1 - (1 - self.scale**0.7) * b

    def forward(self, p):
        q = self.frame.to_local(p)
        sx, sy = self._factors(q[:, 2])
        cx, cy = self.centre
        return self.frame.to_world(np.c_[cx + (q[:, 0] - cx) * sx, cy + (q[:, 1] - cy) * sy, q[:, 2]])

    def inverse(self, p):
        q = self.frame.to_local(p)
        sx, sy = self._factors(q[:, 2])
        cx, cy = self.centre
        return self.frame.to_world(np.c_[cx + (q[:, 0] - cx) / sx, cy + (q[:, 1] - cy) / sy, q[:, 2]])


@dataclass(frozen=True, eq=False)
class Push(Deformation):
    """Soft tissue pushed out of a solid along one direction (a dented sac).

    Points inside ``solid`` (or within ``clearance`` of it) move along
    ``direction`` by their depth, which puts them on its surface; the move
    fades out over ``fade`` mm outside so that the dent has a rounded rim.
    """

    solid: sdf.Field
    direction: tuple[float, float, float]
    clearance: float = 0.3
    fade: float = 2.0

    def forward(self, p):
        p = np.asarray(p, float)
        d = self.solid(p)
        depth = np.maximum(self.clearance - d, 0.0)
        rim = np.clip(1 - (d - self.clearance) / self.fade, 0.0, 1.0) * (d > self.clearance)
        amount = depth + 0.25 * self.clearance * rim
        return p + amount[:, None] * np.asarray(self.direction, float)

    def field(self, f: sdf.Field) -> sdf.Field:
        # The dent is the solid carved out of the tissue; a push along one
        # direction has no fixed-point inverse where it flattens a wall.
        return lambda p: np.maximum(f(p), self.clearance - self.solid(p))
