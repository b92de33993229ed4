"""PyGObject overrides of Qi, for Python addons.

``from gi.repository import Qi`` gives the introspected libqi with these
changes, so that an addon works in dicts and Python callables:

- Hub handlers get ``(request, payload)``, ``payload`` a dict. Returning
  a value answers with it; returning None leaves the request to be
  answered later with ``request.reply(value)`` or ``request.fail(…)``
  (an async handler). An exception answers ``handler_failed`` with its
  traceback, which is also logged.
- Subscriptions get ``(topic, payload, message)``; an exception is logged.
- ``endpoint.request(topic, payload, timeout_ms)`` returns the reply as a
  dict or raises ``GLib.Error``; from a Python thread it is marshalled to
  the main loop and waits there. ``endpoint.emit(topic, payload)`` sends
  an event.
- ``Qi.CliVerb.new(name, summary, func)``: ``func(invocation)`` returns
  the exit status (None is 0); an exception prints its traceback on
  stderr and exits 1.
- ``addon.add_route(method, pattern, handler)``: ``handler(request)``
  returns ``(status, body)`` or a body (200), or None to answer later
  with ``request.reply_json(status, body)``; an exception answers 500
  ``handler_failed``.
"""
import sys

from gi.module import get_introspection_module
from gi.overrides import override

from qi.addon import (call_in_main, format_exception, from_node, in_main_thread, log_exception,
                      run_in_main_context, to_node)

Qi = get_introspection_module("Qi")

from gi.repository import GLib  # noqa: E402

__all__ = []


def _topic_of(request):
    try:
        return request.get_topic()
    except Exception:  # the request is gone
        return "?"


class HubRequest(Qi.HubRequest):
    def get_payload_dict(self):
        """The request's payload as a dict."""
        return from_node(Qi.HubRequest.get_payload(self))

    def reply(self, payload=None):
        Qi.HubRequest.reply(self, to_node({} if payload is None else payload))

    def fail(self, code, message):
        Qi.HubRequest.fail(self, code, message)


HubRequest = override(HubRequest)
__all__.append("HubRequest")


class HubEndpoint(Qi.HubEndpoint):
    def add_handler(self, topic, handler):
        """Handles requests on ``topic`` with ``handler(request, payload)``."""

        def call(request, _data=None):
            # Nothing may escape into PyGObject: it would print it and keep
            # the frame (and the request) alive in sys.last_traceback.
            # SystemExit and KeyboardInterrupt are a handler's failures too,
            # not the process's.
            try:
                result = handler(request, from_node(request.get_payload()))
                if result is not None and not request.get_answered():
                    Qi.HubRequest.reply(request, to_node(result))
            except BaseException as e:
                text = log_exception("the handler of “{}”".format(_topic_of(request)), e)
                if not request.get_answered():
                    Qi.HubRequest.fail(request, Qi.HubError.HANDLER_FAILED, text)

        return Qi.HubEndpoint.add_handler(self, topic, call, None)

    def subscribe(self, pattern, callback):
        """Calls ``callback(topic, payload, message)`` for each event
        matching ``pattern``; returns the subscription's id."""

        def call(message, _data=None):
            try:
                callback(message.get_topic(), from_node(message.get_payload()), message)
            except BaseException as e:
                log_exception("the subscriber of “{}”".format(pattern), e)

        return Qi.HubEndpoint.subscribe(self, pattern, call, None)

    def emit(self, topic, payload=None):
        """Sends the event ``topic`` with ``payload`` (a dict)."""
        return call_in_main(Qi.HubEndpoint.emit, self, topic, to_node({} if payload is None else payload))

    def request(self, topic, payload=None, timeout_ms=0):
        """Sends a request and waits for its answer: the reply as a dict,
        or ``GLib.Error`` for an error. From the main thread the main
        context runs meanwhile; from another thread the request is sent
        from the main loop, and this thread waits."""
        outcome = {}
        node = to_node({} if payload is None else payload)

        def finished(endpoint, result, _data=None):
            try:
                outcome["value"] = from_node(Qi.HubEndpoint.request_finish(endpoint, result))
            except GLib.Error as e:
                outcome["error"] = e

        def send_and_iterate():
            Qi.HubEndpoint.request_async(self, topic, node, timeout_ms, None, finished, None)
            context = GLib.MainContext.default()
            while not outcome:
                context.iteration(True)

        # The main thread, or a thread while nobody runs the main loop (a
        # one-shot command's verb): send and drive the main context here.
        if in_main_thread() or run_in_main_context(send_and_iterate) is not None:
            if not outcome:
                send_and_iterate()
        else:
            import threading

            done = threading.Event()

            def finished_then_wake(endpoint, result, _data=None):
                finished(endpoint, result)
                done.set()

            def send():
                Qi.HubEndpoint.request_async(self, topic, node, timeout_ms, None, finished_then_wake, None)

            call_in_main(send)
            # The hub answers every request by its deadline (0: the hub's
            # default, 30 s); a margin, then give up rather than hang.
            if not done.wait((timeout_ms or 30000) / 1000 + 5):
                raise GLib.Error("no answer to “{}” from the main loop".format(topic),
                                 "qi-hub-error-quark", int(Qi.HubError.TIMEOUT))
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]


HubEndpoint = override(HubEndpoint)
__all__.append("HubEndpoint")


class CliVerb(Qi.CliVerb):
    @classmethod
    def new(cls, name, summary, func):
        """A verb running ``func(invocation)``, whose return value is the
        exit status (None: 0)."""

        def call(invocation, _data=None):
            try:
                status = func(invocation)
                return 0 if status is None else int(status)
            except SystemExit as e:
                if e.code is None or isinstance(e.code, int):
                    return e.code or 0
                invocation.write_error("qi {}: {}\n".format(name, e.code))
                return 1
            except KeyboardInterrupt:
                invocation.write_error("qi {}: interrupted\n".format(name))
                return 130
            except BaseException as e:
                invocation.write_error("qi {}: {}\n".format(name, format_exception(e)))
                return 1

        return Qi.CliVerb.new(name, summary, call, None)


CliVerb = override(CliVerb)
__all__.append("CliVerb")


class Addon(Qi.Addon):
    def add_route(self, method, pattern, handler):
        """Adds a REST route answered by ``handler(request)``."""

        def call(request, _data=None):
            try:
                result = handler(request)
                if result is None or request.get_answered():
                    return
                status, body = result if isinstance(result, tuple) else (200, result)
                request.reply_json(status, to_node(body))
            except BaseException as e:
                text = log_exception("the route {} {}".format(method, pattern), e)
                if not request.get_answered():
                    request.reply_error(500, "handler_failed", text)

        return Qi.Addon.add_route(self, method, pattern, call, None)

    def get_setting_value(self, key):
        """One of the addon's settings (``qi_addon_get_setting()``) as a
        Python value, with the layer it comes from."""
        node, origin = Qi.Addon.get_setting(self, key)
        return from_node(node), origin


Addon = override(Addon)
__all__.append("Addon")

del sys
