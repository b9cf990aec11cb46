"""One offscreen scene: a plotter, one actor per part, lights and cameras.

:class:`ScenePresenter` owns a single :class:`pyvista.Plotter` and keeps its
actors keyed by part name; :meth:`ScenePresenter.update` swaps new meshes
into the existing actors in place, so an app can change a condition without
rebuilding the scene.  :func:`render_png` is the one-call convenience.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyvista as pv
from vtkmodules.vtkCommonDataModel import vtkPlane
from vtkmodules.vtkFiltersGeneral import vtkContourTriangulator
from vtkmodules.vtkRenderingCore import vtkProperty

from . import offscreen
from .cameras import CameraPose, check_camera, frame, points_of, pose_for
from .style import Appearance, looks

BACKGROUND_TOP = "#FBFAF7"
BACKGROUND_BOTTOM = "#D6D5D1"
"""A soft paper-white to warm-grey gradient: bone and nerves stand out
against it without the hard edge of a black background."""

ANTI_ALIASING = ("fxaa", "ssaa", "msaa", "none")
DEFAULT_ANTI_ALIASING = "fxaa"
"""FXAA (a post-process on the finished frame) costs about 0.08 s of a 1080p
frame on llvmpipe; our SSAA is smoother but about twice the cost of a frame,
MSAA more still (benchmarks/bench_render.py)."""
DEFAULT_DEPTH_PEELING = False
"""The translucent parts (annulus, dural sac, see-through bone) lie mostly over
opaque ones and seldom over each other, so VTK's order-independent
translucency (one blended pass, on whenever depth peeling is off) gives the
same picture as 8 depth peels (measured: mean difference 0.02–0.15 of 255
levels, at most 0.01 % of pixels off by more than 20, for the healthy
lateral and oblique views, Modic 1 and the axial section) at two thirds of
the cost: 0.23 s instead of 0.34 s a 1080p frame with FXAA on this 2-core box
(load 2–3; CPU 0.24 s against 0.35 s at any load; benchmarks/bench_render.py).
Peel for exact ordering where a scene stacks many translucent layers."""
SSAA_SCALE = 1.5
"""Supersampling factor of our own SSAA: rendered at 1.5× and box-filtered down."""

DEFAULT_SIZE = (1920, 1080)

Parts = Mapping[str, pv.PolyData]


def check_size(size) -> tuple[int, int]:
    """Return ``(width, height)`` if both are whole numbers in 16–8192, else raise a clear error."""
    try:
        width, height = (int(s) for s in size)
    except (TypeError, ValueError):
        msg = f"size: {size!r} is not a (width, height) pair"
        raise ValueError(msg) from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        msg = f"size: {width}x{height} is out of range; width and height must be 16–8192 pixels"
        raise ValueError(msg)
    return width, height


def check_anti_aliasing(anti_aliasing: str) -> str:
    """Return ``anti_aliasing`` if known, else raise a clear error."""
    if anti_aliasing not in ANTI_ALIASING:
        msg = f"anti_aliasing: {anti_aliasing!r} is not allowed; choose one of {', '.join(ANTI_ALIASING)}"
        raise ValueError(msg)
    return anti_aliasing


@dataclass(frozen=True)
class Section:
    """A cutting plane: parts are kept on the side ``keep`` points to."""

    origin: tuple[float, float, float]
    keep: tuple[float, float, float]


SECTION_SHADE = 0.82
"""Brightness of a cut face relative to the part's colour."""

SECTION_FINDINGS = ("herniation", "facet_hypertrophy")
"""Findings that narrow the canal or press on a root: the axial view cuts through their disc."""


