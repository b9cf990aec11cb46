"""Disc herniation by the Fardon 2014 definitions, as its own part.

Design reference, section 5b (Fardon 2014, version 2.0):

* bulge — disc tissue beyond the ring apophyses over more than 25% of the
  circumference: here the band between the healthy disc wall and a wall
  pushed out over the back and sides of the disc;
* protrusion — focal, the base against the disc wider than the distance the
  material reaches out, in every plane;
* extrusion — in at least one plane the material beyond the disc is wider
  than its base (a narrow neck through the annular tear and a wider dome), or
  it has migrated up or down: here both, migrating downward;
* sequestration — an extruded fragment with no continuity with the disc.

Protrusions, extrusions and the torn-off fragment come out through a radial
tear in the annulus (the disc is built with that fissure), at the zone and
side radiologists mean: central (behind the middle of the disc), subarticular
(beside the middle, under the facet joint, where the traversing root runs),
foraminal (in the nerve opening, where the exiting root runs) and
extraforaminal (outside it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv

from spineviz.geometry import sdf
from spineviz.geometry.disc import disc_fields, disc_frame, largest_piece
from spineviz.geometry.frames import Placement
from spineviz.geometry.surface import contour

ZONE_ANGLE = {"central": 0.0, "subarticular": 22.0, "foraminal": 50.0, "extraforaminal": 72.0}
"""Direction of the tear seen from above, degrees from straight back toward the
side (model: central at the midline; subarticular about 7–9 mm from it, under
the facet joint; foraminal under the pedicle; extraforaminal at the lateral
side of the disc)."""


@dataclass(frozen=True)
class Shape:
    """Size of a herniation in mm (model, typical MRI sizes).

    ``reach`` is how far the dome goes beyond the disc wall, ``base`` the width
    of its contact with the disc, ``dome`` its widest width beyond the wall,
    ``height`` its extent along the spine, ``migration`` how far its centre has
    moved downward and ``gap`` the free space between a sequestered fragment
    and the disc.
    """

    reach: float
    base: float
    dome: float
    height: float
    migration: float = 0.0
    gap: float = 0.0


SHAPES = {
    "protrusion": Shape(reach=4.5, base=15.0, dome=12.0, height=7.0),
    "extrusion": Shape(reach=7.5, base=5.0, dome=12.0, height=14.0, migration=4.0),
    "sequestration": Shape(reach=6.5, base=0.0, dome=9.0, height=11.0, migration=14.0, gap=2.0),
}

BULGE_REACH = 2.6
"""How far a bulging disc's back and sides stand beyond the healthy wall, mm
(typical bulges are under 3 mm)."""


def exit_angle(zone: str, side: str) -> float:
    """Tear direction in the disc frame, degrees: 0 back, +90 patient's left."""
    a = ZONE_ANGLE[zone]
    return a if side == "left" else -a


