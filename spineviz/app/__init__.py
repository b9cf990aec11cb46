"""The browser app (trame): explore, compare and present a lumbar segment.

``spineviz serve`` starts it; :class:`SpineVizApp` is one app on one trame
server, :mod:`.sessions` gives every visitor their own process.
"""

from .core import SpineVizApp

__all__ = ["SpineVizApp"]
