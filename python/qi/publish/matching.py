"""Which plugins go with which instances, hosts and targets, and in what
order.

Families: an instance's are ``data["family"]`` then ``data["families"]``
(:func:`instance_families`). A plugin whose ``families`` hold ``"*"``
matches every instance, with or without families; otherwise its
``match`` decides, with P the plugin's families and I the instance's:

- :data:`Intersection` (the default): P and I share one at least;
- :data:`Subset`: I has all of P (pyblish's documented example: a plugin
  of ``["model", "low"]`` matches only instances that have both);
- :data:`Exact`: P and I are the same set.

Hosts: a plugin runs in a host when its ``hosts`` hold ``"*"`` or one of
the registered hosts. Targets: likewise, with ``targets`` and the targets
in effect (``"default"`` always among them).

:func:`sort` orders plugins by ``order`` and keeps the order of ties.
"""
from .plugin import Exact, Intersection, Subset

__all__ = ["instance_families", "families_match", "host_matches", "target_matches",
           "plugins_by_family", "plugins_by_host", "plugins_by_targets", "plugins_by_instance",
           "instances_by_plugin", "sort"]


def instance_families(instance):
    """``data["family"]`` then each of ``data["families"]``, once each."""
    families = []
    for family in [instance.data.get("family")] + list(instance.data.get("families") or []):
        if family and family not in families:
            families.append(family)
    return families


def families_match(plugin, families):
    """Whether ``plugin`` goes with an instance of these ``families``."""
    wanted = set(plugin.families)
    if "*" in wanted:
        return True
    have = set(families)
    if plugin.match == Intersection:
        return bool(wanted & have)
    if plugin.match == Subset:
        return wanted <= have
    if plugin.match == Exact:
        return wanted == have
    raise ValueError("{}.match is not Intersection, Subset or Exact: {!r}".format(plugin.__name__, plugin.match))


def host_matches(plugin, hosts):
    """Whether ``plugin`` runs in any of ``hosts``."""
    return "*" in plugin.hosts or any(host in plugin.hosts for host in hosts)


def target_matches(plugin, targets):
    """Whether ``plugin`` runs for any of ``targets``."""
    return "*" in plugin.targets or any(target in plugin.targets for target in targets)


def plugins_by_family(plugins, family):
    """The plugins that go with an instance of ``family``."""
    return [plugin for plugin in plugins if families_match(plugin, [family])]


def plugins_by_host(plugins, host):
    """The plugins that run in ``host``."""
    return [plugin for plugin in plugins if host_matches(plugin, [host])]


def plugins_by_targets(plugins, targets):
    """The plugins that run for any of ``targets``."""
    return [plugin for plugin in plugins if target_matches(plugin, targets)]


def plugins_by_instance(plugins, instance):
    """The plugins that go with ``instance``."""
    families = instance_families(instance)
    return [plugin for plugin in plugins if families_match(plugin, families)]


def instances_by_plugin(instances, plugin):
    """The instances (of a context, say) that ``plugin`` goes with."""
    return [instance for instance in instances if families_match(plugin, instance_families(instance))]


def sort(plugins):
    """Sorts the list ``plugins`` by order, ties kept as they were, and
    returns it."""
    plugins.sort(key=lambda plugin: plugin.order)
    return plugins
