"""qi.hub against independent peers.

``FakeHub`` is a minimal but faithful hub (docs/protocol.md) written with
Debian's ``websockets`` (10.4, asyncio, in a background thread):
``hub.hello``, ``hub.ping``, ``hub.register``/``unregister`` and routing of
requests to their handler and of answers back, ``hub.subscribe``/
``unsubscribe`` and the fan-out of events, ``hub.sessions``, deadlines,
``no_handler``, ``forbidden``, ``session_closed``, the Authorization check
(401) and the Origin check (403). Topics under ``fake.`` make it do what a
test needs: fragment a reply, ping, drop or close the connection, send a
message of an exact size, never answer.

``RawServer`` answers the upgrade by hand and then writes bytes that
websockets would never send: broken frames, text that is not UTF-8, a
fragmented message split inside a character.

Every wait has a timeout: a broken client fails a test, never hangs it.
"""
import asyncio
import base64
import concurrent.futures
import hashlib
import http
import itertools
import json
import math
import os
import socket
import struct
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import websockets

import qi
import qi.hub
from qi.hub import HandshakeError, HubError, ProtocolError

TOKEN = "s3cret-token"
MiB = 1024 * 1024


def wait_until(predicate, timeout=5.0, interval=0.01):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= end:
            return False
        time.sleep(interval)
    return True


# --------------------------------------------------------------------------
# The fake hub


class Peer:
    def __init__(self, ws):
        self.ws = ws
        self.id = None
        self.parent = None


