"""Writing parts to files other programs open: VTP, binary glTF, one HTML page.

* :func:`export_vtp` — one ``<part name>.vtp`` per part (ParaView, PyVista).
* :func:`export_glb` — one binary glTF 2.0 file with one *named* node per part
  and the atlas colours as materials (Blender, three.js, web pages).  VTK's own
  glTF exporter names nodes ``mesh0``, ``mesh1`` … and writes JSON with base64
  data, so this module writes GLB itself; the format is small.
* :func:`export_html` — one self-contained interactive page (vtk.js inlined),
  which opens offline in a browser.  It needs the optional ``app`` extras.
"""

from __future__ import annotations

import json
import re
import struct
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyvista as pv

from .scene import prepare_mesh
from .style import appearance

FORMATS = ("vtp", "glb", "html")

GLTF_FROM_LPS_MM = (
    (0.001, 0.0, 0.0, 0.0),
    (0.0, 0.0, 0.001, 0.0),
    (0.0, -0.001, 0.0, 0.0),
    (0.0, 0.0, 0.0, 1.0),
)
"""Root-node transform from LPS millimetres to glTF's convention (metres,
+Y up, +Z toward the viewer of the asset's front): glTF ``(X, Y, Z)`` =
``(x, z, -y) / 1000``, so the patient stands upright facing +Z.  Part meshes
keep their millimetre coordinates."""

_FLOAT, _UINT32 = 5126, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


def check_format(fmt: str) -> str:
    """Return ``fmt`` if it is an export format, else raise a clear error."""
    if fmt not in FORMATS:
        msg = f"format: {fmt!r} is not allowed; choose one of {', '.join(FORMATS)}"
        raise ValueError(msg)
    return fmt


