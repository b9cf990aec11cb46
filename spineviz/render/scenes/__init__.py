"""Scenes as data: ``scenes/*.toml`` files read, validated and applied to parts.

>>> from spineviz.render.scenes import load_scenes
>>> scenes = load_scenes()                    # the shipped set, in tour order
>>> scenes[0].title["en"]                     # doctest: +SKIP
'A healthy lumbar segment'

:mod:`.schema` holds the data classes (and why they live in the render
layer), :mod:`.validate` the checks, :mod:`.load` the file reading and
:mod:`.select` how patterns pick parts of a built model.
"""

from .load import load_scene, load_scenes, scene_paths, shipped_scenes_dir
from .schema import NOTE, Camera, Label, Panel, Parts, Scene, Text
from .validate import SceneError, known_part_names, matches

__all__ = [
    "NOTE",
    "Camera",
    "Label",
    "Panel",
    "Parts",
    "Scene",
    "SceneError",
    "Text",
    "known_part_names",
    "load_scene",
    "load_scenes",
    "matches",
    "scene_paths",
    "shipped_scenes_dir",
]
