"""Publishing in one call: :func:`publish` and its parts.

``publish(context=None, plugins=None, targets=None)`` runs a publish and
returns its context (a new one if none was given). ``plugins`` defaults to
:func:`qi.publish.discover`'s; given, they are still filtered by host and
target. ``targets`` are added, for this publish, to the targets in effect.
:func:`publish_iter` does the same and yields each step's result as it
comes.

Each step's result is appended to ``context.data["results"]``; the engine
emits ``pluginProcessed`` after each step, ``pluginFailed`` after each
failed one, ``validated`` once validation is over (before the first
plugin past it runs, or at the end of a run that went through it), and
``published`` at the end of a run that goes to the end (``publish``,
``publish_iter``, ``integrate``), failed or not.

``collect``, ``validate`` and ``extract`` run the same way, but only up to
the end of their part of the orders (``CollectorOrder + 0.5``,
``ValidatorOrder + 0.5``, ``ExtractorOrder + 0.5``); ``integrate`` runs to
the end. Each continues the context it is given: a plugin that already has
a result there (by name: each discovery loads plugin files anew, as new
classes) does not run again, so ``validate(collect())`` validates
what was collected, and ``publish(context)`` then extracts and integrates
it; the failures already in the context stop it as they would have.
"""
import logging

from . import events, matching, registry, step
from .discovery import discover, targets_in_effect
from .entities import Context
from .logic import VALIDATION_END, VALIDATION_START, Iterator
from .plugin import ExtractorOrder

__all__ = ["publish", "publish_iter", "collect", "validate", "extract", "integrate"]

log = logging.getLogger("qi.publish")


def _run(context, plugins, targets, until):
    context = Context() if context is None else context
    results = context.data.setdefault("results", [])
    if plugins is None:
        plugins = discover(targets=targets)
    else:
        hosts, effective = registry.registered_hosts(), targets_in_effect(targets)
        plugins = [plugin for plugin in plugins
                   if matching.host_matches(plugin, hosts) and matching.target_matches(plugin, effective)]
    done = {result["plugin"].__name__ for result in results if result["action"] is None}
    plugins = [plugin for plugin in plugins
               if plugin.__name__ not in done and (until is None or plugin.order < until)]
    validating = (until is None or until >= VALIDATION_END) and any(p.order < VALIDATION_END for p in plugins)
    iterator = Iterator(plugins, context)
    for plugin, instance in iterator:
        if validating and plugin.order >= VALIDATION_END:
            validating = False
            events.emit("validated", context=context)
        result = step.process(plugin, context, instance)
        results.append(result)
        events.emit("pluginProcessed", result=result)
        if result["error"] is not None:
            events.emit("pluginFailed", plugin=plugin, context=context, instance=instance, error=result["error"])
        yield result
    if validating:
        events.emit("validated", context=context)
    if iterator.stopped:
        log.warning("Stopped due to: %s", iterator.stopped)
    if until is None:
        events.emit("published", context=context)


def _context_of(run, context):
    context = Context() if context is None else context
    for _ in run(context):
        pass
    return context


def publish_iter(context=None, plugins=None, targets=None):
    """Publishes, yielding each step's result as it comes."""
    return _run(context, plugins, targets, None)


def publish(context=None, plugins=None, targets=None):
    """Publishes and returns the context."""
    return _context_of(lambda c: _run(c, plugins, targets, None), context)


def collect(context=None, plugins=None, targets=None):
    """Runs collection (orders below ``CollectorOrder + 0.5``)."""
    return _context_of(lambda c: _run(c, plugins, targets, VALIDATION_START), context)


def validate(context=None, plugins=None, targets=None):
    """Runs up to the end of validation (orders below ``ValidatorOrder +
    0.5``)."""
    return _context_of(lambda c: _run(c, plugins, targets, VALIDATION_END), context)


def extract(context=None, plugins=None, targets=None):
    """Runs up to the end of extraction (orders below ``ExtractorOrder +
    0.5``)."""
    return _context_of(lambda c: _run(c, plugins, targets, ExtractorOrder + 0.5), context)


def integrate(context=None, plugins=None, targets=None):
    """Runs to the end (integration included)."""
    return _context_of(lambda c: _run(c, plugins, targets, None), context)
