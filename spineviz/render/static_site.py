"""A static web export of the scenes: plain files any web host can serve, no Python behind them.

``export_static(out_dir)`` writes::

    index.html              every scene: thumbnail and title in both languages
    scenes/<id>.html        one page per scene: interactive 3D view, caption, sources, note
    assets/vtk-viewer.js    vtk.js (the OfflineLocalView bundle trame-vtk ships), ONE copy for all pages
    assets/spineviz-viewer.js, lang.js, style.css
    data/<hash>.js          one file per distinct mesh, shared by every scene that shows it
    thumbs/<id>.webp

Size is what makes this work on phones and under the 5 MB budget:

* meshes are decimated for the web, their creases split, points quantised to
  16 bits over the part's box and indices stored as 16-bit where they fit,
  then gzip-compressed (the browser's ``DecompressionStream`` inflates them);
* a part that several scenes show unchanged (most of the healthy anatomy) is
  stored once: mesh files are named by a hash of their content;
* data files are JavaScript (``spinevizMesh(hash, "…")``) rather than
  ``fetch``-ed binaries, so pages also open from disk (``file://``) and inside
  an ``<iframe>``; every path is relative and nothing is loaded from the network.

Pages take ``?lang=nb|en`` and ``?embed=1`` (no header, for an iframe).
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
import shutil
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyvista as pv

from .scenes.schema import NOTE, Scene
from .scenes.select import visible_names
from .scenes.shots import SceneRenderer, scene_looks, scene_model, scene_pose

WEB = Path(__file__).with_name("web")
ASPECT = 16 / 10
"""The aspect the pages' cameras are framed for; the viewer steps back on narrower screens."""

KEEP = 0.18
"""Share of a part's triangles kept for the web (medium detail → about 60k triangles a scene)."""
MIN_TRIANGLES = 160
BACKGROUND = (0.933, 0.941, 0.953)
LIGHTS = (
    # The screenshots' camera lights (spineviz.render.scene): key, fill, rim.
    {"position": (-0.8, 1.0, 1.2), "intensity": 1.0},
    {"position": (1.0, -0.35, 0.9), "intensity": 0.45},
    {"position": (0.3, 0.8, -1.0), "intensity": 0.5},
)
_VIEWER_PATCHES = (
    # The bundle's auto-start shows a file-drop box when no data arrives within 0.1 s;
    # the pages start the viewer themselves.
    (r"setTimeout\(\(\)=>\{ra&&\(window\?\.loadDataSet\?\.\(\),ra&&q0\(\)\)\},100\);", ""),
    (r"window\?\.loadDataSet\?\.\(\);", ""),
    # It also adds favicons from kitware.github.io: no network requests from our pages.
    (r'(\w+)=document\.querySelector\("head"\);(?=\1&&\[16,32,96,160,196\])', r"\1=null;"),
)
"""Edits to trame-vtk's viewer bundle, each of which must apply exactly once."""


class StaticExportError(RuntimeError):
    """The export cannot be written; the message says why and what to do."""


