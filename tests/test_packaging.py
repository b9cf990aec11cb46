"""Packaging and project wiring: the entry point, the light top-level API, the
layer contracts, the set-up script, and the README staying true to the code."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import spineviz
from spineviz.geometry import names

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def run_python(code: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter of this environment, from the repository root."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )


# ---------------------------------------------------------------------------
# entry point and top-level API
# ---------------------------------------------------------------------------


def test_console_script_is_installed_and_answers_help():
    (entry,) = importlib.metadata.entry_points(group="console_scripts", name="spineviz")
    assert callable(entry.load())
    script = BIN / "spineviz"
    assert script.exists(), f"{script} missing: run bin/setup"
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "render" in done.stdout


def test_version_matches_installed_metadata():
    assert spineviz.__version__ == importlib.metadata.version("spineviz")


def test_import_spineviz_is_light():
    # The CLI and the app import spineviz first; numpy/VTK must wait until a model is built.
    done = run_python(
        """
        import sys, spineviz
        heavy = sorted(m for m in ("numpy", "pyvista", "vtk", "vtkmodules", "trame") if m in sys.modules)
        print(",".join(heavy))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_public_api_names_resolve():
    assert spineviz.__all__[0] == "__version__"
    assert set(spineviz.__all__[1:]) == set(spineviz._API)
    for name in spineviz.__all__:
        assert getattr(spineviz, name) is not None
    assert spineviz.build_model is importlib.import_module("spineviz.geometry.model").build_model
    assert set(spineviz.__all__) <= set(dir(spineviz))


def test_unknown_api_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        _ = spineviz.no_such_thing


# ---------------------------------------------------------------------------
# layer contracts (import-linter)
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_import_contracts_catch_violations(tmp_path):
    """A misconfigured contract would pass anything; break both on a copy and expect failure."""
    shutil.copytree(ROOT / "spineviz", tmp_path / "spineviz", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "spineviz" / "geometry" / "_breach_ui.py").write_text("import trame\n")
    (tmp_path / "spineviz" / "conditions" / "_breach_layer.py").write_text("import spineviz.render\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [BIN / "lint-imports", "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode != 0
    assert "spineviz.conditions._breach_layer -> spineviz.render" in done.stdout
    assert "spineviz.geometry._breach_ui -> trame" in done.stdout


def test_model_layers_import_no_ui():
    # Building a model must work on a machine with no OpenGL and no browser stack.
    done = run_python(
        """
        import pkgutil, importlib, sys
        import spineviz.geometry, spineviz.conditions
        for pkg in (spineviz.geometry, spineviz.conditions):
            for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
                importlib.import_module(info.name)
        bad = [m for m in sys.modules
               if m.split(".")[0] in ("trame", "playwright")
               or m.startswith(("spineviz.render", "spineviz.app", "spineviz.cli"))]
        print(",".join(sorted(bad)))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


# ---------------------------------------------------------------------------
# set-up script and CI
# ---------------------------------------------------------------------------


def code_blocks(markdown: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```(?:sh|bash)\n(.*?)```", markdown, re.S)]


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    first, second = code_blocks(README)[:2]
    assert first.startswith("bin/setup && ")
    assert first.endswith("spineviz serve")  # the main job: the browser app
    assert second == "bin/test"
    # Nothing but a heading and one line of context before the commands.
    assert README.index(first) < 300
    ci = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "set ", "cd "))
    ]
    assert ci == [f"exec {second}"]


def test_setup_rejects_unknown_options_with_a_clear_message():
    done = subprocess.run(
        [ROOT / "bin" / "setup", "--bogus"], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 2
    assert "--bogus" in done.stderr
    assert "--test" in done.stderr
    assert "Traceback" not in done.stderr


def test_readme_lists_the_packages_setup_installs():
    script = (ROOT / "bin" / "setup").read_text()
    installed = set()
    for var in ("render_packages", "browser_packages"):
        installed |= set(re.search(rf"{var}=\(([^)]*)\)", script).group(1).split())
    documented = set(re.findall(r"^\| `([a-z0-9.+-]+)` \|", README, re.M))
    assert installed <= documented
    assert {"libegl1", "libegl-mesa0", "libgl1-mesa-dri"} <= installed


# ---------------------------------------------------------------------------
# README part names == names.py
# ---------------------------------------------------------------------------


def names_patterns() -> set[str]:
    """Every pattern of every ``*_PARTS`` table in names.py (new tables are picked up too)."""
    tables = [v for k, v in vars(names).items() if k.endswith("_PARTS") and isinstance(v, tuple)]
    assert tables
    return {p for table in tables for p in table}


def readme_pattern_rows() -> dict[str, str]:
    """Pattern → group from the README's part tables (rows whose first cell is a name)."""
    section = README.split("## Part names", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| .+? \| (\w+) \|$", section, re.M)
    return dict(rows)


def test_every_names_pattern_is_in_the_readme_and_back():
    readme = readme_pattern_rows()
    code = names_patterns()
    assert sorted(code - set(readme)) == [], "patterns in names.py missing from README.md"
    assert sorted(set(readme) - code) == [], "README.md lists patterns that names.py does not have"


def test_readme_groups_agree_with_group_of():
    for pattern, group in readme_pattern_rows().items():
        example = pattern.format(v="L4", d="L4-L5", s="left")
        assert names.group_of(example) == group, pattern


# ---------------------------------------------------------------------------
# the machine can render (what bin/setup installs is enough)
# ---------------------------------------------------------------------------


@pytest.mark.render
def test_offscreen_rendering_works_here():
    # In a child process: a missing GL library kills the process instead of raising.
    done = run_python(
        """
        import pyvista as pv
        pl = pv.Plotter(off_screen=True, window_size=(64, 48))
        pl.set_background("black")
        pl.add_mesh(pv.Sphere(), color="white")
        img = pl.screenshot(return_img=True)
        print(type(pl.ren_win).__name__, int((img > 128).any(axis=2).sum()))
        """,
        env={**os.environ, "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow"},
    )
    assert done.returncode == 0, f"offscreen rendering failed (exit {done.returncode}): {done.stderr[-2000:]}"
    window, lit = done.stdout.split()
    lit = int(lit)
    assert window == "vtkEGLRenderWindow"
    assert 200 < lit < 64 * 48


def test_render_tests_are_not_skipped_on_ci(tmp_path):
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path)
    (tmp_path / "test_x.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.render
            def test_render():
                pytest.skip("no OpenGL")

            def test_other():
                pytest.skip("fine to skip")
            """
        )
    )
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", str(tmp_path)]

    def run_with(ci: str | None):
        env = {k: v for k, v in os.environ.items() if k != "CI"}
        if ci is not None:
            env["CI"] = ci
        return subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    on_ci = run_with("true")
    assert on_ci.returncode == 1
    assert "1 failed, 1 skipped" in on_ci.stdout
    assert "a render test was skipped on CI" in on_ci.stdout
    here = run_with(None)
    assert here.returncode == 0
    assert "2 skipped" in here.stdout
