"""Qi's Python package for DCCs (Blender, Maya, Nuke, ...) and scripts.

This package must import inside any DCC's own embedded Python (3.7 and
later), which cannot install packages: everything imported from here is
the standard library only. ``qi.hub`` is the hub's client
(``docs/protocol.md``); ``qi.publish``, imported on its own, is the
pyblish-compatible publish engine (``docs/publishing.md``).

Helpers that need PyGObject (``gi``, libqi's typelib) will live in a
separate module of their own, imported explicitly by the code that wants
them, never from this file.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "hub"]

from . import hub  # noqa: E402  (standard library only)