def wall_point(whole: sdf.Field, frame, angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Where a ray from the disc centre at ``angle_deg`` leaves the disc wall (mid-height).

    Returns the point (disc-frame coordinates) and the outward wall normal.
    """
    a = np.radians(angle_deg)
    direction = np.array([np.sin(a), np.cos(a), 0.0])
    r = np.linspace(0.0, 60.0, 1201)
    pts = r[:, None] * direction
    inside = whole(frame.to_world(pts)) < 0
    last = np.nonzero(inside)[0].max()
    p = pts[last]
    # Outward normal of the wall from the field's gradient in the mid-plane.
    h = 0.2
    gx = whole(frame.to_world(p + np.array([[h, 0, 0]]))) - whole(frame.to_world(p - [[h, 0, 0]]))
    gy = whole(frame.to_world(p + np.array([[0, h, 0]]))) - whole(frame.to_world(p - [[0, h, 0]]))
    n = np.array([gx[0], gy[0], 0.0])
    return p, n / np.linalg.norm(n)


def herniation_field(
    place: Placement,
    disc: str,
    *,
    kind: str,
    zone: str,
    side: str,
    bulge: float = 0.0,
    scale: float = 1.0,
    aim=None,
    whole: sdf.Field | None = None,
) -> tuple[sdf.Field, dict]:
    """World field of the displaced disc material, and where it sits.

    Parameters
    ----------
    place : Placement
        Placement of the (possibly degenerated) segment.
    disc : str
        ``"L4-L5"``.
    kind : {"bulge", "protrusion", "extrusion", "sequestration"}
    zone, side : str
        Where it exits (ignored for a bulge).
    bulge : float, optional
        The disc's own bulge (degeneration, stenosis) the material sits on.
    scale : float, optional
        Reach multiplier.
    aim : (3,) float, optional
        World point of the nerve it presses on (the root's centreline where
        it passes the exit): the dome leans toward it and reaches it, within
        the shape's definition.
    whole : callable, optional
        The disc's own solid when the caller has it already (it is the
        costly part to set up); default the disc of ``place`` with ``bulge``.

    Returns
    -------
    field : callable
        World implicit field; never overlaps the disc.
    info : dict
        ``{"exit": world point, "normal": world outward normal, "frame": disc frame}``.
    """
    frame = disc_frame(place, disc)
    whole = disc_fields(place, disc, bulge=bulge).whole if whole is None else whole
    if kind == "bulge":
        out = disc_fields(place, disc, bulge=bulge + BULGE_REACH).whole

        def band(p):
            q = frame.to_local(p)
            # Over the back and sides, fading out toward the front (asymmetric bulge).
            toward_back = np.clip(q[:, 1] / 12.0 + 0.9, 0.0, 1.0)
            return np.maximum(out(p) + BULGE_REACH * (1 - toward_back), -whole(p))

        return band, {"frame": frame}
    shape = SHAPES[kind]
    p0, n = wall_point(whole, frame, exit_angle(zone, side))
    t = np.cross([0.0, 0.0, 1.0], n)
    reach = shape.reach * scale
    lean_v, lean_w = 0.0, -shape.migration
    if aim is not None:
        qa = frame.to_local(np.asarray(aim, float)[None])[0] - p0
        reach = max(reach, float(qa @ n) - 0.3)
        lean_v = float(np.clip(qa @ t, -3.0, 3.0))
        # A fragment in or beyond the foramen sits at the exiting root's height.
        lean_w = float(np.clip(qa[2], -shape.migration - 5.0, shape.migration + 5.0))

    def local(p):
        q = frame.to_local(p) - p0
        return q @ n, q @ t - lean_v * np.clip(q @ n / max(reach, 1.0), 0.0, 1.0), q[:, 2]

    if kind == "protrusion":
        # A flattened dome on a broad base: base wider than reach in every plane.
        def field(p):
            u, v, w = local(p)
            lean = lean_w * np.clip(u / max(reach, 1.0), 0.0, 1.0)
            semi = (reach + 1.0, max(shape.base / 2, reach + 2.5), max(shape.height / 2, reach + 1.0))
            dome = sdf.ellipsoid(np.c_[u, v, w - lean], (-1.0, 0.0, 0.0), semi)
            return np.maximum(dome, -whole(p))

    elif kind == "extrusion":
        neck_r = shape.base / 2

        def field(p):
            u, v, w = local(p)
            q = np.c_[u, v, w]
            neck = sdf.round_cone(q, (-2.0, 0.0, 0.0), (2.5, 0.0, -1.0), neck_r, neck_r)
            centre = (2.0 + shape.dome * 0.28, 0.0, lean_w)
            dome = sdf.ellipsoid(q, centre, (reach - centre[0] + 0.5, shape.dome / 2, shape.height / 2))
            return np.maximum(sdf.smooth_union(neck, dome, 1.5), -whole(p))

    else:  # sequestration: a free fragment that has migrated downward

        def field(p):
            u, v, w = local(p)
            q = np.c_[u, v, w]
            centre = (shape.gap + reach / 2 + 0.5, 0.0, lean_w)
            frag = sdf.ellipsoid(q, centre, (reach / 2 + 0.5, shape.dome / 2, shape.height / 2))
            # Keep a clear gap to the disc: no continuity with its parent.
            return np.maximum(frag, shape.gap - whole(p))

    info = {
        "frame": frame,
        "exit": frame.to_world(p0[None])[0],
        "normal": frame.rotation @ n,
        # Disc-frame box that holds the material (for contouring it alone).
        "extent": (
            reach + shape.gap + 2.0,
            max(shape.base, shape.dome) / 2 + abs(lean_v) + 2.5,
            shape.height / 2 + abs(lean_w) + 2.5,
        ),
    }
    return field, info


def herniation_mesh(field: sdf.Field, info: dict, *, spacing: float) -> pv.PolyData:
    """Contour the herniation field around its disc (a small box around the
    material for a focal herniation)."""
    frame = info["frame"]
    if "extent" in info:
        u, v, w = info["extent"]
        n = frame.rotation.T @ info["normal"]
        t = np.cross([0.0, 0.0, 1.0], n)
        p0 = frame.to_local(info["exit"][None])[0]
        corners = np.array(
            [
                p0 + a * n + b * t + c * np.array([0.0, 0.0, 1.0])
                for a in (-2.5, u)
                for b in (-v, v)
                for c in (-w, w)
            ]
        )
        world = frame.to_world(corners)
        lo, hi = world.min(axis=0), world.max(axis=0)
        return contour(field, (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]), spacing=min(spacing, 0.7))
    centre = info.get("exit", frame.origin)
    half = 34.0 if "exit" not in info else 20.0
    c = np.asarray(centre)
    box = (c[0] - half, c[0] + half, c[1] - half, c[1] + half, c[2] - 28.0, c[2] + 14.0)
    if "exit" not in info:
        box = (c[0] - half, c[0] + half, c[1] - half, c[1] + half, c[2] - 14.0, c[2] + 14.0)
        # A bulge is one band round the disc; where it thins out toward the
        # front and the endplates the grid leaves specks, which are dropped.
        return largest_piece(contour(field, box, spacing=min(spacing, 0.7)))
    return contour(field, box, spacing=min(spacing, 0.7))
