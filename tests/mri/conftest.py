"""Shared, session-scoped grids: each state is built and voxelised once."""

from __future__ import annotations

import pytest

from spineviz.conditions.state import State


@pytest.fixture(scope="session")
def grid_of():
    """``grid_of(state)`` → (VoxelGrid, Model), cached across the session."""
    from spineviz.render.mri.voxels import model_for, voxel_grid

    def get(state: State | None = None):
        state = state or State()
        return voxel_grid(state, levels=state.level), model_for(state, state.level, "medium")

    return get
