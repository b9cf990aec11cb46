"""The browser app (trame): explore, compare and present a lumbar segment.

``spineviz serve`` starts it; :class:`SpineVizApp` is one app on one trame
server, :mod:`.sessions` gives every visitor their own process.
"""


def __getattr__(name: str):
    # Lazy: the session manager imports this package without VTK, trame or the model.
    if name == "SpineVizApp":
        from .core import SpineVizApp

        return SpineVizApp
    raise AttributeError(name)


__all__ = ["SpineVizApp"]