class FakeHub:
    def __init__(self, token=TOKEN, port=0, error_style="nested"):
        self.token = token
        self.error_style = error_style
        self.allowed_origins = set()
        self.peers = []  # open sessions, in the order they opened
        self.handlers = {}  # topic -> Peer
        self.subs = []  # [Peer, pattern] in the order they subscribed
        self.pending = {}  # hub id -> (requester, requester's id, topic, handler, timer)
        self.counter = itertools.count(1)
        self.received = []  # every envelope read, as parsed
        self.upgrades = []  # (path, headers) of every upgrade asked
        self.closes = []  # (session id, close code, close reason) of every connection that ended
        self.hellos = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-hub", daemon=True)
        self.thread.start()
        self.server = self.call(self._start(port))
        self.port = self.server.sockets[0].getsockname()[1]
        self.url = "ws://127.0.0.1:{}/ws".format(self.port)

    def call(self, coro, timeout=10.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self, port):
        return await websockets.serve(self._connection, "127.0.0.1", port,
                                      process_request=self._check_upgrade,
                                      max_size=None, ping_interval=None, close_timeout=2)

    def stop(self):
        async def stop():
            self.server.close()
            await self.server.wait_closed()
        try:
            self.call(stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)

    # -- the upgrade -----------------------------------------------------

    def _refusal(self, status, code, message):
        if self.error_style == "nested":
            body = {"error": {"code": code, "message": message}}
        else:
            body = {"code": code, "message": message}
        # websockets 10.4 wants an HTTPStatus, not an int
        return (http.HTTPStatus(status), [("Content-Type", "application/json")], json.dumps(body).encode())

    async def _check_upgrade(self, path, headers):
        self.upgrades.append((path, headers))
        origin = headers.get("Origin")
        if origin is not None and origin not in self.allowed_origins:
            return self._refusal(403, "forbidden", "the origin {} may not connect".format(origin))
        query = parse_qs(urlsplit(path).query)
        if headers.get("Authorization") != "Bearer " + self.token and \
                query.get("token") != [self.token]:
            return self._refusal(401, "unauthorized", "a missing or bad token")
        if urlsplit(path).path != "/ws":
            return (http.HTTPStatus.NOT_FOUND, [], b"not found")
        return None

    # -- sessions --------------------------------------------------------

    async def _connection(self, ws):
        peer = Peer(ws)
        try:
            async for data in ws:
                await self._on_message(peer, data)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closes.append((peer.id, ws.close_code, ws.close_reason))
            await self._close_session(peer)

    def _open_session(self, peer, name, parent):
        taken = {p.id for p in self.peers}
        sid, n = name, 1
        while sid in taken:
            n += 1
            sid = "{}#{}".format(name, n)
        peer.id = sid
        peer.parent = parent
        self.peers.append(peer)
        return sid

    async def _close_session(self, peer):
        if peer not in self.peers:
            return
        self.peers.remove(peer)
        self.handlers = {t: p for t, p in self.handlers.items() if p is not peer}
        self.subs = [s for s in self.subs if s[0] is not peer]
        for hub_id, (requester, rid, topic, handler, timer) in list(self.pending.items()):
            if handler is peer or requester is peer:
                del self.pending[hub_id]
                timer.cancel()
                if handler is peer:
                    await self._error(requester, topic, rid, "session_closed",
                                      "{} went away".format(peer.id))
        await self._event_from_hub("session.closed", {"id": peer.id, "parent": peer.parent})

    # -- sending ---------------------------------------------------------

    async def _send(self, peer, message):
        try:
            await peer.ws.send(json.dumps(message))
        except websockets.ConnectionClosed:
            pass

    def _next_id(self):
        return "hub-{}".format(next(self.counter))

    async def _reply(self, peer, topic, rid, payload):
        await self._send(peer, {"v": 1, "id": self._next_id(), "kind": "reply", "topic": topic,
                                "re": rid, "session": "__hub__", "payload": payload})

    async def _error(self, peer, topic, rid, code, message):
        err = {"v": 1, "id": self._next_id(), "kind": "error", "session": "__hub__",
               "payload": {"code": code, "message": message}}
        if topic is not None:
            err["topic"] = topic
        if rid is not None:
            err["re"] = rid
        await self._send(peer, err)

    async def _event_from_hub(self, topic, payload):
        await self._fan_out("__hub__", topic, payload)

    async def _fan_out(self, sender, topic, payload):
        seen = []
        for peer, pattern in list(self.subs):
            if peer not in seen and qi.hub.topic_matches(pattern, topic):
                seen.append(peer)
                await self._send(peer, {"v": 1, "id": self._next_id(), "kind": "event",
                                        "topic": topic, "session": sender, "payload": payload})

    # -- routing ---------------------------------------------------------

    async def _on_message(self, peer, data):
        if isinstance(data, bytes):
            await self._error(peer, None, None, "bad_message", "a binary frame is not a message")
            return
        try:
            msg = json.loads(data)
        except ValueError:
            await self._error(peer, None, None, "bad_message", "not JSON")
            return
        rid = msg.get("id") if isinstance(msg, dict) else None
        if not isinstance(msg, dict) or msg.get("v") != 1 or not isinstance(rid, str) or not rid:
            await self._error(peer, None, rid if isinstance(rid, str) else None, "bad_message",
                              "not an envelope")
            return
        self.received.append(msg)
        kind, topic = msg.get("kind"), msg.get("topic")
        payload = msg.get("payload", {})
        if kind not in ("request", "reply", "event", "error"):
            await self._error(peer, topic, rid, "unknown_kind", "no such kind")
            return
        if kind in ("request", "event") and not qi.hub.is_topic(topic):
            await self._error(peer, None, rid, "bad_message", "a bad topic")
            return
        if peer.id is None:  # the first message opens the session
            if kind == "request" and topic == "hub.hello":
                self.hellos.append(payload)
                sid = self._open_session(peer, payload["name"], payload.get("parent"))
                await self._event_from_hub("session.opened", {"id": sid, "parent": peer.parent})
                await self._reply(peer, topic, rid, {"session": sid})
                return
            self._open_session(peer, "anonymous", None)
        if kind == "request":
            await self._on_request(peer, msg, topic, rid, payload)
        elif kind == "event":
            if topic.startswith(("hub.", "session.")) or topic in ("hub", "session"):
                await self._error(peer, topic, rid, "forbidden", "events on {} come from the hub".format(topic))
            else:
                await self._fan_out(peer.id, topic, payload)
        else:
            entry = self.pending.get(msg.get("re"))
            if entry is None or entry[3] is not peer:
                return  # late or unknown: dropped
            del self.pending[msg["re"]]
            requester, req_id, req_topic, _, timer = entry
            timer.cancel()
            await self._send(requester, {"v": 1, "id": rid, "kind": kind, "topic": req_topic,
                                         "re": req_id, "session": peer.id, "payload": payload})

    async def _on_request(self, peer, msg, topic, rid, payload):
        if topic.startswith("fake."):
            await self._fake(peer, msg, topic, rid, payload)
            return
        if topic.startswith("hub."):
            if topic == "hub.ping":
                await self._reply(peer, topic, rid, payload)
            elif topic == "hub.register":
                t = payload.get("topic")
                if t in self.handlers or not qi.hub.is_topic(t) or t.startswith("hub."):
                    await self._error(peer, topic, rid, "handler_exists", "{} has a handler".format(t))
                else:
                    self.handlers[t] = peer
                    await self._reply(peer, topic, rid, {})
            elif topic == "hub.unregister":
                t = payload.get("topic")
                removed = self.handlers.get(t) is peer
                if removed:
                    del self.handlers[t]
                await self._reply(peer, topic, rid, {"removed": removed})
            elif topic == "hub.subscribe":
                p = payload.get("pattern")
                if not qi.hub.is_pattern(p):
                    await self._error(peer, topic, rid, "bad_message", "a bad pattern")
                else:
                    self.subs.append([peer, p])
                    await self._reply(peer, topic, rid, {"subscription": len(self.subs)})
            elif topic == "hub.unsubscribe":
                p = payload.get("pattern")
                before = len(self.subs)
                self.subs = [s for s in self.subs if not (s[0] is peer and s[1] == p)]
                await self._reply(peer, topic, rid, {"removed": before - len(self.subs)})
            elif topic == "hub.sessions":
                await self._reply(peer, topic, rid, {"sessions": [
                    {"id": p.id, "parent": p.parent} for p in self.peers]})
            elif topic == "hub.hello":
                await self._error(peer, topic, rid, "bad_message", "hub.hello comes first")
            else:
                await self._error(peer, topic, rid, "no_handler", "no session handles “{}”".format(topic))
            return
        handler = self.handlers.get(topic)
        if handler is None:
            await self._error(peer, topic, rid, "no_handler", "no session handles “{}”".format(topic))
            return
        timeout_ms = msg.get("timeout_ms") or 30000
        hub_id = self._next_id()

        def expire():
            if self.pending.pop(hub_id, None) is not None:
                asyncio.ensure_future(self._error(peer, topic, rid, "timeout",
                                                  "no answer within {} ms".format(timeout_ms)))

        timer = self.loop.call_later(timeout_ms / 1000.0, expire)
        self.pending[hub_id] = (peer, rid, topic, handler, timer)
        await self._send(handler, {"v": 1, "id": hub_id, "kind": "request", "topic": topic,
                                   "session": peer.id, "timeout_ms": timeout_ms, "payload": payload})

    # -- test hooks ------------------------------------------------------

    async def _fake(self, peer, msg, topic, rid, payload):
        ws = peer.ws
        if topic == "fake.fragments":
            text = json.dumps({"v": 1, "id": self._next_id(), "kind": "reply", "topic": topic,
                               "re": rid, "session": "__hub__", "payload": payload["echo"]},
                              ensure_ascii=False)
            parts = payload["parts"]
            step = max(1, math.ceil(len(text) / parts))
            chunks = [text[i:i + step] for i in range(0, len(text), step)]
            if payload.get("binary"):
                chunks = [c.encode() for c in chunks]
            await ws.send(chunks)
        elif topic == "fake.ping":
            waiter = await ws.ping(b"are you there")
            try:
                await asyncio.wait_for(waiter, 3)
            except asyncio.TimeoutError:
                await self._error(peer, topic, rid, "timeout", "no pong")
            else:
                await self._reply(peer, topic, rid, {"pong": True})
        elif topic == "fake.drop":
            await self._close_session(peer)
            ws.transport.abort()
        elif topic == "fake.close":
            await ws.close(payload["code"], payload["reason"])
        elif topic == "fake.big":
            envelope = {"v": 1, "id": self._next_id(), "kind": "reply", "topic": topic, "re": rid,
                        "session": "__hub__", "payload": {"data": ""}}
            base = len(json.dumps(envelope, separators=(",", ":")))
            envelope["payload"]["data"] = "x" * (payload["size"] - base)
            text = json.dumps(envelope, separators=(",", ":"))
            assert len(text) == payload["size"]
            if payload.get("parts"):
                step = math.ceil(len(text) / payload["parts"])
                await ws.send([text[i:i + step] for i in range(0, len(text), step)])
            else:
                await ws.send(text)
        elif topic == "fake.binary":
            await ws.send(b'{"not": "for you"}')
            await self._reply(peer, topic, rid, {"after": "binary"})
        elif topic == "fake.blackhole":
            pass  # never answered, by the hub or by a deadline
        else:
            await self._error(peer, topic, rid, "no_handler", "no such hook")


