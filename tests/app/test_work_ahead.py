"""Work ahead: the next slider step and the next tour scene are built while the visitor looks."""

from __future__ import annotations

import asyncio
import time

from spineviz.app import core
from spineviz.conditions.build import build
from spineviz.render import scene


def _prepared(state, detail="low") -> bool:
    """Whether every part of ``state`` has its display mesh ready."""
    kept = {key[0] for key in scene._prepared}
    return all(id(mesh) in kept for mesh in build(state, detail=detail).parts.values())


async def _until(test, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(core.PREFETCH_DELAY_S)
    return True


def test_a_slider_step_builds_its_neighbours_and_a_tour_step_the_next_scene(an_app):
    async def scenario():
        scene._prepared.clear()  # earlier tests may have shown these states
        an_app.set_conditions({"pfirrmann": "3"})
        up, down = (an_app.conditions.replace(pfirrmann=g) for g in ("4", "2"))
        # Not on the click itself: the visitor's image goes out first.
        assert not _prepared(up)
        assert not _prepared(down)
        assert await _until(lambda: _prepared(up) and _prepared(down))
        # A tour step replaces the slider's work ahead with the next scene's.
        an_app.tour_step(1)
        assert await _until(lambda: _prepared(an_app.scenes[1].state))

    asyncio.run(scenario())
