"""One server process per visitor, behind one URL.

trame mirrors one state to every browser connected to a server process, so
two patients on one process would change each other's view.  The trame
client already knows the cure: at page load it ``POST``s to ``paraview/``
asking a *launcher* for a session, then opens the websocket URL it is given.
wslink ships such a launcher (``wslink.launcher``; Kitware's trame Docker
image runs it, see ``deploy/``); it starts a process per request and polls
its log once a second for the ready line.

:class:`SessionManager` speaks the same protocol but keeps ``pool`` spare
processes already started (scene built, port open), so a visitor gets one
at once instead of waiting for Python, VTK and the model to load.  It also
serves the page and the trame/Vuetify/vtk.js files, forwards each session's
log lines (a refused browser value shows up here), and ends every child
when it stops.  Each child ends by itself ``idle_exit_s`` after its visitor
leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import mimetypes
import os
import socket
import sys
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .session import DRAWN_LINE, READY_LINE
from .timeline import mark

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("spineviz.sessions")


MODULES = ("vuetify3", "vtk")

TOP_UP_WAIT_S = 10.0
"""A new spare starts when a visitor's session has sent its first image (or
this long after it was ready): on a small machine its start-up (imports,
model) would otherwise compete with that visitor's first frame."""


def static_routes() -> tuple[Path, dict[str, Path]]:
    """The trame client's folder and the module folders the page loads, by URL prefix."""
    from trame.tools.www import StaticContentGenerator
    from trame_client.module import vue3

    generator = StaticContentGenerator()
    generator.enable_modules(*MODULES)
    serve = {prefix: Path(path) for prefix, path in generator.serve.items()}
    # Scripts a page may add at run time (trame.widgets.client.Script).
    serve["__trame_client_external_scripts"] = Path(vue3.www).parent / "user_provided_scripts"
    return Path(vue3.www), serve


def free_port(host: str) -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class StaticFiles:
    """The page's files, gzipped once and kept in memory.

    aiohttp's static route sends files as they are; the page's scripts are
    about 4.5 MB that way and about 1.2 MB gzipped, which is what the
    first-load budget (2 MB) needs.
    """

    def __init__(self, www: Path, serve: dict[str, Path]) -> None:
        self.roots = [(prefix + "/", folder.resolve()) for prefix, folder in serve.items()]
        self.roots.append(("", www.resolve()))
        self._cache: dict[str, tuple[bytes, bytes, str]] = {}

    def _find(self, path: str) -> Path | None:
        for prefix, folder in self.roots:
            if path.startswith(prefix):
                candidate = (folder / path[len(prefix) :]).resolve()
                if candidate.is_relative_to(folder) and candidate.is_file():
                    return candidate
        return None

    async def handle(self, request: web.Request) -> web.Response:
        from aiohttp import web

        path = request.match_info["path"] or "index.html"
        if path not in self._cache:
            found = self._find(path)
            if found is None:
                raise web.HTTPNotFound()
            data = found.read_bytes()
            kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
            self._cache[path] = (data, gzip.compress(data, compresslevel=6), kind)
        data, packed, kind = self._cache[path]
        headers = {"Cache-Control": "no-cache" if path == "index.html" else "max-age=3600"}
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return web.Response(body=packed, content_type=kind, headers=headers)
        return web.Response(body=data, content_type=kind, headers=headers)


@dataclass
class Session:
    """A child process serving (or waiting for) one visitor."""

    id: str
    port: int
    process: asyncio.subprocess.Process
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    drawn: asyncio.Event = field(default_factory=asyncio.Event)
    claimed: bool = False
    lines: deque = field(default_factory=lambda: deque(maxlen=50))


