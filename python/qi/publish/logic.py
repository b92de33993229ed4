"""The order of a publish and where it stops: :class:`Iterator`.

``Iterator(plugins, context)`` yields ``(plugin, instance)`` pairs, the
plugins sorted by order: ``(plugin, None)`` once for a plugin whose
``process`` does not ask for an instance, ``(plugin, instance)`` for each
active instance its families match otherwise. Instances are looked at when
the iterator reaches the plugin, so that those made by a collector are
there for the plugins after it. A plugin whose ``active`` is false is left
out.

Before each plugin the iterator asks the test (:func:`registered_test`,
:func:`default_test` unless another was registered) whether to go on,
with ``nextOrder``, that plugin's order, and ``ordersWithError``, the
orders of the plugins whose results in ``context.data["results"]`` have
an error (actions' results left out). The test returns a message to stop
(kept as ``Iterator.stopped``), or None.

The default test is pyblish's: "if any validator fails, extraction and
integration is cancelled". Validation is the orders ``ValidatorOrder -
0.5 <= order < ValidatorOrder + 0.5``; once a plugin there has failed, the
publish stops before the first plugin of order ``ValidatorOrder + 0.5`` or
more. A failure anywhere else stops nothing.
"""
from . import entities, matching
from .lib import argument_names
from .plugin import ValidatorOrder

__all__ = ["Iterator", "default_test", "register_test", "deregister_test", "registered_test",
           "orders_with_error", "wants_instance", "VALIDATION_START", "VALIDATION_END"]

VALIDATION_START = ValidatorOrder - 0.5
VALIDATION_END = ValidatorOrder + 0.5


def default_test(**vars):
    """"failed validation" once a validation plugin has failed and the
    next plugin is past validation; None otherwise."""
    if vars["nextOrder"] >= VALIDATION_END and any(
            VALIDATION_START <= order < VALIDATION_END for order in vars["ordersWithError"]):
        return "failed validation"
    return None


_test = [default_test]


def register_test(test):
    """Makes ``test(**vars)`` decide where publishing stops."""
    _test[0] = test


def deregister_test():
    """Goes back to :func:`default_test`."""
    _test[0] = default_test


def registered_test():
    return _test[0]


def orders_with_error(context):
    """The orders of the plugins that failed in ``context`` (their actions'
    failures left out)."""
    return [result["plugin"].order for result in context.data.get("results", [])
            if result["error"] is not None and result["action"] is None]


def wants_instance(plugin):
    """Whether ``plugin.process`` asks for an instance, and so runs once per
    instance."""
    return "instance" in argument_names(plugin.process)


class Iterator(object):
    """The ``(plugin, instance)`` pairs of a publish; see the module."""

    def __init__(self, plugins, context, test=None):
        self.plugins = matching.sort(list(plugins))
        self.context = context
        self.test = test
        self.stopped = None

    def __iter__(self):
        test = self.test or registered_test()
        for plugin in self.plugins:
            message = test(nextOrder=plugin.order, ordersWithError=orders_with_error(self.context))
            if message:
                self.stopped = message
                return
            if not plugin.active:
                continue
            if not wants_instance(plugin):
                yield plugin, None
                continue
            for instance in matching.instances_by_plugin(list(self.context), plugin):
                if entities.is_active(instance):
                    yield plugin, instance
