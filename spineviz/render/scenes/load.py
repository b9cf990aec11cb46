"""Reading scene files from disk: one file, a folder, or the shipped set."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from .schema import Scene
from .validate import SceneError, scene_from_mapping


def shipped_scenes_dir() -> Path:
    """The folder of the scenes that come with spineviz.

    In an installed wheel they sit inside the package (``spineviz/_scenes``,
    see ``pyproject.toml``); in a source checkout, in ``scenes/`` at the root.
    """
    package = Path(__file__).resolve().parents[2]
    installed = package / "_scenes"
    if installed.is_dir():
        return installed
    return package.parent / "scenes"


def scene_paths(folder: str | Path | None = None) -> list[Path]:
    """The ``*.toml`` files of a folder (default: the shipped set), sorted by name."""
    folder = Path(folder) if folder is not None else shipped_scenes_dir()
    return sorted(p for p in folder.glob("*.toml") if p.is_file())


def load_scene(path: str | Path) -> Scene:
    """Read and validate one scene file.

    Raises
    ------
    SceneError
        Naming the file, the key and what is allowed; never a bare parser error.
    """
    path = Path(path)
    shown = str(path)
    if path.suffix != ".toml":
        raise SceneError("", f"a scene file must end in .toml (got {path.name!r})", path=shown)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SceneError("", "no such file", path=shown) from None
    except OSError as err:
        raise SceneError("", f"cannot be read ({err.strerror})", path=shown) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SceneError("", "is not UTF-8 text; save it as UTF-8", path=shown) from None
    except tomllib.TOMLDecodeError as err:
        raise SceneError(
            "", f"not valid TOML: {err}; look for a missing quote, bracket or '=' there", path=shown
        ) from None
    try:
        scene = scene_from_mapping(data, stem=path.stem)
    except SceneError as err:
        raise err.in_file(shown) from None
    object.__setattr__(scene, "path", shown)
    return scene


def load_scenes(paths: Iterable[str | Path] | None = None) -> list[Scene]:
    """Load several scene files (default: the shipped set), in tour order.

    Stops at the first bad file (its :class:`SceneError`).  Tour order is
    ``order``, then id, so two files with the same order still sort the same
    way every time.
    """
    files = scene_paths() if paths is None else [Path(p) for p in paths]
    scenes = [load_scene(p) for p in files]
    seen: dict[str, str] = {}
    for scene in scenes:
        if scene.id in seen:
            raise SceneError(
                "id", f"{scene.id!r} is also the id of {seen[scene.id]}; ids must be unique", path=scene.path
            )
        seen[scene.id] = scene.path or scene.id
    return sorted(scenes, key=lambda s: (s.order, s.id))
