"""The rendering check turns a crash of the OpenGL stack into a clear message."""

from __future__ import annotations

import pytest

from spineviz.render import offscreen


@pytest.fixture
def fresh_check(monkeypatch):
    monkeypatch.setattr(offscreen, "_checked", False)
    monkeypatch.setattr(offscreen, "_pending", None)
    return monkeypatch


@pytest.mark.render
def test_rendering_works_here(fresh_check):
    offscreen.ensure_rendering()
    assert offscreen._checked


def test_a_crashing_render_becomes_a_message_naming_the_packages(fresh_check):
    # A child that dies of SIGSEGV, as VTK does when an EGL library is missing.
    fresh_check.setattr(offscreen, "_SMOKE_TEST", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    with pytest.raises(offscreen.RenderingUnavailable) as info:
        offscreen.ensure_rendering()
    message = str(info.value)
    assert "signal 11" in message
    for package in offscreen.DEBIAN_PACKAGES:
        assert package in message
    assert not offscreen._checked  # a failure is not cached as success


def test_egl_is_chosen_without_a_display_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv(offscreen.WINDOW_VARIABLE, raising=False)
    offscreen.configure_environment()
    import os

    assert os.environ[offscreen.WINDOW_VARIABLE] == "vtkEGLRenderWindow"
    monkeypatch.setenv(offscreen.WINDOW_VARIABLE, "vtkOSOpenGLRenderWindow")
    offscreen.configure_environment()
    assert os.environ[offscreen.WINDOW_VARIABLE] == "vtkOSOpenGLRenderWindow"
