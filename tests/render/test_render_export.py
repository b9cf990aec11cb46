"""Exports: VTP per part, a GLB with named nodes, and an offline HTML page."""

from __future__ import annotations

import re

import numpy as np
import pytest
import pyvista as pv

from spineviz.render import export


def test_one_vtp_per_part_reads_back_equal(model, tmp_path):
    written = export.export_vtp(model.parts, tmp_path / "vtp")
    assert sorted(p.name for p in (tmp_path / "vtp").iterdir()) == sorted(f"{n}.vtp" for n in model.parts)
    for path, (name, mesh) in zip(written, model.parts.items(), strict=True):
        back = pv.read(path)
        assert path.stem == name
        np.testing.assert_array_equal(back.points, mesh.points)
        np.testing.assert_array_equal(back.faces, mesh.faces)


def _accessor(document: dict, blob: bytes, index: int) -> np.ndarray:
    acc = document["accessors"][index]
    view = document["bufferViews"][acc["bufferView"]]
    dtype = {5126: "<f4", 5125: "<u4"}[acc["componentType"]]
    width = {"VEC3": 3, "SCALAR": 1}[acc["type"]]
    data = np.frombuffer(blob, dtype=dtype, count=acc["count"] * width, offset=view["byteOffset"])
    return data.reshape(acc["count"], width) if width > 1 else data


def test_glb_has_one_named_node_per_part_with_its_geometry(model, tmp_path):
    path = export.export_glb(model.parts, tmp_path / "model.glb")
    document, blob = export.read_glb(path)
    root = document["nodes"][document["scenes"][0]["nodes"][0]]
    children = [document["nodes"][i] for i in root["children"]]
    assert [c["name"] for c in children] == list(model.parts)
    for node in children:
        mesh = model.parts[node["name"]]
        primitive = document["meshes"][node["mesh"]]["primitives"][0]
        points = _accessor(document, blob, primitive["attributes"]["POSITION"])
        normals = _accessor(document, blob, primitive["attributes"]["NORMAL"])
        indices = _accessor(document, blob, primitive["indices"])
        assert len(indices) == 3 * mesh.n_cells
        assert indices.max() < len(points)
        # Same surface (normals split at creases may duplicate points, never move them).
        np.testing.assert_allclose(points.min(axis=0), np.asarray(mesh.bounds).reshape(3, 2)[:, 0], atol=1e-4)
        np.testing.assert_allclose(points.max(axis=0), np.asarray(mesh.bounds).reshape(3, 2)[:, 1], atol=1e-4)
        np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-3)
        material = document["materials"][primitive["material"]]
        assert material["name"] == node["name"]


def test_glb_materials_carry_colour_and_translucency():
    parts = {"L4.body": pv.Sphere(), "L4-L5.annulus": pv.Sphere(center=(0, 0, -2))}
    document, _ = export.gltf_document(parts)
    body, annulus = document["materials"]
    from spineviz.render.style import appearance

    assert body["pbrMetallicRoughness"]["baseColorFactor"][:3] == pytest.approx(appearance("L4.body").color)
    assert body["alphaMode"] == "OPAQUE"
    assert annulus["alphaMode"] == "BLEND"
    assert annulus["pbrMetallicRoughness"]["baseColorFactor"][3] == pytest.approx(
        appearance("L4-L5.annulus").opacity
    )


def test_glb_root_turns_lps_millimetres_into_gltf_metres_y_up():
    document, _ = export.gltf_document({"L4.body": pv.Sphere()})
    matrix = np.asarray(document["nodes"][0]["matrix"]).reshape(4, 4).T  # glTF stores column-major
    superior, anterior = matrix @ [0, 0, 1000, 1], matrix @ [0, -1000, 0, 1]
    np.testing.assert_allclose(superior[:3], [0, 1, 0])  # up is +Y
    np.testing.assert_allclose(anterior[:3], [0, 0, 1])  # the front faces +Z


def test_bad_glb_is_refused(tmp_path):
    bad = tmp_path / "bad.glb"
    bad.write_bytes(b"not a glb at all")
    with pytest.raises(ValueError, match=r"not a glTF 2\.0 binary"):
        export.read_glb(bad)


@pytest.mark.render
def test_html_is_one_self_contained_page(tmp_path):
    parts = {"L4.body": pv.Sphere(radius=10), "L4-L5.annulus": pv.Sphere(radius=5, center=(0, 0, -14))}
    path = export.export_html(parts, tmp_path / "page.html")
    text = path.read_text(encoding="utf-8", errors="replace")
    assert "<html" in text.lower()
    assert not re.search(r"<script[^>]+src\s*=\s*[\"']?(https?:)?//", text, re.IGNORECASE)
    assert not re.search(r"<link[^>]+href\s*=\s*[\"']?(https?:)?//", text, re.IGNORECASE)
    # vtk.js itself is about 1 MB; the two spheres add little.
    assert path.stat().st_size < 3_000_000
    # Fully offline: not one address for the browser to fetch (vtk.js adds favicon links at run time).
    assert re.findall(r"https?://\S{0,60}", text) == []
    assert "favicon" not in text or "[].forEach" in text


@pytest.mark.render
def test_html_opens_at_the_preset_camera_on_the_render_background(tmp_path):
    from spineviz.render.cameras import pose_for
    from spineviz.render.scene import BACKGROUND_BOTTOM, BACKGROUND_TOP

    parts = {"L4.body": pv.Sphere(radius=10), "L5.body": pv.Sphere(radius=10, center=(0, 0, -30))}
    text = export.export_html(parts, tmp_path / "page.html", camera="lateral").read_text(encoding="utf-8")
    pose = pose_for(parts, "lateral", aspect=800 / 600)
    found = re.search(r'"position": \[([^\]]+)\]', text)
    assert found is not None
    assert np.allclose([float(v) for v in found.group(1).split(",")], pose.position, atol=1e-3)
    assert BACKGROUND_TOP in text
    assert BACKGROUND_BOTTOM in text


def test_web_parts_keep_every_part_within_the_triangle_budget():
    big = pv.Sphere(theta_resolution=200, phi_resolution=200)
    big.points = np.asarray(big.points, dtype=np.float64)
    parts = {"big": big, "small": pv.Sphere(theta_resolution=12, phi_resolution=12)}
    web = export.web_parts(parts, max_triangles=20_000)
    assert set(web) == set(parts)
    assert sum(m.n_cells for m in web.values()) <= 22_000
    assert web["small"].n_cells == parts["small"].n_cells  # small parts keep their shape
    assert web["big"].points.dtype == np.float32
    assert parts["big"].points.dtype == np.float64  # the input is untouched


def test_unknown_format_names_the_choices():
    with pytest.raises(ValueError, match=r"^format: 'obj' is not allowed; choose one of vtp, glb, html$"):
        export.check_format("obj")