def section_for(parts: Parts, camera: str) -> Section | None:
    """The cut a preset uses for these parts, or ``None`` for whole parts.

    Only the axial view cuts, and only when a herniation or a stenosis
    (thickened facets) is present: seen from above, the vertebra over the
    disc hides the canal, the roots and the disc material that press on
    them.  The cut runs horizontally through the middle of the affected
    disc's nucleus and keeps what lies below, so the view is a radiologist's
    axial slice at the disc level, seen from above.
    """
    if camera != "axial":
        return None
    discs = [n.split(".")[0] for n in parts if set(n.split(".")) & set(SECTION_FINDINGS)]
    for disc in discs:
        centre = _middle(parts.get(f"{disc}.nucleus"))
        if centre is None:
            centre = _middle(parts.get(f"{disc}.annulus"))
        if centre is not None:
            return Section(tuple(centre), (0.0, 0.0, -1.0))
    return None


SECTION_FRAMED = ("annulus", "dural_sac", *SECTION_FINDINGS)
SECTION_BAND = 6.0
"""The sectioned axial view frames the disc, the canal and the finding within
this many mm below the cut: the slice the finding lies in, close up, with the
arch around the canal cut off at the edges rather than the canal made small."""
SECTION_PAD = 6.0
"""Extra room (mm) around the framed slice, so the laminae behind the canal show."""


def section_points(parts: Parts, section: Section) -> np.ndarray:
    """Surface points of disc, canal and finding near the cut (of all parts if there are none)."""
    names = [n for n in parts if set(n.split(".")) & set(SECTION_FRAMED)] or list(parts)
    points = points_of(parts, names)
    depth = (points - np.asarray(section.origin)) @ np.asarray(section.keep)
    near = points[(depth >= 0) & (depth <= SECTION_BAND)]
    if len(near) < 8:
        return points
    # Room for the bony ring around the canal: the laminae lie behind the sac.
    lo, hi = near.min(axis=0), near.max(axis=0)
    return np.vstack([near, [lo - SECTION_PAD, hi + SECTION_PAD]])


SECTION_CONTAINERS = ("dural_sac",)
"""Parts that hold others (the sac holds the cauda equina and the roots): cut,
they show their inner wall rather than a cap."""
CAP_LIFT = 0.02
"""Caps sit this many mm inside the kept half, so the clipping of the parts never touches them."""


def section_cap(mesh, section: Section) -> pv.PolyData | None:
    """The flat cut face of a closed mesh on the section plane, or ``None`` if the plane misses it."""
    if mesh is None or mesh.GetNumberOfCells() == 0:
        return None
    mesh = pv.wrap(mesh)
    lo, hi = np.asarray(mesh.bounds, float).reshape(3, 2).T
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    side = (corners - np.asarray(section.origin)) @ np.asarray(section.keep)
    if side.min() >= 0 or side.max() <= 0:
        return None
    keep = np.asarray(section.keep, float)
    outline = mesh.slice(normal=keep, origin=np.asarray(section.origin) + keep * CAP_LIFT)
    if outline.n_cells == 0:
        return None
    fill = vtkContourTriangulator()
    fill.SetInputData(outline)
    fill.Update()
    cap = pv.wrap(fill.GetOutput())
    return cap if cap.n_cells else None


def _section_property(look: Appearance) -> vtkProperty:
    """Flat shading of a cut face: the part's colour a shade darker, with no light direction."""
    prop = vtkProperty()
    prop.SetColor(*(c * SECTION_SHADE for c in look.color))
    prop.SetAmbient(1.0)
    prop.SetDiffuse(0.0)
    prop.SetSpecular(0.0)
    prop.SetOpacity(look.opacity)
    return prop


def _middle(mesh) -> np.ndarray | None:
    if mesh is None or mesh.n_points == 0:
        return None
    lo, hi = np.asarray(mesh.bounds, float).reshape(3, 2).T
    return (lo + hi) / 2


def prepare_mesh(mesh: pv.PolyData, look: Appearance) -> pv.PolyData:
    """A copy of ``mesh`` with point normals split at sharp edges.

    Smooth shading everywhere would round off the cut faces of the bony
    endplates; splitting at ``look.feature_angle`` keeps those creases.
    """
    if mesh.n_cells == 0:
        return mesh.copy()
    out = mesh.compute_normals(
        cell_normals=False,
        point_normals=True,
        split_vertices=True,
        feature_angle=look.feature_angle,
        consistent_normals=False,
        auto_orient_normals=False,
    )
    # Keep only the normals: leftover arrays would make the mapper colour by them.
    for key in list(out.point_data):
        if key != "Normals":
            del out.point_data[key]
    out.cell_data.clear()
    out.point_data.active_normals_name = "Normals"
    return out


