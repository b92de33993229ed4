"""One step of a publish: a plugin (or one of its actions) run once, and
its result.

``process(plugin, context, instance=None, action=None)`` makes an object
of ``plugin`` (or of ``action``) and calls its ``process`` with what it
asks for by name: ``context``, ``instance``, ``plugin``. It never raises
what the plugin raised; it returns the result, a dict of:

- ``success``: False if ``process`` raised;
- ``plugin``, ``instance`` (None for the context), ``action`` (None
  unless an action ran);
- ``error``: the exception, or None; it carries ``formatted_traceback``
  (the text Python would print, from the plugin's own frames) and
  ``traceback``, ``(filename, line number, function, source line)`` of
  where it was raised;
- ``records``: the :class:`logging.LogRecord` of everything logged through
  the plugin's (or action's) ``log`` during the step, DEBUG included;
- ``duration``: how long it took, in milliseconds.
"""
import time
import traceback

from . import lib

__all__ = ["process"]


def _describe(error):
    tb = error.__traceback__.tb_next or error.__traceback__
    error.formatted_traceback = "".join(traceback.format_exception(type(error), error, tb))
    last = traceback.extract_tb(tb)[-1]
    error.traceback = (last.filename, last.lineno, last.name, last.line)


def process(plugin, context, instance=None, action=None):
    """Runs one step; see the module."""
    runner = plugin if action is None else action
    available = {"context": context, "instance": instance, "plugin": plugin}
    result = {"success": True, "plugin": plugin, "instance": instance, "action": action,
              "error": None, "records": [], "duration": 0.0}
    start = time.perf_counter()
    with lib.capture_records(runner.log) as records:
        try:
            obj = runner()
            obj.process(**{name: available[name] for name in lib.argument_names(obj.process) if name in available})
        except Exception as error:
            _describe(error)
            result.update(success=False, error=error)
    result["duration"] = (time.perf_counter() - start) * 1000.0
    result["records"] = records
    return result
