"""The 2D panel beside the 3D view: a synthetic MR slice and the nerve-supply figure.

Images are made on demand by :mod:`spineviz.render.mri` and handed to the
browser as small PNG data URLs, cached per (state, sequence, plane,
position) so going back to a slice costs nothing.  :func:`slice_plane` gives
the plane itself, which the 3D view draws as a translucent quad.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import io

import pyvista as pv
from PIL import Image

from spineviz.conditions.state import State
from spineviz.render.mri.figures import grey_image, standard_plane, state_caption
from spineviz.render.mri.innervation import TEXT as INNERVATION_TEXT
from spineviz.render.mri.innervation import innervation_figure
from spineviz.render.mri.signal import sequence
from spineviz.render.mri.slices import SlicePlane, mr_slice
from spineviz.render.mri.voxels import model_for, voxel_grid

IMAGE_PX = 320
"""Longer side of the MR image sent to the browser."""

NERVES_PX = 420
"""Width of one panel of the nerve-supply figure."""


def slice_plane(state: State, plane: str, position: float) -> SlicePlane:
    """The slice of the 2D panel for ``state`` (world coordinates, mm)."""
    grid = voxel_grid(state, levels=state.level)
    placement = model_for(state, state.level, "medium").placement
    if plane == "sagittal":
        return standard_plane(grid, placement, "sagittal", float(position), level=state.level, size=IMAGE_PX)
    # Axial: the radiographer's disc plane, moved along its normal.
    disc = standard_plane(grid, placement, "axial", None, level=state.level, size=IMAGE_PX)
    return dataclasses.replace(disc, center=disc.center + float(position) * disc.normal)


def plane_quad(state: State, plane: str, position: float) -> pv.PolyData:
    """The slice as a quad for the 3D view."""
    return slice_plane(state, plane, position).to_polydata()


def _data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@functools.lru_cache(maxsize=64)
def mri_image(state: State, seq: str, plane: str, position: float) -> str:
    """The MR slice as a PNG data URL (grey, radiological orientation, edge letters)."""
    grid = voxel_grid(state, levels=state.level)
    image = mr_slice(grid, slice_plane(state, plane, position), sequence(seq), seed=0)
    return _data_url(grey_image(image))


NERVES_GAP, NERVES_FOOTER = 30, 60
"""Margin between the figure's two columns and height of its source line
(:func:`spineviz.render.mri.innervation.innervation_figure`'s layout)."""


@functools.lru_cache(maxsize=4)
def nerves_image(lang: str, disc: str = "L4-L5") -> str:
    """The nerve supply of a healthy disc above a worn one, as a PNG data URL.

    The figure's two columns are stacked so that its words stay readable in a
    narrow panel; its source line is shown as text (:func:`nerves_source`).
    """
    figure = innervation_figure(lang=lang, disc=disc, px=NERVES_PX)
    split = NERVES_GAP + NERVES_PX + NERVES_GAP // 2
    height = figure.height - NERVES_FOOTER
    healthy = figure.crop((0, 0, split, height))
    worn = figure.crop((split, 0, figure.width, height))
    stacked = Image.new("RGB", (max(healthy.width, worn.width), 2 * height), figure.getpixel((1, 1)))
    stacked.paste(healthy, (0, 0))
    stacked.paste(worn, (0, height))
    return _data_url(stacked)


def nerves_source(lang: str) -> str:
    """The source line of the nerve-supply figure."""
    return INNERVATION_TEXT[lang]["source"]


def caption(state: State, seq: str, plane: str, lang: str) -> str:
    """One calm line on what this slice shows of the state's findings."""
    return state_caption(state, seq, plane, lang=lang)