PREPARED_KEPT = 160
"""Prepared meshes kept (about 40 toggles' worth of changed parts at medium detail)."""
_prepared: OrderedDict[tuple[int, float], tuple[pv.PolyData, pv.PolyData]] = OrderedDict()


def prepared_mesh(mesh: pv.PolyData, look: Appearance) -> pv.PolyData:
    """:func:`prepare_mesh`, remembered for the last :data:`PREPARED_KEPT` meshes.

    The condition builder hands back the very same objects for a state seen
    before, so going back to it (a toggle off, a tour step back) needs no new
    normals.  The result is shared: copy it before changing it.
    """
    key = (id(mesh), look.feature_angle)
    kept = _prepared.get(key)
    if kept is not None and kept[0] is mesh:
        _prepared.move_to_end(key)
        return kept[1]
    out = prepare_mesh(mesh, look)
    _prepared[key] = (mesh, out)  # the input is kept too, so its id is not reused
    while len(_prepared) > PREPARED_KEPT:
        _prepared.popitem(last=False)
    return out


def apply_look(actor: pv.Actor, look: Appearance) -> None:
    """Give an actor the colour, opacity and finish of ``look`` (its mesh is untouched).

    Back faces are culled, as when parts are added.
    """
    prop = actor.prop
    prop.color = look.color
    prop.opacity = look.opacity
    prop.specular = look.specular
    prop.specular_power = look.specular_power
    prop.ambient = look.ambient
    prop.diffuse = look.diffuse
    prop.SetBackfaceCulling(True)


def _add_lights(plotter: pv.Plotter) -> None:
    """Key, fill and rim lights that move with the camera.

    Positions are in camera coordinates (camera at +z, up +y): the key light
    comes from the upper left front, the fill from the lower right and a
    weaker rim light from behind outlines the silhouette.
    """
    plotter.remove_all_lights()
    for position, intensity in (
        ((-0.8, 1.0, 1.2), 0.9),  # key
        ((1.0, -0.35, 0.9), 0.4),  # fill
        ((0.3, 0.8, -1.0), 0.5),  # rim
    ):
        light = pv.Light(position=position, focal_point=(0.0, 0.0, 0.0), light_type="camera light")
        light.intensity = intensity
        plotter.add_light(light)


