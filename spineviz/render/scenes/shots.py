"""Screenshots of scenes: one PNG per scene, the same framing for every scene, and a contact sheet.

Framing is computed from *all* parts the scene's state built, not from the
visible ones, so that two scenes with the same camera preset line up
exactly when the website shows them one after the other (hiding the
muscles must not make the bones jump).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from spineviz.geometry.names import group_of

from ..cameras import CameraPose, pose_for
from ..style import Appearance
from .schema import NOTE, Scene
from .select import highlighted_names, label_anchor_names, opacity_of, visible_names
from .validate import matches

SIZE_PRESETS: dict[str, tuple[int, int]] = {
    "hero": (1920, 1080),
    "card": (800, 600),
    "square": (1080, 1080),
}
"""Named image sizes for the website; ``scale`` 2 doubles them for high-density screens."""

FRAMED_GROUPS = ("bone", "disc")
"""Presets frame the skeleton of the built segment (bones and discs), whatever
is hidden: the same preset gives the same picture frame in every scene, and
long roots and muscles do not shrink the vertebrae."""

MUTED_TOWARDS = (0.86, 0.87, 0.89)
MUTE = 0.55
"""When a scene highlights parts, the others are blended this far towards a
pale grey, so the eye goes to the finding while the anatomy stays readable."""

LABEL_INK = (38, 44, 52)
LABEL_PAPER = (255, 255, 255, 235)
LEADER = (38, 44, 52, 230)


def check_size_preset(name: str) -> tuple[int, int]:
    """The (width, height) of a size preset, or a clear error."""
    if name not in SIZE_PRESETS:
        msg = f"size: {name!r} is not a size preset; choose one of {', '.join(SIZE_PRESETS)}"
        raise ValueError(msg)
    return SIZE_PRESETS[name]


def check_scale(scale: int) -> int:
    if scale not in (1, 2, 3):
        msg = f"scale: {scale!r} is not allowed; choose 1, 2 or 3"
        raise ValueError(msg)
    return scale


def scene_model(scene: Scene, *, detail: str = "medium"):
    """The built model of a scene's state (cached per state by the conditions layer)."""
    from spineviz.conditions.build import build

    return build(scene.state, levels=scene.levels, detail=detail)


def scene_pose(scene: Scene, all_parts, *, aspect: float) -> CameraPose:
    """The scene's camera: a preset framed on every built part, then turned and zoomed."""
    cam = scene.camera
    if cam.preset is None:
        pose = CameraPose(cam.position, cam.focal_point, cam.view_up)  # type: ignore[arg-type]
    else:
        if cam.frame:
            frame_on = {n: m for n, m in all_parts.items() if any(matches(p, n) for p in cam.frame)}
        else:
            frame_on = {n: m for n, m in all_parts.items() if group_of(n) in FRAMED_GROUPS}
        frame_on = frame_on or all_parts
        pose = pose_for(frame_on, cam.preset, aspect=aspect)
    return turn(pose, azimuth=cam.azimuth, elevation=cam.elevation, zoom=cam.zoom)


def turn(pose: CameraPose, *, azimuth: float = 0.0, elevation: float = 0.0, zoom: float = 1.0) -> CameraPose:
    """Orbit a pose around its focal point (degrees) and move it closer by ``zoom``."""
    focal = np.asarray(pose.focal_point, float)
    offset = np.asarray(pose.position, float) - focal
    up = np.asarray(pose.view_up, float)
    up /= np.linalg.norm(up)
    offset = _rotate(offset, up, np.radians(azimuth))
    right = np.cross(up, offset)
    if np.linalg.norm(right) > 1e-9:
        right /= np.linalg.norm(right)
        offset = _rotate(offset, right, -np.radians(elevation))
        up = _rotate(up, right, -np.radians(elevation))
    position = focal + offset / zoom
    return CameraPose(tuple(position), tuple(focal), tuple(up), pose.view_angle)


