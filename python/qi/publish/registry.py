"""What a publish is made of before it starts: registered plugins, plugin
folders, hosts, targets and discovery filters.

- Plugins: :func:`register_plugin` (a class; one of the same name is
  replaced), :func:`deregister_plugin`, :func:`registered_plugins`,
  :func:`deregister_all_plugins`.
- Folders of plugin files: :func:`register_plugin_path` and the
  ``PYBLISHPLUGINPATH`` environment variable (folders separated by
  ``os.pathsep``); :func:`plugin_paths` is both, registered ones first.
- Hosts (``"python"`` from the start), :func:`register_host`...; targets,
  :func:`register_target`... (``"default"`` is always in effect, not
  registered).
- Discovery filters: functions given the list of discovered plugins,
  which they may change in place (:func:`register_discovery_filter`).

Deregistering what is not registered raises ValueError.
"""
import os

from .plugin import Plugin

__all__ = [
    "register_plugin", "deregister_plugin", "deregister_all_plugins", "registered_plugins",
    "register_plugin_path", "deregister_plugin_path", "deregister_all_paths", "registered_paths",
    "environment_paths", "plugin_paths",
    "register_host", "deregister_host", "deregister_all_hosts", "registered_hosts",
    "register_target", "deregister_target", "deregister_all_targets", "registered_targets",
    "register_discovery_filter", "deregister_discovery_filter", "deregister_all_discovery_filters",
    "registered_discovery_filters",
]

_plugins = {}
_paths = []
_hosts = ["python"]
_targets = []
_filters = []


def _remove(items, item, what):
    if item not in items:
        raise ValueError("{} {!r} is not registered".format(what, item))
    items.remove(item)


def register_plugin(plugin):
    """Makes the plugin class ``plugin`` part of every discovery."""
    if not (isinstance(plugin, type) and issubclass(plugin, Plugin)):
        raise TypeError("not a plugin class: {!r}".format(plugin))
    _plugins[plugin.__name__] = plugin


def deregister_plugin(plugin):
    """Takes back :func:`register_plugin`."""
    if _plugins.get(plugin.__name__) is not plugin:
        raise ValueError("plugin {!r} is not registered".format(plugin))
    del _plugins[plugin.__name__]


def deregister_all_plugins():
    _plugins.clear()


def registered_plugins():
    """The registered plugin classes, in the order they were registered."""
    return list(_plugins.values())


def register_plugin_path(path):
    """Makes the ``.py`` files of the folder ``path`` part of every
    discovery; returns the path as kept (absolute, normalised)."""
    path = os.path.normpath(os.path.abspath(path))
    if path not in _paths:
        _paths.append(path)
    return path


def deregister_plugin_path(path):
    _remove(_paths, os.path.normpath(os.path.abspath(path)), "path")


def deregister_all_paths():
    del _paths[:]


def registered_paths():
    return list(_paths)


def environment_paths():
    """The folders of ``PYBLISHPLUGINPATH``."""
    return [path for path in os.environ.get("PYBLISHPLUGINPATH", "").split(os.pathsep) if path]


def plugin_paths():
    """The registered folders, then those of ``PYBLISHPLUGINPATH``, once
    each."""
    paths = []
    for path in registered_paths() + environment_paths():
        if path not in paths:
            paths.append(path)
    return paths


def register_host(host):
    if host not in _hosts:
        _hosts.append(host)


def deregister_host(host):
    _remove(_hosts, host, "host")


def deregister_all_hosts():
    del _hosts[:]


def registered_hosts():
    return list(_hosts)


def register_target(target):
    if target not in _targets:
        _targets.append(target)


def deregister_target(target):
    _remove(_targets, target, "target")


def deregister_all_targets():
    del _targets[:]


def registered_targets():
    """The registered targets (``"default"``, always in effect, is not
    among them unless registered)."""
    return list(_targets)


def register_discovery_filter(callback):
    """Calls ``callback(plugins)`` at the end of each discovery, with the
    list it returns, which the callback may change in place."""
    if callback not in _filters:
        _filters.append(callback)


def deregister_discovery_filter(callback):
    _remove(_filters, callback, "discovery filter")


def deregister_all_discovery_filters():
    del _filters[:]


def registered_discovery_filters():
    return list(_filters)
