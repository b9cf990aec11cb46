"""Suite-wide fixtures and pytest hooks.

Shared fixtures: ``lumbar_placement`` (shapes and frames of every level) and
``default_model`` (the default L4–L5 model), each built once per session.

On CI (the ``CI`` variable set) the machine is set up to render and to drive
Chromium, so a skipped ``render`` or ``browser`` test means something is
broken there; it is reported as a failure instead of vanishing into the skip
count.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium: Playwright cannot download its own browser here."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Every Playwright browser in the suite is Debian's Chromium (one playwright per session)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": ["--no-sandbox"]}


@pytest.fixture(scope="session")
def lumbar_placement():
    """Shapes and frames of every vertebra and disc (spineviz.geometry.frames.placement)."""
    from spineviz.geometry.frames import placement

    return placement()


@pytest.fixture(scope="session")
def default_model():
    """The default model: ``build_model()`` (L4–L5, medium detail)."""
    from spineviz.geometry.model import build_model

    return build_model()


NEVER_SKIPPED_ON_CI = ("render", "browser")
"""Markers of tests that must run, not skip, on CI."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and os.environ.get("CI")) or hasattr(report, "wasxfail"):
        return
    marks = [m for m in NEVER_SKIPPED_ON_CI if item.get_closest_marker(m)]
    if marks:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"a {marks[0]} test was skipped on CI, where it must run ({reason})"