@pytest.fixture
def hub():
    h = FakeHub()
    yield h
    h.stop()


@pytest.fixture
def clients():
    made = []
    yield made
    for c in made:
        c.close(timeout=1.0)


@pytest.fixture
def connect(hub, clients):
    """connect(name=None, **options) → a client of the fake hub, closed
    at the end of the test."""
    def make(name=None, url=None, token=TOKEN, **options):
        c = qi.hub.connect(url or hub.url, token, name=name, timeout=5, **options)
        clients.append(c)
        return c
    return make


# --------------------------------------------------------------------------
# Topics and patterns


@pytest.mark.parametrize("pattern,matches,misses", [
    ("db_service.*", ["db_service.saved"], ["db_service", "db_service.version.saved"]),
    ("db_service.**", ["db_service", "db_service.saved", "db_service.version.saved"], ["db_services.saved"]),
    ("*.version.*", ["db_service.version.saved"], ["db_service.version"]),
    ("**", ["a", "hub.ping", "a.b.c.d"], []),
    ("a.b", ["a.b"], ["a", "a.b.c", "a.bb"]),
    ("*.**", ["a", "a.b", "a.b.c"], []),
])
def test_pattern_table(pattern, matches, misses):
    assert qi.hub.is_pattern(pattern)
    for topic in matches:
        assert qi.hub.topic_matches(pattern, topic), topic
    for topic in misses:
        assert not qi.hub.topic_matches(pattern, topic), topic


def test_topic_and_pattern_syntax():
    for good in ["hub.ping", "db_service.version.list", "a-b.c_d.E9"]:
        assert qi.hub.is_topic(good)
    for bad in ["", ".", "a..b", "a.", ".a", "a b", "a.*", "é.t", "a" * 256, None, 3]:
        assert not qi.hub.is_topic(bad), bad
    for bad in ["", "a.**.b", "a.***", "a.*b", "a..*", "**.a"]:
        assert not qi.hub.is_pattern(bad), bad


def test_package_imports_only_the_standard_library():
    # In a fresh interpreter (this one has websockets loaded): every module
    # that importing qi and qi.hub loads is the standard library's.
    import subprocess
    import sys
    def loaded(imports):
        code = ("import sys; sys.path.insert(0, {!r}); {}; "
                "print(' '.join({{m.split('.')[0] for m in sys.modules}}))").format(
                    os.path.dirname(os.path.dirname(qi.__file__)), imports)
        return set(subprocess.run([sys.executable, "-I", "-c", code], capture_output=True,
                                  text=True, timeout=30, check=True).stdout.split())
    new = loaded("import qi, qi.hub") - loaded("pass")
    assert "qi" in new
    assert sorted(m for m in new - {"qi"} if m not in sys.stdlib_module_names) == []
    assert qi.__version__


# --------------------------------------------------------------------------
# Handshake and session


def test_handshake_headers(hub, connect):
    c = connect()
    assert c.connected and c.session is None
    path, headers = hub.upgrades[-1]
    assert path == "/ws"
    assert headers["Authorization"] == "Bearer " + TOKEN
    assert "Origin" not in headers
    assert headers["Sec-WebSocket-Version"] == "13"
    assert headers["Host"] == "127.0.0.1:{}".format(hub.port)
    assert len(base64.b64decode(headers["Sec-WebSocket-Key"])) == 16


def test_token_in_query(hub, connect):
    c = connect(name="q", token_in_query=True)
    path, headers = hub.upgrades[-1]
    assert "Authorization" not in headers
    assert parse_qs(urlsplit(path).query) == {"token": [TOKEN]}
    assert c.ping({"x": 1}) == {"x": 1}


def test_hello_names_the_session(hub, connect):
    a = connect(name="dcc/blender/4242")
    b = connect(name="dcc/blender/4242")
    child = connect(name="ui/publisher", parent=a.session)
    assert a.session == "dcc/blender/4242"
    assert b.session == "dcc/blender/4242#2"
    assert hub.hellos[-1] == {"name": "ui/publisher", "parent": "dcc/blender/4242"}
    assert hub.hellos[0] == {"name": "dcc/blender/4242"}  # no parent key when none given
    sessions = child.sessions(timeout=5)
    assert {"id": "ui/publisher", "parent": "dcc/blender/4242"} in sessions
    assert [s["id"] for s in sessions] == ["dcc/blender/4242", "dcc/blender/4242#2", "ui/publisher"]
    # hello is the connection's first message
    first = [m for m in hub.received if m["topic"] == "hub.hello"]
    assert len(first) == 3


def test_ping_round_trip(connect):
    c = connect(name="pinger")
    payload = {"text": "é ✓ 😀 \u2028", "n": [1, 2.5, -3, None, True], "nested": {"a": {"b": []}}}
    assert c.request("hub.ping", payload, timeout=5) == payload
    assert c.ping(timeout=5) == {}
    # 7-, 16- and 64-bit frame lengths both ways
    for size in (10, 200, 70000):
        assert c.ping({"s": "y" * size}, timeout=5) == {"s": "y" * size}


def test_message_ids_are_unique(hub, connect):
    a = connect(name="a")
    b = connect(name="b")
    for c in (a, b):
        for _ in range(20):
            c.ping(timeout=5)
    ids = [m["id"] for m in hub.received]
    assert len(ids) == len(set(ids))


def test_1000_pipelined_requests(connect):
    c = connect(name="pipeline")
    futures = [c.request_async("hub.ping", {"n": i}, timeout=10) for i in range(1000)]
    done, not_done = concurrent.futures.wait(futures, timeout=10)
    assert not not_done
    assert [f.result()["n"] for f in futures] == list(range(1000))


def test_pipelined_requests_to_a_handler(connect):
    server = connect(name="svc", max_workers=8)
    server.register("svc.double", lambda payload, message: {"n": payload["n"] * 2})
    c = connect(name="user")
    futures = [c.request_async("svc.double", {"n": i}, timeout=10) for i in range(300)]
    done, not_done = concurrent.futures.wait(futures, timeout=10)
    assert not not_done
    assert [f.result()["n"] for f in futures] == [2 * i for i in range(300)]


# --------------------------------------------------------------------------
# Timeouts and errors


