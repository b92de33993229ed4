"""``pyblish.logic``: the order of a publish, where it stops, and which
plugins go with which instances (``qi.publish.logic``,
``qi.publish.matching``)."""
from qi.publish.logic import *  # noqa: F401,F403
from qi.publish.logic import __all__ as _logic
from qi.publish.matching import *  # noqa: F401,F403
from qi.publish.matching import __all__ as _matching

__all__ = _logic + _matching
