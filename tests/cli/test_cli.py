"""The command line: help, bad input (one line, exit 2, no traceback), render and export."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spineviz.cli import SUBCOMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def run_main(capsys, *argv) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def test_help_lists_every_subcommand(capsys):
    status, out, _ = run_main(capsys, "--help")
    assert status == 0
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_each_subcommand_explains_itself(capsys, command):
    status, out, _ = run_main(capsys, command, "--help")
    assert status == 0
    assert len(out.splitlines()) > 5


@pytest.mark.parametrize(
    ("argv", "flag", "allowed"),
    [
        (["render", "-o", "x.png", "--camera", "top"], "--camera", "lateral"),
        (["render", "-o", "x.png", "--size", "big"], "--size", "1920x1080"),
        (["render", "-o", "x.png", "--size", "10x10"], "--size", "16–8192"),
        (["render", "-o", "x.png", "--levels", "L6"], "--levels", "L1, L2, L3, L4, L5, S1"),
        (["render", "-o", "x.png", "--levels", "L5-L2"], "--levels", "upper level first"),
        (["render", "-o", "x.png", "--detail", "ultra"], "--detail", "low"),
        (["render", "-o", "x.png", "--hide", "skin"], "--hide", "bone"),
        (["render", "-o", "x.png", "--modic", "7"], "--modic", "0, 1, 2, 3"),
        (["render", "-o", "x.png", "--pfirrmann", "9"], "--pfirrmann", "1, 2, 3, 4, 5"),
        (["render", "-o", "x.jpg"], "--out", ".png"),
        (["render"], "--out", "give the image file"),
        (["export", "--format", "obj", "--out", "d"], "--format", "vtp"),
        (["export", "--format", "vtp"], "--out", "required"),
        (["paint"], "COMMAND", "render"),
    ],
)
def test_bad_input_is_one_clear_line_with_status_2(capsys, fast_model, argv, flag, allowed):
    status, _out, err = run_main(capsys, *argv)
    assert status == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert flag in lines[0]
    assert allowed in lines[0]
    assert fast_model == []  # rejected before any model is built


def test_conflicting_findings_are_a_usage_error(capsys, fast_model):
    status, _, err = run_main(capsys, "render", "-o", "x.png", "--inflammation", "on")
    assert status == 2
    assert err.startswith("spineviz render: error: --inflammation: ")


@pytest.mark.render
def test_render_writes_a_png_of_the_requested_size(capsys, fast_model, tmp_path):
    from PIL import Image

    out = tmp_path / "sub" / "a.png"
    status, stdout, _ = run_main(
        capsys, "render", "-o", str(out), "--size", "160x90", "--levels", "L4", "--detail", "low"
    )
    assert status == 0
    assert fast_model == [("L4", "low")]
    assert stdout.strip() == str(out)
    with Image.open(out) as im:
        assert im.size == (160, 90)
        assert im.mode == "RGB"


@pytest.mark.render
def test_render_transparent_gives_rgba(capsys, fast_model, tmp_path):
    from PIL import Image

    out = tmp_path / "t.png"
    status, _, _ = run_main(capsys, "render", "-o", str(out), "--size", "64x64", "--transparent")
    assert status == 0
    with Image.open(out) as im:
        assert im.mode == "RGBA"
        assert im.getpixel((0, 0))[3] == 0


def test_export_vtp_writes_one_file_per_shown_part(capsys, fast_model, small_model, tmp_path):
    from spineviz.geometry.names import group_of

    status, _, _ = run_main(capsys, "export", "--format", "vtp", "--out", str(tmp_path), "--hide", "disc")
    assert status == 0
    expected = {f"{n}.vtp" for n in small_model.parts if group_of(n) != "disc"}
    assert {p.name for p in tmp_path.iterdir()} == expected


def test_export_glb_writes_one_file(capsys, fast_model, tmp_path):
    status, stdout, _ = run_main(capsys, "export", "--format", "glb", "--out", str(tmp_path))
    assert status == 0
    assert (tmp_path / "spineviz.glb").stat().st_size > 1000
    assert stdout.strip() == str(tmp_path / "spineviz.glb")


def test_export_out_must_not_be_a_file(capsys, fast_model, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    status, _, err = run_main(capsys, "export", "--format", "glb", "--out", str(target))
    assert status == 2
    assert "--out" in err


def test_registering_a_subcommand_is_one_entry():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert list(sub.choices) == list(SUBCOMMANDS)


@pytest.mark.render
def test_the_installed_entry_point_renders_end_to_end(tmp_path):
    """Through a real process: the ``spineviz`` script when installed, else ``python -m spineviz.cli``."""
    out = tmp_path / "cli.png"
    script = Path(sys.executable).with_name("spineviz")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "spineviz.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [*command, "render", "-o", str(out), "--size", "120x80", "--levels", "L4", "--detail", "low"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000


def test_a_bad_flag_in_a_real_process_has_no_traceback():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "spineviz.cli", "render", "-o", "x.png", "--camera", "top"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "--camera" in done.stderr


def test_render_leaves_the_muscles_out_unless_asked(fast_model, small_model):
    from spineviz.cli.options import parts_from_args
    from spineviz.geometry.names import group_of

    parser = build_parser()
    assert any(group_of(n) == "muscle" for n in small_model.parts)
    default = parts_from_args(parser.parse_args(["render", "-o", "a.png"]))
    assert set(default) == {n for n in small_model.parts if group_of(n) != "muscle"}
    everything = parts_from_args(parser.parse_args(["render", "-o", "a.png", "--hide", "none"]))
    assert set(everything) == set(small_model.parts)
    exported = parts_from_args(parser.parse_args(["export", "--format", "vtp", "--out", "d"]))
    assert set(exported) == set(small_model.parts)