def test_timeout_when_nothing_answers(hub, connect):
    c = connect(name="waiter")
    start = time.monotonic()
    with pytest.raises(HubError) as info:
        c.request("fake.blackhole", {}, timeout=0.3)
    assert info.value.code == "timeout"
    assert 0.25 < time.monotonic() - start < 2.0
    sent = [m for m in hub.received if m["topic"] == "fake.blackhole"][-1]
    assert sent["timeout_ms"] == 300
    assert c.ping(timeout=5) == {}  # the connection is fine


def test_timeout_of_a_handler_that_does_not_answer(connect):
    release = threading.Event()
    server = connect(name="slow")
    server.register("svc.never", lambda payload, message: release.wait(5) and {})
    c = connect(name="user")
    try:
        with pytest.raises(HubError) as info:
            c.request("svc.never", timeout=0.3)
        assert info.value.code == "timeout"
    finally:
        release.set()


def test_error_reply_raises_hub_error(connect):
    c = connect(name="asker")
    with pytest.raises(HubError) as info:
        c.request("nobody.handles.this", {"x": 1}, timeout=5)
    error = info.value
    assert error.code == "no_handler"
    assert "nobody.handles.this" in error.message
    assert error.data is None
    assert "no_handler" in str(error)
    future = c.request_async("nobody.handles.this", timeout=5)
    assert isinstance(future.exception(5), HubError)


def test_handler_hub_error_is_the_answer(connect):
    def handler(payload, message):
        raise HubError("not_found", "no product {}".format(payload["product"]), {"product": payload["product"]})
    server = connect(name="db")
    server.register("db.product.get", handler)
    c = connect(name="ui")
    with pytest.raises(HubError) as info:
        c.request("db.product.get", {"product": "chr_hero"}, timeout=5)
    assert (info.value.code, info.value.message, info.value.data) == \
        ("not_found", "no product chr_hero", {"product": "chr_hero"})


def test_handler_that_raises_answers_handler_failed(connect):
    def handler(payload, message):
        raise ValueError("boom")
    server = connect(name="db")
    server.register("db.explode", handler)
    server.register("db.wrong", lambda payload, message: [1, 2])
    c = connect(name="ui")
    with pytest.raises(HubError) as info:
        c.request("db.explode", timeout=5)
    assert info.value.code == "handler_failed"
    assert info.value.message == "ValueError: boom"
    assert info.value.data["exception"] == "ValueError"
    assert "Traceback" in info.value.data["traceback"]
    with pytest.raises(HubError) as info:
        c.request("db.wrong", timeout=5)
    assert info.value.code == "handler_failed"
    assert "returned list, not a dict" in info.value.message
    # the handler's client still works
    assert server.ping(timeout=5) == {}


def test_bad_arguments(connect):
    c = connect()
    with pytest.raises(ValueError):
        c.request("not a topic")
    with pytest.raises(ValueError):
        c.request_async("a..b")
    with pytest.raises(TypeError):
        c.request("hub.ping", [1, 2])
    with pytest.raises(ValueError):
        c.request("hub.ping", {"x": float("nan")})
    with pytest.raises(TypeError):
        c.request("hub.ping", {"x": object()})
    with pytest.raises(ValueError):
        c.request("hub.ping", timeout=0)
    with pytest.raises(ValueError):
        c.subscribe("a.**.b", lambda *a: None)
    with pytest.raises(ValueError):
        c.register("a.*", lambda *a: None)
    with pytest.raises(ValueError):
        c.emit("a b")
    assert c.ping(timeout=5) == {}


def test_blocking_request_on_the_reader_thread_is_refused(connect):
    c = connect(name="x")
    outcome = concurrent.futures.Future()

    def done(future):
        try:
            c.request("hub.ping", timeout=1)
        except RuntimeError as e:
            outcome.set_result(str(e))
        except BaseException as e:  # pragma: no cover
            outcome.set_exception(e)
        else:  # pragma: no cover
            outcome.set_result(None)

    c.request_async("hub.ping", timeout=5).add_done_callback(done)
    assert "reader thread" in outcome.result(5)


def test_cancelled_request_is_forgotten(connect):
    c = connect(name="x")
    future = c.request_async("fake.blackhole", timeout=5)
    assert future.cancel()
    assert c.ping(timeout=5) == {}


# --------------------------------------------------------------------------
# Handlers


def test_register_and_answer_requests_from_another_client(connect):
    seen = []

    def handler(payload, message):
        seen.append((threading.current_thread().name, message["session"], message["id"]))
        return {"id": 1, "name": payload["name"]}

    db = connect(name="__addon__/db")
    db.register("db_service.project.get", handler)
    ui = connect(name="ui/browser")
    assert ui.request("db_service.project.get", {"name": "demo"}, timeout=5) == {"id": 1, "name": "demo"}
    thread, session, hub_id = seen[0]
    assert thread.startswith("qi-hub-handler")
    assert session == "ui/browser"
    assert hub_id.startswith("hub-")


def test_handler_exists(connect):
    a = connect(name="a")
    b = connect(name="b")
    a.register("svc.one", lambda p, m: {})
    with pytest.raises(HubError) as info:
        b.register("svc.one", lambda p, m: {})
    assert info.value.code == "handler_exists"
    with pytest.raises(HubError) as info:
        a.register("svc.one", lambda p, m: {})
    assert info.value.code == "handler_exists"
    # b's failed registration left nothing behind: b can register another
    b.register("svc.two", lambda p, m: {"two": 2})
    assert a.request("svc.two", timeout=5) == {"two": 2}


def test_unregister(connect):
    a = connect(name="a")
    b = connect(name="b")
    a.register("svc.one", lambda p, m: {})
    assert a.unregister("svc.one") is True
    with pytest.raises(HubError) as info:
        b.request("svc.one", timeout=5)
    assert info.value.code == "no_handler"
    assert a.unregister("svc.one") is False
    b.register("svc.one", lambda p, m: {"now": "b"})
    assert a.request("svc.one", timeout=5) == {"now": "b"}


def test_slow_handler_does_not_stop_the_reader(connect):
    release = threading.Event()
    server = connect(name="svc")
    server.register("svc.slow", lambda p, m: {"slow": release.wait(5)})
    server.register("svc.fast", lambda p, m: {"fast": True})
    c = connect(name="user")
    slow = c.request_async("svc.slow", timeout=8)
    assert c.request("svc.fast", timeout=2) == {"fast": True}
    assert server.ping(timeout=2) == {}  # the handler's own client still reads
    assert not slow.done()
    release.set()
    assert slow.result(5) == {"slow": True}


# --------------------------------------------------------------------------
# Events


