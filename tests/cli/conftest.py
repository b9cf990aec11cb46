"""CLI tests run ``main([...])`` in process on one small prebuilt model."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def small_model():
    from spineviz.geometry.model import build_model

    return build_model("L4", detail="low")


@pytest.fixture
def fast_model(monkeypatch, small_model):
    """Make the CLI's model builds return the small prebuilt model, and record ``(levels, detail)``."""
    import spineviz.conditions.build as build_module

    calls = []

    def build(state=None, *, levels=None, detail="medium"):
        calls.append((str(levels), detail))
        return small_model

    monkeypatch.setattr(build_module, "build", build)
    return calls
