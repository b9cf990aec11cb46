"""The session manager's pieces that need no browser: static files, CLI flags."""

from __future__ import annotations

import asyncio
import gzip

import pytest
from aiohttp.test_utils import make_mocked_request
from aiohttp.web import HTTPNotFound

from spineviz.app.sessions import StaticFiles, static_routes
from spineviz.cli import main


def _get(files: StaticFiles, path: str, *, gzip_ok: bool = True):
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    request = make_mocked_request("GET", f"/{path}", headers=headers, match_info={"path": path})
    return asyncio.run(files.handle(request))


def test_page_files_are_served_gzipped_and_nothing_outside(tmp_path):
    www, module = tmp_path / "www", tmp_path / "module"
    www.mkdir()
    module.mkdir()
    (www / "index.html").write_text("<html>page</html>")
    (module / "lib.js").write_text("x = 1;" * 1000)
    (tmp_path / "secret.txt").write_text("no")
    files = StaticFiles(www, {"__mod": module})
    response = _get(files, "__mod/lib.js")
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.body) == (module / "lib.js").read_bytes()
    assert len(response.body) < 200
    assert _get(files, "", gzip_ok=False).body == b"<html>page</html>"
    for path in ("../secret.txt", "__mod/../../secret.txt", "__mod/missing.js"):
        with pytest.raises(HTTPNotFound):
            _get(files, path)


def test_static_routes_cover_the_modules_the_page_loads():
    www, serve = static_routes()
    assert (www / "index.html").is_file()
    assert any(name.startswith("__trame_vuetify3") for name in serve)
    assert any(name.startswith("__trame_vtk") for name in serve)


@pytest.mark.parametrize(("flags", "word"), [(["--port", "70000"], "--port"), (["--pool", "-1"], "--pool")])
def test_bad_serve_flags_give_one_clear_line(flags, word, capsys):
    assert main(["serve", *flags]) == 2
    err = capsys.readouterr().err
    assert word in err
    assert "Traceback" not in err


def test_spares_being_started_count_so_a_second_top_up_starts_none():
    from spineviz.app.sessions import SessionManager

    started = []

    async def scenario():
        manager = SessionManager(pool=1, max_sessions=3)

        async def fake_spawn():
            started.append(1)
            await asyncio.sleep(0.05)

        manager._spawn = fake_spawn
        manager._top_up()
        manager._top_up()  # the web app's start-up asks again while the first is starting
        await asyncio.sleep(0.1)

    asyncio.run(scenario())
    assert len(started) == 1
