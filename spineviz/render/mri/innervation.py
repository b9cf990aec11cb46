"""The disc's nerve supply as an illustration: healthy against degenerated.

Each panel is drawn from the model itself: the annulus and nucleus outlines
are the model's implicit fields cut by the disc's mid-plane (the axial view,
seen from the feet like the MRI), and a strip below cuts the same disc in the
mid-sagittal plane with the two vertebral endplates.  The nerve fibres are
then drawn on top: in the healthy disc only in the outer third of the annulus
(Freemont, Lancet 1997), fed by the sinuvertebral nerves that come from the
back through the foramina; in the degenerated disc deep into the inner
annulus and nucleus and into the endplates (Freemont 1997; Edgar, JBJS Br
2007).  The fibres are schematic — their number and paths are illustration,
their depth follows the papers.

Drawn with Pillow only, supersampled and reduced for smooth edges.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .figures import font
from .slices import SlicePlane, level_plane, make_plane

SUPERSAMPLE = 3

COLOURS = {
    "background": (250, 248, 244),
    "body": (233, 221, 196),
    "endplate": (205, 190, 160),
    "annulus": (196, 214, 228),
    "lamella": (168, 190, 208),
    "nucleus_healthy": (120, 170, 222),
    "nucleus_worn": (170, 160, 150),
    "sac": (252, 240, 200),
    "sac_edge": (200, 170, 90),
    "cartilage": (214, 226, 232),
    "nerve": (226, 150, 20),
    "nerve_edge": (120, 70, 0),
    "text": (40, 40, 40),
    "note": (90, 90, 90),
}

TEXT = {
    "en": {
        "healthy": "Healthy disc",
        "worn": "Worn disc",
        "healthy_note": "Nerve fibres only in the outer third of the ring",
        "worn_note": "Fibres grow deep into the ring, core and endplates",
        "annulus": "annulus (fibrous ring)",
        "nucleus": "nucleus (gel core)",
        "sac": "nerve sac",
        "svn": "sinuvertebral nerve",
        "endplates": "endplates",
        "axial": "seen from below",
        "sagittal": "from the side",
        "source": (
            "Schematic, drawn on the spineviz disc. Sources: Freemont, Lancet 1997; Edgar, JBJS Br 2007."
        ),
    },
    "nb": {
        "healthy": "Frisk skive",
        "worn": "Slitt skive",
        "healthy_note": "Nervefibre bare i den ytre tredjedelen av ringen",
        "worn_note": "Fibre vokser dypt inn i ring, kjerne og endeplater",
        "annulus": "annulus (fiberring)",
        "nucleus": "nucleus (gelékjerne)",
        "sac": "nervesekken",
        "svn": "sinuvertebralnerven",
        "endplates": "endeplater",
        "axial": "sett nedenfra",
        "sagittal": "sett fra siden",
        "source": (
            "Skjematisk, tegnet på spineviz-skiven. Kilder: Freemont, Lancet 1997; Edgar, JBJS Br 2007."
        ),
    },
}


def raster(model, plane: SlicePlane, names) -> dict[str, np.ndarray]:
    """Inside-masks ``(rows, cols)`` of model parts on a plane, from their implicit fields."""
    pts = plane.pixel_centers().reshape(-1, 3)
    out = {}
    for name in names:
        if name in model.fields:
            out[name] = (model.fields[name](pts) <= 0).reshape(plane.size[1], plane.size[0])
    return out


def _paint(img: Image.Image, mask: np.ndarray, colour) -> None:
    layer = Image.fromarray((mask * 255).astype(np.uint8), "L").resize(img.size, Image.Resampling.BILINEAR)
    img.paste(Image.new("RGB", img.size, colour), (0, 0), layer.point(lambda v: 255 if v > 127 else 0))


def _radius(mask: np.ndarray, centre, angles) -> np.ndarray:
    """Distance (pixels) from ``centre`` to the edge of ``mask`` along each angle."""
    r = np.zeros(len(angles))
    for i, a in enumerate(angles):
        d = np.array([np.cos(a), np.sin(a)])
        for step in np.arange(0.0, max(mask.shape), 0.5):
            c, rr = (centre + step * d).astype(int)
            if not (0 <= rr < mask.shape[0] and 0 <= c < mask.shape[1]) or not mask[rr, c]:
                r[i] = step
                break
    return r


def _fibre(draw, start, end, rng, width, wiggle=0.18, branches=1):
    """A wavy nerve fibre from ``start`` to ``end`` with small side branches."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    t = np.linspace(0, 1, 9)
    path = start + (end - start) * t[:, None]
    normal = np.array([-(end - start)[1], (end - start)[0]])
    normal /= np.linalg.norm(normal) + 1e-9
    length = np.linalg.norm(end - start)
    path += (
        normal * (np.sin(t * np.pi * 2 + rng.uniform(0, 6)) * wiggle * length * np.sin(t * np.pi))[:, None]
    )
    pts = [tuple(p) for p in path]
    draw.line(pts, fill=COLOURS["nerve_edge"], width=width + 2 * SUPERSAMPLE, joint="curve")
    draw.line(pts, fill=COLOURS["nerve"], width=width, joint="curve")
    for _ in range(branches):
        k = rng.integers(4, 8)
        a = path[k]
        tip = a + (path[-1] - path[k]) * 0.5 + normal * rng.uniform(-0.35, 0.35) * length
        draw.line([tuple(a), tuple(tip)], fill=COLOURS["nerve"], width=max(1, width // 2))
    r = width * 0.9
    draw.ellipse([end[0] - r, end[1] - r, end[0] + r, end[1] + r], fill=COLOURS["nerve"])


def axial_panel(
    model, *, degenerated: bool, disc: str = "L4-L5", px: int = 420, seed: int = 1
) -> Image.Image:
    """The disc's mid-plane seen from below, with its nerve fibres."""
    plane = level_plane(model.placement, disc, fov=72.0, size=px // SUPERSAMPLE * SUPERSAMPLE, forward=6.0)
    big = make_plane("oblique", plane.center, fov=plane.width, size=px * SUPERSAMPLE, u=plane.u, v=plane.v)
    masks = raster(model, plane, [f"{disc}.annulus", f"{disc}.nucleus", "dural_sac"])
    img = Image.new("RGB", big.size, COLOURS["background"])
    ann, nuc = masks[f"{disc}.annulus"] | masks[f"{disc}.nucleus"], masks[f"{disc}.nucleus"]
    _paint(img, ann, COLOURS["annulus"])
    draw = ImageDraw.Draw(img)
    scale = big.size[0] / plane.size[0]
    rows, cols = np.nonzero(nuc)
    centre = np.array([cols.mean(), rows.mean()])
    angles = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    r_out = _radius(ann, centre, angles)
    r_nuc = _radius(nuc, centre, angles)
    # Lamellae: rings between nucleus and the outer wall.
    for f in (0.3, 0.5, 0.7, 0.87):
        r = r_nuc + (r_out - r_nuc) * f
        ring = [
            tuple((centre + rr * np.array([np.cos(a), np.sin(a)])) * scale)
            for a, rr in zip(angles, r, strict=True)
        ]
        draw.line([*ring, ring[0]], fill=COLOURS["lamella"], width=SUPERSAMPLE)
    _paint(img, nuc, COLOURS["nucleus_worn" if degenerated else "nucleus_healthy"])
    if "dural_sac" in masks:
        _paint(img, masks["dural_sac"], COLOURS["sac"])
    draw = ImageDraw.Draw(img)
    rng = np.random.default_rng(seed)
    width = int(1.6 * SUPERSAMPLE)
    # Image-down is posterior on the axial view; the back of the disc is at angles near +90°.
    n = 26 if degenerated else 18
    for i in range(n):
        a = angles[int(rng.integers(0, len(angles)))] if i % 3 else np.pi / 2 + rng.uniform(-0.9, 0.9)
        k = int(np.argmin(np.abs((angles - a + np.pi) % (2 * np.pi) - np.pi)))
        outer = r_out[k]
        depth = rng.uniform(0.12, 0.33) if not degenerated else rng.uniform(0.55, 1.25)
        inner = outer - depth * (outer - r_nuc[k]) if depth <= 1 else r_nuc[k] * (1 - (depth - 1) * 1.6)
        d = np.array([np.cos(angles[k]), np.sin(angles[k])])
        _fibre(draw, (centre + d * (outer + 2)) * scale, (centre + d * inner) * scale, rng, width)
    # Sinuvertebral nerves: from each foramen (behind and to the side) along the back of the disc.
    back = np.pi / 2
    svn_starts = []
    for side in (-1, 1):
        k = int(np.argmin(np.abs(angles - (back + side * 0.75))))
        entry = centre + r_out[k] * np.array([np.cos(angles[k]), np.sin(angles[k])])
        lateral = np.sign(np.cos(angles[k]))
        start = entry + np.array([lateral * 0.16, 0.10]) * plane.size[0]
        kb = int(np.argmin(np.abs(angles - back)))
        mid = centre + (r_out[kb] + 3) * np.array([0.0, 1.0]) + np.array([lateral * 5, 0])
        path = [tuple(p * scale) for p in (start, entry + np.array([0, 3]), mid)]
        w = int(3.0 * SUPERSAMPLE)
        draw.line(path, fill=COLOURS["nerve_edge"], width=w + 2 * SUPERSAMPLE, joint="curve")
        draw.line(path, fill=COLOURS["nerve"], width=w, joint="curve")
        svn_starts.append(start / plane.size[0] * px)
    sac = masks.get("dural_sac")
    sac_centre = None
    if sac is not None and sac.any():
        sr, sc = np.nonzero(sac)
        sac_centre = np.array([sc.mean(), sr.mean()]) / plane.size[0] * px
    labels = {"centre": centre / plane.size[0] * px, "svn": svn_starts, "sac": sac_centre}
    return img.resize((px, px), Image.Resampling.LANCZOS), labels


def sagittal_strip(model, *, degenerated: bool, disc: str = "L4-L5", width_px: int = 420, seed: int = 2):
    """Mid-sagittal cut of the disc and its two endplates, fibres included."""
    place = model.placement
    axial = level_plane(place, disc, fov=72.0, size=64, forward=0.0)
    w_mm, h_mm = 72.0, 30.0
    size = (width_px, int(width_px * h_mm / w_mm))
    # Image right is posterior (−v of the axial view), image up the disc's normal, pointing up.
    up = np.cross(axial.u, axial.v)
    up = up if up[2] > 0 else -up
    plane = make_plane("oblique", axial.center, fov=(w_mm, h_mm), size=size, u=-axial.v, v=up)
    upper, lower = disc.split("-")
    names = [
        f"{upper}.body",
        f"{lower}.body",
        f"{upper}.endplate.inferior",
        f"{lower}.endplate.superior",
        f"{disc}.annulus",
        f"{disc}.nucleus",
        f"{disc}.cartilage.superior",
        f"{disc}.cartilage.inferior",
    ]
    m = raster(model, plane, names)
    img = Image.new("RGB", (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE), COLOURS["background"])
    for name, colour in (
        (f"{upper}.body", "body"),
        (f"{lower}.body", "body"),
        (f"{upper}.endplate.inferior", "endplate"),
        (f"{lower}.endplate.superior", "endplate"),
        (f"{disc}.annulus", "annulus"),
        (f"{disc}.cartilage.superior", "cartilage"),
        (f"{disc}.cartilage.inferior", "cartilage"),
    ):
        if name in m:
            _paint(img, m[name], COLOURS[colour])
    if f"{disc}.nucleus" in m:
        _paint(img, m[f"{disc}.nucleus"], COLOURS["nucleus_worn" if degenerated else "nucleus_healthy"])
    draw = ImageDraw.Draw(img)
    rng = np.random.default_rng(seed)
    width = int(1.4 * SUPERSAMPLE)
    ann = m[f"{disc}.annulus"] | m.get(f"{disc}.nucleus", False)
    rows, cols = np.nonzero(ann)
    rows, cols = rows * SUPERSAMPLE, cols * SUPERSAMPLE
    back_col = cols.max()
    mid_row = int(np.median(rows))
    # Posterior annulus fibres (image right is posterior).
    depth = (cols.max() - cols.min()) * (0.1 if not degenerated else 0.4)
    for dz in np.linspace(-0.25, 0.25, 3 if not degenerated else 4):
        r = mid_row + dz * (rows.max() - rows.min())
        end = (back_col - depth * rng.uniform(0.7, 1.0), r + rng.uniform(-4, 4))
        _fibre(draw, (back_col + 2, r), end, rng, width, branches=0 if not degenerated else 1)
    if degenerated:
        for name in (f"{upper}.endplate.inferior", f"{lower}.endplate.superior"):
            er, ec = (a * SUPERSAMPLE for a in np.nonzero(m[name]))
            for c in np.linspace(ec.min() + 0.15 * np.ptp(ec), ec.max() - 0.15 * np.ptp(ec), 5):
                rr = er[np.argmin(np.abs(ec - c))]
                going_up = name.startswith(upper)
                end = (c + rng.uniform(-3, 3), rr + (2 if going_up else -2) * SUPERSAMPLE)
                start = (c + rng.uniform(-6, 6), rr - (9 if going_up else -9) * SUPERSAMPLE)
                _fibre(draw, start, end, rng, width, wiggle=0.25, branches=0)
    return img.resize(size, Image.Resampling.LANCZOS)


def innervation_figure(*, lang: str = "en", disc: str = "L4-L5", px: int = 420) -> Image.Image:
    """Side-by-side healthy | degenerated disc nerve supply, labelled."""
    from spineviz.conditions.state import State

    from .voxels import model_for

    if lang not in TEXT:
        raise ValueError(f"lang: {lang!r} is not allowed; choose one of {', '.join(TEXT)}")
    t = TEXT[lang]
    healthy = model_for(State(level=disc), disc, "medium")
    worn = model_for(State(level=disc, pfirrmann=4, ingrowth=True), disc, "medium")
    gap, head = 30, 92
    panels = []
    for model, degenerated in ((healthy, False), (worn, True)):
        ax, where = axial_panel(model, degenerated=degenerated, disc=disc, px=px)
        strip = sagittal_strip(model, degenerated=degenerated, disc=disc, width_px=px)
        panels.append((ax, strip, where))
    sh = panels[0][1].height
    fig = Image.new("RGB", (2 * px + 3 * gap, head + px + 26 + sh + 60), COLOURS["background"])
    draw = ImageDraw.Draw(fig)
    for i, ((ax, strip, where), key) in enumerate(zip(panels, ("healthy", "worn"), strict=True)):
        x = gap + i * (px + gap)
        draw.text((x, 14), t[key], fill=COLOURS["text"], font=font(26))
        draw.text((x, 48), t[f"{key}_note"], fill=COLOURS["note"], font=font(15))
        draw.text((x, 70), t["axial"], fill=COLOURS["note"], font=font(13))
        fig.paste(ax, (x, head))
        f = font(14)
        cx, cy = where["centre"]
        draw.text((x + cx, head + cy), t["nucleus"], fill=COLOURS["text"], font=f, anchor="mm")
        draw.text((x + px / 2, head + 26), t["annulus"], fill=COLOURS["text"], font=f, anchor="mm")
        if where["sac"] is not None:
            draw.text(
                (x + where["sac"][0], head + where["sac"][1]),
                t["sac"],
                fill=COLOURS["sac_edge"],
                font=f,
                anchor="mm",
            )
        sx, sy = where["svn"][0]
        draw.text((x + sx, head + sy + 8), t["svn"], fill=COLOURS["nerve_edge"], font=f, anchor="mt")
        y = head + px + 8
        draw.text(
            (x, y),
            t["sagittal"] + (" · " + t["endplates"] if key == "worn" else ""),
            fill=COLOURS["note"],
            font=font(13),
        )
        fig.paste(strip, (x, y + 18))
    draw.text((gap, fig.height - 30), t["source"], fill=COLOURS["note"], font=font(13))
    return fig
