"""Standard slices of a state, PNG files and the labelled T1 | T2 | STIR figure."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .signal import SEQUENCES, check_field, sequence, window
from .slices import LETTERS, SliceImage, SlicePlane, level_plane, make_plane, mr_slice
from .voxels import VoxelGrid, model_for, voxel_grid

SAGITTAL_WIDTH = 150.0
"""Sagittal field of view front to back, mm: the bodies, canal and spinous processes."""

AXIAL_FOV = 170.0
"""Axial field of view, mm (a typical lumbar axial: body, psoas, back muscles and skin)."""


def parse_position(text: str | float | None):
    """A slice position: ``None``, a number of mm, or a level name (``"L4-L5"``, ``"L4"``)."""
    if text is None or isinstance(text, (int, float)):
        return text
    t = str(text).strip()
    try:
        return float(t)
    except ValueError:
        pass
    up = t.upper()
    parts = up.split("-")
    if all(len(p) == 2 and p[0] in "LS" and p[1].isdigit() for p in parts) and len(parts) in (1, 2):
        return up
    raise ValueError(f"position: {text!r} is not a number of mm or a level such as L4-L5 or L4")


def standard_plane(
    grid: VoxelGrid, placement, plane: str, position=None, *, level: str = "L4-L5", size=256
) -> SlicePlane:
    """The usual slice of each orientation.

    Parameters
    ----------
    grid : VoxelGrid
        Sets the field of view's height (the built levels).
    placement : Placement
        The model's placement (for the disc planes).
    plane : {"sagittal", "axial", "coronal"}
    position : float or str, optional
        Sagittal: x in mm (0 = midline, ±20 ≈ the foramina; + is the
        patient's left).  Axial: a disc (``"L4-L5"``, the default is
        ``level``) or a vertebra (``"L4"``), tilted along it, or a height z in
        mm (a horizontal slice).  Coronal: y in mm (default through the bodies).
    level : str
        The state's disc, the default axial position.
    size : int or (int, int)
        Pixels of the longer side, or (columns, rows).
    """
    position = parse_position(position)
    b = grid.bounds
    z_mid, z_ext = (b[4] + b[5]) / 2, b[5] - b[4]
    ys = [placement.frames[v].origin[1] for v in placement.frames]
    body_y = float(np.mean(ys))
    if plane == "sagittal":
        if isinstance(position, str):
            raise ValueError("position: a sagittal slice takes x in mm (0 = midline), not a level")
        x = 0.0 if position is None else float(position)
        _check_inside(x, b[0], b[1], "x")
        return make_plane("sagittal", (x, body_y + 22.0, z_mid), fov=(SAGITTAL_WIDTH, z_ext), size=size)
    if plane == "axial":
        if position is None or isinstance(position, str):
            return level_plane(placement, position or level, fov=AXIAL_FOV, size=size)
        z = float(position)
        _check_inside(z, b[4], b[5], "z")
        return make_plane("axial", (0.0, body_y + 15.0, z), fov=AXIAL_FOV, size=size)
    if plane == "coronal":
        if isinstance(position, str):
            raise ValueError("position: a coronal slice takes y in mm, not a level")
        y = body_y if position is None else float(position)
        _check_inside(y, b[2], b[3], "y")
        return make_plane("coronal", (0.0, y, z_mid), fov=(AXIAL_FOV * 0.75, z_ext), size=size)
    raise ValueError(f"plane: {plane!r} is not allowed; choose one of sagittal, axial, coronal")


def _check_inside(value: float, lo: float, hi: float, axis: str) -> None:
    if not lo <= value <= hi:
        raise ValueError(f"position: {axis} = {value:g} mm is outside the model ({lo:.0f} to {hi:.0f} mm)")


def state_slice(
    state=None,
    *,
    seq: str = "t2",
    plane: str = "sagittal",
    position=None,
    field: float = 1.5,
    seed: int | None = 0,
    levels: str | None = None,
    spacing: float = 1.0,
    size=256,
) -> SliceImage:
    """One synthetic MR image of a state (grid cached per state)."""
    lv = levels or (state.level if state is not None else "L4-L5")
    grid = voxel_grid(state, levels=lv, spacing=spacing)
    model = model_for(state, lv, "high" if spacing < 0.9 else "medium")
    level = state.level if state is not None else "L4-L5"
    pl = standard_plane(grid, model.placement, plane, position, level=level, size=size)
    return mr_slice(grid, pl, sequence(seq), field=check_field(field), seed=seed)


# ---------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------


FONT_FILES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "Helvetica.ttc")
"""Fonts tried first, by file name (Pillow searches the system's font folders):
Pillow's own built-in font lacks some Norwegian letters (ø)."""


@functools.cache
def font(size: int) -> ImageFont.ImageFont:
    """A scalable font with Norwegian letters; Pillow's built-in one as the last resort."""
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def grey_image(
    image: SliceImage, *, level=None, width=None, scale: int = 1, letters: bool = True
) -> Image.Image:
    """The slice as an 8-bit PIL image, windowed, optionally enlarged, with edge letters."""
    grey = Image.fromarray(window(image.signal, level=level, width=width), mode="L")
    if scale != 1:
        grey = grey.resize((grey.width * scale, grey.height * scale), Image.Resampling.BICUBIC)
    kind = image.plane.kind
    if letters and kind in LETTERS:
        draw = ImageDraw.Draw(grey)
        f = font(max(10, grey.height // 22))
        left, right, top, bottom = LETTERS[kind]
        w, h = grey.size
        pad = 3
        draw.text((pad, h / 2), left, fill=230, font=f, anchor="lm")
        draw.text((w - pad, h / 2), right, fill=230, font=f, anchor="rm")
        draw.text((w / 2, pad), top, fill=230, font=f, anchor="mt")
        draw.text((w / 2, h - pad), bottom, fill=230, font=f, anchor="mb")
    return grey


def save_png(
    image: SliceImage, path, *, level=None, width=None, scale: int = 1, letters: bool = True
) -> Path:
    """Write a slice as a grey PNG (square pixels, radiological orientation)."""
    path = Path(path)
    grey_image(image, level=level, width=width, scale=scale, letters=letters).save(path)
    return path


GENERAL = {
    "t1": {"en": "fat bright, fluid dark", "nb": "fett lyst, væske mørk"},
    "t2": {"en": "fluid bright", "nb": "væske lys"},
    "stir": {"en": "fat dark, fluid and oedema bright", "nb": "fett mørkt, væske og ødem lyst"},
}
"""What each sequence does, in a few words (the first caption line of a panel)."""

COMPARE = {
    "en": {"darker": "darker", "brighter": "brighter", "same": "about as bright"},
    "nb": {"darker": "mørkere", "brighter": "lysere", "same": "omtrent like lys"},
}

PHRASES = {
    "en": {
        "modic": "Modic zone: {look} than the other marrow",
        "modic_same": "Modic zone: {look} as the other marrow",
        "disc_bright": "disc centre bright, like fluid",
        "disc_grey": "disc centre grey: it holds less water",
        "disc_dark": "disc dark: it has dried out",
        "disc_low": "disc dark and lower: it has dried out",
        "herniation": "dark disc tissue behind the disc, {where}",
        "central": "in the middle",
        "side": "on the patient's {side}",
        "left": "left",
        "right": "right",
        "stenosis": "narrow sac: less bright fluid round the nerves",
        "fat": "fat streaks in the back muscles",
        "elsewhere": "these findings show best on T2",
        "healthy": {
            "t1": "healthy: even marrow, grey discs",
            "t2": "healthy: disc centres bright",
            "stir": "healthy: no bright patches in the bone",
        },
    },
    "nb": {
        "modic": "Modic-sone: {look} enn resten av margen",
        "modic_same": "Modic-sone: {look} som resten av margen",
        "disc_bright": "midten av skiven lys, som væske",
        "disc_grey": "midten av skiven grå: mindre vann",
        "disc_dark": "skiven mørk: den har tørket ut",
        "disc_low": "skiven mørk og lavere: den har tørket ut",
        "herniation": "mørkt skivevev bak skiven, {where}",
        "central": "midt bak",
        "side": "på pasientens {side} side",
        "left": "venstre",
        "right": "høyre",
        "stenosis": "trang sekk: mindre lys væske rundt nervene",
        "fat": "fettstriper i ryggmusklene",
        "elsewhere": "disse funnene ses best på T2",
        "healthy": {
            "t1": "frisk: jevn marg, grå skiver",
            "t2": "frisk: midten av skivene lys",
            "stir": "frisk: ingen lyse flekker i beinet",
        },
    },
}
"""The state's findings as each panel shows them (second caption line)."""


def modic_look(modic: str, seq: str, field: float = 1.5) -> str:
    """``"darker"``, ``"brighter"`` or ``"same"``: a Modic zone against normal marrow (signal model)."""
    from .signal import tissue_signal
    from .tissues import marrow, modic_marrow

    ratio = tissue_signal(modic_marrow(modic), SEQUENCES[seq], field) / tissue_signal(
        marrow(), SEQUENCES[seq], field
    )
    return "brighter" if ratio > 1.1 else "darker" if ratio < 0.9 else "same"


def state_caption(state, seq: str, plane: str = "sagittal", *, lang: str = "en", field: float = 1.5) -> str:
    """What this state shows on this sequence, in calm plain words (one line).

    Only findings that the panel can show are named: the disc's water on T2,
    a herniation and a narrow canal on T2 (T1 for the herniation too), fat in
    the muscles on T1, a Modic zone on every sequence.
    """
    p = PHRASES[lang]
    if state is None or state.is_healthy:
        return p["healthy"][seq]
    bits = []
    if state.modic != "0":
        look = modic_look(state.modic, seq, field)
        bits.append(p["modic_same" if look == "same" else "modic"].format(look=COMPARE[lang][look]))
    if seq == "t2" and state.pfirrmann != 1:
        grade = int(state.pfirrmann)
        bits.append(
            p[
                "disc_bright"
                if grade <= 2
                else "disc_grey"
                if grade == 3
                else "disc_dark"
                if grade == 4
                else "disc_low"
            ]
        )
    if seq in ("t1", "t2") and state.herniation not in ("none", "bulge"):
        where = (
            p["central"]
            if state.herniation_zone == "central"
            else p["side"].format(side=p[state.herniation_side])
        )
        bits.append(p["herniation"].format(where=where))
    if seq == "t2" and state.stenosis != "none":
        bits.append(p["stenosis"])
    if seq == "t1" and state.multifidus_fat:
        bits.append(p["fat"])
    return "; ".join(bits) if bits else p["elsewhere"]


TEXT = {
    "en": {
        "title": "Synthetic MRI, {plane} slice",
        "sagittal": "sagittal",
        "axial": "axial",
        "coronal": "coronal",
        "healthy": "healthy segment",
        "footer": "Made from the spineviz model, not from a patient. Tissue values: docs/mri.md.",
        "note": (
            "Sequence and field strength change how Modic changes look; fat-suppressed images find more "
            "type 1 changes (Finkenstaedt: 156 vs 93 segments)."
        ),
    },
    "nb": {
        "title": "Syntetisk MR, {plane} snitt",
        "sagittal": "sagittalt",
        "axial": "aksialt",
        "coronal": "koronalt",
        "healthy": "frisk segment",
        "footer": "Laget fra spineviz-modellen, ikke fra en pasient. Vevsverdier: docs/mri.md.",
        "note": (
            "Sekvens og feltstyrke endrer hvordan Modic-forandringer ser ut; fettundertrykte bilder finner "
            "flere type 1-forandringer (Finkenstaedt: 156 mot 93 segmenter)."
        ),
    },
}


def describe_state(state, lang: str = "en") -> str:
    """A short line naming the state's findings (``"Modic type 1 (oedema), L4-L5 · Pfirrmann IV"``)."""
    if state is None or state.is_healthy:
        return TEXT[lang]["healthy"]
    bits = [state.level]
    if state.modic != "0":
        bits.append(f"Modic {state.label('modic', lang)}")
    if state.pfirrmann != 1:
        bits.append(f"Pfirrmann {state.label('pfirrmann', lang)}")
    if state.herniation != "none":
        bits.append(state.label("herniation", lang))
    if state.stenosis != "none":
        bits.append(f"{state.label('stenosis', lang)} stenos{'e' if lang == 'nb' else 'is'}")
    if state.multifidus_fat:
        bits.append(f"multifidus: {state.label('multifidus_fat', lang)}")
    return " · ".join(bits)


def sequence_figure(
    state=None,
    *,
    plane: str = "sagittal",
    position=None,
    field: float = 1.5,
    seed: int = 0,
    lang: str = "en",
    sequences=("t1", "t2", "stir"),
    levels: str | None = None,
    scale: int = 2,
) -> Image.Image:
    """Side-by-side panels of one slice in several sequences, labelled.

    Each panel carries the sequence name, its TR/TE (and TI), and what it
    shows in a few words; the title names the state's findings.
    """
    if lang not in TEXT:
        raise ValueError(f"lang: {lang!r} is not allowed; choose one of {', '.join(TEXT)}")
    panels = [
        grey_image(
            state_slice(state, seq=s, plane=plane, position=position, field=field, seed=seed, levels=levels),
            scale=scale,
        )
        for s in sequences
    ]
    pw, ph = panels[0].size
    gap, head, foot = 12, 92, 46
    fig = Image.new("L", (len(panels) * pw + (len(panels) + 1) * gap, ph + head + foot), 0)
    draw = ImageDraw.Draw(fig)
    big, mid, small = font(20), font(16), font(13)
    t = TEXT[lang]
    draw.text(
        (gap, 8),
        t["title"].format(plane=t.get(plane, plane)) + ": " + describe_state(state, lang),
        fill=255,
        font=big,
    )
    for i, (s, panel) in enumerate(zip(sequences, panels, strict=True)):
        x = gap + i * (pw + gap)
        seq = SEQUENCES[s]
        draw.text((x, 36), seq.title[lang], fill=255, font=mid)
        draw.text((x, 56), f"{GENERAL[s][lang]}  ({seq.describe(field)})", fill=190, font=small)
        draw.text((x, 73), state_caption(state, s, plane, lang=lang, field=field), fill=230, font=small)
        fig.paste(panel, (x, head))
    draw.text((gap, head + ph + 8), t["note"], fill=200, font=small)
    draw.text((gap, head + ph + 26), t["footer"], fill=160, font=small)
    return fig
