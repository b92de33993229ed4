"""Helpers for Python addons, which run inside Qi through its Python bridge.

Unlike the rest of the ``qi`` package this module needs PyGObject and
libqi's typelib (``gi.repository.Qi``); a DCC's own Python never imports
it. ``from gi.repository import Qi`` applies Qi's overrides
(``gi/overrides/Qi.py``), which use these helpers so that an addon deals
in dicts and lists, and so that a Python exception becomes an error reply,
an exit status or a failed addon, with its traceback, rather than a hang
or a crash.
"""
import json
import os
import threading
import traceback

import gi

gi.require_version("Json", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import GLib, Json  # noqa: E402

__all__ = ["to_node", "from_node", "format_exception", "log_exception", "in_main_thread", "call_in_main",
           "EndpointHub"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_OVERRIDES = os.path.join(os.path.dirname(_HERE), "gi", "overrides")


def _nul_pointer(value, pointer=""):
    """The JSON Pointer of the first string or key of ``value`` that holds
    U+0000, or None."""
    if isinstance(value, str):
        return pointer if "\0" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = pointer + "/" + str(key).replace("~", "~0").replace("/", "~1")
            if "\0" in str(key):
                return here
            found = _nul_pointer(item, here)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _nul_pointer(item, "%s/%d" % (pointer, index))
            if found is not None:
                return found
    return None


def to_node(value):
    """A ``Json.Node`` for a Python value (dict, list, str, number, bool,
    None); a node is returned as it is. A string or key holding U+0000 is
    refused with ``ValueError`` naming it (a ``Json.Node`` cannot hold that
    character: json-glib would cut the string there)."""
    if isinstance(value, Json.Node):
        return value
    from gi.repository import Qi

    text = json.dumps(value, allow_nan=False)
    if "\\u0000" in text:
        pointer = _nul_pointer(value)
        if pointer is not None:
            raise ValueError("the string at %r holds U+0000 (\\u0000), which Qi cannot carry; remove it"
                             % (pointer or "/"))
    return Qi.json_from_data(text, -1)


def from_node(node):
    """The Python value of a ``Json.Node`` (None for None)."""
    if node is None:
        return None
    from gi.repository import Qi

    text, _length = Qi.json_to_string(node, Qi.JsonWriteFlags.DEFAULT)
    return json.loads(text)


def _is_bridge_frame(frame):
    path = os.path.abspath(frame.filename)
    return (path.startswith(_HERE + os.sep + "addon.py") or path.startswith(_OVERRIDES)
            or frame.filename.startswith("<frozen importlib") or frame.filename.startswith("qi-python-loader/"))


def format_exception(exc):
    """The traceback of ``exc`` as Python prints it, chained causes and
    contexts included, without the frames of the bridge itself (the
    loader, the overrides, importlib), so that it starts at the addon's
    own code."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, capture_locals=False)
    seen = set()
    chain = te
    while chain is not None and id(chain) not in seen:
        seen.add(id(chain))
        kept = [f for f in chain.stack if not _is_bridge_frame(f)]
        chain.stack = traceback.StackSummary.from_list(kept)
        chain = chain.__cause__ or (None if chain.__suppress_context__ else chain.__context__)
    return "".join(te.format()).rstrip("\n")


def log_exception(where, exc):
    """Logs ``exc`` as a warning of the ``QiPython`` domain: where it
    happened, then its traceback."""
    text = "{}: {}".format(where, format_exception(exc))
    GLib.log_variant("QiPython", GLib.LogLevelFlags.LEVEL_WARNING,
                     GLib.Variant("a{sv}", {"MESSAGE": GLib.Variant("s", text)}))
    return text


_main_thread = threading.main_thread()


def in_main_thread():
    """Whether this thread may call the hub directly: it is the process's
    main thread, where Qi's main loop runs (or would)."""
    return threading.current_thread() is _main_thread or GLib.MainContext.default().is_owner()


def run_in_main_context(func, *args):
    """Calls ``func(*args)`` with the main context held by this thread if
    nobody is running it (a one-shot command's verb has no main loop), so
    that what it starts can be driven from here; returns None if the main
    loop is running elsewhere, or ``(True, value)``."""
    context = GLib.MainContext.default()
    if not context.acquire():
        return None
    try:
        return True, func(*args)
    finally:
        context.release()


def call_in_main(func, *args, timeout=30.0):
    """Runs ``func(*args)`` in the main loop and returns what it returns
    (or raises what it raises); from the main thread, calls it at once.
    ``timeout`` in seconds, None to wait as long as it takes."""
    if in_main_thread():
        return func(*args)
    direct = run_in_main_context(func, *args)
    if direct is not None:
        return direct[1]
    done = threading.Event()
    outcome = {}

    def run():
        try:
            outcome["value"] = func(*args)
        except BaseException as e:  # handed back to the calling thread
            outcome["error"] = e
        done.set()
        return GLib.SOURCE_REMOVE

    GLib.idle_add(run)
    if not done.wait(timeout):
        raise TimeoutError("the main loop did not run the call within {} s".format(timeout))
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def threaded_handler(topic, method, refused=(), failed=()):
    """A hub handler for ``endpoint.add_handler(topic, …)`` that runs
    ``method(payload)`` in a thread of its own, so that the hub answers
    others meanwhile, and replies from the main loop with what it returns.
    Its exceptions become the request's error, ``TOPIC: sentence``: those
    of the classes ``refused`` are ``bad_message`` (what was asked is
    wrong), those of ``failed`` and a hub error of a request it made are
    ``handler_failed``, and any other is ``handler_failed`` naming its
    type. A payload that is not an object is ``bad_message``."""
    from gi.repository import Qi

    def handler(request, payload):
        if not isinstance(payload, dict):
            request.fail(Qi.HubError.BAD_MESSAGE, "%s: the payload must be an object" % topic)
            return None

        def work():
            try:
                answer = method(payload)
            except refused as error:
                call_in_main(request.fail, Qi.HubError.BAD_MESSAGE, "%s: %s" % (topic, error))
            except failed as error:
                call_in_main(request.fail, Qi.HubError.HANDLER_FAILED, "%s: %s" % (topic, error))
            except Exception as error:
                message = getattr(error, "message", None)
                text = message if getattr(error, "code", None) and message else "%s: %s" % (
                    type(error).__name__, error)
                call_in_main(request.fail, Qi.HubError.HANDLER_FAILED, "%s: %s" % (topic, text))
            else:
                call_in_main(request.reply, answer)

        threading.Thread(target=work, name="qi-" + topic, daemon=True).start()
        return None

    return handler


class EndpointHub(object):
    """The hub as Python code outside an addon sees it — a publish plugin's
    ``context.data["hub"]``, an action's ``self.hub`` — over an addon's
    endpoint: ``request(topic, payload, timeout)`` with the timeout in
    seconds, failing with :class:`qi.hub.HubError` as a DCC's hub client
    does. From any thread (the endpoint marshals to the main loop)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def request(self, topic, payload=None, timeout=30.0):
        from gi.repository import Qi

        from qi.hub import HubError

        try:
            return self.endpoint.request(topic, payload or {}, int(timeout * 1000) if timeout else 0)
        except GLib.Error as error:
            code = Qi.hub_error_code_to_string(error.code) if error.domain == "qi-hub-error-quark" else "error"
            raise HubError(code, error.message) from None

    def request_many(self, requests, timeout=30.0):
        """``[(topic, payload)]`` sent at once, all in flight together; their
        replies in the same order, each a dict or the :class:`qi.hub.HubError`
        it failed with (returned, not raised). From any thread, as
        :meth:`request`; one trip to the main loop for all of them."""
        from gi.repository import Qi

        from qi.hub import HubError

        results = [None] * len(requests)
        if not requests:
            return results
        left = [len(requests)]
        done = threading.Event()

        def finished_one(index):
            def finished(endpoint, result, _data=None):
                try:
                    results[index] = from_node(Qi.HubEndpoint.request_finish(endpoint, result))
                except GLib.Error as error:
                    code = Qi.hub_error_code_to_string(error.code) if error.domain == "qi-hub-error-quark" else "error"
                    results[index] = HubError(code, error.message)
                left[0] -= 1
                if left[0] == 0:
                    done.set()
            return finished

        def send():
            for index, (topic, payload) in enumerate(requests):
                Qi.HubEndpoint.request_async(self.endpoint, topic, to_node(payload or {}),
                                             int(timeout * 1000) if timeout else 0, None, finished_one(index), None)

        def send_and_iterate():
            send()
            context = GLib.MainContext.default()
            while not done.is_set():
                context.iteration(True)

        if in_main_thread() or run_in_main_context(send_and_iterate) is not None:
            if not done.is_set():
                send_and_iterate()
        else:
            call_in_main(send)
            if not done.wait((timeout or 30.0) + 5):
                raise HubError("timeout", "no answer to %d requests from the main loop" % len(requests))
        return results
