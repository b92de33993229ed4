"""Callbacks: functions called by name when something happens in a publish.

::

    register_callback("pluginProcessed", lambda result: print(result["success"]))
    emit("pluginProcessed", result=result)

``emit(signal, **kwargs)`` calls every callback registered for ``signal``
with those keyword arguments, in the order they were registered. A
callback that raises is logged on the ``qi.publish`` logger and the others
still run: a callback never breaks a publish.

The signals the engine emits (pyblish's documented events):

- ``pluginProcessed`` (``result``): after each step of a publish;
- ``pluginFailed`` (``plugin``, ``context``, ``instance``, ``error``):
  after each step that raised;
- ``validated`` (``context``): once validation is over, failed or not;
- ``published`` (``context``): at the end of a publish, failed or not;
- ``instanceToggled`` (``instance``, ``new_value``, ``old_value``) and
  ``pluginToggled`` (``plugin``, ``new_value``, ``old_value``): when
  :func:`qi.publish.toggle_instance` or :func:`qi.publish.toggle_plugin`
  changes one.
"""
import logging

__all__ = ["register_callback", "deregister_callback", "deregister_all_callbacks",
           "registered_callbacks", "emit"]

log = logging.getLogger("qi.publish")

_callbacks = {}


def register_callback(signal, callback):
    """Calls ``callback(**kwargs)`` on each ``emit(signal, **kwargs)``; a
    callback registered twice for one signal is called once."""
    callbacks = _callbacks.setdefault(signal, [])
    if callback not in callbacks:
        callbacks.append(callback)


def deregister_callback(signal, callback):
    """Stops calling ``callback`` for ``signal``; ValueError if it was not
    registered for it."""
    callbacks = _callbacks.get(signal, [])
    if callback not in callbacks:
        raise ValueError("{!r} is not registered for {!r}".format(callback, signal))
    callbacks.remove(callback)


def deregister_all_callbacks():
    """Forgets every callback of every signal."""
    _callbacks.clear()


def registered_callbacks():
    """A dict of each signal to the list of its callbacks (a copy)."""
    return {signal: list(callbacks) for signal, callbacks in _callbacks.items() if callbacks}


def emit(signal, **kwargs):
    """Calls the callbacks of ``signal`` with ``kwargs``; an exception in
    one is logged, not raised."""
    for callback in list(_callbacks.get(signal, [])):
        try:
            callback(**kwargs)
        except Exception:
            log.exception("The callback %r of %r raised", callback, signal)
