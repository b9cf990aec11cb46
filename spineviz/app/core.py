"""The browser app: one trame server showing one scene.

:class:`SpineVizApp` owns its trame server, its scene presenters and the
validated state; nothing lives in module globals, so a test can make as many
apps as it likes (one per fresh server).  Every value a browser writes is
checked before anything reacts: condition fields against the state
vocabulary (:meth:`State.replace`), view fields by :func:`.viewstate.check_view`.
A refused value is logged, shown as a calm notice, and put back; the session
goes on.

The layout (:mod:`.ui`) only binds to state; the methods here only react.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import numpy as np
from trame.app import TrameApp

from spineviz.conditions.state import FIELDS, State, StateError
from spineviz.geometry.names import group_of
from spineviz.render.cameras import CameraPose, focus_names, points_of
from spineviz.render.scene import ScenePresenter
from spineviz.render.scenes import load_scenes, matches
from spineviz.render.scenes.shots import scene_pose

from . import framing, text
from .delivery import encode_in_place
from .source import PartSource, clip_section
from .timeline import mark, watch_image_delivery
from .viewstate import (
    CAMERA_QUERY_KEY,
    CONDITION_KEYS,
    PANEL_KEYS,
    POSITION_MM,
    RENDERING_MODES,
    SEQUENCES,
    VIEW_KEYS,
    ViewError,
    ViewState,
    changed_conditions,
    check_view,
    condition_tokens,
)

log = logging.getLogger("spineviz.app")

VIEW_SIZE = (960, 720)
PORTRAIT_ASPECT = 0.75
"""Views narrower than this (width / height) are taken for an upright phone."""
TOUR_CARD_SHARE = 0.42
"""Share of an upright phone's view the tour card may cover, from the top (ui.py's .sv-tour)."""
FIRST_WINDOW = (64, 48)
"""The render windows' size until the browser sends its view's: trame-vtk
renders once at the server's size as a view connects, an image nobody sees,
so it had better be small (same shape as :data:`VIEW_SIZE`)."""
STALE_WAIT_S = 0.05
"""trame-vtk waits this long before re-sending an image that was not ready
(its default 0.5 s dominated click-to-pixels latency; see platform notes)."""

PLANE_COLOUR = "#1e88e5"
"""The MR slice's plane in the 3D view: a clear blue no tissue is drawn in."""

PREFETCH_DELAY_S = 0.25
"""Work ahead starts this long after a change, once its image has gone out."""

KEY_MODIC = {"0": "0", "1": "1", "2": "2", "3": "3"}


