"""Python addons through the real server, and the ``qi`` package's split:

- ``qi`` and ``qi.hub`` import without ``gi`` (a DCC's Python has none);
  ``qi.addon`` is the gi-dependent part, tested here with Debian's
  python3-gi: JSON nodes, trimmed tracebacks, calls marshalled to the
  main loop from threads.
- ``qi --headless serve`` with tests/addons on the addon path loads the
  Python test addon ``pyhello``: its hub handlers (now, later, raising,
  blocking a thread) and REST routes answer the stdlib client.
"""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import ADDONS, QI_EXE, QiServer, T  # noqa: F401  (QI_EXE: skips without it)

PYTHON_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "python")
LOADER = os.path.join(os.environ.get("QI_LOADER_DIR", ""), "python-loader.so")
bridge = pytest.mark.skipif(not os.path.exists(LOADER) or not os.path.isdir(os.path.join(ADDONS, "pyhello")),
                            reason="the Python bridge or the test addons are not built")


def test_qi_imports_without_gi():
    code = ("import sys; import qi, qi.hub; "
            "assert 'gi' not in sys.modules, sorted(m for m in sys.modules if m.startswith('gi')); "
            "print(qi.__version__)")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(PYTHON_DIR))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == qi.__version__


def test_addon_helpers():
    gi = pytest.importorskip("gi")
    gi.require_version("GLib", "2.0")
    from gi.repository import GLib

    from qi import addon

    value = {"name": "Ada", "n": [1, 2.5, None, True], "nested": {"é": "ü"}}
    node = addon.to_node(value)
    assert addon.from_node(node) == value
    assert addon.to_node(node) is node
    assert addon.from_node(None) is None
    with pytest.raises(ValueError):
        addon.to_node({"x": float("nan")})

    def inner():
        raise KeyError("farm")

    try:
        inner()
    except KeyError as e:
        text = addon.format_exception(e)
    assert text.startswith("Traceback (most recent call last):\n")
    assert "in inner\n    raise KeyError(\"farm\")" in text
    assert text.endswith("KeyError: 'farm'")
    assert "qi/addon.py" not in text

    # From a thread, the call runs in the main loop and its result (or its
    # exception) comes back.
    assert addon.in_main_thread()
    loop = GLib.MainLoop()
    seen = {}

    def worker():
        seen["thread"] = addon.call_in_main(lambda: (addon.in_main_thread(), threading.current_thread().name))
        try:
            addon.call_in_main(lambda: 1 / 0)
        except ZeroDivisionError:
            seen["raised"] = True
        GLib.idle_add(loop.quit)

    # Started once the loop runs: the loop's thread owns the main context.
    GLib.idle_add(lambda: threading.Thread(target=worker, name="worker").start())
    GLib.timeout_add_seconds(10, loop.quit)
    loop.run()
    assert seen == {"thread": (True, "MainThread"), "raised": True}

    # With no loop running (a one-shot command), a thread drives the main
    # context itself rather than wait for a loop that never runs.
    seen.clear()
    thread = threading.Thread(target=lambda: seen.update(value=addon.call_in_main(lambda: 42, timeout=5)))
    thread.start()
    thread.join(10)
    assert seen == {"value": 42}


@pytest.fixture
def addon_server(tmp_path):
    s = QiServer(tmp_path, addon_path=ADDONS)
    yield s
    s.stop()


def get(server, path):
    request = urllib.request.Request(server.info["http"] + path,
                                     headers={"Authorization": "Bearer " + server.token})
    try:
        with urllib.request.urlopen(request, timeout=T) as response:
            return response.status, json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode())


