"""A fresh trame server and app per test; the model is built once per session (build caches it)."""

from __future__ import annotations

import uuid

import pytest

from spineviz.render import offscreen


@pytest.fixture
def an_app():
    offscreen.configure_environment()
    from trame.app import get_server

    from spineviz.app import SpineVizApp

    server = get_server(f"test_{uuid.uuid4().hex}", client_type="vue3")
    app = SpineVizApp(server, detail="low")
    server.state.ready()
    yield app
    app.presenter.close()
    app.healthy.close()
