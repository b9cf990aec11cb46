"""Placing vertebrae and discs on the lordotic curve.

Each vertebra has a rigid frame (rotation and origin, local → world).  The
chain starts at the sacrum, tilted by the published sacral slope, and climbs
disc by disc: a disc has its published posterior height and opens toward the
front by the angle its anterior height gives; whatever the disc's own wedge
leaves of the published segmental angle goes into the two endplates that
face it, half each, so the vertebral bodies carry the rest of the lordosis.

The world frame is fixed once for all levels (its origin is the centre of the
L4–L5 disc), so a part has the same coordinates whichever levels are built.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from .dimensions import VERTEBRAE, disc_measures, recipe, value
from .sdf import rotation_x
from .vertebra import VertebraShape, default_facet, endplate_rim_z, vertebra_shape, with_facets


@dataclass(frozen=True)
class Frame:
    """A rigid placement: ``world = rotation @ local + origin``."""

    rotation: np.ndarray
    origin: np.ndarray

    def to_world(self, points: np.ndarray) -> np.ndarray:
        """Local ``(N, 3)`` points to world coordinates."""
        # einsum: numpy's matmul of (N, 3) by (3, 3) is several times slower.
        return np.einsum("ij,kj->ik", np.asarray(points, float), self.rotation) + self.origin

    def to_local(self, points: np.ndarray) -> np.ndarray:
        """World ``(N, 3)`` points to local coordinates."""
        return np.einsum("ij,jk->ik", np.asarray(points, float) - self.origin, self.rotation)

    def compose(self, other: Frame) -> Frame:
        """``self ∘ other``: first ``other``, then ``self``."""
        return Frame(self.rotation @ other.rotation, self.rotation @ other.origin + self.origin)

    def inverse(self) -> Frame:
        """The frame that undoes this one."""
        r = self.rotation.T
        return Frame(r, -r @ self.origin)

    @property
    def matrix(self) -> np.ndarray:
        """4×4 homogeneous matrix (for VTK transforms)."""
        m = np.eye(4)
        m[:3, :3] = self.rotation
        m[:3, 3] = self.origin
        return m


IDENTITY = Frame(np.eye(3), np.zeros(3))


def _frame(rotation_deg: float, origin) -> Frame:
    return Frame(rotation_x(rotation_deg), np.asarray(origin, float))


@dataclass(frozen=True)
class DiscGeometry:
    """A disc's published heights and its wedge (mm, degrees)."""

    name: str
    upper: str
    lower: str
    anterior_height: float
    posterior_height: float
    middle_height: float
    depth: float
    segmental_angle: float

    @property
    def wedge(self) -> float:
        """Angle between the disc's two rim planes, opening anteriorly."""
        return float(np.degrees(np.arctan2(self.anterior_height - self.posterior_height, self.depth)))


def disc_geometry(upper: str) -> DiscGeometry:
    """Published geometry of the disc below vertebra ``upper``."""
    m = disc_measures(upper)
    lower = VERTEBRAE[VERTEBRAE.index(upper) + 1]
    return DiscGeometry(
        name=f"{upper}-{lower}",
        upper=upper,
        lower=lower,
        anterior_height=value(m["anterior_height"]),
        posterior_height=value(m["posterior_height"]),
        middle_height=value(m["middle_height"]),
        depth=value(m["depth"]),
        segmental_angle=value(m["segmental_angle"]),
    )


@dataclass(frozen=True)
class Placement:
    """Shapes and world frames of every vertebra, and the discs between."""

    shapes: dict[str, VertebraShape]
    frames: dict[str, Frame]
    discs: dict[str, DiscGeometry]

    def endplate_frame(self, vertebra: str, side: str) -> Frame:
        """World frame of an endplate's rim plane.

        Origin at the posterior rim point on the midline; +z is the normal
        pointing up (out of the body for ``superior``, into it for
        ``inferior``); +y runs posteriorly in the plane.
        """
        return self.frames[vertebra].compose(_endplate_local(self.shapes[vertebra], side))


def _endplate_local(shape: VertebraShape, side: str) -> Frame:
    y = shape.half_depth
    z = float(endplate_rim_z(shape, side, np.array(y)))
    tilt = -shape.wedge_superior if side == "superior" else shape.wedge_inferior
    return _frame(tilt, (0.0, y, z))


@functools.cache
def placement() -> Placement:
    """Frames of all of L1–S1 on the published lordosis (cached)."""
    discs = {d.name: d for d in (disc_geometry(v) for v in VERTEBRAE[:-1])}
    # Split each disc's share of the segmental angle that its own wedge does
    # not carry between the two endplates facing it.
    w_sup = dict.fromkeys(VERTEBRAE, 0.0)
    w_inf = dict.fromkeys(VERTEBRAE, 0.0)
    for d in discs.values():
        excess = d.segmental_angle - d.wedge
        w_inf[d.upper] = excess / 2
        w_sup[d.lower] = excess / 2
    shapes = {v: vertebra_shape(v, wedge_superior=w_sup[v], wedge_inferior=w_inf[v]) for v in VERTEBRAE}

    slope = value(recipe()["spine"]["sacral_slope"])
    frames = {"S1": _frame(slope, (0.0, 0.0, 0.0))}
    for upper, lower in zip(VERTEBRAE[-2::-1], VERTEBRAE[:0:-1], strict=True):
        d = discs[f"{upper}-{lower}"]
        base = frames[lower].compose(_endplate_local(shapes[lower], "superior"))
        top = base.compose(Frame(np.eye(3), np.array([0.0, 0.0, d.posterior_height]))).compose(
            _frame(-d.wedge, (0.0, 0.0, 0.0))
        )
        frames[upper] = top.compose(_endplate_local(shapes[upper], "inferior").inverse())

    # Centre the world on the middle of the L4-L5 disc.
    mid = disc_center(shapes, frames, discs["L4-L5"])
    frames = {k: Frame(f.rotation, f.origin - mid) for k, f in frames.items()}
    return Placement(share_facet_joints(shapes, frames), frames, discs)


def share_facet_joints(
    shapes: dict[str, VertebraShape], frames: dict[str, Frame]
) -> dict[str, VertebraShape]:
    """Shapes whose facet joints are shared with their neighbours.

    Each joint is designed on the lower vertebra's superior articular
    process (:func:`.vertebra.default_facet`) and moved into the upper
    vertebra's frame, where it cuts that vertebra's inferior articular
    process: the two facets then face each other across the joint space
    whatever the disc heights and angles are.
    """
    out = dict(shapes)
    for upper, lower in itertools.pairwise(VERTEBRAE):
        joint = default_facet(shapes[lower], "superior")
        move = frames[upper].inverse().compose(frames[lower])
        out[upper] = with_facets(
            out[upper], out[upper].facet_superior, joint.moved(move.rotation, move.origin)
        )
    return out


def disc_center(shapes, frames, disc: DiscGeometry) -> np.ndarray:
    """World centre of a disc: halfway between its two endplates' centres."""
    up = frames[disc.upper].to_world(
        np.array([[0.0, 0.0, float(endplate_rim_z(shapes[disc.upper], "inferior", np.array(0.0)))]])
    )[0]
    lo = frames[disc.lower].to_world(
        np.array([[0.0, 0.0, float(endplate_rim_z(shapes[disc.lower], "superior", np.array(0.0)))]])
    )[0]
    return (up + lo) / 2
