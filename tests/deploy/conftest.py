"""Fixtures of the deployment tests (helpers: deploy_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_helpers import launcher_config


@pytest.fixture(scope="session")
def www(tmp_path_factory) -> Path:
    """The page's files, written as the image writes them (once per test run)."""
    out = tmp_path_factory.mktemp("deploy") / "www"
    launcher_config.write_www(out)
    return out
