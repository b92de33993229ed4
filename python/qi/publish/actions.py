"""A plugin's actions: which are offered, given what happened, and running
one.

:func:`available_actions` is the list of ``plugin.actions`` whose ``on``
fits the results in the context of the plugin of that name (a plugin
discovered again is a new class of the same name; actions' own results
left out):

- ``all``: always;
- ``notProcessed``: the plugin has no result;
- ``processed``: it has one at least;
- ``failed``: one of them has an error;
- ``succeeded``: it has results and none has an error;
- ``warning``: it succeeded and logged a warning (or worse);
- ``failedOrWarning``: it failed, or logged a warning (or worse).

:func:`run_action` runs one (``process(self, context, plugin)``) as a step
of its own: its result, ``action`` set, goes to
``context.data["results"]``.
"""
import logging

from . import step

__all__ = ["available_actions", "run_action"]


def _state(plugin, context):
    results = [result for result in context.data.get("results", [])
               if result["plugin"].__name__ == plugin.__name__ and result["action"] is None]
    processed = bool(results)
    failed = any(result["error"] is not None for result in results)
    warned = any(record.levelno >= logging.WARNING for result in results for record in result["records"])
    return {
        "all": True,
        "notProcessed": not processed,
        "processed": processed,
        "failed": failed,
        "succeeded": processed and not failed,
        "warning": processed and not failed and warned,
        "failedOrWarning": failed or warned,
    }


def available_actions(plugin, context):
    """The actions of ``plugin`` offered now; see the module."""
    state = _state(plugin, context)
    for action in plugin.actions:
        if action.on not in state:
            raise ValueError("{}.on is not one of {}: {!r}".format(action.__name__, ", ".join(state), action.on))
    return [action for action in plugin.actions if state[action.on]]


def run_action(action, plugin, context, instance=None):
    """Runs ``action`` of ``plugin`` and returns its result, also appended to
    ``context.data["results"]``."""
    if action not in plugin.actions:
        raise ValueError("{} is not an action of {}".format(action.__name__, plugin.__name__))
    result = step.process(plugin, context, instance=instance, action=action)
    context.data.setdefault("results", []).append(result)
    return result
