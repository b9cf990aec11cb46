"""The layout: Vuetify 3 widgets bound to state.  No logic lives here.

Desktop: controls in a side drawer, the 3D view (or two, when comparing)
filling the rest.  Phones (narrow screens): the drawer becomes a bottom
sheet opened from the toolbar, and every button is at least 44 px.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from trame.ui.vuetify3 import SinglePageWithDrawerLayout
from trame.widgets import client, html
from trame.widgets import vtk as vtk_widgets
from trame.widgets import vuetify3 as v3

from spineviz.conditions.state import FIELDS

from .viewstate import GROUP_KEYS

if TYPE_CHECKING:
    from .core import SpineVizApp

CSS = """
.sv-view { position: relative; flex: 1 1 0; min-width: 0; height: 100%; }
.sv-views { display: flex; width: 100%; height: 100%; }
.sv-panel { flex: 0 0 360px; overflow-y: auto; background: #fafafa; border-left: 1px solid #ddd; }
.sv-panel-img { width: 100%; height: auto; display: block; }
.sv-caption { position: absolute; top: 8px; left: 12px; z-index: 2; font-weight: 600;
  background: rgba(255,255,255,.8); padding: 2px 8px; border-radius: 6px; }
.sv-pick { position: absolute; left: 12px; bottom: 12px; max-width: min(420px, 90%); z-index: 3; }
.sv-note { font-size: .8rem; opacity: .8; }
.sv-sources { font-size: .75rem; opacity: .75; }
.sv-tour { position: absolute; top: 8px; right: 8px; max-width: min(460px, 94%); z-index: 3;
  max-height: calc(100% - 16px); display: flex; flex-direction: column; }
/* The words scroll; the back / next buttons stay in sight. */
.sv-tour-text { flex: 0 1 auto; min-height: 0; overflow-y: auto; }

.sv-hint { position: absolute; left: 12px; bottom: 12px; z-index: 2; font-size: .85rem;
  background: rgba(255,255,255,.8); padding: 4px 10px; border-radius: 6px; pointer-events: none; }
.sv-slider { margin-bottom: 10px; }
.sv-slider-label { opacity: .8; margin: 4px 0 -4px 4px; }
.sv-presenter-bar { position: absolute; left: 50%; bottom: 16px; transform: translateX(-50%); z-index: 3;
  background: rgba(255,255,255,.92); padding: 12px 16px; border-radius: 12px;
  width: max-content; max-width: 96%;
  box-shadow: 0 2px 12px rgba(0,0,0,.2); }
.sv-presenter .v-btn { min-height: 56px !important; font-size: 1.1rem; }
.sv-presenter .v-label, .sv-presenter .v-field { font-size: 1.15rem; }
@media (max-width: 600px) {
  .sv-views { flex-direction: column; }
  .sv-panel { flex: 0 0 45%; border-left: none; border-top: 1px solid #ddd; }
  .v-btn { min-height: 44px; min-width: 44px; }
  /* Vuetify's compact density sets these heights itself: a finger needs 44 px. */
  .v-selection-control { min-height: 44px !important; }
  .v-slider .v-input__control { min-height: 44px !important; }
  /* Presenter bar on a phone: the Modic buttons wrap, no keyboard to list. */
  .sv-presenter-bar .v-btn-group { height: auto !important; flex-wrap: wrap; justify-content: center; }
  .sv-presenter-bar .v-btn { font-size: .95rem !important; }
  #presenter-keys { display: none; }
  /* The tour card over the upper part only: the segment's middle stays in sight. */
  .sv-tour { left: 8px; right: 8px; max-width: none; max-height: 42%; }
  .sv-tour-text { font-size: .9rem; line-height: 1.35; }
  /* The bottom sheet sits on the screen's bottom edge (Vuetify offsets it by the app bar). */
  .v-navigation-drawer--bottom { top: auto !important; bottom: 0 !important; }
  .v-field { min-height: 48px; }
}
"""

# Runs once in the page: keyboard shortcuts, full screen, share link.
SCRIPT = """
window.spinevizKey = (event) => {
  const tag = (event.target && event.target.tagName) || '';
  if (['INPUT', 'TEXTAREA', 'SELECT'].includes(tag)) return;
  if (event.key === 'f') { window.spinevizFullscreen(!document.fullscreenElement); return; }
  if (window.trame && window.trame.trigger) window.trame.trigger('key', [event.key]);
};
window.spinevizFullscreen = (on) => {
  try {
    if (on && !document.fullscreenElement) document.documentElement.requestFullscreen();
    if (!on && document.fullscreenElement) document.exitFullscreen();
  } catch (e) { console.warn(e); }
};
window.spinevizShare = (query) => {
  const url = `${window.location.origin}${window.location.pathname}?${query}`;
  window.history.replaceState({}, document.title, url);
  if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
  return url;
};
// A dragged slider's value, sent at most every `ms` and always last (trailing).
window.spinevizLive = (() => {
  const timers = {}, pending = {}, sent = {};
  const send = (key) => {
    timers[key] = null;
    sent[key] = Date.now();
    if (window.trame && window.trame.state) window.trame.state.set(key, pending[key]);
  };
  return (key, value, ms) => {
    pending[key] = value;
    if (timers[key]) return;
    timers[key] = setTimeout(() => send(key), Math.max(0, (sent[key] || 0) + ms - Date.now()));
  };
})();
if (!window.spinevizKeyBound) { window.addEventListener('keydown', (e) => window.spinevizKey(e)); }
window.spinevizKeyBound = true;
"""


PHONE_WIDTH = 960
"""Below this width (Vuetify's smAndDown) the controls start closed in a bottom sheet."""


def _js_list(values) -> str:
    """A JavaScript array literal with single quotes (it sits inside a double-quoted attribute)."""
    return json.dumps(list(values)).replace('"', "'")


SLIDER_FIELDS = ("stage", "modic_extent", "pfirrmann", "stenosis", "multifidus_fat")
"""Condition fields whose values are in order: a slider, dragged through its steps."""

SHOWN_WHEN = {
    "modic_endplates": "modic !== '0'",
    "modic_extent": "modic !== '0'",
    "herniation_zone": "['protrusion', 'extrusion', 'sequestration'].includes(herniation)",
    "herniation_side": (
        "['protrusion', 'extrusion', 'sequestration'].includes(herniation) && herniation_zone !== 'central'"
    ),
    "inflammation": "['1', '1/2'].includes(modic)",
}
"""When a control means something (the ``applies`` rule of its field); hidden otherwise."""

LIVE_MS = 150
"""While a slider is dragged its value reaches the server at most this often."""


def _slider(
    key: str,
    *,
    id: str,
    value: str,
    to_state: str,
    label: str | None = None,
    hint: str | None = None,
    v_if: str | None = None,
    **options,
) -> None:
    """A slider that redraws while it is dragged, not only when it is let go.

    The thumb follows the pointer through a client-only ``drag`` entry; the
    value goes to the server through ``spinevizLive`` (throttled to
    :data:`LIVE_MS`), and once more, exactly, on release.

    Parameters
    ----------
    key : str
        State key the slider sets.
    id : str
        Element id (Vuetify puts it on the inner input).
    value : str
        JavaScript expression of the slider's position from state.
    to_state : str
        JavaScript expression of the state value for position ``$event``.
    """
    with html.Div(v_if=v_if, classes="sv-slider", id=f"{id}-box"):
        if label:
            html.Div(f"{{{{ {label} }}}}", classes="text-body-2 sv-slider-label")
        v3.VSlider(
            model_value=(f"drag['{id}'] ?? ({value})",),
            update_modelValue=(
                f"drag = {{...drag, '{id}': $event}}; "
                f"utils.get('spinevizLive')('{key}', {to_state}, {LIVE_MS})"
            ),
            end=f"{key} = {to_state}; drag = {{...drag, '{id}': null}}",
            **({"hint": (hint,), "persistent_hint": True} if hint else {"hide_details": True}),
            density="compact",
            id=id,
            **options,
        )


def _field_control(index: int, spec) -> None:
    """One control for one condition field, its words from ``field_ui[index]``."""
    ui = f"field_ui[{index}]"
    name = spec.name
    shown = SHOWN_WHEN.get(name)
    if name in SLIDER_FIELDS:
        tokens = _js_list(spec.tokens)
        _slider(
            name,
            id=f"field-{name}",
            value=f"{tokens}.indexOf({name})",
            to_state=f"{tokens}[$event]",
            label=f"{ui}.title",
            hint=f"{ui}.items[{tokens}.indexOf({name})].title",
            v_if=shown,
            min=0,
            max=len(spec.tokens) - 1,
            step=1,
            show_ticks="always",
            tick_size=4,
            classes="mb-1",
        )
    elif spec.kind == "bool":
        v3.VSwitch(
            v_if=shown,
            v_model=(name,),
            true_value="on",
            false_value="off",
            label=(f"{ui}.title",),
            color="primary",
            hide_details=True,
            density="compact",
            id=f"field-{name}",
        )
    else:
        v3.VSelect(
            v_if=shown,
            v_model=(name,),
            items=(f"{ui}.items",),
            label=(f"{ui}.title",),
            hint=(f"{ui}.help",),
            density="compact",
            variant="outlined",
            hide_details="auto",
            classes="mb-2",
            id=f"field-{name}",
        )


def _findings_panel() -> None:
    with v3.VExpansionPanel(value="findings"):
        v3.VExpansionPanelTitle("{{ t.findings }}")
        with v3.VExpansionPanelText():
            for index, spec in enumerate(FIELDS):
                _field_control(index, spec)
            v3.VBtn(
                "{{ t.reset }}",
                click="trigger('reset_conditions')",
                variant="tonal",
                block=True,
                id="reset",
            )


def _structures_panel() -> None:
    with v3.VExpansionPanel(value="structures"):
        v3.VExpansionPanelTitle("{{ t.structures }}")
        with v3.VExpansionPanelText():
            for group in GROUP_KEYS:
                with html.Div(classes="d-flex align-center"):
                    v3.VCheckbox(
                        model_value=(f"visible.{group}",),
                        update_modelValue=f"visible = {{...visible, {group}: $event}}",
                        label=(f"t.group_{group}",),
                        hide_details=True,
                        density="compact",
                        style="flex: 0 0 150px",
                        id=f"show-{group}",
                    )
                    with html.Div(style="flex: 1 1 0; min-width: 0"):
                        _slider(
                            "opacity",
                            id=f"opacity-{group}",
                            value=f"opacity.{group}",
                            to_state=f"{{...opacity, {group}: $event}}",
                            min=0.1,
                            max=1,
                            step=0.05,
                            title=("t.opacity",),
                        )


def _view_panel() -> None:
    with v3.VExpansionPanel(value="view"):
        v3.VExpansionPanelTitle("{{ t.view }}")
        with v3.VExpansionPanelText():
            v3.VSelect(
                v_model=("camera",),
                items=("camera_items",),
                label=("t.camera",),
                density="compact",
                variant="outlined",
                hide_details=True,
                classes="mb-2",
                id="camera",
            )
            v3.VSwitch(
                v_model=("clip",),
                label=("t.clip",),
                hide_details=True,
                color="primary",
                density="compact",
                id="clip",
            )
            v3.VSelect(
                v_if="clip",
                v_model=("clip_axis",),
                items=("clip_items",),
                label=("t.clip_axis",),
                density="compact",
                variant="outlined",
                hide_details=True,
                id="clip-axis",
            )
            _slider(
                "clip_offset",
                id="clip-offset",
                value="clip_offset",
                to_state="$event",
                label="t.clip_offset",
                v_if="clip",
                min=-0.9,
                max=0.9,
                step=0.02,
            )
            v3.VSwitch(
                v_model=("labels",),
                label=("t.labels",),
                hide_details=True,
                color="primary",
                density="compact",
                id="labels",
            )
            v3.VSwitch(
                v_model=("compare",),
                label=("t.compare",),
                hide_details=True,
                color="primary",
                density="compact",
                id="compare",
            )
            v3.VSwitch(
                v_model=("transparent",),
                label=("t.transparent",),
                hide_details=True,
                density="compact",
                id="transparent",
            )


def _toolbar(app: SpineVizApp) -> None:
    v3.VSpacer()
    html.Div("{{ t.subtitle }}", classes="text-body-2 d-none d-md-block mr-4", style="opacity:.75")
    v3.VBtn(
        icon="mdi-map-marker-path",
        click="trigger('tour_step', [tour_index < 0 ? 0 : 1])",
        title=("t.tour",),
        id="tour",
    )
    v3.VBtn(
        "{{ lang === 'nb' ? 'EN' : 'NB' }}",
        click="lang = (lang === 'nb' ? 'en' : 'nb')",
        variant="text",
        title=("t.language",),
        id="lang",
    )
    v3.VBtn(
        icon="mdi-image-filter-black-white",
        click="panel = !panel",
        active=("panel",),
        title=("t.panel",),
        id="panel",
    )
    v3.VBtn(
        icon="mdi-link-variant",
        click="trigger('share').then((q) => utils.get('spinevizShare')(q))",
        title=("t.share",),
        id="share",
    )
    v3.VBtn(
        icon="mdi-camera",
        click="utils.download('spineviz.png', trigger('screenshot_png', [2]), 'image/png')",
        title=("t.screenshot",),
        id="screenshot",
    )
    v3.VBtn(
        icon="mdi-presentation",
        click=(
            "presenter = !presenter; if (presenter) { main_drawer = false; }"
            " utils.get('spinevizFullscreen')(presenter)"
        ),
        title=("t.presenter",),
        id="presenter",
    )
    del app


def _view(app: SpineVizApp, presenter, ref: str, caption: str):
    """A 3D view of ``presenter``'s render window, with a caption shown while comparing."""
    html.Div(caption, v_if="compare", classes="sv-caption")
    if app.rendering == "local":
        return vtk_widgets.VtkLocalView(presenter.plotter.render_window, ref=ref)
    return vtk_widgets.VtkRemoteView(
        presenter.plotter.render_window,
        ref=ref,
        interactive_ratio=1,
        interactive_quality=70,
        still_quality=92,
        picking_modes=("['click']",),
        click="trigger('pick', [$event])",
        interactor_events=("['EndAnimation']",),
        EndAnimation="trigger('camera_moved')",
    )


def _panel2d() -> None:
    """The 2D panel: the MR slice (sequence, orientation, position) or the nerve-supply figure."""
    with html.Div(v_if="panel", classes="sv-panel pa-2", id="panel2d"):
        with v3.VTabs(v_model=("panel_tab",), density="compact", grow=True, id="panel-tabs"):
            v3.VTab("{{ t.tab_mri }}", value="mri", id="tab-mri")
            v3.VTab("{{ t.tab_nerves }}", value="nerves", id="tab-nerves")
        with html.Div(v_if="panel_tab === 'mri'"):
            with html.Div(classes="d-flex flex-wrap ga-2 my-2"):
                with v3.VBtnToggle(
                    v_model=("mri_seq",), mandatory=True, density="compact", variant="outlined", id="mri-seq"
                ):
                    v3.VBtn("{{ item.title }}", v_for="item in mri_seq_items", value=("item.value",))
                with v3.VBtnToggle(
                    v_model=("mri_plane",),
                    mandatory=True,
                    density="compact",
                    variant="outlined",
                    id="mri-plane",
                ):
                    v3.VBtn("{{ item.title }}", v_for="item in mri_plane_items", value=("item.value",))
            _slider(
                "mri_pos",
                id="mri-pos",
                value="mri_pos",
                to_state="$event",
                label="t.mri_position",
                min=("mri_range[0]",),
                max=("mri_range[1]",),
                step=1,
                thumb_label=True,
            )
            html.Img(src=("mri_src",), v_if="mri_src", classes="sv-panel-img", id="mri-image")
            html.Div("{{ mri_caption }}", classes="text-body-2 mt-1", id="mri-caption")
            html.Div("{{ t.mri_note }}", classes="sv-note mt-1")
        with html.Div(v_if="panel_tab === 'nerves'"):
            html.Img(src=("nerves_src",), v_if="nerves_src", classes="sv-panel-img mt-2", id="nerves-image")
            html.Div("{{ nerves_source }}", classes="sv-sources mt-1")


def _presenter_bar() -> None:
    """Presenter mode: the few controls a consultation needs, large, at the bottom of the view."""
    with html.Div(v_if="presenter", classes="sv-presenter-bar", id="presenter-bar"):
        with html.Div(classes="d-flex flex-wrap align-center justify-center ga-3"):
            v3.VBtn(
                "{{ t.previous }}",
                prepend_icon="mdi-chevron-left",
                click="trigger('tour_step', [-1])",
                disabled=("tour_index <= 0",),
                size="large",
                id="presenter-back",
            )
            v3.VBtn(
                "{{ tour_index < 0 ? t.tour : t.next }}",
                append_icon="mdi-chevron-right",
                click="trigger('tour_step', [tour_index < 0 ? 0 : 1])",
                disabled=("tour_index >= tour_count - 1",),
                size="large",
                id="presenter-next",
            )
            with v3.VBtnToggle(
                v_model=("modic",),
                mandatory=True,
                divided=True,
                variant="outlined",
                id="presenter-modic",
            ):
                for token in ("0", "1", "2", "3"):
                    v3.VBtn(f"{{{{ t.modic_{token} }}}}", value=token, size="large")
            v3.VBtn(
                "{{ t.compare }}",
                prepend_icon="mdi-compare-horizontal",
                click="compare = !compare",
                active=("compare",),
                color=("compare ? 'primary' : undefined",),
                size="large",
                id="presenter-compare",
            )
        html.Div("{{ t.keys }}", classes="sv-note text-center mt-2", id="presenter-keys")


def build_ui(app: SpineVizApp):
    """Build the page for ``app`` and return its layout."""
    # Where a slider's thumb is while it is dragged: the browser's own business.
    app.state.drag = {}
    app.state.client_only("drag")
    with SinglePageWithDrawerLayout(app.server, full_height=True) as layout:
        layout.title.set_text("{{ t.title }}")
        layout.title.classes = "d-none d-sm-flex"
        layout.root.classes = ("presenter ? 'sv-presenter' : ''",)
        client.Style(CSS)
        client.Script(SCRIPT)
        client.ClientTriggers(
            mounted=(
                "trigger('apply_url', [utils.get('location.search'), utils.get('navigator.language')]);"
                f"if (utils.get('innerWidth') < {PHONE_WIDTH}) {{ main_drawer = false; }}"
            )
        )
        with layout.toolbar:
            _toolbar(app)
        layout.drawer.width = 360
        layout.drawer.location = ("$vuetify.display.smAndDown ? 'bottom' : 'left'",)
        layout.drawer.temporary = ("$vuetify.display.smAndDown",)
        with layout.drawer:
            with v3.VExpansionPanels(
                multiple=True, model_value=("['findings', 'view']",), variant="accordion"
            ):
                _findings_panel()
                _structures_panel()
                _view_panel()
            html.Div("{{ t.education }}", classes="sv-note pa-3", id="education")
        with (
            layout.content,
            v3.VContainer(fluid=True, classes="pa-0 fill-height", style="position: relative"),
        ):
            with html.Div(classes="sv-views"):
                with html.Div(v_show="compare", classes="sv-view", id="view-healthy"):
                    healthy = _view(app, app.healthy, "view_healthy", "{{ t.healthy }}")
                with html.Div(classes="sv-view", id="view-main"):
                    main = _view(app, app.presenter, "view_main", "{{ compare ? t.current : '' }}")
                app.views = [main, healthy]
                _panel2d()
            with v3.VCard(v_if="tour_index >= 0", classes="sv-tour", elevation=4, id="tour-card"):
                v3.VCardTitle("{{ tour_title }}", classes="text-subtitle-1 text-wrap")
                v3.VCardSubtitle("{{ tour_index + 1 }} / {{ tour_count }}")
                with v3.VCardText(classes="sv-tour-text"):
                    html.Div("{{ tour_caption }}")
                    html.Div(
                        "{{ t.sources }}: {{ tour_sources.join(' · ') }}",
                        v_if="tour_sources && tour_sources.length",
                        classes="sv-sources mt-2",
                    )
                with v3.VCardActions():
                    v3.VBtn(
                        "{{ t.previous }}",
                        click="trigger('tour_step', [-1])",
                        disabled=("tour_index <= 0",),
                        id="tour-back",
                    )
                    v3.VBtn(
                        "{{ t.next }}",
                        click="trigger('tour_step', [1])",
                        disabled=("tour_index >= tour_count - 1",),
                        id="tour-next",
                    )
                    v3.VSpacer()
                    v3.VBtn("{{ t.close }}", click="trigger('tour_close')", id="tour-close")
            with v3.VCard(v_if="picked_title", classes="sv-pick", elevation=4, id="picked"):
                with v3.VCardTitle(classes="text-subtitle-1 d-flex align-center"):
                    html.Span("{{ picked_title }}", classes="text-wrap", id="picked-title")
                    v3.VSpacer()
                    v3.VBtn(
                        icon="mdi-close",
                        variant="text",
                        density="comfortable",
                        click="picked_name = ''; picked_title = ''; picked_text = ''",
                        title=("t.close",),
                        id="picked-close",
                    )
                v3.VCardText("{{ picked_text }}", id="picked-text")
            html.Div(
                "{{ t.pick_hint }}",
                v_if="!picked_title && tour_index < 0 && !presenter",
                classes="sv-hint",
                id="pick-hint",
            )
            _presenter_bar()
            html.Div("{{ draw_count }}", classes="d-none", id="draw-count")
            v3.VSnackbar(
                "{{ notice }}",
                model_value=("!!notice",),
                update_modelValue="notice = ''",
                timeout=6000,
                id="notice",
            )
    return layout