@dataclass
class SiteReport:
    """What :func:`export_static` wrote."""

    out_dir: Path
    pages: list[Path] = field(default_factory=list)
    meshes: int = 0
    triangles: dict[str, int] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.out_dir.rglob("*") if p.is_file())

    def sizes_by_folder(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.out_dir.rglob("*"):
            if p.is_file():
                parts = p.relative_to(self.out_dir).parts
                key = parts[0] if len(parts) > 1 else "."
                out[key] = out.get(key, 0) + p.stat().st_size
        return out


# -- the vtk.js viewer -------------------------------------------------------------------------------


def viewer_bundle() -> str:
    """The vtk.js OfflineLocalView code from trame-vtk's static viewer, as a classic script.

    trame-vtk ships it inlined in ``tools/static_viewer.html``; taking it out
    once lets every page share one cached copy instead of embedding 1 MB each.
    """
    try:
        import trame_vtk.tools.vtksz2html as source
    except ImportError:
        msg = (
            "static export needs trame-vtk (its vtk.js viewer); install it with: pip install 'spineviz[app]'"
        )
        raise StaticExportError(msg) from None
    text = Path(source.HTML_VIEWER_PATH).read_text(encoding="utf-8")
    start = text.find('<script type="module">')
    end = text.find("</script>", start)
    if start < 0 or end < 0:
        raise StaticExportError(f"static export: no viewer script found in {source.HTML_VIEWER_PATH}")
    code = text[start + len('<script type="module">') : end]
    for pattern, replacement in _VIEWER_PATCHES:
        code, count = re.subn(pattern, replacement, code)
        if count != 1:
            msg = (
                "static export: this trame-vtk's vtk.js viewer differs from the one spineviz was "
                f"written for (pattern {pattern[:40]!r} matched {count} times); "
                "pin trame-vtk or update spineviz"
            )
            raise StaticExportError(msg)
    return "window.global = window.global || {};\n" + code


# -- meshes ------------------------------------------------------------------------------------------


def web_mesh(mesh: pv.PolyData, name: str, *, keep: float = KEEP) -> pv.PolyData:
    """A lighter copy for the browser: triangulated, decimated, creases split for shading."""
    from .scene import prepare_mesh
    from .style import appearance

    tri = mesh.clean().triangulate()
    # Cleaning can fold a sliver into a line; keep only the triangles.
    tri = pv.PolyData(np.asarray(tri.points), faces=np.asarray(tri.faces)).clean()
    if tri.n_cells > MIN_TRIANGLES / keep * 1.2:
        target = max(MIN_TRIANGLES, round(tri.n_cells * keep))
        tri = tri.decimate(1 - target / tri.n_cells, volume_preservation=True)
    return prepare_mesh(tri, appearance(name, mesh))


def encode_mesh(mesh: pv.PolyData) -> bytes:
    """The compact record the page decodes (see ``web/spineviz-viewer.js``), gzip-compressed."""
    points = np.asarray(mesh.points, np.float64)
    faces = np.asarray(mesh.faces).reshape(-1, 4)[:, 1:]
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    quantised = np.round((points - lo) / span * 65535).astype("<u2")
    body = struct.pack("<4sII3f3f", b"SVM1", len(points), len(faces), *lo, *hi) + quantised.tobytes()
    body += b"\0" * (-len(body) % 4)
    body += faces.astype("<u2" if len(points) <= 65535 else "<u4").tobytes()
    return gzip.compress(body, compresslevel=9, mtime=0)


# -- pages -------------------------------------------------------------------------------------------


def _t(text: str) -> str:
    return html.escape(text, quote=True)


def _both(tag: str, texts, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return "".join(f'<{tag}{attr} data-lang="{lang}">{_t(texts[lang])}</{tag}>' for lang in ("nb", "en"))


LANG_BUTTONS = (
    '<div class="langs" role="group" aria-label="Språk / Language">'
    '<button type="button" data-set="nb" lang="nb">Norsk</button>'
    '<button type="button" data-set="en" lang="en">English</button></div>'
)
BACK = {"nb": "← Alle scener", "en": "← All scenes"}
HEADING = {"nb": "Ryggen i 3D", "en": "The lower back in 3D"}
HINT = {
    "nb": "Dra for å snu modellen, knip eller rull for å zoome.",
    "en": "Drag to turn the model, pinch or scroll to zoom.",
}


def scene_page(scene: Scene, manifest: dict, mesh_files: Sequence[str]) -> str:
    """The HTML of one scene page (paths relative to ``scenes/``)."""
    scripts = "\n".join(f'<script src="../data/{name}"></script>' for name in mesh_files)
    sources = "".join(f"<li>{_t(s)}</li>" for s in scene.sources)
    return f"""<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-nb="{_t(scene.title["nb"])} – spineviz" data-en="{_t(scene.title["en"])} – spineviz">
{_t(scene.title["nb"])}</title>
<link rel="stylesheet" href="../assets/style.css">
<script src="../assets/lang.js"></script>
</head>
<body>
<header><a href="../index.html" data-keep-lang>{_both("span", BACK)}</a>{LANG_BUTTONS}</header>
<main class="scene">
<div class="view" id="view" role="img" aria-label="{_t(scene.title["en"])}"></div>
<section class="text">
{_both("h1", scene.title)}
{_both("p", scene.caption, "caption")}
{_both("p", HINT, "hint")}
<ol class="sources">{sources}</ol>
{_both("p", NOTE, "note")}
</section>
</main>
<script src="../assets/vtk-viewer.js"></script>
<script src="../assets/spineviz-viewer.js"></script>
{scripts}
<script>
window.addEventListener("load", function () {{
  spinevizShow(document.getElementById("view"), {json.dumps(manifest, separators=(",", ":"))});
}});
</script>
</body>
</html>
"""


def index_page(scenes: Sequence[Scene]) -> str:
    cards = "\n".join(
        f'<li><a href="scenes/{s.id}.html" data-keep-lang>'
        f'<img src="thumbs/{s.id}.webp" alt="" loading="lazy">'
        f'<div class="t">{_both("strong", s.title)}</div></a></li>'
        for s in scenes
    )
    intro = {
        "nb": "Trykk på et bilde for å se modellen i 3D med en kort forklaring.",
        "en": "Tap a picture to see the model in 3D with a short explanation.",
    }
    return f"""<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-nb="Ryggen i 3D – spineviz" data-en="The lower back in 3D – spineviz">spineviz</title>
<link rel="stylesheet" href="assets/style.css">
<script src="assets/lang.js"></script>
</head>
<body>
<header><strong>{_both("span", HEADING)}</strong>{LANG_BUTTONS}</header>
<div class="intro">{_both("p", intro)}{_both("p", NOTE, "note")}</div>
<ul class="cards">
{cards}
</ul>
</body>
</html>
"""


# -- the export --------------------------------------------------------------------------------------


def export_static(
    out_dir: str | Path,
    scenes: Sequence[Scene] | None = None,
    *,
    detail: str = "medium",
    thumbnails: bool = True,
) -> SiteReport:
    """Write the static site for ``scenes`` (default: the shipped set) into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder, created if needed; files spineviz wrote there before are replaced.
    scenes : sequence of Scene, optional
        Scenes in tour order.
    detail : str
        Model detail before decimation.
    thumbnails : bool
        Render a thumbnail per scene (needs offscreen OpenGL).

    Returns
    -------
    SiteReport
        Paths, mesh count and the total size (``report.total_bytes``).
    """
    from .scenes.load import load_scenes

    scenes = list(load_scenes() if scenes is None else scenes)
    out = Path(out_dir)
    for sub in ("assets", "data", "scenes", "thumbs"):
        if (out / sub).is_dir():
            shutil.rmtree(out / sub)
        (out / sub).mkdir(parents=True, exist_ok=True)
    (out / "assets" / "vtk-viewer.js").write_text(viewer_bundle(), encoding="utf-8")
    for name in ("spineviz-viewer.js", "lang.js", "style.css"):
        shutil.copyfile(WEB / name, out / "assets" / name)
    report = SiteReport(out)
    encoded: dict[int, tuple[str, int]] = {}  # id(mesh) → (hash, triangles); the conditions reuse objects
    keep_alive = []
    for scene in scenes:
        model = scene_model(scene, detail=detail)
        shown = {n: model.parts[n] for n in visible_names(scene, model.parts)}
        looks = scene_looks(scene, shown)
        pose = scene_pose(scene, model.parts, aspect=ASPECT)
        actors, files, triangles = [], [], 0
        for name, mesh in shown.items():
            if mesh.n_cells == 0:
                continue
            if id(mesh) not in encoded:
                light = web_mesh(mesh, name)
                blob = encode_mesh(light)
                digest = hashlib.sha1(blob).hexdigest()[:16]
                path = out / "data" / f"{digest}.js"
                if not path.exists():
                    path.write_text(f'spinevizMesh("{digest}","{_b64(blob)}");\n', encoding="ascii")
                    report.meshes += 1
                encoded[id(mesh)] = (digest, light.n_cells)
                keep_alive.append(mesh)
            digest, n = encoded[id(mesh)]
            triangles += n
            look = looks[name]
            actors.append(
                {
                    "name": name,
                    "mesh": digest,
                    "color": [round(c, 4) for c in look.color],
                    "opacity": look.opacity,
                    "ambient": look.ambient,
                    "diffuse": look.diffuse,
                    "specular": look.specular,
                    "specular_power": look.specular_power,
                }
            )
            if f"{digest}.js" not in files:
                files.append(f"{digest}.js")
        manifest = {
            "id": scene.id,
            "aspect": ASPECT,
            "background": list(BACKGROUND),
            "camera": {
                "position": [round(v, 3) for v in pose.position],
                "focal_point": [round(v, 3) for v in pose.focal_point],
                "view_up": [round(v, 5) for v in pose.view_up],
                "view_angle": pose.view_angle,
            },
            "lights": [dict(light) for light in LIGHTS],
            "actors": actors,
        }
        page = out / "scenes" / f"{scene.id}.html"
        page.write_text(scene_page(scene, manifest, files), encoding="utf-8")
        report.pages.append(page)
        report.triangles[scene.id] = triangles
    if thumbnails:
        _thumbnails(scenes, out / "thumbs", detail=detail)
    index = out / "index.html"
    index.write_text(index_page(scenes), encoding="utf-8")
    report.pages.insert(0, index)
    return report


def _b64(blob: bytes) -> str:
    import base64

    return base64.b64encode(blob).decode("ascii")


def _thumbnails(scenes: Sequence[Scene], folder: Path, *, detail: str) -> None:
    from PIL import Image

    with SceneRenderer(size=(480, 300), detail=detail) as renderer:
        for scene in scenes:
            shot = renderer.shot(scene)
            Image.fromarray(shot.image).save(folder / f"{scene.id}.webp", quality=78, method=6)