class SessionManager:
    """Hands every visitor their own session process.

    Parameters
    ----------
    host : str
        Interface to listen on (the sessions listen there too).
    port : int
        The page's port.
    pool : int, optional
        Spare sessions kept started.
    max_sessions : int, optional
        Sessions at once (busy and spare); further visitors get a polite 503.
    idle_exit_s : float, optional
        A session ends this long after its visitor's last connection closes.
    session_args : sequence of str, optional
        Extra arguments for ``python -m spineviz.app.session``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        pool: int = 1,
        max_sessions: int = 8,
        idle_exit_s: float = 30.0,
        session_args: tuple[str, ...] = (),
    ) -> None:
        self.host, self.port = host, port
        self.pool, self.max_sessions = pool, max_sessions
        self.idle_exit_s = idle_exit_s
        self.session_args = tuple(session_args)
        self.sessions: dict[str, Session] = {}
        self._spawning: set[asyncio.Task] = set()
        self._later: set[asyncio.Task] = set()
        self.failure: str | None = None
        """Why sessions cannot start (rendering unavailable), once a child died before it was ready."""

    # ---- processes ----------------------------------------------------------
    async def _spawn(self) -> Session:
        port = free_port(self.host)
        cmd = [
            sys.executable,
            "-m",
            "spineviz.app.session",
            "--host",
            self.host,
            "--port",
            str(port),
            "--idle-exit",
            str(self.idle_exit_s),
            # A child that cannot render dies; _explain runs the check here then.
            "--skip-render-check",
            *self.session_args,
        ]
        process = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=os.environ.copy()
        )
        session = Session(uuid.uuid4().hex[:12], port, process)
        mark(f"manager: session {session.id} spawned (pid {process.pid})")
        self.sessions[session.id] = session
        asyncio.get_running_loop().create_task(self._watch(session))
        return session

    async def _watch(self, session: Session) -> None:
        """Forward the child's output, mark it ready, forget it when it ends."""
        stream = session.process.stdout
        buffer = b""
        while True:
            chunk = await stream.read(4096)
            if not chunk:
                break
            buffer += chunk
            if not session.ready.is_set() and READY_LINE.encode() in buffer:
                session.ready.set()
                mark(f"manager: session {session.id} ready")
            if not session.drawn.is_set() and DRAWN_LINE.encode() in buffer:
                session.drawn.set()
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                text = line.decode(errors="replace").replace(READY_LINE, "").replace(DRAWN_LINE, "").strip()
                if text.startswith("[timeline]"):
                    print(text, flush=True)
                    continue
                if text:
                    session.lines.append(text)
                    log.info("[session %s] %s", session.id, text)
        await session.process.wait()
        self.sessions.pop(session.id, None)
        died_young = not session.ready.is_set()
        log.info("session %s ended (exit status %s)", session.id, session.process.returncode)
        if died_young:
            await self._explain()
        session.ready.set()  # wake anyone waiting on a session that died
        if self.failure is None:
            self._top_up()

    async def _explain(self) -> None:
        """After a child died before it was ready: find out whether this machine can render at all."""
        from spineviz.render import offscreen

        try:
            await asyncio.to_thread(offscreen.ensure_rendering)
        except offscreen.RenderingUnavailable as err:
            self.failure = str(err)
            log.error("%s", err)

    def _top_up_after(self, session: Session) -> None:
        """Start spares once ``session`` has drawn its first image (see :data:`TOP_UP_WAIT_S`)."""

        async def later() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.ready.wait(), 120)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.drawn.wait(), TOP_UP_WAIT_S)
            self._top_up()

        task = asyncio.get_running_loop().create_task(later())
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    def _top_up(self) -> None:
        """Start spares until ``pool`` are free or the limit is reached."""
        starting = len(self._spawning)
        free = sum(1 for s in self.sessions.values() if not s.claimed) + starting
        room = self.max_sessions - len(self.sessions) - starting
        for _ in range(max(0, min(self.pool - free, room))):
            task = asyncio.get_running_loop().create_task(self._spawn())
            self._spawning.add(task)
            task.add_done_callback(self._spawning.discard)

    async def claim(self, *, timeout: float = 120.0) -> Session | None:
        """A ready session for a new visitor, or ``None`` when the limit is reached."""
        for _attempt in range(3):
            if self.failure is not None:
                return None
            while self._spawning:
                await asyncio.wait(set(self._spawning))
            free = [s for s in self.sessions.values() if not s.claimed]
            if not free:
                if len(self.sessions) >= self.max_sessions:
                    return None
                free = [await self._spawn()]
            # Prefer one that is ready already.
            free.sort(key=lambda s: not s.ready.is_set())
            session = free[0]
            session.claimed = True
            self._top_up_after(session)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.ready.wait(), timeout)
            if session.process.returncode is None and session.ready.is_set():
                return session
            log.error("session %s did not start: %s", session.id, " | ".join(session.lines))
        return None

    async def stop(self) -> None:
        """End every session."""
        for session in list(self.sessions.values()):
            if session.process.returncode is None:
                session.process.terminate()
        # A session with a visitor still connected may wait for its websocket
        # to close; give all of them a few seconds together, then kill.
        waits = [asyncio.create_task(s.process.wait()) for s in list(self.sessions.values())]
        if waits:
            _done, pending = await asyncio.wait(waits, timeout=5)
            for session in list(self.sessions.values()):
                if session.process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        session.process.kill()
            if pending:
                await asyncio.wait(pending, timeout=5)

    # ---- web ----------------------------------------------------------------
    async def handle_launch(self, request: web.Request) -> web.Response:
        from aiohttp import web

        """The trame client's ``POST paraview/``: answer with a session's websocket URL."""
        mark("manager: launch request")
        session = await self.claim()
        if session is None:
            error = self.failure or "All sessions are busy; please try again in a minute."
            return web.json_response({"error": error}, status=503)
        log.info("visitor %s → session %s (port %d)", request.remote, session.id, session.port)
        mark(f"manager: visitor sent to session {session.id}")
        # The client swaps USE_HOSTNAME for the host in its address bar, so
        # the same answer works on 127.0.0.1 and on a clinic's network.
        return web.json_response({"sessionURL": f"ws://USE_HOSTNAME:{session.port}/ws", "id": session.id})

    async def handle_status(self, _request: web.Request) -> web.Response:
        from aiohttp import web

        busy = sum(1 for s in self.sessions.values() if s.claimed)
        return web.json_response({"busy": busy, "spare": len(self.sessions) - busy})

    def web_app(self) -> web.Application:
        from aiohttp import web

        www, serve = static_routes()
        app = web.Application()
        app.router.add_post("/paraview/", self.handle_launch)
        app.router.add_post("/paraview", self.handle_launch)
        app.router.add_get("/status", self.handle_status)

        files = StaticFiles(www, serve)
        app.router.add_get("/{path:.*}", files.handle)

        async def on_startup(_app):
            mark("manager: listening")
            self._top_up()

        async def on_cleanup(_app):
            await self.stop()

        app.on_startup.append(on_startup)
        app.on_cleanup.append(on_cleanup)
        return app

    async def _first_sessions(self) -> None:
        self._top_up()
        if self._spawning:
            await asyncio.wait(set(self._spawning))

    def run(self) -> None:
        """Serve until interrupted."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        # The first session starts before the web stack is even imported (aiohttp
        # alone is ~0.15 s here): its imports and model are most of a first
        # visitor's wait.
        loop.run_until_complete(self._first_sessions())
        from aiohttp import web

        web.run_app(self.web_app(), host=self.host, port=self.port, print=None, access_log=None, loop=loop)