def test_events_reach_subscribers_with_wildcards(connect):
    got = {"one": [], "many": [], "mid": [], "all": []}
    threads = set()
    done = threading.Event()
    sub = connect(name="listener")

    def recorder(key):
        def callback(topic, payload, message):
            threads.add(threading.current_thread().name)
            if topic == "end":
                done.set()
            elif not topic.startswith("session."):
                got[key].append((topic, payload["n"], message["session"]))
        return callback

    sub.subscribe("db_service.*", recorder("one"))
    sub.subscribe("db_service.**", recorder("many"))
    sub.subscribe("*.version.*", recorder("mid"))
    sub.subscribe("**", recorder("all"))
    pub = connect(name="publisher")
    topics = ["db_service", "db_service.saved", "db_service.version.saved", "db_services.saved",
              "x.version.y", "db_service.version"]
    for n, topic in enumerate(topics):
        pub.emit(topic, {"n": n})
    pub.emit("end")
    assert done.wait(5)
    assert got["one"] == [("db_service.saved", 1, "publisher"), ("db_service.version", 5, "publisher")]
    assert got["many"] == [("db_service", 0, "publisher"), ("db_service.saved", 1, "publisher"),
                           ("db_service.version.saved", 2, "publisher"),
                           ("db_service.version", 5, "publisher")]
    assert got["mid"] == [("db_service.version.saved", 2, "publisher"), ("x.version.y", 4, "publisher")]
    assert [t for t, _, _ in got["all"]] == topics
    assert threads == {"qi-hub-dispatch"}


def test_one_wire_subscription_per_pattern_and_unsubscribe(hub, connect):
    sub = connect(name="listener")
    a, b, barrier = [], [], threading.Event()
    s1 = sub.subscribe("ev.*", lambda t, p, m: a.append(t))
    sub.subscribe("ev.*", lambda t, p, m: b.append(t))
    sub.subscribe("end", lambda t, p, m: barrier.set())
    assert len([m for m in hub.received if m["topic"] == "hub.subscribe"]) == 2
    pub = connect(name="publisher")
    pub.emit("ev.one")
    pub.emit("end")
    assert barrier.wait(5)
    assert a == ["ev.one"] and b == ["ev.one"]
    assert sub.unsubscribe(s1) == 1
    assert not s1.active
    # b still holds the pattern: the hub is not told yet
    assert not [m for m in hub.received if m["topic"] == "hub.unsubscribe"]
    barrier.clear()
    pub.emit("ev.two")
    pub.emit("end")
    assert barrier.wait(5)
    assert a == ["ev.one"] and b == ["ev.one", "ev.two"]
    assert sub.unsubscribe("ev.*") == 1
    assert [m["payload"] for m in hub.received if m["topic"] == "hub.unsubscribe"] == [{"pattern": "ev.*"}]
    barrier.clear()
    pub.emit("ev.three")
    pub.emit("end")
    assert barrier.wait(5)
    assert b == ["ev.one", "ev.two"]


def test_sender_receives_its_own_events_and_callback_errors_are_contained(connect):
    c = connect(name="self")
    got = threading.Event()

    def bad(topic, payload, message):
        raise RuntimeError("a broken callback")

    c.subscribe("me.**", bad)
    c.subscribe("me.**", lambda t, p, m: got.set())
    c.emit("me.too", {"x": 1})
    assert got.wait(5)
    assert c.ping(timeout=5) == {}


def test_forbidden_event_goes_to_on_error(connect):
    errors = []
    c = connect(name="x", on_error=lambda error, message: errors.append((error, message)))
    c.emit("hub.fake", {})
    assert wait_until(lambda: errors)
    error, message = errors[0]
    assert error.code == "forbidden"
    assert message["kind"] == "error"


# --------------------------------------------------------------------------
# Framing


@pytest.mark.parametrize("binary", [False, True])
def test_fragmented_message_is_reassembled(connect, binary):
    c = connect(name="frag")
    if binary:
        # a binary message is not the hub's; it is dropped and the reply
        # after it still comes
        assert c.request("fake.binary", timeout=5) == {"after": "binary"}
        return
    echo = {"text": "é✓😀" * 300, "list": list(range(500))}
    assert c.request("fake.fragments", {"parts": 7, "echo": echo}, timeout=5) == echo
    assert c.request("fake.fragments", {"parts": 1, "echo": echo}, timeout=5) == echo


def test_server_ping_gets_a_pong(connect):
    c = connect(name="ponger")
    assert c.request("fake.ping", timeout=5) == {"pong": True}


def test_message_at_the_default_limit(connect):
    c = connect(name="big")
    assert c.max_message_size == qi.hub.DEFAULT_MAX_MESSAGE_SIZE == 16 * MiB
    reply = c.request("fake.big", {"size": 16 * MiB}, timeout=9)
    assert len(reply["data"]) > 16 * MiB - 200
    # and a big one out: 8 MiB through the hub and back
    assert len(c.ping({"s": "z" * (8 * MiB)}, timeout=9)["s"]) == 8 * MiB


@pytest.mark.parametrize("parts", [0, 5])
def test_message_over_the_limit_closes_1009(hub, connect, parts):
    states = []
    c = connect(name="small", max_message_size=MiB, on_state=lambda s, e: states.append((s, e)))
    assert c.request("fake.big", {"size": MiB}, timeout=5)["data"]  # exactly the limit: fine
    with pytest.raises(ProtocolError) as info:
        c.request("fake.big", {"size": MiB + 1, "parts": parts}, timeout=5)
    assert info.value.code == "too_large"
    assert info.value.close_code == 1009
    assert wait_until(lambda: ("small", 1009) in [(s, code) for s, code, _ in hub.closes])
    assert not c.connected
    with pytest.raises(HubError) as after:
        c.ping(timeout=1)
    assert after.value.code == "not_connected"
    assert wait_until(lambda: [s for s, _ in states] == ["connected", "disconnected"])
    assert states[1][1] is info.value


def test_close_handshake(hub, connect):
    c = connect(name="closer")
    c.close(1000, "bye")
    assert wait_until(lambda: hub.closes)
    assert hub.closes == [("closer", 1000, "bye")]
    assert c.close_code == 1000  # the hub's echo
    assert c.state == "closed"
    c.close()  # twice is harmless
    with pytest.raises(HubError) as info:
        c.ping(timeout=1)
    assert info.value.code == "not_connected"


