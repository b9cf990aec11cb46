"""Making sure VTK can render before it is asked to.

On a machine with no display VTK renders through EGL (Mesa llvmpipe on a
CPU-only box).  When one of the EGL libraries is missing VTK does not raise:
the process dies with a segmentation fault on the first render.  So before
the first render in a process, a tiny render is tried in a *child* process;
if the child dies, :class:`RenderingUnavailable` carries a message that names
the Debian packages to install, and nobody sees a traceback or a core dump.
"""

from __future__ import annotations

import os
import subprocess
import sys

WINDOW_VARIABLE = "VTK_DEFAULT_OPENGL_WINDOW"
EGL_WINDOW = "vtkEGLRenderWindow"
DEBIAN_PACKAGES = ("libegl1", "libegl-mesa0", "libgl1-mesa-dri")

_SMOKE_TEST = """
import vtk
window = vtk.vtkRenderWindow()
window.SetOffScreenRendering(1)
window.SetSize(8, 8)
window.AddRenderer(vtk.vtkRenderer())
window.Render()
print(window.GetClassName())
"""

_checked: bool = False
_pending: subprocess.Popen | None = None


class RenderingUnavailable(RuntimeError):
    """OpenGL rendering cannot work in this environment; the message says why and what to install."""


def configure_environment() -> None:
    """Choose EGL when there is no display, unless the user chose a window class.

    Without a display VTK would first try X, print a warning, then fall back
    to EGL; setting the variable skips the attempt.
    """
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault(WINDOW_VARIABLE, EGL_WINDOW)


def begin_check() -> None:
    """Start the smoke test in the background (idempotent).

    Callers that build a model first can start the check early so that it
    costs no wall time; :func:`ensure_rendering` waits for it.
    """
    global _pending
    configure_environment()
    if _checked or _pending is not None:
        return
    _pending = subprocess.Popen(
        [sys.executable, "-c", _SMOKE_TEST],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
        text=True,
    )


def skip_check() -> None:
    """Trust rendering in this process without the smoke test.

    For a process whose parent watches it and runs the check itself should
    it die (the app's session manager): it saves the child about 0.5 s of
    CPU while it starts.
    """
    global _checked
    _checked = True


def ensure_rendering(*, timeout: float = 60.0) -> None:
    """Raise :class:`RenderingUnavailable` unless a tiny offscreen render works.

    The result is cached for the life of the process, so only the first call
    costs anything (about 0.7 s).

    Parameters
    ----------
    timeout : float, optional
        Seconds to wait for the smoke test.

    Raises
    ------
    RenderingUnavailable
        With a message naming the missing system packages.
    """
    global _checked, _pending
    if _checked:
        return
    begin_check()
    proc = _pending
    assert proc is not None
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        _pending = None
        raise RenderingUnavailable(
            f"rendering: an 8×8 test render did not finish in {timeout:.0f} s; OpenGL seems stuck"
        ) from None
    _pending = None
    if proc.returncode != 0:
        raise RenderingUnavailable(_failure_message(proc.returncode, err))
    _checked = True


def _failure_message(returncode: int, stderr: str) -> str:
    window = os.environ.get(WINDOW_VARIABLE, "(VTK's choice)")
    how = f"crashed with signal {-returncode}" if returncode < 0 else f"failed (exit status {returncode})"
    last = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = f" Last message: {last[-1][:200]}" if last else ""
    return (
        f"rendering: a test render with {WINDOW_VARIABLE}={window} {how}. Offscreen rendering needs the "
        f"EGL and Mesa libraries; on Debian/Ubuntu install them with "
        f"'sudo apt-get install {' '.join(DEBIAN_PACKAGES)}'.{detail}"
    )
