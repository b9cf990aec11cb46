"""CLI tests run ``main([...])`` in process on one small prebuilt model."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def small_model():
    from spineviz.geometry.model import build_model

    return build_model("L4", detail="low")


@pytest.fixture
def fast_model(monkeypatch, small_model):
    """Make the CLI's model builds return the small prebuilt model, and record the arguments."""
    import spineviz.geometry.model as model_module

    calls = []

    def build(levels, *, detail="medium"):
        calls.append((str(levels), detail))
        return small_model

    monkeypatch.setattr(model_module, "build_model", build)
    return calls
