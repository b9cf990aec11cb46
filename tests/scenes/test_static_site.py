"""The static web export: size budget, shared viewer and meshes, and pages that render in Chromium."""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import re
import struct
import threading

import numpy as np
import pytest

from spineviz.render.scenes import load_scenes
from spineviz.render.static_site import BACKGROUND, encode_mesh, export_static, web_mesh

BUDGET = 5_000_000


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("trame_vtk")
    out = tmp_path_factory.mktemp("site")
    return export_static(out)


@pytest.mark.slow
def test_whole_site_fits_the_budget_and_lists_every_scene(site):
    scenes = load_scenes()
    print(f"static site: {site.total_bytes / 1e6:.2f} MB, {site.sizes_by_folder()}")
    assert site.total_bytes <= BUDGET
    index = (site.out_dir / "index.html").read_text(encoding="utf-8")
    for scene in scenes:
        assert (site.out_dir / "scenes" / f"{scene.id}.html").is_file()
        assert (site.out_dir / "thumbs" / f"{scene.id}.webp").is_file()
        assert f'href="scenes/{scene.id}.html"' in index
        for lang in ("nb", "en"):
            assert f'data-lang="{lang}">{scene.title[lang]}<'.replace("'", "&#x27;") in index


@pytest.mark.slow
def test_one_viewer_and_shared_meshes(site):
    assert len(list(site.out_dir.rglob("vtk-viewer.js"))) == 1
    pages = list((site.out_dir / "scenes").glob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert len(text) < 40_000  # the viewer and meshes are referenced, not embedded
        assert not re.search(r'(src|href)="(https?:)?//', text)  # relative paths only
    references = sum(len(re.findall(r'src="\.\./data/', p.read_text(encoding="utf-8"))) for p in pages)
    assert site.meshes == len(list((site.out_dir / "data").glob("*.js")))
    assert site.meshes < references / 2  # healthy anatomy is stored once for many scenes


def _decode(blob: bytes):
    raw = gzip.decompress(blob)
    magic, n, t, *box = struct.unpack_from("<4sII3f3f", raw)
    lo, hi = np.array(box[:3]), np.array(box[3:])
    q = np.frombuffer(raw, "<u2", 3 * n, 36).reshape(-1, 3)
    start = 36 + 6 * n + (-(36 + 6 * n) % 4)
    faces = np.frombuffer(raw, "<u2" if n <= 65535 else "<u4", 3 * t, start).reshape(-1, 3)
    return magic, lo + q / 65535 * (hi - lo), faces


def test_mesh_encoding_round_trips_within_quantisation():
    import pyvista as pv

    mesh = web_mesh(pv.Sphere(radius=20.0, center=(3.0, -40.0, 12.0)), "L4.body")
    magic, points, faces = _decode(encode_mesh(mesh))
    assert magic == b"SVM1"
    span = np.ptp(np.asarray(mesh.points), axis=0)
    assert np.abs(points - mesh.points).max() <= span.max() / 65535
    assert np.array_equal(faces, np.asarray(mesh.faces).reshape(-1, 4)[:, 1:])


def test_web_mesh_is_lighter_and_still_triangles():
    import pyvista as pv

    dense = pv.Sphere(theta_resolution=120, phi_resolution=120)
    light = web_mesh(dense, "L4.body")
    assert light.is_all_triangles
    assert light.n_cells < dense.n_cells / 3


# -- in a real browser ---------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site.out_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def chromium(browser):
    # pytest-playwright's browser (Debian Chromium, tests/conftest.py): a second sync
    # Playwright in the same session would clash with its event loop.
    return browser


def _watch(page, origin: str):
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "request",
        lambda r: None if r.url.startswith((origin, "blob:", "data:", "file:")) else problems.append(r.url),
    )
    return problems


def _drawn_share(png: bytes) -> float:
    """Share of canvas pixels that are not the background colour."""
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), float)
    background = np.array(BACKGROUND) * 255
    return float((np.abs(image - background).max(axis=2) > 24).mean())


def _wait_for_view(page, frame=None):
    where = frame or page
    where.locator("#view[data-ready='1'] canvas").wait_for(timeout=60_000)
    # vtk.js draws on the next animation frames; wait for pixels, not a fixed time.
    for _ in range(60):
        share = _drawn_share(where.locator("#view canvas").screenshot())
        if share > 0.05:
            return share
        page.wait_for_timeout(250)
    return share


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("scene_id", ["healthy-segment", "compressed-root", "modic-type-1"])
def test_scene_page_renders_the_view_and_the_caption(chromium, server, scene_id):
    scene = next(s for s in load_scenes() if s.id == scene_id)
    page = chromium.new_page(viewport={"width": 1280, "height": 800}, locale="nb-NO")
    problems = _watch(page, server)
    page.goto(f"{server}/scenes/{scene_id}.html")
    assert _wait_for_view(page) > 0.05
    caption = page.locator("p.caption:visible")
    assert caption.inner_text().strip() == " ".join(scene.caption["nb"].split())
    page.get_by_role("button", name="English").click()
    assert page.locator("p.caption:visible").inner_text().strip() == " ".join(scene.caption["en"].split())
    assert page.locator("h1:visible").inner_text() == scene.title["en"]
    assert problems == []
    page.close()


@pytest.mark.browser
@pytest.mark.slow
def test_page_works_inside_an_iframe_on_a_phone(chromium, server, site):
    host = site.out_dir / "embed-test.html"
    host.write_text(
        '<!doctype html><iframe id="f" src="scenes/bulge.html?embed=1&lang=en" '
        'style="width:360px;height:640px;border:0"></iframe>',
        encoding="utf-8",
    )
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    problems = _watch(page, server)
    page.goto(f"{server}/embed-test.html")
    frame = page.frame_locator("#f")
    assert _wait_for_view(page, frame) > 0.05
    assert frame.locator("header").is_hidden()
    assert "bulge" in frame.locator("p.caption:visible").inner_text()
    assert problems == []
    page.close()
    host.unlink()


@pytest.mark.browser
@pytest.mark.slow
def test_index_shows_every_scene_with_a_thumbnail(chromium, server):
    page = chromium.new_page(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page.goto(f"{server}/index.html")
    cards = page.locator("ul.cards img")
    assert cards.count() == len(load_scenes())
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.locator("ul.cards a").first.click()
    page.wait_for_url("**/scenes/healthy-segment.html?lang=en")
    page.close()