def _rotate(v: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues' rotation of ``v`` about a unit ``axis``."""
    axis = axis / np.linalg.norm(axis)
    return v * np.cos(angle) + np.cross(axis, v) * np.sin(angle) + axis * (axis @ v) * (1 - np.cos(angle))


def scene_looks(scene: Scene, parts) -> dict[str, Appearance]:
    """Each visible part's appearance with the scene's opacities and highlight applied."""
    from ..style import looks as context_looks

    stressed = set(highlighted_names(scene, parts))
    base = context_looks(parts)
    looks = {}
    for name in parts:
        look = base[name]
        opacity = opacity_of(scene, name)
        if opacity is not None:
            look = replace(look, opacity=opacity)
        if stressed and name not in stressed:
            colour = tuple((1 - MUTE) * c + MUTE * m for c, m in zip(look.color, MUTED_TOWARDS, strict=True))
            look = replace(look, color=colour, specular=look.specular * 0.5)  # type: ignore[arg-type]
        elif stressed:
            look = replace(look, ambient=min(1.0, look.ambient + 0.12))
        looks[name] = look
    return looks


@dataclass
class Shot:
    """A rendered scene: the image and where its labels point."""

    scene: Scene
    image: np.ndarray
    anchors: list[tuple[float, float] | None]


class SceneRenderer:
    """Renders scenes one after another with a single offscreen window.

    Parameters
    ----------
    size : tuple of int
        Output width and height in pixels (after ``scale``).
    detail : str
        Mesh detail of the built models.
    """

    def __init__(self, *, size: tuple[int, int] = SIZE_PRESETS["hero"], detail: str = "medium"):
        from ..scene import ScenePresenter

        self.size = size
        self.detail = detail
        self.presenter = ScenePresenter(size=size)

    def shot(self, scene: Scene, *, transparent: bool = False) -> Shot:
        model = scene_model(scene, detail=self.detail)
        shown = {n: model.parts[n] for n in visible_names(scene, model.parts)}
        if not shown:
            msg = f"{scene.path or scene.id}: parts: the scene hides every part; nothing is left to draw"
            raise ValueError(msg)
        presenter = self.presenter
        presenter.update(shown)
        for name, look in scene_looks(scene, shown).items():
            _apply(presenter.actors[name], look)
        pose = scene_pose(scene, model.parts, aspect=self.size[0] / self.size[1])
        presenter.set_camera(pose)
        image = presenter.screenshot(transparent=transparent)
        anchors = [
            _anchor(presenter, [shown[n] for n in names if n in shown], pose)
            for names in label_anchor_names(scene, model.parts)
        ]
        return Shot(scene, image, anchors)

    def close(self) -> None:
        self.presenter.close()

    def __enter__(self) -> SceneRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _apply(actor, look: Appearance) -> None:
    from ..scene import apply_look

    apply_look(actor, look)


def _anchor(presenter, meshes: Sequence, pose: CameraPose) -> tuple[float, float] | None:
    """The pixel a leader line should touch: a *visible* point of the part, near its middle.

    Points are projected with the camera's matrix and compared with the depth
    buffer of the frame just rendered, so a label never points at the bone in
    front of its part; a part hidden everywhere falls back to its nearest points.
    """
    points = [np.asarray(m.points) for m in meshes if m.n_points]
    if not points:
        return None
    cloud = np.concatenate(points)
    cloud = cloud[:: max(1, len(cloud) // 6000)]
    columns, rows, depth = _project(presenter, cloud)
    width, height = presenter.plotter.window_size
    inside = (columns >= 0) & (columns < width) & (rows >= 0) & (rows < height)
    zbuffer = _zbuffer(presenter)
    seen = np.zeros(len(cloud), bool)
    ci, ri = columns[inside].astype(int), rows[inside].astype(int)
    seen[inside] = depth[inside] <= zbuffer[ri, ci] + 2e-4
    pick = seen if seen.sum() >= 3 else inside if inside.any() else np.ones(len(cloud), bool)
    if not seen.sum() >= 3:
        eye = np.asarray(pose.position, float)
        distance = np.linalg.norm(cloud - eye, axis=1)
        pick &= distance <= np.quantile(distance[pick], 0.25)
    xy = np.stack([columns[pick], rows[pick]], axis=1)
    middle = np.median(xy, axis=0)
    best = xy[np.argmin(np.linalg.norm(xy - middle, axis=1))]
    # Display rows count from the bottom; image rows from the top.  Scale to the output size.
    scale = presenter.size[0] / width
    return float(best[0] * scale), float((height - 1 - best[1]) * scale)


def _project(presenter, points: np.ndarray):
    """Display column, row (from the bottom) and depth-buffer value of world points."""
    renderer = presenter.plotter.renderer
    width, height = presenter.plotter.window_size
    matrix = renderer.GetActiveCamera().GetCompositeProjectionTransformMatrix(width / height, -1, 1)
    m = np.array([[matrix.GetElement(i, j) for j in range(4)] for i in range(4)])
    homogeneous = np.c_[points, np.ones(len(points))] @ m.T
    ndc = homogeneous[:, :3] / homogeneous[:, 3:4]
    return (ndc[:, 0] + 1) / 2 * width, (ndc[:, 1] + 1) / 2 * height, (ndc[:, 2] + 1) / 2


def _zbuffer(presenter) -> np.ndarray:
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkCommonCore import vtkFloatArray

    window = presenter.plotter.render_window
    width, height = presenter.plotter.window_size
    data = vtkFloatArray()
    window.GetZbufferData(0, 0, width - 1, height - 1, data)
    return vtk_to_numpy(data).reshape(height, width)


# -- 2D overlays (Pillow) ---------------------------------------------------------------------------


@cache
def font(size: int, *, bold: bool = False):
    """DejaVu Sans (Debian's default) if present, else Pillow's built-in scalable font."""
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"):
        path = Path(folder) / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def draw_labels(shot: Shot, *, lang: str = "nb"):
    """The shot as a Pillow image with its labels and leader lines drawn on."""
    from PIL import Image, ImageDraw

    image = Image.fromarray(shot.image).convert("RGBA")
    width, height = image.size
    unit = max(1.0, height / 1080)
    face = font(round(26 * unit), bold=True)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    pad = round(10 * unit)
    placed: dict[str, list[float]] = {"left": [], "right": []}
    items = sorted(
        ((a, label) for a, label in zip(shot.anchors, shot.scene.labels, strict=True) if a is not None),
        key=lambda item: item[0][1],
    )
    for (ax, ay), label in items:
        side = label.side if label.side != "auto" else ("left" if ax < width / 2 else "right")
        text = label.text[lang]
        box = draw.textbbox((0, 0), text, font=face)
        tw, th = box[2] - box[0], box[3] - box[1]
        y = min(max(ay - th / 2 - pad, 2 * pad), height - th - 4 * pad)
        for other in placed[side]:  # keep labels on one side from overlapping
            if abs(other - y) < th + 3 * pad:
                y = other + th + 3 * pad
        placed[side].append(y)
        x = 3 * pad if side == "left" else width - tw - 5 * pad
        rect = (x, y, x + tw + 2 * pad, y + th + 2 * pad)
        attach = (rect[2], (rect[1] + rect[3]) / 2) if side == "left" else (rect[0], (rect[1] + rect[3]) / 2)
        draw.line([attach, (ax, ay)], fill=LEADER, width=max(2, round(2.5 * unit)))
        r = 5 * unit
        draw.ellipse((ax - r, ay - r, ax + r, ay + r), fill=LEADER, outline=(255, 255, 255, 255))
        draw.rounded_rectangle(rect, radius=round(8 * unit), fill=LABEL_PAPER, outline=LEADER, width=1)
        draw.text((x + pad - box[0], y + pad - box[1]), text, font=face, fill=LABEL_INK)
    out = Image.alpha_composite(image, overlay)
    return out if shot.image.shape[2] == 4 else out.convert("RGB")


def contact_sheet(
    images: Iterable[tuple[Scene, Path]], path: str | Path, *, lang: str = "nb", columns: int = 5
):
    """One image of all scenes with their order and titles, for checking a set at a glance."""
    from PIL import Image, ImageDraw

    items = list(images)
    tile_w, tile_h, caption_h, gap = 480, 270, 64, 16
    rows = max(1, -(-len(items) // columns))
    header = 90
    sheet = Image.new(
        "RGB", (columns * (tile_w + gap) + gap, header + rows * (tile_h + caption_h + gap)), "white"
    )
    draw = ImageDraw.Draw(sheet)
    heading = {"nb": "spineviz – alle scener", "en": "spineviz – all scenes"}[lang]
    draw.text((gap, 18), heading, font=font(34, bold=True), fill=LABEL_INK)
    draw.text((gap, 60), NOTE[lang][:150], font=font(15), fill=(90, 96, 104))
    for i, (scene, image_path) in enumerate(items):
        col, row = i % columns, i // columns
        x, y = gap + col * (tile_w + gap), header + row * (tile_h + caption_h + gap)
        with Image.open(image_path) as im:
            tile = im.convert("RGBA")
            tile.thumbnail((tile_w, tile_h))
            backdrop = Image.new("RGBA", (tile_w, tile_h), (236, 238, 241, 255))
            backdrop.alpha_composite(tile, ((tile_w - tile.width) // 2, (tile_h - tile.height) // 2))
            sheet.paste(backdrop.convert("RGB"), (x, y))
        draw.text((x, y + tile_h + 6), f"{scene.order} · {scene.id}", font=font(14), fill=(90, 96, 104))
        draw.text(
            (x, y + tile_h + 26),
            _fit(draw, scene.title[lang], font(19, bold=True), tile_w),
            font=font(19, bold=True),
            fill=LABEL_INK,
        )
    path = Path(path)
    sheet.save(path, optimize=True)
    return path


def _fit(draw, text: str, face, width: int) -> str:
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text + "…"


def render_scenes(
    scenes: Sequence[Scene],
    out_dir: str | Path,
    *,
    size: tuple[int, int] = SIZE_PRESETS["hero"],
    scale: int = 1,
    transparent: bool = False,
    lang: str = "nb",
    detail: str = "medium",
    sheet: bool = True,
) -> list[Path]:
    """Render scenes to ``out_dir/<id>.png`` (and ``contact-sheet.png``); returns the paths written.

    Parameters
    ----------
    scenes : sequence of Scene
        What to render, e.g. :func:`~.load.load_scenes`.
    out_dir : str or Path
        Folder, created if needed.
    size : tuple of int
        Width and height before ``scale`` (see :data:`SIZE_PRESETS`).
    scale : {1, 2, 3}
        Pixel density: 2 gives 3840×2160 for the hero size.
    transparent : bool
        Transparent background instead of the gradient.
    lang : {"nb", "en"}
        Language of labels and the contact sheet.
    detail : str
        Mesh detail.
    sheet : bool
        Also write the contact sheet (when more than one scene).
    """
    check_scale(scale)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    full = (size[0] * scale, size[1] * scale)
    written: list[Path] = []
    with SceneRenderer(size=full, detail=detail) as renderer:
        for scene in scenes:
            shot = renderer.shot(scene, transparent=transparent)
            path = out_dir / f"{scene.id}.png"
            draw_labels(shot, lang=lang).save(path, compress_level=6)
            written.append(path)
    if sheet and len(scenes) > 1:
        written.append(
            contact_sheet(zip(scenes, written, strict=True), out_dir / "contact-sheet.png", lang=lang)
        )
    return written
