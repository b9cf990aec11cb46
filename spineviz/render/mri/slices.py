"""Slice planes through the voxel grid, in world millimetres.

A :class:`SlicePlane` is a rectangle in the world: a centre, two in-plane unit
axes (image right ``u`` and image up ``v``), a size in mm and in pixels.  The
same object samples the grid (trilinear interpolation of the signal) and
exports itself as a :class:`pyvista.PolyData` quad, so the app can show the
slice's position in the 3D scene and move both together.

Orientation follows radiological display conventions:

* sagittal — viewed from the patient's left: anterior on the viewer's left,
  superior up (``u`` = +y posterior, ``v`` = +z);
* axial — viewed from the feet: the patient's left on the viewer's right,
  anterior up (``u`` = +x, ``v`` = −y);
* coronal — viewed from the front: the patient's left on the viewer's right,
  superior up (``u`` = +x, ``v`` = +z).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyvista as pv
import vtk
from vtk.util.numpy_support import numpy_to_vtk, vtk_to_numpy

from spineviz.geometry.frames import Placement, disc_center

from .signal import BLUR_MM, Sequence, gaussian_blur, noise_sigma, rician, signal_table
from .texture import modulation
from .voxels import VoxelGrid

PARTIAL_VOLUME_MM = 0.45
"""3D smoothing (sigma, mm) of the per-voxel signal before sampling: the
partial volume of a 1 mm grid, so that tissue edges are soft, not stepped."""

PLANES = ("sagittal", "axial", "coronal")

LETTERS = {
    # (left, right, top, bottom) edge letters
    "sagittal": ("A", "P", "S", "I"),
    "axial": ("R", "L", "A", "P"),
    "coronal": ("R", "L", "S", "I"),
}


@dataclass(frozen=True)
class SlicePlane:
    """A rectangular slice in world coordinates.

    Attributes
    ----------
    center : (3,) float
        World position of the image centre, mm.
    u, v : (3,) float
        Unit vectors of image right and image up.
    width, height : float
        Extent in mm along ``u`` and ``v``.
    size : (int, int)
        Pixels ``(columns, rows)``; pixels are square.
    kind : str
        ``"sagittal"``, ``"axial"``, ``"coronal"`` or ``"oblique"`` (for the letters).
    """

    center: np.ndarray
    u: np.ndarray
    v: np.ndarray
    width: float
    height: float
    size: tuple[int, int]
    kind: str = "oblique"

    @property
    def normal(self) -> np.ndarray:
        """Unit normal ``u × v`` (towards the viewer)."""
        n = np.cross(self.u, self.v)
        return n / np.linalg.norm(n)

    @property
    def pixel_mm(self) -> float:
        """Edge of one pixel in mm."""
        return self.width / self.size[0]

    def pixel_centers(self) -> np.ndarray:
        """World positions of all pixel centres, ``(rows, cols, 3)``."""
        cols, rows = self.size
        px = self.pixel_mm
        a = (np.arange(cols) + 0.5 - cols / 2) * px
        b = (rows / 2 - np.arange(rows) - 0.5) * px
        return self.center + a[None, :, None] * self.u + b[:, None, None] * self.v

    def world_to_pixel(self, points) -> np.ndarray:
        """World points ``(N, 3)`` to ``(N, 2)`` continuous (column, row), plus nothing else.

        Pixel ``(c, r)`` covers ``[c, c+1) × [r, r+1)``; the distance off the
        plane is ignored (use :meth:`distance` for it).
        """
        d = np.atleast_2d(np.asarray(points, float)) - self.center
        cols, rows = self.size
        px = self.pixel_mm
        c = d @ self.u / px + cols / 2
        r = rows / 2 - d @ self.v / px
        return np.c_[c, r]

    def distance(self, points) -> np.ndarray:
        """Signed distance of world points from the plane along the normal, mm."""
        return (np.atleast_2d(np.asarray(points, float)) - self.center) @ self.normal

    def corners(self) -> np.ndarray:
        """World corners ``(4, 3)``: top-left, top-right, bottom-right, bottom-left of the image."""
        hu, hv = self.u * self.width / 2, self.v * self.height / 2
        c = self.center
        return np.array([c - hu + hv, c + hu + hv, c + hu - hv, c - hu - hv])

    def to_polydata(self) -> pv.PolyData:
        """The plane as a one-quad :class:`pyvista.PolyData` with texture coordinates.

        Texture coordinate (0, 0) is the image's bottom-left, so the slice image
        (flipped to bottom-up rows) can be used as the quad's texture.
        """
        quad = pv.PolyData(self.corners(), faces=np.array([4, 0, 1, 2, 3]))
        quad.active_texture_coordinates = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
        quad.field_data["plane_kind"] = np.array([self.kind])
        quad.field_data["normal"] = self.normal
        return quad


def _fit_size(width: float, height: float, size) -> tuple[int, int]:
    if isinstance(size, (tuple, list)):
        cols, rows = (int(s) for s in size)
    else:
        longest = int(size)
        if width >= height:
            cols, rows = longest, max(1, round(longest * height / width))
        else:
            cols, rows = max(1, round(longest * width / height)), longest
    if not (8 <= cols <= 4096 and 8 <= rows <= 4096):
        raise ValueError(f"size: {cols}x{rows} is out of range; use 8–4096 pixels a side")
    return cols, rows


def make_plane(kind: str, center, *, fov, size=256, u=None, v=None) -> SlicePlane:
    """A plane of a standard orientation (or given axes) with a field of view.

    Parameters
    ----------
    kind : {"sagittal", "axial", "coronal", "oblique"}
    center : (3,) float
        World image centre.
    fov : float or (float, float)
        Width and height in mm (one number: square).
    size : int or (int, int)
        Pixels of the longer side, or ``(columns, rows)``; with an explicit
        pair the field of view grows along one axis so pixels stay square.
    u, v : (3,) float, optional
        In-plane axes (required for ``"oblique"``, defaults otherwise).
    """
    axes = {
        "sagittal": ((0, 1, 0), (0, 0, 1)),
        "axial": ((1, 0, 0), (0, -1, 0)),
        "coronal": ((1, 0, 0), (0, 0, 1)),
    }
    if u is None or v is None:
        if kind not in axes:
            raise ValueError(f"plane: {kind!r} is not allowed; choose one of {', '.join(PLANES)}")
        u, v = axes[kind]
    u = np.asarray(u, float) / np.linalg.norm(u)
    v = np.asarray(v, float)
    v = v - (v @ u) * u
    v /= np.linalg.norm(v)
    width, height = (float(fov), float(fov)) if np.isscalar(fov) else (float(fov[0]), float(fov[1]))
    cols, rows = _fit_size(width, height, size)
    px = max(width / cols, height / rows)
    return SlicePlane(np.asarray(center, float), u, v, cols * px, rows * px, (cols, rows), kind)


def plane_from_normal(point, normal, *, up=(0.0, 0.0, 1.0), fov=150.0, size=256) -> SlicePlane:
    """An oblique plane through ``point`` with ``normal`` (world mm); ``up`` sets image up."""
    n = np.asarray(normal, float)
    n /= np.linalg.norm(n)
    up = np.asarray(up, float)
    v = up - (up @ n) * n
    if np.linalg.norm(v) < 1e-6:
        v = np.array([0.0, -1.0, 0.0]) - n[1] * n
    v /= np.linalg.norm(v)
    return make_plane("oblique", point, fov=fov, size=size, u=np.cross(v, n), v=v)


def level_plane(placement: Placement, at: str, *, fov=200.0, size=256, forward: float = 15.0) -> SlicePlane:
    """Axial plane parallel to a disc (``"L4-L5"``) through its middle, or through a body (``"L4"``).

    Radiographers tilt axial slices to lie along the disc; so does this.  The
    image centre sits ``forward`` mm behind the disc centre so that the
    field of view shows the body, canal and back muscles.
    """
    if "-" in at:
        disc = placement.discs.get(at)
        if disc is None:
            raise ValueError(f"position: disc {at!r} is not known; discs: {', '.join(placement.discs)}")
        centre = disc_center(placement.shapes, placement.frames, disc)
        up = placement.frames[disc.upper].rotation
        lo = placement.frames[disc.lower].rotation
        rot = (up + lo) / 2
    else:
        if at not in placement.frames:
            raise ValueError(
                f"position: vertebra {at!r} is not known; vertebrae: {', '.join(placement.frames)}"
            )
        centre = placement.frames[at].origin
        rot = placement.frames[at].rotation
    x_axis, y_axis = rot[:, 0], rot[:, 1]
    plane = make_plane(
        "axial", centre + forward * y_axis / np.linalg.norm(y_axis), fov=fov, size=size, u=x_axis, v=-y_axis
    )
    return plane


# ---------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SliceImage:
    """One synthetic MR image and what it was made from.

    Attributes
    ----------
    signal : (rows, cols) float32
        Signal intensity (arbitrary units, 1 = fully relaxed pure water).
    labels : (rows, cols) uint8
        Label of the voxel nearest each pixel centre (for regions of interest).
    plane : SlicePlane
    sequence : Sequence
    field : float
    seed : int or None
    """

    signal: np.ndarray
    labels: np.ndarray = field(repr=False)
    plane: SlicePlane = field(repr=False)
    sequence: Sequence = field(repr=False)
    field_t: float = 1.5
    seed: int | None = 0


def sample_labels(grid: VoxelGrid, plane: SlicePlane) -> np.ndarray:
    """Nearest-voxel label of each pixel (air outside the grid)."""
    pts = plane.pixel_centers().reshape(-1, 3)
    return grid.label_at(pts).reshape(plane.size[1], plane.size[0])


def smooth_volume(volume: np.ndarray, sigma_vox: float) -> np.ndarray:
    """3D Gaussian smoothing of a ``(nz, ny, nx)`` float volume (VTK, multithreaded)."""
    if sigma_vox <= 0.05:
        return volume
    image = vtk.vtkImageData()
    image.SetDimensions(*volume.shape[::-1])
    image.GetPointData().SetScalars(numpy_to_vtk(np.ascontiguousarray(volume, np.float32).ravel(), deep=1))
    smooth = vtk.vtkImageGaussianSmooth()
    smooth.SetInputData(image)
    smooth.SetDimensionality(3)
    smooth.SetStandardDeviations(sigma_vox, sigma_vox, sigma_vox)
    smooth.SetRadiusFactors(2.5, 2.5, 2.5)
    smooth.Update()
    return vtk_to_numpy(smooth.GetOutput().GetPointData().GetScalars()).reshape(volume.shape)


def sample_table(
    grid: VoxelGrid, plane: SlicePlane, table: np.ndarray, *, smooth_mm: float = 0.0
) -> np.ndarray:
    """Trilinear interpolation of a per-label value (e.g. signal) on the plane.

    With ``smooth_mm`` the per-voxel values are first smoothed in 3D (only in
    the box the plane passes through): a voxel at a boundary then holds a
    mixture of both tissues, as a real voxel does (partial volume), and
    tissue edges lose the staircase of the label grid.
    """
    pts = plane.pixel_centers().reshape(-1, 3)
    idx = grid.to_index(pts)
    nz, ny, nx = grid.shape
    table = np.asarray(table, np.float32)
    pad = int(np.ceil(2.5 * smooth_mm / grid.spacing)) + 1
    lo = np.clip(np.floor(idx.min(0)).astype(int) - pad, 0, [nx - 1, ny - 1, nz - 1])
    hi = np.clip(np.ceil(idx.max(0)).astype(int) + pad + 1, lo + 1, [nx, ny, nz])
    volume = table[grid.labels[lo[2] : hi[2], lo[1] : hi[1], lo[0] : hi[0]]]
    volume = smooth_volume(volume, smooth_mm / grid.spacing)
    idx = idx - lo
    sz, sy, sx = volume.shape
    base = np.floor(idx).astype(np.int64)
    frac = (idx - base).astype(np.float32)
    out = np.zeros(len(pts), np.float32)
    for dk in (0, 1):
        wk = frac[:, 2] if dk else 1 - frac[:, 2]
        k = base[:, 2] + dk
        for dj in (0, 1):
            wj = frac[:, 1] if dj else 1 - frac[:, 1]
            j = base[:, 1] + dj
            for di in (0, 1):
                wi = frac[:, 0] if di else 1 - frac[:, 0]
                i = base[:, 0] + di
                ok = (i >= 0) & (i < sx) & (j >= 0) & (j < sy) & (k >= 0) & (k < sz)
                vals = np.zeros(len(pts), np.float32)
                vals[ok] = volume[k[ok], j[ok], i[ok]]
                out += wk * wj * wi * vals
    return out.reshape(plane.size[1], plane.size[0])


def mr_slice(
    grid: VoxelGrid,
    plane: SlicePlane,
    seq: Sequence,
    *,
    field: float = 1.5,
    seed: int | None = 0,
    blur: bool = True,
    texture: bool = True,
) -> SliceImage:
    """A synthetic MR image of ``grid`` on ``plane`` with sequence ``seq``.

    Parameters
    ----------
    grid : VoxelGrid
    plane : SlicePlane
    seq : Sequence
        From :data:`.signal.SEQUENCES`.
    field : {1.5, 3.0}
        Field strength in tesla.
    seed : int or None
        Seed of the Rician noise; ``None`` gives a noise-free image.
    blur : bool
        Apply the acquisition's point-spread and the partial volume of the grid.
    texture : bool
        Add the tissues' fixed texture (:mod:`.texture`).
    """
    table = signal_table(grid.tissues, seq, field)
    img = sample_table(grid, plane, table, smooth_mm=PARTIAL_VOLUME_MM if blur else 0.0)
    labels = sample_labels(grid, plane)
    if texture:
        img = img * modulation(plane.pixel_centers(), labels, grid.names)
    if blur:
        img = gaussian_blur(img, BLUR_MM / plane.pixel_mm)
    if seed is not None:
        img = rician(img, noise_sigma(field), seed)
    return SliceImage(img.astype(np.float32), labels, plane, seq, field, seed)


def roi_mean(image: SliceImage, grid: VoxelGrid, name: str, *, erode_px: int = 1) -> float:
    """Mean signal of the pixels labelled ``name`` (eroded to avoid partial volume)."""
    mask = image.labels == grid.label(name)
    for _ in range(erode_px):
        inner = mask.copy()
        inner[1:] &= mask[:-1]
        inner[:-1] &= mask[1:]
        inner[:, 1:] &= mask[:, :-1]
        inner[:, :-1] &= mask[:, 1:]
        mask = inner
    if not mask.any():
        raise ValueError(f"label {name!r} has no pixels on this slice")
    return float(image.signal[mask].mean())