class ScenePresenter:
    """An offscreen scene of named parts.

    Parameters
    ----------
    size : tuple of int, optional
        Image width and height in pixels.
    anti_aliasing : {"fxaa", "ssaa", "msaa", "none"}, optional
        ``"fxaa"`` smooths edges in a cheap post-process (the default);
        ``"ssaa"`` renders at :data:`SSAA_SCALE` times the size and filters
        down (smoothest, for stills); ``"msaa"`` uses 8 OpenGL samples.
    depth_peeling : bool, optional
        Exact ordering of translucent parts by depth peeling (see
        :data:`DEFAULT_DEPTH_PEELING`); without it VTK blends them order-independently.

    Examples
    --------
    >>> scene = ScenePresenter(size=(400, 400))  # doctest: +SKIP
    >>> scene.update(build_model().parts)  # doctest: +SKIP
    >>> scene.screenshot("lateral").shape  # doctest: +SKIP
    (400, 400, 3)
    """

    def __init__(
        self,
        *,
        size: tuple[int, int] = DEFAULT_SIZE,
        anti_aliasing: str = DEFAULT_ANTI_ALIASING,
        depth_peeling: bool = DEFAULT_DEPTH_PEELING,
    ) -> None:
        offscreen.ensure_rendering()
        self.size = check_size(size)
        self.anti_aliasing = check_anti_aliasing(anti_aliasing)
        scale = SSAA_SCALE if self.anti_aliasing == "ssaa" else 1.0
        self._render_size = (round(self.size[0] * scale), round(self.size[1] * scale))
        self.plotter = pv.Plotter(
            off_screen=True,
            window_size=list(self._render_size),
            lighting="none",
        )
        if self.anti_aliasing == "msaa":
            self.plotter.enable_anti_aliasing("msaa", multi_samples=8)
        else:
            self.plotter.disable_anti_aliasing()
        # Set on the renderer itself: this is a true FXAA pass under EGL too
        # (pyvista's "fxaa" switch is not what runs there).
        self.plotter.renderer.SetUseFXAA(self.anti_aliasing == "fxaa")
        self.plotter.set_background(BACKGROUND_BOTTOM, top=BACKGROUND_TOP)
        _add_lights(self.plotter)
        self.depth_peeling = depth_peeling
        if depth_peeling:
            # Occlusion ratio 0: stop only when a peel changes nothing.  With
            # back faces of translucent parts culled, layers are few and the
            # loop stops early; a ratio of 0.1 saved little and left stray
            # pixels (benchmarks/bench_render.py).
            self.plotter.enable_depth_peeling(number_of_peels=4, occlusion_ratio=0.0)
        self.actors: dict[str, pv.Actor] = {}
        self._inputs: dict[str, pv.PolyData] = {}
        self.looks: dict[str, Appearance] = {}
        self.camera = "lateral"
        self.section: Section | None = None
        self._caps: dict[str, pv.Actor] = {}

    # -- parts -------------------------------------------------------------
    def update(self, parts: Parts) -> None:
        """Show exactly ``parts``: new names get actors, known names get their data swapped in place.

        Parts no longer listed are removed.  Inputs are not modified.
        """
        for name in [n for n in self.actors if n not in parts]:
            self.plotter.remove_actor(self.actors.pop(name), render=False)
            self.looks.pop(name, None)
            self._inputs.pop(name, None)
        # Looks depend on the other parts (a Modic zone makes its body see-through),
        # so an unchanged mesh may still need a new look.
        wanted = looks(parts)
        for name, mesh in parts.items():
            look = wanted[name]
            # The condition builder hands back the very same object for an
            # untouched part: skip it (a toggle then re-prepares only what changed).
            if name in self.actors and self._inputs.get(name) is mesh:
                if self.looks[name] != look:
                    self._restyle(name, look)
                continue
            self._inputs[name] = mesh
            prepared = prepared_mesh(mesh, look)
            if name in self.actors and self.looks[name] == look:
                self.actors[name].mapper.dataset.copy_from(prepared)
                continue
            if name in self.actors:
                self.plotter.remove_actor(self.actors.pop(name), render=False)
            self.actors[name] = self._add(name, prepared.copy(), look)
            self.looks[name] = look
        if self.section is not None:
            self.set_section(self.section)  # new actors and looks get the cut too

    def prepare(self, parts: Parts) -> None:
        """Do ahead the work :meth:`update` would do for ``parts`` (their normals); nothing shown changes."""
        wanted = looks(parts)
        for name, mesh in parts.items():
            prepared_mesh(mesh, wanted[name])

    def _restyle(self, name: str, look: Appearance) -> None:
        """Give an existing actor a new look without touching its mesh."""
        if look.feature_angle != self.looks[name].feature_angle:
            self.actors[name].mapper.dataset.copy_from(prepared_mesh(self._inputs[name], look))
        apply_look(self.actors[name], look)
        self.looks[name] = look

    def _add(self, name: str, mesh: pv.PolyData, look: Appearance) -> pv.Actor:
        # A translucent closed part drawn with its back faces veils what is
        # inside twice (near wall and inner wall); culling them keeps one layer,
        # so the nucleus reads pale through the annulus.  Parts are closed and
        # wound outward (geometry guarantees it), so culling loses nothing, and
        # an opaque part's back faces are always hidden behind its front: not
        # rasterising them saves about a third of a frame on llvmpipe.
        culling = "back"
        return self.plotter.add_mesh(
            mesh,
            name=name,
            color=look.color,
            opacity=look.opacity,
            # Our own normals (split at creases) drive the shading; pyvista's
            # smooth_shading would put a filter between the actor and the data
            # and break in-place updates.
            smooth_shading=False,
            interpolation="phong",
            specular=look.specular,
            specular_power=look.specular_power,
            ambient=look.ambient,
            diffuse=look.diffuse,
            culling=culling,
            reset_camera=False,
            render=False,
        )

    @property
    def parts(self) -> dict[str, pv.PolyData]:
        """The meshes shown now, keyed by part name."""
        return {name: actor.mapper.dataset for name, actor in self.actors.items()}

    def set_visible(self, visible: Iterable[str] | Callable[[str], bool]) -> None:
        """Show only the named parts (or those a predicate accepts); hide the rest."""
        test = visible if callable(visible) else set(visible).__contains__
        for name, actor in self.actors.items():
            actor.SetVisibility(bool(test(name)))

    def visible_parts(self) -> dict[str, pv.PolyData]:
        return {n: a.mapper.dataset for n, a in self.actors.items() if a.GetVisibility()}

    # -- camera ------------------------------------------------------------
    def set_camera(self, camera: str | CameraPose = "lateral") -> CameraPose:
        """Move to a preset framed on the visible parts, or to an explicit pose.

        A preset also chooses the section: the axial view of a herniation or a
        stenosis looks down on a cut through the affected disc (:func:`section_for`);
        every other preset shows the whole parts.  An explicit pose keeps the
        section as it is (see :meth:`set_section`).
        """
        if isinstance(camera, str):
            self.camera = check_camera(camera)
            shown = self.visible_parts() or self.parts
            section = section_for(shown, self.camera)
            aspect = self.size[0] / self.size[1]
            if section is None:
                camera = pose_for(shown, camera, aspect=aspect)
            else:
                camera = frame(section_points(shown, section), camera, aspect=aspect)
            self.set_section(section)
        cam = self.plotter.camera
        cam.position = camera.position
        cam.focal_point = camera.focal_point
        cam.up = camera.view_up
        cam.view_angle = camera.view_angle
        self.plotter.renderer.ResetCameraClippingRange()
        return camera

    def set_section(self, section: Section | None) -> None:
        """Cut every part away on one side of a plane, or show whole parts again (``None``).

        The cut is made by the mappers (no part's mesh is rebuilt), and each
        part the plane crosses gets a flat *cap* in a slightly darker
        shade of its colour, lying on the plane: from the kept side the cut
        reads as a solid cross-section, as in an atlas, and the caps hide the
        inside of the shells (whose surfaces touch their neighbours' and would
        flicker).  A part that holds others (:data:`SECTION_CONTAINERS`) shows
        its inner wall, flat, instead.
        """
        self.section = section
        for cap in self._caps.values():
            self.plotter.remove_actor(cap, render=False)
        self._caps = {}
        for name, actor in self.actors.items():
            mapper = actor.GetMapper()
            mapper.RemoveAllClippingPlanes()
            if section is None:
                actor.SetBackfaceProperty(None)
                actor.GetProperty().SetBackfaceCulling(True)
                continue
            plane = vtkPlane()
            plane.SetOrigin(*section.origin)
            plane.SetNormal(*section.keep)
            mapper.AddClippingPlane(plane)
            look = self.looks[name]
            inside = _section_property(look)
            # Where a cap cannot be made (an open cut), the inside still reads as a cut face.
            actor.SetBackfaceProperty(inside)
            actor.GetProperty().SetBackfaceCulling(look.translucent)
            if name.split(".")[0] in SECTION_CONTAINERS:
                # A cap over the whole cut (the sac over the roots inside it) would
                # veil what it holds: a container shows its inner wall instead,
                # which lies below the caps of the parts within.
                actor.GetProperty().SetBackfaceCulling(False)
                continue
            cap = section_cap(mapper.GetInput(), section)
            if cap is not None:
                cap_actor = self.plotter.add_mesh(
                    cap, name=f"{name} (section)", reset_camera=False, render=False, culling=None
                )
                cap_actor.SetProperty(inside)
                cap_actor.SetVisibility(actor.GetVisibility())
                cap_actor.SetPickable(False)
                self._caps[name] = cap_actor

    @property
    def section_caps(self) -> dict[str, pv.PolyData]:
        """The cut faces shown now, keyed by the name of the part they close (empty without a section)."""
        return {name: cap.mapper.dataset for name, cap in self._caps.items()}

    def _sync_caps(self) -> None:
        for name, cap in self._caps.items():
            cap.SetVisibility(self.actors[name].GetVisibility())

    def world_to_pixel(self, points) -> np.ndarray:
        """Image pixel ``(column, row)`` of world points, row 0 at the top of the screenshot."""
        renderer = self.plotter.renderer
        out = []
        for p in np.atleast_2d(np.asarray(points, float)):
            renderer.SetWorldPoint(*p, 1.0)
            renderer.WorldToDisplay()
            x, y, _ = renderer.GetDisplayPoint()
            out.append((x, self._render_size[1] - 1 - y))
        scale = self.size[0] / self._render_size[0]
        return np.asarray(out) * scale

    # -- images ------------------------------------------------------------
    def screenshot(self, camera: str | CameraPose | None = None, *, transparent: bool = False) -> np.ndarray:
        """Render and return the image, ``(height, width, 3)`` or RGBA when ``transparent``."""
        if camera is not None:
            self.set_camera(camera)
        renderer = self.plotter.renderer
        renderer.ResetCameraClippingRange()
        # Peeling costs about a third of a frame on llvmpipe: spend it only when
        # something translucent is on screen.
        renderer.SetUseDepthPeeling(self.depth_peeling and self.shows_translucent())
        self._sync_caps()
        # The gradient is drawn as opaque pixels, so it must be off for a transparent image.
        renderer.SetGradientBackground(not transparent)
        self.plotter.render()
        image = self.plotter.screenshot(transparent_background=transparent, return_img=True)
        if transparent:
            renderer.SetGradientBackground(True)
        if self._render_size != self.size:
            image = downsample(image, self.size)
        return image

    def shows_translucent(self) -> bool:
        """Whether any visible part is drawn translucent (and so needs depth peeling)."""
        return any(a.GetVisibility() and a.GetProperty().GetOpacity() < 1.0 for a in self.actors.values())

    def save_png(
        self, path: str | Path, camera: str | CameraPose | None = None, *, transparent: bool = False
    ) -> Path:
        """Render and write a PNG; returns the path."""
        from PIL import Image

        image = self.screenshot(camera, transparent=transparent)
        path = Path(path)
        Image.fromarray(image).save(path, compress_level=1)
        return path

    def close(self) -> None:
        self.plotter.close()

    def __enter__(self) -> ScenePresenter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def downsample(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Filter an image down to ``size`` (width, height) with an area (box) filter."""
    from PIL import Image

    mode = "RGBA" if image.shape[2] == 4 else "RGB"
    small = Image.fromarray(np.ascontiguousarray(image), mode).resize(size, Image.Resampling.BOX)
    return np.asarray(small)


def render_png(
    parts: Parts,
    path: str | Path,
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    camera: str = "lateral",
    transparent: bool = False,
    anti_aliasing: str = DEFAULT_ANTI_ALIASING,
) -> Path:
    """Render parts to a PNG in one call.

    Parameters
    ----------
    parts : Mapping[str, pyvista.PolyData]
        Part meshes keyed by name (e.g. ``build_model().parts``).
    path : str or Path
        Output PNG.
    size : tuple of int, optional
        Width and height in pixels.
    camera : str, optional
        A preset of :data:`spineviz.render.cameras.CAMERAS`.
    transparent : bool, optional
        Transparent background instead of the gradient.
    anti_aliasing : {"fxaa", "ssaa", "msaa", "none"}, optional
        See :class:`ScenePresenter`.

    Returns
    -------
    Path
    """
    check_camera(camera)
    with ScenePresenter(size=size, anti_aliasing=anti_aliasing) as scene:
        scene.update(parts)
        return scene.save_png(path, camera, transparent=transparent)
