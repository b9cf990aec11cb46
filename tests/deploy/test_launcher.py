"""The app under wslink's launcher, configured as in trame's Docker image (deploy/setup/)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from browser_helpers import choose, field, settled, view_pixels, wait_changed, wait_for
from deploy_helpers import ended, make_launcher, post_session, wait_drawn
from launcher_config import DIRECT_SESSION_URL, image_config, local_config
from playwright.sync_api import expect


def _option(config: dict, name: str) -> float:
    cmd = config["apps"]["trame"]["cmd"]
    return float(cmd[cmd.index(name) + 1])


def test_local_configuration_differs_from_the_image_only_in_paths_ports_and_session_url(tmp_path):
    image = image_config()
    local = local_config(tmp_path, port=9300, session_ports=(9301, 9302), direct=True)
    assert local["apps"] == image["apps"]
    assert local["properties"] == image["properties"]
    changed = {k for k in image["configuration"] if image["configuration"][k] != local["configuration"][k]}
    assert changed <= {"host", "port", "log_dir", "proxy_file", "sessionURL"}
    assert local["configuration"]["content"] == str(tmp_path / "www")
    assert local["configuration"]["sessionURL"] == DIRECT_SESSION_URL
    assert local["resources"] == [{**image["resources"][0], "port_range": [9301, 9302]}]
    # In the image, every session's websocket goes through Apache by session id.
    assert image["configuration"]["sessionURL"] == "ws://USE_HOST/proxy?sessionId=${id}&path=ws"


def test_the_images_command_line_is_accepted_by_the_session_entry_point():
    from spineviz.app.session import parse_args

    cmd = image_config()["apps"]["trame"]["cmd"]
    assert cmd[:3] == ["python", "-m", "spineviz.app.session"]
    filled = [
        a.replace("${host}", "127.0.0.1").replace("${port}", "9001").replace("${secret}", "s" * 16)
        for a in cmd
    ]
    args = parse_args(filled[3:])
    assert (args.host, args.port, args.authKey) == ("127.0.0.1", 9001, "s" * 16)
    assert args.idle_exit > 0  # a session ends after its visitor leaves
    assert args.visitor_timeout > 0  # and when its visitor never comes


def test_use_host_is_applied_as_the_image_applies_it():
    assert image_config(use_host="wss://USE_HOST/m1")["configuration"]["sessionURL"] == (
        "wss://USE_HOST/m1/proxy?sessionId=${id}&path=ws"
    )
    assert image_config(use_host="spine.example.org")["configuration"]["sessionURL"] == (
        "ws://spine.example.org/proxy?sessionId=${id}&path=ws"
    )


def _port(urls: list[str]) -> int:
    """The session port of websocket URLs (ws://host:PORT/ws), all the same."""
    ports = {int(url.split(":")[2].split("/")[0]) for url in urls}
    assert len(ports) == 1, urls
    return ports.pop()


@pytest.mark.browser
@pytest.mark.slow
def test_every_visitor_gets_their_own_session_process(tmp_path, www, browser):
    """Own process per visitor; refused when full; a session ends when its visitor leaves or never comes."""
    launcher = make_launcher(tmp_path, www, sessions=3, direct=True)
    launcher.start()
    try:
        first, second = browser.new_page(), browser.new_page()
        sockets = {first: [], second: []}
        for page, urls in sockets.items():
            page.on("websocket", lambda ws, urls=urls: urls.append(ws.url))
        started = time.monotonic()
        first.goto(launcher.url)
        second.goto(launcher.url)
        before_first = wait_drawn(first)
        wait_drawn(second)
        print(f"two visitors at once: both drawn {time.monotonic() - started:.1f} s after opening the page")

        # A third session is asked for (as the page does) and nobody ever connects to it:
        # a bot, or a visitor gone before the page loaded.
        asked = time.monotonic()
        status, answer = post_session(launcher.endpoint)
        ready = time.monotonic()
        print(f"session start under the launcher (POST to answer): {ready - asked:.1f} s")
        assert status == 200, answer
        assert answer["secret"]
        unvisited = _port([answer["sessionURL"]])

        # Every place taken: the launcher refuses the next visitor.
        status, answer = post_session(launcher.endpoint)
        assert status == 503
        assert "resources" in answer["error"]

        # Each session has its own id, port and process.
        sessions = launcher.sessions()
        assert len(sessions) == 3
        assert len(set(sessions.values())) == 3
        pids = launcher.pids()
        assert set(pids) == set(sessions.values())
        assert len(set(pids.values())) == 3
        for sid in sessions:
            assert "spineviz session ready" in (launcher.logs / f"{sid}.txt").read_text()
        port_first, port_second = _port(sockets[first]), _port(sockets[second])
        assert len({port_first, port_second, unvisited}) == 3

        # A change in one visitor's session is not seen in the other's.
        before_second = settled(second)
        choose(first, "modic", "type 1")
        wait_changed(first, before_first)
        expect(field(first, "modic")).to_contain_text("type 1")
        expect(field(second, "modic")).to_contain_text("none")
        assert (np.abs(view_pixels(second) - before_second).sum(axis=2) > 40).mean() < 0.002

        # The first visitor leaves: their session ends after the idle time; the unvisited one
        # ends by itself; the second visitor's stays.
        first.close()
        left = time.monotonic()
        wait_for(
            lambda: ended(pids[port_first]),
            timeout=_option(launcher.config, "--idle-exit") + 20,
            what="the first visitor's session to end",
        )
        print(f"session ended {time.monotonic() - left:.1f} s after its visitor left")
        wait_for(
            lambda: ended(pids[unvisited]),
            timeout=_option(launcher.config, "--visitor-timeout") + 20,
            what="the unvisited session to end",
        )
        print(f"unvisited session ended {time.monotonic() - ready:.1f} s after it was ready")
        assert launcher.pids().get(port_second) == pids[port_second]

        # Their places are free again: the launcher starts a new session on one of those ports.
        status, answer = post_session(launcher.endpoint)
        assert status == 200, answer
        port = _port([answer["sessionURL"]])
        assert port in (port_first, unvisited)
        assert launcher.pids()[port] != pids[port]
        second.close()
    finally:
        launcher.stop()
