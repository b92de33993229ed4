"""qi.hub against the real server, ``qi --headless serve``.

The executable is ``$QI_EXE`` (``meson test`` sets it); without it the
module is skipped. Each test starts its own server on a free port with
fresh XDG directories under ``tmp_path``, waits (10 s at most) for the info
file, and stops the server at the end. Every call has a timeout, so that a
broken server fails the tests rather than hanging them.
"""
import json
import os
import signal
import stat
import subprocess
import time

import pytest

import qi.hub
from qi.hub import HandshakeError, HubError

QI_EXE = os.environ.get("QI_EXE")
if not QI_EXE:
    pytest.skip("QI_EXE is not set (meson test sets it to the built qi)", allow_module_level=True)

T = 5  # seconds: the timeout of every request and connection


def wait_until(predicate, timeout=5.0, interval=0.02):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= end:
            return False
        time.sleep(interval)
    return True


class QiServer:
    def __init__(self, tmp_path, addon_path=None, extra_env=None):
        self.dirs = {}
        for var in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                    "XDG_STATE_HOME"):
            d = tmp_path / var.lower()
            d.mkdir(mode=0o700, exist_ok=True)
            self.dirs[var] = str(d)
        # Not the caller's Qi configuration, but the bridge of this build.
        keep = ("QI_LOADER_DIR", "QI_PYTHON_PATH", "QI_ADDON_DIR")
        env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k in keep}
        env.update(self.dirs)
        if addon_path is not None:
            env["QI_ADDON_PATH"] = addon_path
        env.update(extra_env or {})
        self.info_path = tmp_path / "server.json"
        self.log_path = tmp_path / "qi-serve.log"
        self.argv = [QI_EXE, "--headless", "serve", "--port", "0", "--info-file", str(self.info_path)]
        with open(str(self.log_path), "wb") as log:
            self.proc = subprocess.Popen(self.argv, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        self.info = self._wait_for_info(10.0)
        self.url = self.info["url"]
        self.token = self.info["token"]

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _wait_for_info(self, timeout):
        end = time.monotonic() + timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                pytest.fail("{} exited with {} before writing {}; its output:\n{}".format(
                    " ".join(self.argv), rc, self.info_path, self.log()))
            try:
                info = json.loads(self.info_path.read_text())
                if isinstance(info, dict) and info.get("url") and info.get("token"):
                    return info
            except (OSError, ValueError):
                pass  # not there yet, or half written
            if time.monotonic() >= end:
                self.stop()
                pytest.fail("no info file {} after {} s; the server's output:\n{}".format(
                    self.info_path, timeout, self.log()))
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def server(tmp_path):
    s = QiServer(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def connect(server):
    made = []

    def make(name=None, token=server.token, **options):
        c = qi.hub.connect(server.url, token, name=name, timeout=T, **options)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close(timeout=1)


def test_info_file(server):
    mode = stat.S_IMODE(os.stat(str(server.info_path)).st_mode)
    assert mode == 0o600, oct(mode)
    info = server.info
    assert info["pid"] == server.proc.pid
    assert info["url"].startswith("ws://127.0.0.1:") and info["url"].endswith("/ws")
    port = int(info["url"][len("ws://127.0.0.1:"):-len("/ws")])
    assert 0 < port < 65536
    assert info["http"] == "http://127.0.0.1:{}".format(port)
    assert isinstance(info["token"], str) and info["token"]


def test_hello_gives_a_session(connect):
    c = connect(name="test/python")
    assert c.session == "test/python"
    again = connect(name="test/python")
    assert again.session == "test/python#2"


def test_connect_from_info(server):
    with qi.hub.connect_from_info(str(server.info_path), name="from-info", timeout=T) as c:
        assert c.session == "from-info"
        assert c.ping({"a": 1}, timeout=T) == {"a": 1}


def test_ping_round_trip(connect):
    c = connect(name="test/ping")
    payload = {"text": "é ✓ 😀", "list": [1, 2.5, None, True, "x"], "nested": {"a": {"b": {}}}}
    assert c.request("hub.ping", payload, timeout=T) == payload
    futures = [c.request_async("hub.ping", {"n": i}, timeout=T) for i in range(200)]
    assert [f.result(T)["n"] for f in futures] == list(range(200))


def test_sessions_lists_the_client(connect):
    a = connect(name="test/sessions")
    child = connect(name="test/child", parent=a.session)
    sessions = a.sessions(timeout=T)
    ids = [s["id"] for s in sessions]
    assert a.session in ids and child.session in ids
    assert ids.index(a.session) < ids.index(child.session)
    assert [s for s in sessions if s["id"] == child.session][0]["parent"] == a.session


def test_register_and_request_between_two_clients(connect):
    seen = []

    def handler(payload, message):
        seen.append(message["session"])
        return {"id": 1, "name": payload["name"]}

    # db_service.project.* is answered by the server's own db service
    # (__hub__/db), so the client registers a topic of its own.
    db = connect(name="test/db")
    db.register("test_service.project.get", handler)
    ui = connect(name="test/ui")
    assert ui.request("test_service.project.get", {"name": "demo"}, timeout=T) == {"id": 1, "name": "demo"}
    assert seen == ["test/ui"]
    with pytest.raises(HubError) as info:
        ui.register("test_service.project.get", handler)
    assert info.value.code == "handler_exists"

    def fails(payload, message):
        raise ValueError("boom")

    db.register("db_service.explode", fails)
    with pytest.raises(HubError) as info:
        ui.request("db_service.explode", timeout=T)
    assert info.value.code == "handler_failed" and info.value.message == "ValueError: boom"


def test_no_handler(connect):
    c = connect(name="test/asker")
    with pytest.raises(HubError) as info:
        c.request("nobody.handles.this", timeout=T)
    assert info.value.code == "no_handler"


def test_subscribe_and_emit_between_two_clients(connect):
    import threading
    got = []
    done = threading.Event()
    listener = connect(name="test/listener")

    def callback(topic, payload, message):
        got.append((topic, payload, message["session"]))
        if topic == "db_service.version.saved":
            done.set()

    listener.subscribe("db_service.**", callback)
    publisher = connect(name="test/publisher")
    publisher.emit("db_service.saved", {"n": 1})
    publisher.emit("other.topic", {"n": 2})
    publisher.emit("db_service.version.saved", {"n": 3})
    assert done.wait(T)
    assert got == [("db_service.saved", {"n": 1}, "test/publisher"),
                   ("db_service.version.saved", {"n": 3}, "test/publisher")]


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_no_or_bad_token_is_401(server, token):
    with pytest.raises(HandshakeError) as info:
        qi.hub.connect(server.url, token, name="test/intruder", timeout=T)
    assert info.value.status == 401
    assert info.value.code == "unauthorized"
    assert "401" in str(info.value)


def test_token_in_query(server):
    with qi.hub.connect(server.url, server.token, name="test/query", timeout=T, token_in_query=True) as c:
        assert c.ping(timeout=T) == {}


def test_foreign_origin_is_403(server):
    with pytest.raises(HandshakeError) as info:
        qi.hub.connect(server.url, server.token, timeout=T, origin="http://evil.example")
    assert info.value.status == 403
    assert info.value.code == "forbidden"


def test_garbage_text_frame_answers_bad_message(server):
    ws = qi.hub.WebSocket.connect(server.url, server.token, timeout=T)
    try:
        ws.send_text("garbage }{ that is not JSON")
        end = time.monotonic() + T
        while True:  # skip anything else the hub may send first
            data = ws.recv(timeout=max(0.01, end - time.monotonic()))
            assert data is not None, "the server closed ({}) instead of answering".format(ws.close_code)
            message = json.loads(data)
            if message.get("kind") == "error":
                break
        assert message["payload"]["code"] == "bad_message"
        assert message["v"] == 1 and message["id"]
        # the same connection still works
        ws.send_text(json.dumps({"v": 1, "id": "after-garbage", "kind": "request",
                                 "topic": "hub.ping", "payload": {"still": "here"}}))
        while True:
            message = json.loads(ws.recv(timeout=max(0.01, end - time.monotonic())))
            if message.get("re") == "after-garbage":
                break
        assert message["kind"] == "reply" and message["payload"] == {"still": "here"}
    finally:
        ws.close(timeout=2)


def test_sigterm_exits_0_and_removes_the_info_file(server):
    c = qi.hub.connect(server.url, server.token, name="test/witness", timeout=T)
    try:
        assert c.ping(timeout=T) == {}
        server.proc.send_signal(signal.SIGTERM)
        try:
            rc = server.proc.wait(10)
        except subprocess.TimeoutExpired:
            pytest.fail("the server did not exit within 10 s of SIGTERM")
        assert rc == 0, server.log()
        assert not server.info_path.exists()
        assert wait_until(lambda: not c.connected, T)
    finally:
        c.close(timeout=1)


# The native addons meson builds for the tests (tests/addons), beside
# G_TEST_BUILDDIR, which meson sets to the build's tests folder.
ADDONS = os.path.join(os.environ.get("G_TEST_BUILDDIR", ""), "addons")


@pytest.mark.skipif(not os.path.isdir(os.path.join(ADDONS, "hello")),
                    reason="the test addons are not built (run through meson test)")
def test_addon_answers_on_the_hub_and_over_rest(tmp_path):
    """A loaded addon's hub handler and REST route, through the real
    server; the addons that fail to load do not stop it."""
    import urllib.error
    import urllib.request

    s = QiServer(tmp_path, addon_path=ADDONS)
    try:
        with qi.hub.connect(s.url, s.token, name="test/addons", timeout=T) as c:
            assert c.request("hello.greet", {"name": "Ada"}, timeout=T) == {"greeting": "hello, Ada"}
            ids = [x["id"] for x in c.request("hub.sessions", timeout=T)["sessions"]]
            assert "__hub__/addon/hello" in ids
            assert "__hub__/addon/failing" not in ids
            with pytest.raises(HubError) as failed:
                c.request("failing.ask", {}, timeout=T)
            assert failed.value.code == "no_handler"

        request = urllib.request.Request(s.info["http"] + "/api/hello/Grace",
                                         headers={"Authorization": "Bearer " + s.token})
        with urllib.request.urlopen(request, timeout=T) as response:
            assert response.status == 200
            assert json.loads(response.read().decode()) == {"greeting": "hello, Grace"}

        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(urllib.request.Request(
                s.info["http"] + "/api/failing", headers={"Authorization": "Bearer " + s.token}), timeout=T)
        assert missing.value.code == 404
    finally:
        s.stop()