def export_vtp(parts: Mapping[str, pv.PolyData], out_dir: str | Path) -> list[Path]:
    """Write one ``<part name>.vtp`` per part into ``out_dir`` (created if needed).

    Parameters
    ----------
    parts : Mapping[str, pyvista.PolyData]
        Part meshes keyed by stable name.
    out_dir : str or Path
        Directory for the files.

    Returns
    -------
    list of Path
        The files written, in the order of ``parts``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, mesh in parts.items():
        path = out / f"{name}.vtp"
        mesh.save(path, binary=True)
        written.append(path)
    return written


def _triangles(mesh: pv.PolyData) -> np.ndarray:
    tri = mesh if mesh.is_all_triangles else mesh.triangulate()
    return np.asarray(tri.faces, dtype=np.int64).reshape(-1, 4)[:, 1:]


def gltf_document(parts: Mapping[str, pv.PolyData]) -> tuple[dict, bytes]:
    """The glTF JSON document and binary buffer for ``parts``.

    One mesh and one node per part, both named by the part name, under a
    root node ``spineviz`` that carries :data:`GLTF_FROM_LPS_MM`.  Normals
    are split at creases as on screen; colour and opacity come from
    :func:`spineviz.render.style.appearance`.
    """
    blob = bytearray()
    views: list[dict] = []
    accessors: list[dict] = []
    meshes: list[dict] = []
    nodes: list[dict] = [
        {"name": "spineviz", "matrix": list(np.asarray(GLTF_FROM_LPS_MM).T.ravel()), "children": []}
    ]
    materials: list[dict] = []

    def add_view(data: np.ndarray, target: int) -> int:
        while len(blob) % 4:
            blob.append(0)
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": data.nbytes, "target": target})
        blob.extend(data.tobytes())
        return len(views) - 1

    def add_accessor(data: np.ndarray, kind: str, component: int, target: int, bounds: bool) -> int:
        acc = {
            "bufferView": add_view(data, target),
            "componentType": component,
            "count": len(data),
            "type": kind,
        }
        if bounds:
            acc["min"] = [float(v) for v in data.min(axis=0)]
            acc["max"] = [float(v) for v in data.max(axis=0)]
        accessors.append(acc)
        return len(accessors) - 1

    for name, mesh in parts.items():
        look = appearance(name, mesh)
        shaded = prepare_mesh(mesh, look)
        tris = _triangles(shaded)
        if len(tris) == 0:
            continue
        points = np.ascontiguousarray(shaded.points, dtype="<f4")
        normals = np.ascontiguousarray(shaded.point_data["Normals"], dtype="<f4")
        indices = np.ascontiguousarray(tris.ravel(), dtype="<u4")
        materials.append(
            {
                "name": name,
                "pbrMetallicRoughness": {
                    "baseColorFactor": [*map(float, look.color), float(look.opacity)],
                    "metallicFactor": 0.0,
                    # Glossier where the screen shows stronger highlights.
                    "roughnessFactor": round(float(np.clip(1.0 - look.specular, 0.3, 0.95)), 3),
                },
                "alphaMode": "BLEND" if look.translucent else "OPAQUE",
            }
        )
        primitive = {
            "attributes": {
                "POSITION": add_accessor(points, "VEC3", _FLOAT, _ARRAY_BUFFER, bounds=True),
                "NORMAL": add_accessor(normals, "VEC3", _FLOAT, _ARRAY_BUFFER, bounds=False),
            },
            "indices": add_accessor(indices, "SCALAR", _UINT32, _ELEMENT_ARRAY_BUFFER, bounds=False),
            "material": len(materials) - 1,
            "mode": 4,
        }
        meshes.append({"name": name, "primitives": [primitive]})
        nodes.append({"name": name, "mesh": len(meshes) - 1})
        nodes[0]["children"].append(len(nodes) - 1)
    while len(blob) % 4:
        blob.append(0)
    document = {
        "asset": {"version": "2.0", "generator": "spineviz"},
        "scene": 0,
        "scenes": [{"name": "spineviz", "nodes": [0]}],
        "nodes": nodes,
        "meshes": meshes,
        "materials": materials,
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": len(blob)}],
    }
    return document, bytes(blob)


def export_glb(parts: Mapping[str, pv.PolyData], path: str | Path) -> Path:
    """Write ``parts`` as one binary glTF 2.0 file with a named node per part.

    Parameters
    ----------
    parts : Mapping[str, pyvista.PolyData]
        Part meshes keyed by stable name.
    path : str or Path
        Output ``.glb`` file.

    Returns
    -------
    Path
    """
    document, blob = gltf_document(parts)
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    chunks = (
        struct.pack("<II", len(text), 0x4E4F534A) + text + struct.pack("<II", len(blob), 0x004E4942) + blob
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<III", 0x46546C67, 2, 12 + len(chunks)) + chunks)
    return path


def read_glb(path: str | Path) -> tuple[dict, bytes]:
    """Read a GLB file back into its JSON document and binary chunk (for checks and tests)."""
    data = Path(path).read_bytes()
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != 0x46546C67 or version != 2 or length != len(data):
        msg = f"glb: {path} is not a glTF 2.0 binary file"
        raise ValueError(msg)
    n_json, _ = struct.unpack_from("<II", data, 12)
    document = json.loads(data[20 : 20 + n_json])
    n_bin, _ = struct.unpack_from("<II", data, 20 + n_json)
    start = 28 + n_json
    return document, data[start : start + n_bin]


WEB_MAX_TRIANGLES = 120_000
"""Triangle budget of the HTML page: above it, parts are decimated (each by the
same share, shape-preserving quadric decimation) so the page stays a few MB
and turns smoothly on a phone."""

_URL = re.compile(r"https?://")


def export_html(
    parts: Mapping[str, pv.PolyData],
    path: str | Path,
    *,
    camera: str = "oblique",
    max_triangles: int = WEB_MAX_TRIANGLES,
) -> Path:
    """Write one self-contained interactive HTML page of ``parts``.

    The page inlines vtk.js and the meshes and references nothing on the
    network (vtk.js's favicon links and every other URL are taken out), so it
    opens offline.  It keeps the look of :func:`~spineviz.render.scene.render_png`:
    the same colours, the paper-to-grey background gradient and the camera
    preset's framing.  Needs the ``app`` extras (trame-vtk, nest_asyncio2).

    Parameters
    ----------
    parts : Mapping[str, pyvista.PolyData]
        Part meshes keyed by stable name.
    path : str or Path
        Output ``.html`` file.
    camera : str, optional
        Camera preset the page opens with (:data:`spineviz.render.cameras.CAMERAS`).
    max_triangles : int, optional
        Decimate the parts for the web when together they have more triangles.

    Returns
    -------
    Path

    Raises
    ------
    RuntimeError
        When the optional packages are missing (the message says what to install).
    """
    from . import offscreen
    from .cameras import check_camera
    from .scene import ScenePresenter

    check_camera(camera)
    try:
        import nest_asyncio2  # noqa: F401
        import trame_vtk  # noqa: F401
    except ImportError as err:
        msg = (
            f"html export needs the optional app packages ({err.name} is missing); "
            "install them with: pip install 'spineviz[app]'"
        )
        raise RuntimeError(msg) from None
    offscreen.ensure_rendering()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    web = web_parts(parts, max_triangles=max_triangles)
    # Depth peeling and supersampling only matter for our own images.
    with ScenePresenter(size=(800, 600), anti_aliasing="none", depth_peeling=False) as scene:
        scene.update(web)
        pose = scene.set_camera(camera)
        with warnings.catch_warnings(), _quiet_asyncio():
            warnings.simplefilter("ignore")
            page = scene.plotter.trame.export_html(None).getvalue()
    path.write_text(offline_page(page, pose), encoding="utf-8")
    return path


def web_parts(parts: Mapping[str, pv.PolyData], *, max_triangles: int = WEB_MAX_TRIANGLES) -> dict:
    """The parts with at most about ``max_triangles`` triangles in all, 32-bit points.

    Every part above a few hundred triangles is decimated by the same share,
    so small parts (fibres, particles) keep their shape.
    """
    counts = {n: m.n_cells for n, m in parts.items()}
    total = sum(counts.values())
    keep = 1.0 if total <= max_triangles else max_triangles / total
    out = {}
    for name, mesh in parts.items():
        web = mesh
        if keep < 1.0 and counts[name] > 400 and mesh.is_all_triangles:
            web = mesh.decimate(1.0 - keep, volume_preservation=True)
        web = web.copy()
        web.points = np.asarray(web.points, dtype=np.float32)
        for key in mesh.field_data:
            web.field_data[key] = mesh.field_data[key]
        out[name] = web
    return out


def offline_page(page: str, pose) -> str:
    """Patch vtk.js's standalone viewer page: no network, our camera and background.

    vtk.js adds favicon links to kitware.github.io at run time and its code
    holds a few more URLs (in comments, and a dummy base for parsing paths);
    all are made inert.  The scene's camera is set after loading, and the
    canvas is made transparent over a CSS copy of the render's gradient.
    """
    from .scene import BACKGROUND_BOTTOM, BACKGROUND_TOP

    page = re.sub(r"\[16,32,96,160,196\]\.forEach", "[].forEach", page)
    # The viewer keeps its render window in a bundler-private "global"; hand it to the page too.
    page = page.replace("global.renderWindow=n;", "global.renderWindow=n;window.spinevizRenderWindow=n;", 1)
    page = page.replace('"http://any"', '"file://any"')
    page = _URL.sub("", page)
    camera = json.dumps(
        {
            "position": list(map(float, pose.position)),
            "focalPoint": list(map(float, pose.focal_point)),
            "viewUp": list(map(float, pose.view_up)),
            "viewAngle": float(pose.view_angle),
        }
    )
    gradient = f"linear-gradient(to bottom, {BACKGROUND_TOP}, {BACKGROUND_BOTTOM})"
    script = f"""<style>
html, body {{ background: {gradient}; }}
</style>
<script>
(function () {{
  const pose = {camera};
  const gradient = "{gradient}";
  function place() {{
    const rw = window.spinevizRenderWindow;
    // The viewer's own empty renderer comes first; ours is the one with actors.
    const renderer = rw && rw.getRenderers().find((r) => r.getActors().length);
    if (!renderer) {{
      return window.requestAnimationFrame(place);
    }}
    // Transparent black: the canvas is premultiplied, so white at alpha 0 would still paint white.
    rw.getRenderers().forEach((r) => r.setBackground(0, 0, 0, 0));
    // The viewer paints its container white: put the gradient right under the canvas.
    document.querySelectorAll("canvas").forEach((c) => {{ c.parentElement.style.background = gradient; }});
    renderer.getActiveCamera().set(pose);
    renderer.resetCameraClippingRange();
    rw.render();
  }}
  window.addEventListener("load", place);
}})();
</script>
"""
    return page.replace("</body>", script + "</body>", 1)


class _quiet_asyncio:
    """Silence the event-loop's "exception was never retrieved" report of trame-vtklocal.

    trame's export path imports trame-vtklocal where it is installed, which
    tries to download its WebAssembly bundle in the background and fails
    offline; the HTML page does not use it.
    """

    def __enter__(self):
        import logging

        self._logger = logging.getLogger("asyncio")
        self._level = self._logger.level
        self._logger.setLevel(logging.CRITICAL + 1)
        return self

    def __exit__(self, *exc) -> None:
        self._logger.setLevel(self._level)