@bridge
def test_python_addon_over_the_server(addon_server):
    with qi.hub.connect(addon_server.url, addon_server.token, name="test/python-addons", timeout=T) as c:
        assert c.request("pyhello.greet", {"name": "Ada"}, timeout=T) == {"greeting": "hello, Ada"}
        assert c.request("pyhello.later", {"n": 1}, timeout=T) == {"later": 2}
        ids = [x["id"] for x in c.request("hub.sessions", timeout=T)["sessions"]]
        assert "__hub__/addon/pyhello" in ids
        assert "__hub__/addon/pyraise-register" not in ids

        with pytest.raises(HubError) as failed:
            c.request("pyhello.raise", {}, timeout=T)
        assert failed.value.code == "handler_failed"
        assert failed.value.message.endswith("IndexError: list index out of range")
        assert 'in explode\n    return {"never": [][1]}' in failed.value.message

        # A handler blocking a Python thread: the hub answers meanwhile.
        started = time.monotonic()
        blocked = c.request_async("pyhello.block", {"seconds": 0.5}, timeout=T)
        answered = 0
        while not blocked.done() and time.monotonic() - started < 0.4:
            assert c.request("hub.ping", {"n": answered}, timeout=T) == {"n": answered}
            assert c.request("pyhello.greet", {}, timeout=T) == {"greeting": "hello, world"}
            answered += 1
        assert answered >= 5
        reply = blocked.result(T)
        assert reply["slept"] == 0.5
        assert time.monotonic() - started >= 0.5

    status, body = get(addon_server, "/api/pyhello/Grace")
    assert (status, body) == (200, {"greeting": "hello, Grace"})
    status, body = get(addon_server, "/api/pyhello-raise")
    assert status == 500
    assert body["error"]["code"] == "handler_failed"
    assert "KeyError: 'route'" in body["error"]["message"]


EMBEDDED = r'''
import sys
import gi
gi.require_version("Qi", "1.0")
gi.require_version("Json", "1.0")
from gi.repository import GLib, Json, Qi       # before Qi's folders are on sys.path: no overrides yet
assert "gi.overrides.Qi" not in sys.modules

hub = Qi.Hub.new()
manager = Qi.AddonManager.new()
manager.add_search_path(sys.argv[1])
manager.set_property("hub", hub)
manager.set_property("cli-manager", Qi.CliManager.new())
manager.set_property("router", Qi.RestRouter.new())
manager.set_property("settings", Qi.Settings.new(sys.argv[2]))
manager.discover()
manager.load(["pyhello"])
info = manager.lookup("pyhello")
assert info.get_state() == Qi.AddonState.LOADED, info.get_error()

answer = {}
def done(source, result, data=None):
    try:
        answer["reply"] = Json.to_string(source.request_finish(result), False)
    except GLib.Error as e:
        answer["reply"] = "error: " + e.message
hub.request_async("pyhello.greet", Json.from_string('{"name": "Ada"}'), 5000, None, done, None)
context = GLib.MainContext.default()
while not answer:
    context.iteration(True)
print(answer["reply"])
'''


@bridge
def test_python_addon_in_an_embedding_python(tmp_path):
    """Qi used from a Python program that imported gi.repository.Qi first:
    the bridge joins that interpreter and applies Qi's overrides."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(["/usr/bin/python3", "-c", EMBEDDED, ADDONS, str(tmp_path / "settings")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '{"greeting":"hello, Ada"}'


CONTROLS = "".join(chr(c) for c in range(1, 0x20)) + "\x7f"

CONVERSIONS = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
import gi
gi.require_version("Qi", "1.0")
from gi.repository import Qi
from qi.addon import from_node, to_node

value = {"s": sys.argv[2], sys.argv[2]: [1, 2.5, True, None]}
assert from_node(to_node(value)) == value
try:
    to_node({"a": [{"b": "x\0y"}]})
except ValueError as e:
    print(e)
'''


@bridge
def test_python_addon_values_carry_every_control_character(addon_server):
    """A Python handler's payload and reply go through the bridge's
    conversions (qi.addon.to_node and from_node) whole."""
    with qi.hub.connect(addon_server.url, addon_server.token, name="test/python-controls", timeout=T) as c:
        assert c.request("pyhello.greet", {"name": CONTROLS}, timeout=T) == {"greeting": "hello, " + CONTROLS}


@bridge
def test_python_values_holding_nul_are_refused_naming_them():
    python_dir = os.path.join(os.path.dirname(__file__), "..", "..", "python")
    done = subprocess.run(["/usr/bin/python3", "-c", CONVERSIONS, python_dir, "a" + CONTROLS],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("the string at '/a/0/b' holds U+0000 (\\u0000), which Qi cannot carry; "
                                   "remove it")
