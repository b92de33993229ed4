"""``pyblish.plugin``: plugins, their registration and discovery, and one
step of a publish (``qi.publish.plugin``, ``qi.publish.registry``,
``qi.publish.discovery``, ``qi.publish.step``)."""
from qi.publish.discovery import *  # noqa: F401,F403
from qi.publish.discovery import __all__ as _discovery
from qi.publish.entities import *  # noqa: F401,F403
from qi.publish.entities import __all__ as _entities
from qi.publish.plugin import *  # noqa: F401,F403
from qi.publish.plugin import __all__ as _plugin
from qi.publish.registry import *  # noqa: F401,F403
from qi.publish.registry import __all__ as _registry
from qi.publish.step import process

__all__ = ["process"] + _discovery + _entities + _plugin + _registry
