"""Finding the plugins of a publish: :func:`discover`.

``discover(type=None, regex=None, paths=None, targets=None)``:

1. loads every ``.py`` file of each folder (``paths``, or the registered
   folders then ``PYBLISHPLUGINPATH``), in name order, files whose name
   starts with ``_`` left out, and takes the plugin classes each defines
   (not those it imports). A file that fails to load is logged on the
   ``qi.publish`` logger and kept in :func:`discovery_errors`; the others
   still count. Of two plugins of one name in files, the first is kept;
2. adds the registered plugins, each replacing a plugin of its name from
   a file;
3. keeps the subclasses of ``type`` (default: every plugin) whose name
   matches ``regex`` (from its start), whose ``requires`` this engine
   meets, whose ``hosts`` include a registered host and whose ``targets``
   one in effect: ``"default"``, the registered ones and ``targets``;
4. hands the list to each discovery filter, then sorts it by order.
"""
import importlib.util
import inspect
import logging
import os
import re
import traceback

from . import lib, matching, registry
from .plugin import Plugin

__all__ = ["discover", "discovery_errors", "targets_in_effect"]

log = logging.getLogger("qi.publish")

_errors = {}


def targets_in_effect(targets=None):
    """``"default"``, the registered targets, then ``targets``."""
    effective = ["default"]
    for target in registry.registered_targets() + list(targets or []):
        if target not in effective:
            effective.append(target)
    return effective


def discovery_errors():
    """The files the last :func:`discover` could not load: a dict of each
    path to its formatted traceback."""
    return dict(_errors)


def _load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [value for value in vars(module).values()
            if inspect.isclass(value) and issubclass(value, Plugin) and value.__module__ == module.__name__]


def _plugins_in(folder):
    if not os.path.isdir(folder):
        log.debug("No plugin folder %s", folder)
        return []
    plugins = []
    for filename in sorted(os.listdir(folder)):
        path = os.path.join(folder, filename)
        if not filename.endswith(".py") or filename.startswith("_") or not os.path.isfile(path):
            continue
        try:
            plugins.extend(_load(path))
        except Exception as error:
            _errors[path] = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            log.warning("Skipped the plugin file %s: %s", path, _errors[path])
    return plugins


def _compatible(plugin):
    try:
        if lib.requirement_met(plugin.requires):
            return True
        log.warning("Skipped %s: it requires %s, this is pyblish %s", plugin.__name__, plugin.requires, lib.__version__)
    except ValueError as error:
        log.warning("Skipped %s: %s", plugin.__name__, error)
    return False


def discover(type=None, regex=None, paths=None, targets=None):
    """The plugins of a publish, sorted by order; see the module."""
    superclass = Plugin if type is None else type
    _errors.clear()
    from_files = []
    for folder in registry.plugin_paths() if paths is None else paths:
        for plugin in _plugins_in(folder):
            if any(p.__name__ == plugin.__name__ for p in from_files):
                log.warning("Skipped %s of %s: a plugin of that name came first", plugin.__name__, folder)
                continue
            from_files.append(plugin)
    registered = registry.registered_plugins()
    names = {plugin.__name__ for plugin in registered}
    hosts = registry.registered_hosts()
    effective = targets_in_effect(targets)
    plugins = [plugin for plugin in [p for p in from_files if p.__name__ not in names] + registered
               if issubclass(plugin, superclass)
               and (regex is None or re.match(regex, plugin.__name__))
               and _compatible(plugin)
               and matching.host_matches(plugin, hosts)
               and matching.target_matches(plugin, effective)]
    for callback in registry.registered_discovery_filters():
        callback(plugins)
    return matching.sort(plugins)
