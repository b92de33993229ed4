"""Plugins and actions: what a publish runs, in pyblish's shape.

A plugin is a class with a ``process`` method; the engine makes one object
of it for each step. What ``process`` asks for decides how it runs
(pyblish's dependency injection, by parameter name):

- ``process(self, context)`` (a :class:`ContextPlugin`): once, whatever
  the instances;
- ``process(self, instance)`` (an :class:`InstancePlugin`), or
  ``process(self, context, instance)``: once for each active instance its
  ``families`` match, and not at all when none does.

``order`` sorts plugins (ties keep their order): :data:`CollectorOrder`
0, :data:`ValidatorOrder` 1, :data:`ExtractorOrder` 2,
:data:`IntegratorOrder` 3, and anything between (``ValidatorOrder + 0.1``).
Validation is the orders from ``ValidatorOrder - 0.5`` up to (not
including) ``ValidatorOrder + 0.5``: when a plugin there fails, nothing
from ``ValidatorOrder + 0.5`` on runs (``qi.publish.logic``).

The other attributes, each a default the subclass may change:

- ``families`` (``["*"]``) and ``match`` (:data:`Intersection`, or
  :data:`Subset`, :data:`Exact`): which instances it processes
  (``qi.publish.matching``);
- ``hosts`` (``["*"]``) and ``targets`` (``["default"]``): where and for
  what it is discovered at all;
- ``active`` (True): False and it does not run; ``optional`` (False): the
  artist may turn it off (:func:`toggle_plugin`);
- ``label``, ``version`` (its own, a tuple), ``requires``
  (``"pyblish>=1"``, checked at discovery), ``actions`` (a list of
  :class:`Action` classes);
- ``log``: a :class:`logging.Logger` of its own, whose records during a
  step go into that step's result.

An :class:`Action` is something an artist may run on a plugin after the
fact (select the faulty nodes, repair): ``process(self, context,
plugin)``, with ``label``, ``icon`` and ``on``, the plugin's state it is
offered in (``qi.publish.actions``).
"""
import logging

from . import events

__all__ = [
    "CollectorOrder", "ValidatorOrder", "ExtractorOrder", "IntegratorOrder",
    "Intersection", "Subset", "Exact",
    "Plugin", "ContextPlugin", "InstancePlugin", "Collector", "Validator", "Extractor", "Integrator",
    "Action", "Category", "Separator", "toggle_plugin",
]

CollectorOrder = 0
ValidatorOrder = 1
ExtractorOrder = 2
IntegratorOrder = 3

Intersection = 1 << 0
Subset = 1 << 1
Exact = 1 << 2


class _Logged(type):
    """Gives each class its own logger, unless it brings one."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        if "log" not in attrs:
            cls.log = logging.getLogger("pyblish.plugin.{}.{}".format(cls.__module__, name))


class Plugin(metaclass=_Logged):
    """The base of every plugin; see the module's documentation."""

    order = CollectorOrder
    families = ["*"]
    match = Intersection
    hosts = ["*"]
    targets = ["default"]
    label = None
    active = True
    optional = False
    version = (0, 0, 0)
    requires = "pyblish>=1"
    actions = []

    def process(self):
        """What the plugin does; a subclass's parameters say what it is
        given (``context``, ``instance``)."""


class ContextPlugin(Plugin):
    """A plugin that processes the context, once per publish."""

    def process(self, context):
        """Processes ``context``."""


class InstancePlugin(Plugin):
    """A plugin that processes each instance its families match."""

    def process(self, instance):
        """Processes ``instance``."""


class Collector(Plugin):
    """Finds what to publish: order :data:`CollectorOrder`."""

    order = CollectorOrder


class Validator(Plugin):
    """Checks it: order :data:`ValidatorOrder`."""

    order = ValidatorOrder


class Extractor(Plugin):
    """Writes it out: order :data:`ExtractorOrder`."""

    order = ExtractorOrder


class Integrator(Plugin):
    """Puts it in place: order :data:`IntegratorOrder`."""

    order = IntegratorOrder


class Action(metaclass=_Logged):
    """Something to run on a plugin: ``process(self, context, plugin)``
    (``instance`` too, if asked for). ``on`` is one of ``all``,
    ``notProcessed``, ``processed``, ``failed``, ``warning``,
    ``succeeded``, ``failedOrWarning``."""

    __type__ = "action"
    label = None
    icon = None
    on = "all"

    def process(self, context, plugin):
        """Does the action for ``plugin`` in ``context``."""


class Separator(Action):
    """A separator between a plugin's actions in a menu."""

    __type__ = "separator"


def Category(label):
    """A heading among a plugin's actions in a menu (an Action class)."""
    return _Logged(label, (Action,), {"__type__": "category", "label": label})


def toggle_plugin(plugin, new_value):
    """Sets ``plugin.active`` and, if that changed, emits
    ``pluginToggled(plugin, new_value, old_value)``. Only an optional
    plugin may be turned off (ValueError otherwise)."""
    new_value = bool(new_value)
    old_value = bool(plugin.active)
    if not new_value and not plugin.optional:
        raise ValueError("{} is not optional".format(plugin.__name__))
    plugin.active = new_value
    if new_value != old_value:
        events.emit("pluginToggled", plugin=plugin, new_value=new_value, old_value=old_value)