def test_close_with_an_application_code_and_context_manager(hub):
    with qi.hub.connect(hub.url, TOKEN, name="ctx", timeout=5) as c:
        assert c.ping(timeout=5) == {}
    assert wait_until(lambda: hub.closes)
    assert hub.closes == [("ctx", 1000, "")]
    c2 = qi.hub.connect(hub.url, TOKEN, name="ctx2", timeout=5)
    c2.close(4321, "r" * 200)  # a reason over 123 bytes is cut
    assert wait_until(lambda: len(hub.closes) == 2)
    assert hub.closes[1][1] == 4321 and hub.closes[1][2] == "r" * 123


def test_close_fails_waiting_requests(connect):
    c = connect(name="x")
    future = c.request_async("fake.blackhole", timeout=5)
    c.close()
    error = future.exception(5)
    assert isinstance(error, HubError) and error.code == "session_closed"


def test_server_close_fails_pending_requests(connect):
    states = []
    c = connect(name="victim", on_state=lambda s, e: states.append((s, e)))
    waiting = c.request_async("fake.blackhole", timeout=5)
    with pytest.raises(HubError) as info:
        c.request("fake.close", {"code": 4001, "reason": "go away"}, timeout=5)
    assert info.value.code == "session_closed"
    assert "4001" in info.value.message and "go away" in info.value.message
    assert waiting.exception(5).code == "session_closed"
    assert (c.close_code, c.close_reason) == (4001, "go away")
    assert not c.connected
    assert wait_until(lambda: [s for s, _ in states] == ["connected", "disconnected"])


# --------------------------------------------------------------------------
# Reconnecting


def test_reconnect_after_the_hub_drops_the_connection(hub, connect):
    states = []
    reconnected = threading.Event()

    def on_state(state, error):
        states.append(state)
        if state == "connected" and "disconnected" in states:
            reconnected.set()

    events = []
    got_event = threading.Event()
    a = connect(name="dcc/a", reconnect=True, on_state=on_state)
    a.register("svc.a", lambda p, m: {"from": "a", "n": p["n"]})
    a.subscribe("ev.*", lambda t, p, m: (events.append(t), got_event.set()))
    with pytest.raises(HubError) as info:
        a.request("fake.drop", timeout=5)
    assert info.value.code == "session_closed"
    assert reconnected.wait(5), states
    assert states[:3] == ["connected", "disconnected", "reconnecting"]
    assert a.connected and a.session == "dcc/a"
    assert [h["name"] for h in hub.hellos] == ["dcc/a", "dcc/a"]
    b = connect(name="b")
    assert b.request("svc.a", {"n": 7}, timeout=5) == {"from": "a", "n": 7}
    b.emit("ev.after")
    assert got_event.wait(5)
    assert events == ["ev.after"]
    assert a.ping(timeout=5) == {}


def test_reconnect_after_the_hub_restarts(clients):
    hub = FakeHub()
    port = hub.port
    reconnected = threading.Event()
    states = []

    def on_state(state, error):
        states.append(state)
        if state == "connected" and "disconnected" in states:
            reconnected.set()

    a = qi.hub.connect(hub.url, TOKEN, name="dcc/a", timeout=5, reconnect=True, on_state=on_state)
    clients.append(a)
    a.register("svc.a", lambda p, m: {"ok": True})
    a.subscribe("ev.**", lambda t, p, m: None)
    hub.stop()
    assert wait_until(lambda: "disconnected" in states)
    with pytest.raises(HubError) as info:
        a.ping(timeout=1)
    assert info.value.code == "not_connected"
    time.sleep(0.5)  # a few failed attempts, with backoff
    hub2 = FakeHub(port=port)
    try:
        assert reconnected.wait(7), states
        assert states.count("reconnecting") >= 2
        b = qi.hub.connect(hub2.url, TOKEN, name="b", timeout=5)
        clients.append(b)
        assert b.request("svc.a", timeout=5) == {"ok": True}
        assert [m["payload"] for m in hub2.received if m["topic"] == "hub.subscribe"] == [{"pattern": "ev.**"}]
    finally:
        a.close(timeout=1)
        hub2.stop()


def test_close_stops_reconnecting(clients):
    hub = FakeHub()
    states = []
    a = qi.hub.connect(hub.url, TOKEN, name="a", timeout=5, reconnect=True,
                       on_state=lambda s, e: states.append(s))
    hub.stop()
    assert wait_until(lambda: "reconnecting" in states)
    start = time.monotonic()
    a.close(timeout=2)
    assert time.monotonic() - start < 3
    assert wait_until(lambda: states and states[-1] == "closed")
    n = len(states)
    time.sleep(0.4)
    assert len(states) == n


# --------------------------------------------------------------------------
# Refusals and bad input


@pytest.mark.parametrize("style", ["nested", "flat"])
@pytest.mark.parametrize("token", [None, "wrong"])
def test_unauthorized_is_a_clear_error(style, token):
    hub = FakeHub(error_style=style)
    try:
        with pytest.raises(HandshakeError) as info:
            qi.hub.connect(hub.url, token, name="x", timeout=5)
        error = info.value
        assert error.status == 401
        assert error.code == "unauthorized"
        assert "401" in str(error) and "a missing or bad token" in str(error)
        assert isinstance(error, HubError)
    finally:
        hub.stop()


def test_foreign_origin_is_forbidden(hub, connect):
    with pytest.raises(HandshakeError) as info:
        connect(origin="http://evil.example")
    assert info.value.status == 403 and info.value.code == "forbidden"
    assert "403" in str(info.value) and "evil.example" in str(info.value)
    hub.allowed_origins.add("http://good.example")
    assert connect(origin="http://good.example").ping(timeout=5) == {}
    assert hub.upgrades[-1][1]["Origin"] == "http://good.example"


def test_not_found_path(hub):
    with pytest.raises(HandshakeError) as info:
        qi.hub.connect("ws://127.0.0.1:{}/nope".format(hub.port), TOKEN, timeout=5)
    assert info.value.status == 404 and info.value.code == "handshake_failed"
    assert "not found" in str(info.value)


def test_nothing_listening():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(HubError) as info:
        qi.hub.connect("ws://127.0.0.1:{}/ws".format(port), TOKEN, timeout=5)
    assert info.value.code == "connect_failed"
    assert str(port) in str(info.value)