class SpineVizApp(TrameApp):
    """The spineviz browser app on one trame server.

    Parameters
    ----------
    server : trame Server or str, optional
        The server to use (a fresh one per test); ``None`` for trame's default.
    shared : bool, optional
        Every connected browser follows one state (a wall screen following a
        tablet).  Without it the process serves one visitor and ends when
        that visitor leaves (see :mod:`.sessions`).
    rendering : {"remote", "local"}, optional
        Images rendered here and streamed (``"remote"``), or geometry sent
        once and drawn by vtk.js in the browser (``"local"``).
    detail : {"low", "medium", "high"}, optional
        Mesh resolution.
    idle_exit_s : float, optional
        In per-visitor mode, seconds after the visitor's last connection
        closes before the process ends; 0 never ends.
    """

    def __init__(
        self,
        server=None,
        *,
        shared: bool = False,
        rendering: str = "remote",
        detail: str = "medium",
        idle_exit_s: float = 0.0,
    ) -> None:
        super().__init__(server, client_type="vue3")
        if rendering not in RENDERING_MODES:
            msg = f"rendering: {rendering!r} is not allowed; choose one of {', '.join(RENDERING_MODES)}"
            raise ValueError(msg)
        self.shared = shared
        self.rendering = rendering
        self.idle_exit_s = idle_exit_s
        self.source = PartSource(detail=detail)
        self.conditions = State()
        self.view = ViewState()
        self.presenter = ScenePresenter(size=VIEW_SIZE, anti_aliasing="none")
        # The healthy twin for compare mode shares the camera: views move together.
        self.healthy = ScenePresenter(size=VIEW_SIZE, anti_aliasing="none")
        self.healthy.plotter.renderer.camera = self.presenter.plotter.renderer.camera
        for presenter in (self.presenter, self.healthy):
            presenter.plotter.render_window.SetSize(*FIRST_WINDOW)
        # A phone, half a screen when comparing, the view beside the 2D panel: reframe.
        # The healthy twin shares the camera, so it is sent again too.
        framing.on_reshape(self.presenter.plotter.render_window, self._reshaped)
        self.scenes = load_scenes()
        self._tour = -1
        self._scene_hidden: set[str] = set()
        self._labels_actor = None
        self.labelled: list[str] = []
        """The parts named while "show all labels" is on."""
        self._plane_actor = None
        self._clients = 0
        self._held = 0
        self._push_pending = False
        self._ahead_generation = 0
        self.views: list = []

        self._init_state()
        self._register()
        self._draw(reset_camera=True)
        from .ui import build_ui

        self.ui = build_ui(self)

    # ---- state --------------------------------------------------------------
    def _init_state(self) -> None:
        state = self.state
        state.trame__title = "spineviz"
        state.update(condition_tokens(self.conditions))
        state.update(dataclasses.asdict(self.view))
        state.update(
            {
                "notice": "",
                "picked_name": "",
                "picked_title": "",
                "picked_text": "",
                "share_query": "",
                "rendering": self.rendering,
                "draw_count": 0,
                "tour_index": -1,
                "tour_count": len(self.scenes),
                "tour_title": "",
                "tour_caption": "",
                "tour_sources": [],
                "mri_src": "",
                "mri_caption": "",
                "nerves_src": "",
                "nerves_source": "",
                "mri_range": list(POSITION_MM),
            }
        )
        self._apply_language()

    def _register(self) -> None:
        self.state.change(*CONDITION_KEYS)(self._on_conditions)
        for key in VIEW_KEYS:
            self.state.change(key)(self._view_reaction(key))
        self.server.trigger("apply_url")(self.apply_url)
        self.server.trigger("pick")(self.pick)
        self.server.trigger("key")(self.on_key)
        self.server.trigger("screenshot_png")(self.screenshot_png)
        self.server.trigger("share")(self.share)
        self.server.trigger("camera_moved")(self._push)
        self.server.trigger("tour_step")(self.tour_step)
        self.server.trigger("tour_close")(self.tour_close)
        self.server.trigger("reset_conditions")(self.reset_conditions)
        self.ctrl.on_client_connected.add(self._on_client_connected)
        self.ctrl.on_client_exited.add(self._on_client_exited)
        self.ctrl.on_server_ready.add(self._on_server_ready)

    # ---- reactions: conditions ----------------------------------------------
    def _on_conditions(self, **_: Any) -> None:
        mark("app: condition change arrived")
        incoming = {k: self.state[k] for k in CONDITION_KEYS}
        changes = changed_conditions(self.conditions, incoming)
        if not changes:
            return
        self.set_conditions(changes)

    def set_conditions(self, changes: Mapping[str, Any]) -> bool:
        """Apply condition changes from a browser or a key; refused changes are put back.

        Returns
        -------
        bool
            True when the changes were accepted and drawn.
        """
        try:
            new = self.conditions.replace(**changes)
            self.source.parts(new)
            mark("app: conditions built")
        except StateError as err:
            self._refuse(err, condition_tokens(self.conditions))
            return False
        except Exception as err:  # a bad value must never end the session
            log.exception("building %s failed", dict(changes))
            self._refuse(err, condition_tokens(self.conditions))
            return False
        self.conditions = new
        self.state.update(condition_tokens(new))
        self.state.notice = ""
        self._draw()
        self._prefetch_neighbours(changes)
        return True

    def reset_conditions(self) -> None:
        """Back to the healthy segment (the view settings stay)."""
        self.set_conditions(condition_tokens(dataclasses.replace(State(), level=self.conditions.level)))

    def _refuse(self, err: Exception, restore: Mapping[str, Any]) -> None:
        log.error("refused a value from the browser: %s", err)
        self.state.notice = f"{self.state.t['invalid']}: {err}"
        # Send the good values back even where our copy did not change, so
        # the browser that sent the bad one is corrected too.
        self.state.update(dict(restore))
        self.state.dirty(*restore)

    # ---- reactions: view ----------------------------------------------------
    def _view_reaction(self, key: str):
        def react(**_: Any) -> None:
            raw = self.state[key]
            if raw == getattr(self.view, key):
                return
            try:
                value = check_view(key, raw)
            except ViewError as err:
                self._refuse(err, {key: getattr(self.view, key)})
                return
            setattr(self.view, key, value)
            self._apply_view(key)

        return react

    def set_view(self, **changes: Any) -> None:
        """Change view fields from Python (validated like browser values)."""
        self.state.update(changes)
        self.state.flush()

    def _apply_view(self, key: str) -> None:
        if key == "lang":
            self._apply_language()
            if self.view.labels:
                self._update_labels()
                self._push()
        elif key == "camera":
            self.presenter.set_camera(self.view.camera)
            self._refit()
            self._push()
        elif key in ("visible", "opacity"):
            self._style_actors()
            if key == "visible" and self.view.labels:
                self._update_labels()  # a hidden group's names go with it
            self._push()
        elif key in ("clip", "clip_axis", "clip_offset", "compare"):
            if key == "clip_offset" and not self.view.clip:
                return
            self._draw()
        elif key == "labels":
            self._update_labels()
            self._push()
        elif key in PANEL_KEYS:
            self._update_panel()
            self._push()

    def _apply_language(self) -> None:
        lang = self.view.lang
        self.state.t = text.strings(lang)
        self.state.field_ui = [
            {
                "name": spec.name,
                "kind": spec.kind,
                "title": spec.title[lang],
                "help": spec.help[lang],
                "items": [
                    {"title": label, "value": token}
                    for label, token in zip(spec.labels[lang], spec.tokens, strict=True)
                ],
            }
            for spec in FIELDS
        ]
        self.state.mri_seq_items = [{"title": k.upper(), "value": k} for k in SEQUENCES]
        self.state.mri_plane_items = [{"title": v[lang], "value": k} for k, v in text.MRI_PLANES.items()]
        self.state.camera_items = [{"title": v[lang], "value": k} for k, v in text.CAMERA_NAMES.items()]
        self.state.clip_items = [{"title": v[lang], "value": k} for k, v in text.CLIP_AXES.items()]
        if self.state.picked_name:
            self._describe(self.state.picked_name)
        if getattr(self, "_tour", -1) >= 0:
            self._caption_tour()
        if self.view.panel:
            self._update_panel()

    # ---- drawing ------------------------------------------------------------
    def shown_parts(self, state: State | None = None) -> dict:
        """The meshes drawn for ``state`` (default: the current one)."""
        return dict(self.source.parts(state or self.conditions))

    def section(self):
        """The cutting plane of the "cut open" control, or ``None``."""
        if not self.view.clip:
            return None
        return clip_section(self.presenter.parts, axis=self.view.clip_axis, offset=self.view.clip_offset)

    def _draw(self, *, reset_camera: bool = False) -> None:
        self.presenter.update(self.shown_parts())
        mark("app: actors updated")
        # The mappers cut (no geometry rebuilt): moving the plane costs one render.
        self.presenter.set_section(self.section())
        self._style_actors()
        self._update_labels()
        if reset_camera:
            self.presenter.set_camera(self.view.camera)
            self._refit()
        if self.view.compare:
            self._draw_healthy()
        if self.view.panel:
            self._update_panel()
        self.state.draw_count = int(self.state.draw_count or 0) + 1
        self._push()

    def _refit(self, aspect: float | None = None) -> None:
        """Frame the segment for the view's present shape, keeping the direction it is seen from."""
        width, height = self.presenter.plotter.window_size
        aspect = aspect or width / height
        if self._tour >= 0:
            self._tour_camera(self.scenes[self._tour], aspect)
            return
        self.presenter.plotter.camera.SetWindowCenter(0.0, 0.0)
        shown = self.presenter.visible_parts() or self.presenter.parts
        points = points_of(shown, focus_names(shown, self.view.camera))
        framing.fit(self.presenter.plotter.camera, points, aspect=aspect)
        self.presenter.plotter.renderer.ResetCameraClippingRange()

    def _draw_healthy(self) -> None:
        healthy = dataclasses.replace(State(), level=self.conditions.level)
        self.healthy.update(self.shown_parts(healthy))
        self.healthy.set_section(self.section())
        self._style_actors(self.healthy)

    def _style_actors(self, presenter: ScenePresenter | None = None) -> None:
        presenter = presenter or self.presenter
        for name, actor in presenter.actors.items():
            group = group_of(name) or "findings"
            shown = self.view.visible.get(group, True) and name not in self._scene_hidden
            actor.SetVisibility(bool(shown))
            base = presenter.looks[name].opacity
            actor.prop.opacity = base * float(self.view.opacity.get(group, 1.0))
        if presenter is self.presenter and self.view.compare:
            self._style_actors(self.healthy)

    def _update_labels(self) -> None:
        plotter = self.presenter.plotter
        if self._labels_actor is not None:
            plotter.remove_actor(self._labels_actor, render=False)
            self._labels_actor = None
            # trame-vtk re-renders only after an event of the render window itself;
            # taking a 2D actor away sends none, and the old image would be sent again.
            plotter.render_window.Modified()
        self.labelled = []
        if not self.view.labels:
            return
        actors = self.presenter.actors
        centres = {n: np.array(a.mapper.dataset.center) for n, a in actors.items() if a.GetVisibility()}
        # Of a left/right pair only the side nearer the camera is named: seen from
        # the side, the two labels would lie on top of each other.
        eye = np.array(plotter.camera.position)
        names = [n for n in centres if not _behind_twin(n, centres, eye)]
        self.labelled = names
        if not names:
            return
        points = np.array([centres[n] for n in names])
        titles = [text.part_title(n, self.view.lang) for n in names]
        self._labels_actor = plotter.add_point_labels(
            points,
            titles,
            font_size=14,
            point_size=1,
            shape_opacity=0.75,
            always_visible=True,
            show_points=False,
            render=False,
            reset_camera=False,
        )

    # ---- the 2D panel -------------------------------------------------------
    def _update_panel(self) -> None:
        """Image of the 2D panel for the current state; the MR slice's plane drawn in 3D."""
        from . import panel2d  # the MRI code loads only when someone opens the panel

        view, state = self.view, self.conditions
        show_plane = view.panel and view.panel_tab == "mri"
        try:
            if show_plane:
                self._show_plane(panel2d.plane_quad(state, view.mri_plane, view.mri_pos))
                self.state.mri_src = panel2d.mri_image(state, view.mri_seq, view.mri_plane, view.mri_pos)
                self.state.mri_caption = panel2d.caption(state, view.mri_seq, view.mri_plane, view.lang)
            else:
                self._show_plane(None)
            if view.panel and view.panel_tab == "nerves":
                self.state.nerves_src = panel2d.nerves_image(view.lang)
                self.state.nerves_source = panel2d.nerves_source(view.lang)
        except Exception as err:  # a slice that cannot be made must not end the session
            log.exception("2D panel for %s failed", view)
            self.state.notice = f"{self.state.t['invalid']}: {err}"

    def _show_plane(self, quad) -> None:
        plotter = self.presenter.plotter
        if quad is None:
            if self._plane_actor is not None:
                plotter.remove_actor(self._plane_actor, render=False)
                self._plane_actor = None
            return
        if self._plane_actor is not None:
            self._plane_actor.mapper.dataset.copy_from(quad)
            return
        self._plane_actor = plotter.add_mesh(
            quad,
            name="__slice_plane",
            color=PLANE_COLOUR,
            opacity=0.35,
            show_edges=True,
            edge_color=PLANE_COLOUR,
            line_width=3,
            lighting=False,
            pickable=False,
            reset_camera=False,
            render=False,
        )

    def _reshaped(self, aspect: float) -> None:
        self._refit(aspect)
        # trame-vtk renders the resized view right after resizing it: only the
        # healthy twin, which shares the camera, needs sending again.
        if self.view.compare:
            for view in self.views[1:]:
                view.update()

    @contextlib.contextmanager
    def _one_frame(self):
        """One image at the end, however many changes inside ask for one.

        A tour step sets state, shown parts and camera: drawn one by one, the
        visitor would wait for a frame nobody should see.
        """
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._push_pending:
                self._push()

    def _push(self, *_: Any) -> None:
        if self._held:
            self._push_pending = True
            return
        self._push_pending = False
        mark("app: push")
        # The healthy twin is hidden unless comparing (ui puts the main view first).
        for view in self.views if self.view.compare else self.views[:1]:
            view.update()

    def _on_server_ready(self, **_: Any) -> None:
        mark("app: server ready")
        protocol = self.server.protocol
        for link in protocol.getLinkProtocols() if protocol else ():
            if hasattr(link, "delta_stale_time_before_render"):
                # Each image encoded as it is rendered: no stale-image wait
                # (platform notes: 0.5 s of every toggle by default).
                link.delta_stale_time_before_render = STALE_WAIT_S
                encode_in_place(link)
                watch_image_delivery(link)
        # Compile the shaders and upload the meshes while the browser builds its page.
        asyncio.get_running_loop().call_soon(self._warm_up)

    def _warm_up(self) -> None:
        if self.rendering == "remote":
            self.presenter.plotter.render_window.Render()
            mark("app: warmed up")

    # ---- sessions -----------------------------------------------------------
    def _on_client_connected(self, **_: Any) -> None:
        mark("app: client connected")
        self._clients += 1
        if not self.shared and self.idle_exit_s > 0:
            # wslink ends the process this long after its last connection
            # closes; set only now so a spare waiting for its visitor lives on.
            web_app = self.server.protocol.publish.__self__.web_app
            web_app.config["timeout"] = self.idle_exit_s

    def _on_client_exited(self, **_: Any) -> None:
        self._clients = max(0, self._clients - 1)

    # ---- triggers from the browser ------------------------------------------
    def apply_url(self, query: Any = "", language: Any = "") -> None:
        """Restore state and camera from a share URL's query; language from the browser.

        In shared mode a screen joining without a query changes nothing.
        """
        with self._one_frame():
            self._apply_url(query if isinstance(query, str) else "", language)

    def _apply_url(self, query: str, language: Any) -> None:
        pairs = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
        lang = pairs.pop("lang", None)
        if lang is None and not (self.shared and self._clients > 1):
            lang = text.browser_language(language if isinstance(language, str) else "")
        camera = pairs.pop("camera", None)
        pose = pairs.pop(CAMERA_QUERY_KEY, None)
        view_changes: dict[str, Any] = {}
        if lang is not None:
            view_changes["lang"] = lang
        if camera is not None:
            view_changes["camera"] = camera
        if view_changes:
            self.set_view(**view_changes)
        if pairs:
            try:
                wanted = State.from_mapping(pairs)
            except StateError as err:
                self._refuse(err, condition_tokens(self.conditions))
            else:
                self.set_conditions(condition_tokens(wanted))
        if pose is not None:
            self._apply_pose(pose)

    def _apply_pose(self, text_pose: str) -> None:
        try:
            numbers = [float(v) for v in text_pose.split(",")]
            if len(numbers) != 9 or not all(np.isfinite(numbers)):
                raise ValueError
        except ValueError:
            self._refuse(ViewError(f"{CAMERA_QUERY_KEY}: {text_pose!r} is not 9 numbers"), {})
            return
        self.presenter.set_camera(CameraPose(tuple(numbers[:3]), tuple(numbers[3:6]), tuple(numbers[6:])))
        self._push()

    def share_query(self) -> str:
        """State and camera as a URL query (``modic=1&pfirrmann=4&…&view=…``)."""
        cam = self.presenter.plotter.camera
        numbers = [*cam.position, *cam.focal_point, *cam.up]
        parts = [self.conditions.to_query()]
        if self.view.lang != text.DEFAULT_LANGUAGE:
            parts.append(f"lang={self.view.lang}")
        parts.append(f"{CAMERA_QUERY_KEY}=" + ",".join(f"{v:.1f}" for v in numbers))
        return "&".join(p for p in parts if p)

    def share(self) -> str:
        self.state.share_query = self.share_query()
        return self.state.share_query

    def pick(self, event: Any = None) -> str:
        """Name the part under a click.

        The remote view's event is ``{"position": {"x", "y"}, "size": [w, h]}``
        in the browser view's pixels, y from the bottom (VTK's convention).
        """
        try:
            x, y = float(event["position"]["x"]), float(event["position"]["y"])
            width, height = self.presenter.plotter.render_window.GetSize()
            size = event.get("size") or (width, height)
            x, y = x * width / float(size[0]), y * height / float(size[1])
        except (TypeError, KeyError, ValueError, IndexError, AttributeError, ZeroDivisionError):
            log.error("refused a pick event from the browser: %r", event)
            return ""
        name = self.part_at(x, height - 1 - y)
        self._describe(name)
        return name

    def part_at(self, x: float, y: float) -> str:
        """The visible part drawn at window pixel ``(x, y)``, y from the top; ``""`` for background."""
        from vtkmodules.vtkRenderingCore import vtkPropPicker

        renderer = self.presenter.plotter.renderer
        height = self.presenter.plotter.render_window.GetSize()[1]
        picker = vtkPropPicker()
        picker.Pick(x, height - 1 - y, 0, renderer)
        actor = picker.GetActor()
        for name, candidate in self.presenter.actors.items():
            if actor is not None and candidate is actor:
                return name
        return ""

    def _describe(self, name: str) -> None:
        lang = self.view.lang
        self.state.picked_name = name
        self.state.picked_title = text.part_title(name, lang) if name else ""
        self.state.picked_text = text.part_sentence(name, lang) if name else ""

    def on_key(self, key: Any = "") -> None:
        """Presenter keys: number keys pick the Modic type, ``c`` toggles compare."""
        if not isinstance(key, str):
            return
        if key in KEY_MODIC:
            self.set_conditions({"modic": KEY_MODIC[key]})
        elif key.lower() == "c":
            self.set_view(compare=not self.view.compare)
        elif key in ("ArrowRight", "ArrowLeft"):
            self.tour_step(1 if key == "ArrowRight" else -1)

    # ---- guided tour ----------------------------------------------------------
    def tour_step(self, delta: Any = 1) -> int:
        """Go ``delta`` steps through the scenes of ``scenes/`` (the tour starts at the first).

        Each step sets the scene's state, camera, hidden parts and caption.
        """
        if not self.scenes or not isinstance(delta, int) or isinstance(delta, bool):
            return self._tour
        with self._one_frame():
            return self._tour_step(delta)

    def _tour_step(self, delta: int) -> int:
        index = min(max(self._tour + delta, 0), len(self.scenes) - 1) if self._tour >= 0 else 0
        scene = self.scenes[index]
        self._tour = index
        self.state.tour_index = index
        if scene.state != self.conditions:
            self.set_conditions(condition_tokens(scene.state))
        parts = self.presenter.parts
        shown = [n for n in parts if any(matches(p, n) for p in scene.parts.show)]
        self._scene_hidden = {
            n for n in parts if n not in shown or any(matches(p, n) for p in scene.parts.hide)
        }
        self._style_actors()
        width, height = self.presenter.plotter.window_size
        self._tour_camera(scene, width / height)
        self._caption_tour()
        self._push()
        self._prefetch_tour(index + 1)
        return index

    def _tour_camera(self, scene, aspect: float) -> None:
        """The scene's camera, framed below the tour card where the card covers the view's top.

        On an upright phone the card spans the width and up to ``TOUR_CARD_SHARE``
        of the height (ui.py); the segment is framed in the part of the view left
        free and moved down into it (the camera's window centre), so the caption
        never hides the vertebra it talks about.
        """
        free = 1.0 - TOUR_CARD_SHARE if aspect < PORTRAIT_ASPECT else 1.0
        self.presenter.set_camera(scene_pose(scene, self.source.parts(self.conditions), aspect=aspect / free))
        camera = self.presenter.plotter.camera
        # Zoom(free) widens the view angle so the framed height is the free share of
        # the view; the window centre then puts that share's middle at the image's.
        camera.Zoom(free)
        camera.SetWindowCenter(0.0, 1.0 - free)
        self.presenter.plotter.renderer.ResetCameraClippingRange()

    def _prefetch_tour(self, index: int) -> None:
        """Build the next tour scene's parts while the visitor reads this one."""
        if 0 <= index < len(self.scenes):
            self._work_ahead([self.scenes[index].state])

    def _prefetch_neighbours(self, changes: Mapping[str, Any]) -> None:
        """After one field changed, build the states one step either side (a slider's next step)."""
        if len(changes) != 1:
            return
        ((key, token),) = changes.items()
        spec = next((f for f in FIELDS if f.name == key), None)
        if spec is None or token not in spec.tokens:
            return
        at = spec.tokens.index(token)
        states = []
        for near in (at + 1, at - 1):
            if 0 <= near < len(spec.tokens):
                with contextlib.suppress(StateError):  # a step some other setting rules out
                    states.append(self.conditions.replace(**{key: spec.tokens[near]}))
        self._work_ahead(states)

    def _work_ahead(self, states: list[State]) -> None:
        """Build and prepare ``states`` one by one while the visitor looks, not when they click.

        A first visit to a state costs up to a few hundred ms of building and
        normals; done ahead (after this change's image is out, one state per
        idle moment) the click only draws.  The next condition change or tour
        step replaces what is left of it.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no server running (app logic tests)
            return
        self._ahead_generation += 1
        generation, pending = self._ahead_generation, list(states)

        def work() -> None:
            if generation != self._ahead_generation or not pending:
                return  # something changed since: its own work ahead replaces this
            state = pending.pop(0)
            try:
                self.presenter.prepare(self.source.parts(state))
            except Exception:  # a state that cannot be built is reported if it is ever shown
                log.exception("building %s ahead failed", state.to_query())
            loop.call_later(PREFETCH_DELAY_S, work)

        loop.call_later(PREFETCH_DELAY_S, work)

    def tour_close(self) -> None:
        """Leave the tour: every part shown again; state and camera stay."""
        self._tour = -1
        self.state.tour_index = -1
        self._scene_hidden = set()
        self._style_actors()
        if self.presenter.plotter.camera.GetWindowCenter()[1]:
            self._refit()  # the card has gone: the segment back to the middle
        self._push()

    def _caption_tour(self) -> None:
        scene = self.scenes[self._tour]
        lang = self.view.lang
        self.state.tour_title = scene.title[lang]
        self.state.tour_caption = scene.caption[lang]
        self.state.tour_sources = list(scene.sources)

    def screenshot_png(self, scale: Any = 2) -> Any:
        """The current view as PNG bytes at ``scale`` times its size (at most 4096 wide)."""
        from PIL import Image

        scale = scale if isinstance(scale, (int, float)) and 1 <= scale <= 4 else 2
        plotter = self.presenter.plotter
        width, height = plotter.window_size
        factor = min(float(scale), 4096 / max(width, 1))
        size = (max(16, round(width * factor)), max(16, round(height * factor)))
        transparent = self.view.transparent
        # The gradient is drawn as opaque pixels, so it must be off for a transparent image.
        plotter.renderer.SetGradientBackground(not transparent)
        try:
            image = plotter.screenshot(transparent_background=transparent, window_size=size, return_img=True)
        finally:
            plotter.renderer.SetGradientBackground(True)
        plotter.window_size = [width, height]
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG", compress_level=3)
        data = buffer.getvalue()
        protocol = self.server.protocol
        return protocol.addAttachment(data) if protocol else data


def _behind_twin(name: str, centres: Mapping[str, np.ndarray], eye: np.ndarray) -> bool:
    """Whether ``name`` has a mirror part (left/right) that is nearer to ``eye``."""
    swap = {"left": "right", "right": "left"}
    twin = ".".join(swap.get(c, c) for c in name.split("."))
    if twin == name or twin not in centres:
        return False
    return float(np.linalg.norm(centres[twin] - eye)) < float(np.linalg.norm(centres[name] - eye))


__all__ = ["SpineVizApp"]
