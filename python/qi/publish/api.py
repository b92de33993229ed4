"""The whole public API of Qi's publish engine, under pyblish's names:
what ``pyblish.api`` offers where Qi's fallback ``pyblish`` is the one
imported (``qi.publish.install_fallback``).

- entities: :class:`Context`, :class:`Instance`, :class:`AbstractEntity`;
- plugins: :class:`Plugin`, :class:`ContextPlugin`,
  :class:`InstancePlugin`, :class:`Collector`, :class:`Validator`,
  :class:`Extractor`, :class:`Integrator`, :class:`Action`,
  :class:`Separator`, :func:`Category`, the orders and the match kinds;
- registration: plugins, plugin paths, hosts, targets, discovery filters,
  callbacks, the stop test; :func:`discover`;
- matching: :func:`plugins_by_family`, :func:`plugins_by_host`,
  :func:`plugins_by_instance`, :func:`instances_by_plugin`, :func:`sort`;
- running: :class:`Iterator`, :func:`process`, :func:`publish` and the
  rest of ``qi.publish.util``, :func:`available_actions`,
  :func:`run_action`, :func:`toggle_instance`, :func:`toggle_plugin`;
- ``__version__`` and ``version_info``: the pyblish API level followed.
"""
from .actions import *  # noqa: F401,F403
from .actions import __all__ as _actions
from .discovery import *  # noqa: F401,F403
from .discovery import __all__ as _discovery
from .entities import *  # noqa: F401,F403
from .entities import __all__ as _entities
from .events import *  # noqa: F401,F403
from .events import __all__ as _events
from .lib import __version__, version_info
from .logic import *  # noqa: F401,F403
from .logic import __all__ as _logic
from .matching import *  # noqa: F401,F403
from .matching import __all__ as _matching
from .plugin import *  # noqa: F401,F403
from .plugin import __all__ as _plugin
from .registry import *  # noqa: F401,F403
from .registry import __all__ as _registry
from .step import process
from .util import *  # noqa: F401,F403
from .util import __all__ as _util

__all__ = (["__version__", "version_info", "process"] + _actions + _discovery + _entities + _events
           + _logic + _matching + _plugin + _registry + _util)