@pytest.mark.parametrize("url", [
    "", "http://127.0.0.1:1/ws", "wss://127.0.0.1:1/ws", "ws://", "ws://:80/ws",
    "ws://127.0.0.1:port/ws", "ws://127.0.0.1:99999/ws", "ws://127.0.0.1:0/ws",
    "ws://127.0.0.1:1/ws#frag", "ws://user:pw@127.0.0.1:1/ws", "ws://127.0.0.1:1/w s",
    "ws://127.0.0.1:1/ws\r\nX-Evil: 1", "127.0.0.1:1", "ws://127.0.0.1:/ws",
])
def test_malformed_url(url):
    with pytest.raises(ValueError) as info:
        qi.hub.connect(url, TOKEN, timeout=1)
    assert "bad hub URL" in str(info.value)


def test_header_injection_through_the_token_is_refused():
    with pytest.raises(ValueError):
        qi.hub.connect("ws://127.0.0.1:1/ws", "tok\r\nX-Evil: 1", timeout=1)


def test_client_is_not_connected_before_connect():
    c = qi.hub.Client()
    with pytest.raises(HubError) as info:
        c.request("hub.ping", timeout=1)
    assert info.value.code == "not_connected"
    with pytest.raises(HubError):
        c.emit("a.b")
    c.close()
    assert qi.hub.HubClient is qi.hub.Client


# --------------------------------------------------------------------------
# The server's info file


def test_connect_from_info(hub, clients, tmp_path, monkeypatch):
    info = {"url": hub.url, "http": "http://127.0.0.1:{}".format(hub.port), "pid": os.getpid(), "token": TOKEN}
    path = tmp_path / "server.json"
    path.write_text(json.dumps(info))
    c = qi.hub.connect_from_info(str(path), name="from-info", timeout=5)
    clients.append(c)
    assert c.session == "from-info" and c.ping(timeout=5) == {}
    # the default place
    runtime = tmp_path / "runtime"
    (runtime / "qi").mkdir(parents=True)
    (runtime / "qi" / "server.json").write_text(json.dumps(info))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert qi.hub.default_info_path() == str(runtime / "qi" / "server.json")
    assert qi.hub.read_server_info() == info
    c2 = qi.hub.connect_from_info(timeout=5)
    clients.append(c2)
    assert c2.ping(timeout=5) == {}


def test_connect_from_info_errors(tmp_path):
    with pytest.raises(HubError) as info:
        qi.hub.connect_from_info(str(tmp_path / "missing.json"))
    assert info.value.code == "no_server" and "missing.json" in str(info.value)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(HubError) as info:
        qi.hub.connect_from_info(str(bad))
    assert info.value.code == "bad_server_info"
    bad.write_text('{"token": "x"}')
    with pytest.raises(HubError) as info:
        qi.hub.read_server_info(str(bad))
    assert info.value.code == "bad_server_info" and "url" in str(info.value)
    bad.write_text('{"url": "http://nope", "token": "x"}')
    with pytest.raises(ValueError):
        qi.hub.connect_from_info(str(bad))


def test_stale_info_file_is_named(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    path = tmp_path / "server.json"
    path.write_text(json.dumps({"url": "ws://127.0.0.1:{}/ws".format(port), "pid": dead, "token": "t"}))
    with pytest.raises(HubError) as info:
        qi.hub.connect_from_info(str(path), timeout=2)
    assert info.value.code == "connect_failed"
    assert "stale" in str(info.value) and str(dead) in str(info.value)


# --------------------------------------------------------------------------
# A raw server, for what websockets never sends


def server_frame(opcode, payload=b"", fin=True, rsv=0, mask=None, length=None):
    n = len(payload) if length is None else length
    head = bytearray([(0x80 if fin else 0) | rsv | opcode])
    masked = 0x80 if mask else 0
    if n < 126:
        head.append(masked | n)
    elif n < 65536:
        head.append(masked | 126)
        head += struct.pack(">H", n)
    else:
        head.append(masked | 127)
        head += struct.pack(">Q", n)
    if mask:
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes(head) + payload


class RawServer:
    """Accepts one connection, answers its upgrade (``response`` overrides
    the 101), then runs ``script(server)`` on its own thread."""

    def __init__(self, script, response=None):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(5)
        self.port = self.listener.getsockname()[1]
        self.url = "ws://127.0.0.1:{}/ws".format(self.port)
        self.script = script
        self.response = response
        self.frames = []  # (opcode, payload) read from the client
        self.error = None
        self.buf = b""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.sock, _ = self.listener.accept()
            self.sock.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                head += self.sock.recv(4096)
            key = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n")
                   if l.lower().startswith(b"sec-websocket-key:")][0]
            accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
            if self.response is not None:
                self.sock.sendall(self.response(accept))
            else:
                self.sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                  b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            self.script(self)
        except Exception as e:  # reported by the test through .error
            self.error = e
        finally:
            try:
                self.sock.close()
            except Exception:
                pass
            self.listener.close()

    def send(self, data):
        self.sock.sendall(data)

    def read_frame(self):
        def need(n):
            while len(self.buf) < n:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("the client closed")
                self.buf += chunk
        need(2)
        b0, b1 = self.buf[0], self.buf[1]
        assert b1 & 0x80, "a client frame must be masked"
        n, pos = b1 & 0x7F, 2
        if n == 126:
            need(4)
            n, pos = struct.unpack(">H", self.buf[2:4])[0], 4
        elif n == 127:
            need(10)
            n, pos = struct.unpack(">Q", self.buf[2:10])[0], 10
        need(pos + 4 + n)
        key = self.buf[pos:pos + 4]
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(self.buf[pos + 4:pos + 4 + n]))
        self.buf = self.buf[pos + 4 + n:]
        frame = (b0 & 0x0F, payload)
        self.frames.append(frame)
        return frame

    def read_message(self):
        opcode, payload = self.read_frame()
        assert opcode == 1, opcode
        return json.loads(payload.decode())

    def read_close(self):
        """Reads until the client's close frame; returns (code, reason)."""
        while True:
            opcode, payload = self.read_frame()
            if opcode == 8:
                if not payload:
                    return None, ""
                return struct.unpack(">H", payload[:2])[0], payload[2:].decode()

    def join(self):
        self.thread.join(8)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


def reply_text(request, payload):
    return json.dumps({"v": 1, "id": "r1", "kind": "reply", "topic": request["topic"],
                       "re": request["id"], "session": "__hub__", "payload": payload},
                      ensure_ascii=False).encode()


