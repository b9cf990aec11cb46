"""Scenes: rendering every shipped scene at 1920×1080, and the static web export's time and size.

Why it matters: the website team re-renders the whole set whenever a caption
or a colour changes, and the static site must stay under 5 MB so that a
patient on a phone loads a scene quickly.  Models are built (and cached)
before the render timer starts, so the figure is the rendering and writing,
reported separately from building.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="hero", choices=("hero", "card", "square"))
    parser.add_argument("--scale", type=int, default=1, choices=(1, 2))
    parser.add_argument("--detail", default="medium", choices=("low", "medium", "high"))
    parser.add_argument("--no-static", action="store_true", help="skip the static export")
    args = parser.parse_args()

    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    from spineviz.render.scenes import load_scenes
    from spineviz.render.scenes.shots import SIZE_PRESETS, SceneRenderer, draw_labels, scene_model

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, {os.environ['VTK_DEFAULT_OPENGL_WINDOW']}")
    scenes = load_scenes()
    size = SIZE_PRESETS[args.size]
    full = (size[0] * args.scale, size[1] * args.scale)

    start = time.perf_counter()
    for scene in scenes:
        scene_model(scene, detail=args.detail)
    build = time.perf_counter() - start
    print(f"build {len(scenes)} scene models ({args.detail}): {build:.1f} s")

    per_scene = []
    with tempfile.TemporaryDirectory() as tmp, SceneRenderer(size=full, detail=args.detail) as renderer:
        start = time.perf_counter()
        for scene in scenes:
            t0 = time.perf_counter()
            shot = renderer.shot(scene)
            draw_labels(shot).save(Path(tmp) / f"{scene.id}.png", compress_level=6)
            per_scene.append(time.perf_counter() - t0)
        total = time.perf_counter() - start
    print(
        f"render all {len(scenes)} shipped scenes at {full[0]}x{full[1]} (SSAA, labels, PNG): {total:.1f} s "
        f"(per scene median {statistics.median(per_scene):.2f} s, max {max(per_scene):.2f} s; "
        f"first {per_scene[0]:.2f} s includes shader set-up)"
    )

    if not args.no_static:
        from spineviz.render.static_site import export_static

        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            report = export_static(Path(tmp) / "site", scenes, detail=args.detail)
            took = time.perf_counter() - start
            folders = ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(report.sizes_by_folder().items()))
            triangles = sorted(report.triangles.values())
            print(
                f"static export of {len(scenes)} scenes: {took:.1f} s, {report.total_bytes / 1e6:.2f} MB "
                f"(budget 5 MB; {folders}); {report.meshes} distinct meshes; "
                f"web triangles per scene {triangles[0]}–{triangles[-1]}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