BAD_FRAMES = {
    "reserved bit": server_frame(1, b"{}", rsv=0x40),
    "unknown opcode": server_frame(3, b"{}"),
    "masked server frame": server_frame(1, b"{}", mask=b"abcd"),
    "fragmented control frame": server_frame(9, b"x", fin=False),
    "long control frame": server_frame(9, b"x" * 126),
    "continuation without a start": server_frame(0, b"{}"),
    "new message inside a fragmented one": server_frame(1, b"{", fin=False) + server_frame(1, b"}"),
    "64-bit length with the top bit": bytes([0x81, 127]) + struct.pack(">Q", 1 << 63),
    "one-byte close": server_frame(8, b"\x03"),
    "invalid close code": server_frame(8, struct.pack(">H", 1005)),
}


@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
def test_bad_frame_closes_1002_and_raises(name):
    def script(server):
        server.read_message()
        server.send(BAD_FRAMES[name])
        server.closed_with = server.read_close()

    server = RawServer(script)
    c = qi.hub.connect(server.url, TOKEN, timeout=5)
    try:
        with pytest.raises(ProtocolError) as info:
            c.request("x.y", timeout=5)
        assert info.value.code == "protocol_error"
        assert info.value.close_code == 1002
        server.join()
        assert server.closed_with[0] == 1002
        assert not c.connected
    finally:
        c.close(timeout=1)


@pytest.mark.parametrize("payload,close_code,code", [
    (b'{"bad": "\xff\xfe"}', 1007, "bad_message"),
    ("{\"bad\": \"\ud800\"}".encode("utf-8", "surrogatepass"), 1007, "bad_message"),
    (b"this is not JSON", 1008, "bad_message"),
    (b"[1, 2, 3]", 1008, "bad_message"),
])
def test_text_that_is_not_a_json_object(payload, close_code, code):
    def script(server):
        server.read_message()
        server.send(server_frame(1, payload))
        server.closed_with = server.read_close()

    server = RawServer(script)
    c = qi.hub.connect(server.url, TOKEN, timeout=5)
    try:
        with pytest.raises(ProtocolError) as info:
            c.request("x.y", timeout=5)
        assert (info.value.code, info.value.close_code) == (code, close_code)
        server.join()
        assert server.closed_with[0] == close_code
    finally:
        c.close(timeout=1)


def test_fragments_split_inside_a_character_with_a_ping_between():
    def script(server):
        request = server.read_message()
        data = reply_text(request, {"text": "é✓😀"})
        cut = data.index("✓".encode()) + 1  # inside the three bytes of ✓
        server.send(server_frame(1, data[:cut], fin=False))
        server.send(server_frame(9, b"ping in the middle"))
        server.send(server_frame(0, data[cut:cut + 3], fin=False))
        server.send(server_frame(0, b"", fin=False))
        server.send(server_frame(0, data[cut + 3:], fin=True))
        server.pong = server.read_frame()
        server.closed_with = server.read_close()
        server.send(server_frame(8, struct.pack(">H", 1000)))

    server = RawServer(script)
    c = qi.hub.connect(server.url, TOKEN, timeout=5)
    try:
        assert c.request("x.y", timeout=5) == {"text": "é✓😀"}
    finally:
        c.close(timeout=2)
    server.join()
    assert server.pong == (10, b"ping in the middle")
    assert server.closed_with == (1000, "")
    assert c.close_code == 1000


def test_close_without_a_code_is_echoed_empty():
    def script(server):
        server.read_message()
        server.send(server_frame(8, b""))
        server.echo = server.read_frame()

    server = RawServer(script)
    c = qi.hub.connect(server.url, TOKEN, timeout=5)
    try:
        with pytest.raises(HubError) as info:
            c.request("x.y", timeout=5)
        assert info.value.code == "session_closed"
        server.join()
        assert server.echo == (8, b"")
        assert c.close_code == 1005
    finally:
        c.close(timeout=1)


def test_frame_header_over_the_limit_is_refused_before_its_body():
    def script(server):
        server.read_message()
        server.send(bytes([0x81, 127]) + struct.pack(">Q", 20 * MiB))  # and no body
        server.closed_with = server.read_close()

    server = RawServer(script)
    c = qi.hub.connect(server.url, TOKEN, timeout=5)
    try:
        with pytest.raises(ProtocolError) as info:
            c.request("x.y", timeout=5)
        assert info.value.code == "too_large"
        server.join()
        assert server.closed_with[0] == 1009
    finally:
        c.close(timeout=1)


def test_wrong_accept_is_refused():
    server = RawServer(lambda s: None, response=lambda accept: (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + base64.b64encode(b"x" * 20) + b"\r\n\r\n"))
    with pytest.raises(HandshakeError) as info:
        qi.hub.connect(server.url, TOKEN, timeout=5)
    assert info.value.code == "handshake_failed" and "Sec-WebSocket-Accept" in str(info.value)
    server.join()


def test_refusal_with_a_chunked_hub_error_body():
    body = json.dumps({"v": 1, "id": "h1", "kind": "error",
                       "payload": {"code": "unauthorized", "message": "the token expired"}}).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    server = RawServer(lambda s: None, response=lambda accept: (
        b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunked))
    with pytest.raises(HandshakeError) as info:
        qi.hub.connect(server.url, TOKEN, timeout=5)
    assert info.value.status == 401 and info.value.code == "unauthorized"
    assert "HTTP 401 Unauthorized: the token expired" in str(info.value)
    server.join()


def test_silent_server_times_out():
    release = threading.Event()
    server = RawServer(lambda s: release.wait(5), response=lambda accept: b"")
    start = time.monotonic()
    with pytest.raises(HubError) as info:
        qi.hub.connect(server.url, TOKEN, timeout=0.5)
    assert info.value.code == "timeout"
    assert time.monotonic() - start < 2
    release.set()
    server.join()


def test_websocket_class_on_its_own(hub):
    ws = qi.hub.WebSocket.connect(hub.url, TOKEN, timeout=5)
    try:
        ws.send_text("not JSON at all")
        error = json.loads(ws.recv(timeout=5))
        assert error["kind"] == "error" and error["payload"]["code"] == "bad_message"
        ws.send_text(json.dumps({"v": 1, "id": "1", "kind": "request", "topic": "hub.ping",
                                 "payload": {"a": 1}}))
        reply = json.loads(ws.recv(timeout=5))
        assert (reply["kind"], reply["re"], reply["payload"]) == ("reply", "1", {"a": 1})
        with pytest.raises(HubError) as info:
            ws.recv(timeout=0.2)
        assert info.value.code == "timeout"
    finally:
        ws.close(1000, "done")
    assert ws.closed and ws.close_code == 1000
    assert wait_until(lambda: hub.closes)
    assert hub.closes[0][1:] == (1000, "done")
