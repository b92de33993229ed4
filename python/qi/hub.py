"""The client of Qi's hub: its message bus, spoken over WebSocket.

The wire protocol is ``docs/protocol.md``. This module is the standard
library only (Python 3.7 and later), so that it runs inside any DCC's
embedded Python: an RFC 6455 client over :mod:`socket` (:class:`WebSocket`)
and, on top of it, the hub's client (:class:`Client`, also named
:class:`HubClient`)::

    import qi.hub

    with qi.hub.connect_from_info(name="dcc/blender/4242") as hub:
        hub.register("blender.scene.save", lambda payload, message: {"saved": True})
        hub.subscribe("db_service.**", lambda topic, payload, message: print(topic, payload))
        print(hub.request("hub.ping", {"hello": "world"}, timeout=5))

Threads. A :class:`Client` runs a reader thread per connection, which reads
frames, answers pings, resolves the futures of requests and hands the
rest on; one dispatcher thread, which calls the :meth:`Client.subscribe`
callbacks, ``on_state`` and ``on_error``, one after another in the order of
arrival; a pool of worker threads, which run the :meth:`Client.register`
handlers (a slow handler stops neither the reader nor the other handlers);
and a timer thread for the deadlines of requests. No user code runs while
the client holds a lock. Callbacks added to a request's future with
``add_done_callback`` run on the reader thread: keep them short; a blocking
:meth:`Client.request` from there would wait for itself and is refused.

Errors. Everything the hub or the connection refuses is a
:class:`HubError` with a ``code``: the protocol's codes (``no_handler``,
``timeout``, ``session_closed``, ...) and these of the client's own:

- ``connect_failed``: no TCP connection to the hub's address;
- ``unauthorized`` (401), ``forbidden`` (403), ``handshake_failed``
  (anything else): the HTTP upgrade was refused; a :class:`HandshakeError`
  with ``status`` and ``body``, whose text has the status and the message
  of the body's JSON error;
- ``protocol_error``: the hub broke RFC 6455, the client closed with 1002;
- ``bad_message``: the hub sent text that is not UTF-8 (the client closed
  with 1007) or not a JSON object (closed with 1008);
- ``too_large``: the hub sent a message over ``max_message_size`` (closed
  with 1009);
- ``not_connected``: a call while the client has no connection;
- ``no_server``, ``bad_server_info``: :func:`read_server_info` found no
  usable info file.

The three that close the connection are :class:`ProtocolError`, with
``close_code``. A request waiting when the connection drops fails with
``session_closed``, or with that ProtocolError when the client dropped the
connection because of what the hub sent. Bad arguments (a malformed URL,
topic, pattern or payload) raise :class:`ValueError` or
:class:`TypeError`.
"""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import heapq
import itertools
import json
import logging
import os
import queue
import re
import secrets
import socket
import struct
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple, Union
from urllib.parse import quote, urlsplit

__all__ = [
    "Client",
    "HubClient",
    "HubError",
    "HandshakeError",
    "Reply",
    "ProtocolError",
    "Subscription",
    "WebSocket",
    "connect",
    "connect_from_info",
    "default_info_path",
    "read_server_info",
    "topic_matches",
    "is_topic",
    "is_pattern",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "PROTOCOL_VERSION",
]

log = logging.getLogger("qi.hub")

PROTOCOL_VERSION = 1
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
DEFAULT_REQUEST_TIMEOUT = 30.0

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_USER_AGENT = "qi-python/0.1.0"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
_OPCODES = (OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG)

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_NO_STATUS = 1005  # never on the wire: the close frame had no code
CLOSE_ABNORMAL = 1006  # never on the wire: the connection ended without a close frame
CLOSE_BAD_DATA = 1007
CLOSE_POLICY_VIOLATION = 1008
CLOSE_TOO_BIG = 1009

_MAX_HEAD = 64 * 1024  # of the HTTP response to the upgrade
_MAX_ERROR_BODY = 1024 * 1024
_BACKOFF_FIRST = 0.1
_BACKOFF_MAX = 5.0

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+\Z")
_MAX_TOPIC = 255

# `timeout` arguments: a number of seconds, or None for no deadline.
_DEFAULT = object()


# --------------------------------------------------------------------------
# Errors


class HubError(Exception):
    """An error of the hub or of the connection to it.

    ``code`` is a snake_case code (``docs/protocol.md`` lists the hub's;
    this module's docstring the client's own), ``message`` a sentence for
    people, ``data`` an optional dict of details for programs.
    """

    def __init__(self, code: str, message: str = "", data: Optional[dict] = None):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.data = data

    def __str__(self) -> str:
        return "{}: {}".format(self.code, self.message) if self.message else self.code

    def __repr__(self) -> str:
        return "{}({!r}, {!r}{})".format(
            type(self).__name__, self.code, self.message,
            ", {!r}".format(self.data) if self.data is not None else "")

    @classmethod
    def from_payload(cls, payload: Any) -> "HubError":
        """The error that an ``error`` message's payload describes."""
        if not isinstance(payload, dict):
            return cls("handler_failed", "an error without a payload object")
        code = payload.get("code")
        message = payload.get("message")
        data = payload.get("data")
        return cls(code if isinstance(code, str) and code else "handler_failed",
                   message if isinstance(message, str) else "",
                   data if isinstance(data, dict) else None)

    def to_payload(self) -> dict:
        """The payload of an ``error`` message for this error."""
        payload = {"code": self.code, "message": self.message}
        if self.data is not None:
            payload["data"] = self.data
        return payload


class HandshakeError(HubError):
    """The hub answered the WebSocket upgrade with something other than 101.

    ``status`` and ``reason`` are the HTTP status line's, ``headers`` a dict
    with lower-case names, ``body`` the raw bytes. ``code`` is the error code
    of the JSON body if it has one, else ``unauthorized`` for 401,
    ``forbidden`` for 403, ``handshake_failed`` for anything else (also for
    a 101 that is not a valid WebSocket upgrade, with ``status`` 101).
    """

    def __init__(self, code: str, message: str, status: int, reason: str = "",
                 headers: Optional[dict] = None, body: bytes = b"", data: Optional[dict] = None):
        super().__init__(code, message, data)
        self.status = status
        self.reason = reason
        self.headers = headers or {}
        self.body = body


class ProtocolError(HubError):
    """The peer broke RFC 6455 or the hub's protocol; the client closed the
    connection with ``close_code`` (1002, 1007, 1008 or 1009)."""

    def __init__(self, code: str, message: str, close_code: int = CLOSE_PROTOCOL_ERROR):
        super().__init__(code, message, {"close_code": close_code})
        self.close_code = close_code


class Reply:
    """What a :meth:`Client.register` handler may return instead of a dict:
    the reply's ``payload`` and ``then``, a callable the client calls on the
    handler's thread once the reply is written to the hub (or failed to be),
    for work that must come after the answer, such as quitting the
    process that gives it."""

    __slots__ = ("payload", "then")

    def __init__(self, payload: Optional[dict] = None, then: Optional[Callable[[], Any]] = None):
        if payload is not None and not isinstance(payload, dict):
            raise TypeError("a reply's payload is a dict, not {}".format(type(payload).__name__))
        if then is not None and not callable(then):
            raise TypeError("then must be callable")
        self.payload = payload
        self.then = then


# --------------------------------------------------------------------------
# Topics and patterns


def is_topic(topic: Any) -> bool:
    """Whether ``topic`` is a topic: segments of ASCII letters, digits,
    ``_`` and ``-`` joined by single dots, at most 255 bytes."""
    if not isinstance(topic, str) or not topic or len(topic) > _MAX_TOPIC:
        return False
    return all(_SEGMENT.match(s) for s in topic.split("."))


def is_pattern(pattern: Any) -> bool:
    """Whether ``pattern`` is a subscription pattern: a topic in which a
    segment may be ``*`` and whose last segment may be ``**``."""
    if not isinstance(pattern, str) or not pattern or len(pattern) > _MAX_TOPIC:
        return False
    segments = pattern.split(".")
    for i, s in enumerate(segments):
        if s == "*" or (s == "**" and i == len(segments) - 1):
            continue
        if not _SEGMENT.match(s):
            return False
    return True


def topic_matches(pattern: str, topic: str) -> bool:
    """Whether the subscription ``pattern`` matches ``topic``, by the rules
    of ``docs/protocol.md``: ``*`` is exactly one segment, a last ``**``
    any number of trailing segments, none included."""
    p = pattern.split(".")
    t = topic.split(".")
    if p[-1] == "**":
        p = p[:-1]
        if len(t) < len(p):
            return False
        t = t[:len(p)]
    elif len(t) != len(p):
        return False
    return all(a == "*" or a == b for a, b in zip(p, t))


def _check_topic(topic: Any) -> None:
    if not isinstance(topic, str):
        raise TypeError("a topic is a str, not {}".format(type(topic).__name__))
    if not is_topic(topic):
        raise ValueError("{!r} is not a topic: segments of ASCII letters, digits, '_' and '-' "
                         "joined by single dots, at most 255 bytes".format(topic))


def _check_pattern(pattern: Any) -> None:
    if not isinstance(pattern, str):
        raise TypeError("a pattern is a str, not {}".format(type(pattern).__name__))
    if not is_pattern(pattern):
        raise ValueError("{!r} is not a pattern: a topic whose segments may be '*', "
                         "and whose last segment may be '**'".format(pattern))


def _check_payload(payload: Any) -> dict:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise TypeError("a payload is a dict (a JSON object), not {}".format(type(payload).__name__))
    return payload


def _dumps(message: dict) -> str:
    # allow_nan=False: NaN and Infinity are not JSON, and the hub refuses them.
    return json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


# --------------------------------------------------------------------------
# URLs and the HTTP upgrade


def _check_header_value(what: str, value: str) -> str:
    if not isinstance(value, str):
        raise TypeError("{} must be a str, not {}".format(what, type(value).__name__))
    if any(ord(c) < 0x20 or ord(c) > 0x7E for c in value):
        raise ValueError("{} must be printable ASCII (no spaces at the ends, "
                         "no control characters)".format(what))
    return value.strip()


def _parse_url(url: str) -> Tuple[str, int, str, str]:
    """(host, port, resource, Host header) of a ``ws://`` URL; ValueError
    naming what is wrong otherwise."""
    if not isinstance(url, str):
        raise TypeError("the hub URL must be a str, not {}".format(type(url).__name__))
    bad = "bad hub URL {!r}: ".format(url)
    if not url or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise ValueError(bad + "empty, or with spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() != "ws":
        if parts.scheme.lower() == "wss":
            raise ValueError(bad + "wss:// is not supported; the hub listens on "
                             "loopback, at ws://127.0.0.1:PORT/ws")
        raise ValueError(bad + "it must start with ws://, like ws://127.0.0.1:PORT/ws")
    if "#" in url:
        raise ValueError(bad + "a WebSocket URL has no #fragment")
    if "@" in parts.netloc:
        raise ValueError(bad + "user names and passwords go in the token, not the URL")
    host = parts.hostname
    if not host:
        raise ValueError(bad + "no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(bad + "the port must be a number from 1 to 65535") from None
    if port is None:
        if parts.netloc.endswith(":"):
            raise ValueError(bad + "a ':' without a port")
        port = 80
    if port == 0:
        raise ValueError(bad + "the port must be a number from 1 to 65535")
    resource = parts.path or "/"
    if parts.query:
        resource += "?" + parts.query
    host_header = parts.netloc  # as written, brackets of IPv6 included
    return host, port, resource, host_header


def _accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + _WS_GUID).encode("ascii")).digest()).decode("ascii")


def _error_of_body(body: bytes) -> Tuple[Optional[str], Optional[str]]:
    """(code, message) of an HTTP error body, from the shapes a server may
    use: ``{"code", "message"}``, ``{"error": {...}}``, ``{"error": "..."}``
    or a hub ``error`` message; (None, short text) for a text body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, None
    try:
        obj = json.loads(text)
    except ValueError:
        text = text.strip()
        if text and len(text) <= 200 and "<" not in text:
            return None, text
        return None, None
    if not isinstance(obj, dict):
        return None, None
    if obj.get("kind") == "error" and isinstance(obj.get("payload"), dict):
        obj = obj["payload"]
    elif isinstance(obj.get("error"), dict):
        obj = obj["error"]
    elif isinstance(obj.get("error"), str):
        code = obj.get("code")
        return (code if isinstance(code, str) else None), obj["error"]
    code = obj.get("code")
    message = obj.get("message")
    return (code if isinstance(code, str) else None,
            message if isinstance(message, str) else None)


class _Deadline:
    def __init__(self, timeout: Optional[float]):
        self.end = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> Optional[float]:
        if self.end is None:
            return None
        return max(0.0, self.end - time.monotonic())


def _mask(data: bytes, key: bytes) -> bytes:
    """``data`` XOR the repeated 4-byte ``key`` (RFC 6455 §5.3), at C speed
    through big integers."""
    n = len(data)
    if n == 0:
        return b""
    repeated = key * (n // 4) + key[:n % 4]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(n, "little")


def _valid_close_code(code: int) -> bool:
    return code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999


class _EndOfStream(Exception):
    pass


# --------------------------------------------------------------------------
# RFC 6455


class WebSocket:
    """One client WebSocket connection (RFC 6455) over a socket.

    It has no thread of its own: :meth:`recv` reads one message, answering
    pings and the close handshake on the way. One thread may call
    :meth:`recv` while others send: sending is serialised by a lock. Open
    one with :meth:`WebSocket.connect`.

    ``close_code`` and ``close_reason`` are the peer's close frame's once it
    came (1005: it had no code; 1006: the connection ended without one), or
    the code this side failed the connection with (:class:`ProtocolError`);
    ``closed`` is true once nothing more can be read.
    """

    def __init__(self, sock: socket.socket, *, url: str = "",
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, buffered: bytes = b""):
        self.url = url
        self.max_message_size = max_message_size
        self.close_code = None  # type: Optional[int]
        self.close_reason = ""
        self.close_sent = False
        self.closed = False
        self.error = None  # type: Optional[HubError]
        self.last_pong = None  # type: Optional[bytes]
        self._sock = sock
        self._buf = bytearray(buffered)
        self._send_lock = threading.Lock()
        self._recv_lock = threading.Lock()
        self._frag_opcode = None  # type: Optional[int]
        self._frags = []  # type: List[bytes]
        self._frag_size = 0
        self._released = False
        self._linger = False

    # -- opening ---------------------------------------------------------

    @classmethod
    def connect(cls, url: str, token: Optional[str] = None, *, timeout: Optional[float] = 10.0,
                origin: Optional[str] = None, token_in_query: bool = False,
                headers: Optional[Dict[str, str]] = None,
                max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> "WebSocket":
        """Opens a connection to ``url`` (``ws://HOST:PORT/PATH``).

        ``token`` goes in ``Authorization: Bearer``, or with
        ``token_in_query`` in the URL's query as ``token=``. No ``Origin``
        header is sent unless ``origin`` is given. Raises
        :class:`HandshakeError` if the server refuses (its HTTP status and
        the message of its JSON body in the text), ``HubError('timeout')``
        after ``timeout`` seconds, ``HubError('connect_failed')`` when
        nothing listens, ValueError for a malformed URL or header.
        """
        host, port, resource, host_header = _parse_url(url)
        if token is not None:
            token = _check_header_value("the token", token)
            if token_in_query:
                resource += ("&" if "?" in resource else "?") + "token=" + quote(token, safe="")
        extra = []
        if origin is not None:
            extra.append(("Origin", _check_header_value("the origin", origin)))
        for name, value in (headers or {}).items():
            if not re.match(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+\Z", name):
                raise ValueError("bad HTTP header name {!r}".format(name))
            extra.append((name, _check_header_value("the header " + name, value)))
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be more than 0 seconds, or None")
        deadline = _Deadline(timeout)
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except socket.timeout:
            raise HubError("timeout", "no TCP connection to {} within {} s".format(url, timeout)) from None
        except OSError as e:
            raise HubError("connect_failed", "cannot connect to {}: {}".format(
                url, e.strerror or e)) from e
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            key = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
            lines = [
                "GET {} HTTP/1.1".format(resource),
                "Host: {}".format(host_header),
                "Upgrade: websocket",
                "Connection: Upgrade",
                "Sec-WebSocket-Key: {}".format(key),
                "Sec-WebSocket-Version: 13",
                "User-Agent: {}".format(_USER_AGENT),
            ]
            if token is not None and not token_in_query:
                lines.append("Authorization: Bearer {}".format(token))
            lines.extend("{}: {}".format(n, v) for n, v in extra)
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
            status, reason, head, rest = _read_response_head(sock, deadline, url)
            if status != 101:
                body = _read_error_body(sock, head, rest, deadline)
                raise _handshake_error(url, status, reason, head, body)
            problem = None
            if head.get("upgrade", "").lower() != "websocket":
                problem = "no “Upgrade: websocket” header"
            elif "upgrade" not in [t.strip().lower() for t in head.get("connection", "").split(",")]:
                problem = "no “Connection: Upgrade” header"
            elif head.get("sec-websocket-accept", "") != _accept_for(key):
                problem = "a wrong Sec-WebSocket-Accept (not the key's SHA-1 with the RFC 6455 GUID)"
            elif head.get("sec-websocket-extensions"):
                problem = "an extension the client did not ask for: " + head["sec-websocket-extensions"]
            elif head.get("sec-websocket-protocol"):
                problem = "a subprotocol the client did not ask for: " + head["sec-websocket-protocol"]
            if problem:
                raise HandshakeError("handshake_failed", "{} answered the WebSocket upgrade with {}".format(
                    url, problem), status, reason, head, b"")
            sock.settimeout(None)
            return cls(sock, url=url, max_message_size=max_message_size, buffered=rest)
        except socket.timeout:
            sock.close()
            raise HubError("timeout", "no answer to the WebSocket upgrade from {} within {} s".format(
                url, timeout)) from None
        except OSError as e:
            sock.close()
            raise HubError("connect_failed", "the WebSocket upgrade to {} failed: {}".format(
                url, e.strerror or e)) from e
        except BaseException:
            sock.close()
            raise

    # -- sending ---------------------------------------------------------

    def send_text(self, text: str) -> None:
        """Sends one text message, in one frame."""
        self.send_frame(OP_TEXT, text.encode("utf-8"))

    def send_binary(self, data: bytes) -> None:
        """Sends one binary message, in one frame."""
        self.send_frame(OP_BINARY, bytes(data))

    def ping(self, data: bytes = b"") -> None:
        """Sends a ping; the pong's payload lands in ``last_pong``."""
        self.send_frame(OP_PING, bytes(data))

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True) -> None:
        """Sends one frame, masked as a client must (RFC 6455 §5.3).
        Raises ``HubError('session_closed')`` once a close frame was sent
        (nothing may follow it) or when the socket fails."""
        n = len(payload)
        if opcode >= 8 and (n > 125 or not fin):
            raise ValueError("a control frame is at most 125 bytes and not fragmented")
        header = bytearray([(0x80 if fin else 0) | opcode])
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", n)
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", n)
        key = os.urandom(4)
        header += key
        data = _mask(payload, key)
        with self._send_lock:
            if self.close_sent:
                raise HubError("session_closed", "the connection to {} is closing".format(self.url))
            if opcode == OP_CLOSE:
                self.close_sent = True
            try:
                if n < 65536:
                    self._sock.sendall(bytes(header) + data)
                else:
                    self._sock.sendall(header)
                    self._sock.sendall(data)
            except OSError as e:
                raise HubError("session_closed", "cannot send to {}: {}".format(
                    self.url, e.strerror or e)) from e

    def send_close(self, code: int = CLOSE_NORMAL, reason: str = "") -> bool:
        """Starts the close handshake without waiting for its answer.
        Returns False if a close frame had been sent already."""
        if not _valid_close_code(code):
            raise ValueError("{} is not a close code a client may send".format(code))
        data = reason.encode("utf-8")
        if len(data) > 123:
            data = data[:123].decode("utf-8", "ignore").encode("utf-8")
        try:
            self.send_frame(OP_CLOSE, struct.pack(">H", code) + data)
        except HubError:
            return False
        return True

    # -- receiving -------------------------------------------------------

    def recv(self, timeout: Optional[float] = None) -> Union[str, bytes, None]:
        """The next message: ``str`` for a text message, ``bytes`` for a
        binary one, None once the connection is closed (see
        ``close_code``). Pings are answered with pongs on the way, and a
        close frame with the close handshake.

        Raises :class:`ProtocolError` for a frame that breaks RFC 6455,
        text that is not UTF-8 or a message over ``max_message_size``,
        after closing the connection with 1002, 1007 or 1009; and
        ``HubError('timeout')`` after ``timeout`` seconds (a partly read
        frame stays buffered for the next call). ``timeout`` changes the
        socket's timeout: use it only where no other thread sends.
        """
        with self._recv_lock:
            if self.closed:
                return None
            deadline = _Deadline(timeout)
            try:
                while True:
                    opcode, payload = self._read_frame(deadline)
                    if opcode == OP_PING:
                        try:
                            self.send_frame(OP_PONG, payload)
                        except HubError:
                            pass  # closing: the pong is not owed any more
                    elif opcode == OP_PONG:
                        self.last_pong = payload
                    elif opcode == OP_CLOSE:
                        self._on_close_frame(payload)
                        return None
                    elif opcode is not None:
                        return self._on_data(opcode, payload)
            except _EndOfStream:
                if self.close_code is None:
                    self.close_code = CLOSE_ABNORMAL
                self.closed = True
                self.shutdown()
                return None
            except OSError as e:
                if self.close_code is None:
                    self.close_code = CLOSE_ABNORMAL
                    self.close_reason = e.strerror or str(e)
                self.closed = True
                self.shutdown()
                return None

    def _on_data(self, opcode: int, payload: bytes) -> Union[str, bytes]:
        # The final frame of a message (opcode | 0x80 from _read_frame):
        # alone, or the end of the fragments _read_frame stored.
        opcode &= 0x0F
        if opcode == OP_CONTINUATION:
            self._frags.append(payload)
            kind = self._frag_opcode
            data = b"".join(self._frags)
        else:
            kind = opcode
            data = payload
        self._frag_opcode = None
        self._frags = []
        self._frag_size = 0
        if kind == OP_BINARY:
            return data
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            self._fail(CLOSE_BAD_DATA, "bad_message",
                       "a text message that is not UTF-8 (at byte {})".format(e.start))
            raise  # not reached: _fail raises

    def _read_frame(self, deadline: _Deadline) -> Tuple[Optional[int], bytes]:
        # One whole frame, validated before any of it is consumed so that a
        # timeout can leave it buffered. Data frames come back as their
        # opcode | 0x80 if FIN; a non-final data frame as (None, b"") after
        # being stored, so that recv() keeps reading.
        self._fill(2, deadline)
        b0, b1 = self._buf[0], self._buf[1]
        fin = b0 & 0x80
        opcode = b0 & 0x0F
        n = b1 & 0x7F
        if b0 & 0x70:
            self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error",
                       "a frame with reserved bits set; no extension was negotiated")
        if opcode not in _OPCODES:
            self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error", "a frame of unknown opcode {}".format(opcode))
        if b1 & 0x80:
            self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error", "a masked frame from the server")
        if opcode >= 8:
            if not fin:
                self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error", "a fragmented control frame")
            if n > 125:
                self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error",
                           "a control frame of more than 125 bytes")
        elif opcode == OP_CONTINUATION and self._frag_opcode is None:
            self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error",
                       "a continuation frame with no message to continue")
        elif opcode != OP_CONTINUATION and self._frag_opcode is not None:
            self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error",
                       "a new message before the end of a fragmented one")
        size = 2
        if n == 126:
            self._fill(4, deadline)
            n = struct.unpack_from(">H", self._buf, 2)[0]
            size = 4
        elif n == 127:
            self._fill(10, deadline)
            n = struct.unpack_from(">Q", self._buf, 2)[0]
            size = 10
            if n >> 63:
                self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error",
                           "a 64-bit frame length with its most significant bit set")
        if opcode < 8 and self._frag_size + n > self.max_message_size:
            self._fail(CLOSE_TOO_BIG, "too_large",
                       "a message of {}{} bytes, over the limit of {} bytes".format(
                           "at least " if not fin or self._frag_size else "",
                           self._frag_size + n, self.max_message_size))
        self._fill(size + n, deadline)
        payload = bytes(self._buf[size:size + n])
        del self._buf[:size + n]
        if opcode >= 8:
            return opcode, payload
        self._frag_size += n
        if not fin:
            if opcode != OP_CONTINUATION:
                self._frag_opcode = opcode
                self._frags = [payload]
            else:
                self._frags.append(payload)
            return None, b""
        if opcode == OP_CONTINUATION:
            return 0x80 | OP_CONTINUATION, payload
        return 0x80 | opcode, payload

    def _fill(self, n: int, deadline: _Deadline) -> None:
        while len(self._buf) < n:
            remaining = deadline.remaining()
            if remaining is not None and remaining <= 0:
                raise HubError("timeout", "nothing read from {} in time".format(self.url))
            if self._sock.gettimeout() != remaining:
                self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(min(max(n - len(self._buf), 65536), 4 * 1024 * 1024))
            except socket.timeout:
                raise HubError("timeout", "nothing read from {} in time".format(self.url)) from None
            finally:
                if remaining is not None:
                    self._sock.settimeout(None)
            if not chunk:
                raise _EndOfStream()
            self._buf += chunk

    def _on_close_frame(self, payload: bytes) -> None:
        if len(payload) == 1:
            self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error", "a close frame of 1 byte")
        if payload:
            code = struct.unpack(">H", payload[:2])[0]
            if not _valid_close_code(code):
                self._fail(CLOSE_PROTOCOL_ERROR, "protocol_error",
                           "a close frame with the invalid code {}".format(code))
            try:
                reason = payload[2:].decode("utf-8")
            except UnicodeDecodeError:
                self._fail(CLOSE_BAD_DATA, "bad_message", "a close reason that is not UTF-8")
        else:
            code, reason = CLOSE_NO_STATUS, ""
        self.close_code = code
        self.close_reason = reason
        if not self.close_sent:
            # Echo the code (RFC 6455 §5.5.1); an empty close is echoed empty.
            try:
                self.send_frame(OP_CLOSE, payload[:2])
            except HubError:
                pass
        self.closed = True
        self.shutdown()

    def _fail(self, close_code: int, code: str, message: str) -> None:
        """Fails the connection (RFC 6455 §7.1.7): a close frame with
        ``close_code`` if one can still be sent, then the socket goes."""
        error = ProtocolError(code, "{} sent {}".format(self.url or "the server", message), close_code)
        self.fail(error)
        raise error

    def fail(self, error: ProtocolError) -> None:
        """Closes the connection because of ``error``, sending its
        ``close_code`` first."""
        self.error = error
        reason = error.message
        if len(reason.encode("utf-8")) > 123:
            reason = reason.encode("utf-8")[:120].decode("utf-8", "ignore") + "…"
        self.send_close(error.close_code, reason)
        if self.close_code is None:
            self.close_code = error.close_code
            self.close_reason = reason
        self.closed = True
        # Only our side: closing the socket with the peer's data unread
        # would reset the connection, and the peer might never read our
        # close code. release() drains what still comes, for a moment.
        self._linger = True
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    # -- closing ---------------------------------------------------------

    def shutdown(self) -> None:
        """Ends the TCP connection both ways, waking a thread blocked in
        :meth:`recv`; the file descriptor stays until :meth:`release`."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def release(self) -> None:
        """Closes the socket's file descriptor. Call it once no thread can
        be in :meth:`recv` any more."""
        if not self._released:
            self._released = True
            self.closed = True
            if self._linger:
                self._drain(1.0)
            # Not while another thread is in sendall() on this descriptor
            # (the shutdown wakes it): its number could be reused meanwhile.
            self.shutdown()
            with self._send_lock:
                try:
                    self._sock.close()
                except OSError:
                    pass

    def _drain(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    return
                self._sock.settimeout(left)
                if not self._sock.recv(65536):
                    return
        except OSError:
            pass

    def close(self, code: int = CLOSE_NORMAL, reason: str = "", timeout: float = 2.0) -> None:
        """The whole close handshake, for a connection nobody else reads:
        sends the close frame, reads (and drops) messages until the peer's
        close frame or ``timeout``, then closes the socket."""
        self.send_close(code, reason)
        deadline = _Deadline(timeout)
        try:
            while not self.closed:
                remaining = deadline.remaining()
                if remaining is not None and remaining <= 0:
                    break
                self.recv(timeout=remaining)
        except HubError:
            pass
        finally:
            self.shutdown()
            self.release()


def _read_response_head(sock: socket.socket, deadline: _Deadline, url: str):
    data = bytearray()
    while True:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            break
        if len(data) > _MAX_HEAD:
            raise HandshakeError("handshake_failed", "{} answered the WebSocket upgrade with "
                                 "an HTTP head of more than 64 KiB".format(url), 0)
        remaining = deadline.remaining()
        if remaining is not None and remaining <= 0:
            raise socket.timeout()
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            raise HandshakeError("handshake_failed", "{} closed the connection before answering "
                                 "the WebSocket upgrade".format(url) if not data else
                                 "{} sent half an HTTP answer to the WebSocket upgrade".format(url), 0)
        data += chunk
    head = bytes(data[:end]).decode("latin-1")
    rest = bytes(data[end + 4:])
    lines = head.split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})(?: (.*))?\Z", lines[0])
    if not m:
        raise HandshakeError("handshake_failed", "{} did not answer the WebSocket upgrade in HTTP: "
                             "{!r}".format(url, lines[0][:80]), 0)
    headers = {}  # type: Dict[str, str]
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = name.strip().lower()
        value = value.strip()
        headers[name] = headers[name] + ", " + value if name in headers else value
    return int(m.group(1)), (m.group(2) or "").strip(), headers, rest


def _read_error_body(sock: socket.socket, headers: dict, rest: bytes, deadline: _Deadline) -> bytes:
    """The body of a refusal, as far as it can be read quickly (2 s at
    most): by Content-Length, chunked, or up to the end of the connection."""
    data = bytearray(rest)
    length = headers.get("content-length", "")
    want = min(int(length), _MAX_ERROR_BODY) if length.isdigit() else _MAX_ERROR_BODY
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    end = time.monotonic() + min(deadline.remaining() or 2.0, 2.0)
    try:
        while len(data) < want and not (chunked and data.endswith(b"0\r\n\r\n")):
            left = end - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    body = bytes(data[:want])
    if chunked:
        out = bytearray()
        pos = 0
        try:
            while True:
                eol = body.index(b"\r\n", pos)
                size = int(body[pos:eol].split(b";")[0], 16)
                if size == 0:
                    break
                out += body[eol + 2:eol + 2 + size]
                pos = eol + 2 + size + 2
        except ValueError:
            pass
        body = bytes(out)
    return body


def _handshake_error(url: str, status: int, reason: str, headers: dict, body: bytes) -> HandshakeError:
    code, message = _error_of_body(body)
    if code is None:
        code = {401: "unauthorized", 403: "forbidden"}.get(status, "handshake_failed")
    text = "{} refused the WebSocket connection: HTTP {}{}".format(
        url, status, " " + reason if reason else "")
    if message:
        text += ": " + message
    elif status == 401:
        text += ": a missing or bad token"
    elif status == 403:
        text += ": this Origin or Host is not allowed"
    return HandshakeError(code, text, status, reason, headers, body)


# --------------------------------------------------------------------------
# The hub's client


class Subscription:
    """One callback subscribed to a pattern; ``cancel()`` unsubscribes it."""

    def __init__(self, client: "Client", pattern: str, callback: Callable):
        self.client = client
        self.pattern = pattern
        self.callback = callback
        self.active = True

    def matches(self, topic: str) -> bool:
        return topic_matches(self.pattern, topic)

    def cancel(self, timeout: Optional[float] = _DEFAULT) -> None:  # type: ignore[assignment]
        self.client.unsubscribe(self, timeout=timeout)

    def __repr__(self) -> str:
        return "<Subscription {!r} {}>".format(self.pattern, "active" if self.active else "cancelled")


class _Pending:
    __slots__ = ("future", "topic", "timeout")

    def __init__(self, future: concurrent.futures.Future, topic: str, timeout: Optional[float]):
        self.future = future
        self.topic = topic
        self.timeout = timeout


class _Connection:
    """One WebSocket connection of a client, its reader and the requests
    that wait for an answer on it."""

    def __init__(self, client: "Client", ws: WebSocket):
        self.client = client
        self.ws = ws
        self.pending = {}  # type: Dict[str, _Pending]
        self.lost = False
        self.error = None  # type: Optional[HubError]
        self.session = None  # type: Optional[str]
        self.reader = threading.Thread(target=client._read_loop, args=(self,),
                                       name="qi-hub-reader", daemon=True)


class _Timers(threading.Thread):
    """One thread for all deadlines: a heap of (when, seq, callback)."""

    def __init__(self):
        super().__init__(name="qi-hub-timer", daemon=True)
        self._heap = []  # type: List[Tuple[float, int, Callable[[], None]]]
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._stopped = False

    def add(self, delay: float, callback: Callable[[], None]) -> None:
        when = time.monotonic() + delay
        with self._cond:
            earliest = not self._heap or when < self._heap[0][0]
            heapq.heappush(self._heap, (when, next(self._seq), callback))
            if earliest:  # else the thread wakes up early enough already
                self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap = []
            self._cond.notify()

    def run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopped:
                        return
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        callback = heapq.heappop(self._heap)[2]
                        break
                    self._cond.wait(wait)
            try:
                callback()
            except Exception:  # pragma: no cover - the callbacks are ours
                log.exception("a deadline callback failed")


_local = threading.local()


class Client:
    """A client of the hub, over one WebSocket connection at a time.

    ``Client(...)`` then :meth:`connect`, or :func:`connect` /
    :func:`connect_from_info` in one step; a context manager that closes.

    - ``reconnect``: on a dropped connection retry with backoff (0.1 s
      doubling to 5 s), then say ``hub.hello`` again, re-register the
      handlers and re-subscribe the patterns. Requests waiting at the drop
      fail with ``session_closed``; calls made while disconnected fail with
      ``not_connected``. The first :meth:`connect` does not retry.
    - ``on_state(state, error)``: called on the dispatcher thread with
      ``"connected"``, ``"disconnected"`` (``error`` says why),
      ``"reconnecting"`` (before each attempt; ``error`` is the previous
      attempt's) and ``"closed"``.
    - ``on_error(error, message)``: an ``error`` message that answers none
      of the waiting requests (for instance ``forbidden`` for an
      :meth:`emit`), or a failed re-registration after a reconnect
      (``message`` None). Without it such errors are logged.
    - ``max_message_size``: the largest incoming message; a bigger one
      closes the connection with 1009.
    - ``max_workers``: the threads that run handlers.
    - ``request_timeout``: the default ``timeout`` of requests, in seconds.
    """

    def __init__(self, *, reconnect: bool = False,
                 on_state: Optional[Callable[[str, Optional[BaseException]], Any]] = None,
                 on_error: Optional[Callable[[HubError, Optional[dict]], Any]] = None,
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, max_workers: int = 4,
                 request_timeout: Optional[float] = DEFAULT_REQUEST_TIMEOUT):
        self.reconnect = reconnect
        self.on_state = on_state
        self.on_error = on_error
        self.max_message_size = max_message_size
        self.request_timeout = request_timeout
        self.url = None  # type: Optional[str]
        self.name = None  # type: Optional[str]
        self.parent = None  # type: Optional[str]
        self.state = "new"
        self._max_workers = max_workers
        self._id_prefix = secrets.token_hex(6)
        self._id_counter = itertools.count(1)
        self._lock = threading.Lock()  # the fields below; never held over user code
        self._api_lock = threading.RLock()  # register/subscribe/restore, one at a time
        self._conn = None  # type: Optional[_Connection]
        self._handlers = {}  # type: Dict[str, Callable]
        self._subs = []  # type: List[Subscription]
        self._closed = False
        self._stop = threading.Event()
        self._target = None  # type: Optional[Callable[[], Tuple[str, Optional[str]]]]
        self._connect_options = {}  # type: Dict[str, Any]
        self._connect_timeout = 10.0  # type: Optional[float]
        self._events = queue.Queue()  # type: queue.Queue
        self._dispatcher = None  # type: Optional[threading.Thread]
        self._timers = None  # type: Optional[_Timers]
        self._pool = None  # type: Optional[concurrent.futures.ThreadPoolExecutor]
        self._reconnector = None  # type: Optional[threading.Thread]
        self.close_code = None  # type: Optional[int]
        self.close_reason = ""

    # -- connecting ------------------------------------------------------

    def connect(self, url: str, token: Optional[str] = None, name: Optional[str] = None,
                parent: Optional[str] = None, timeout: Optional[float] = 10.0, *,
                origin: Optional[str] = None, token_in_query: bool = False) -> "Client":
        """Connects to the hub at ``url``; with a ``name``, names the
        connection's session with ``hub.hello {name, parent}`` and keeps
        its id in :attr:`session`. Returns the client.

        Raises :class:`HandshakeError` for a refused upgrade (401 for a
        missing or bad token, 403 for a foreign Origin or Host),
        :class:`HubError` for a connection that fails or a ``hub.hello``
        that is refused, ValueError for a malformed URL.
        """
        _parse_url(url)  # ValueError before anything else
        self._configure(lambda: (url, token), name, parent, timeout,
                        {"origin": origin, "token_in_query": token_in_query})
        self._open(initial=True)
        return self

    def _configure(self, target, name, parent, timeout, options) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError("the session name must be a str")
        if parent is not None and not isinstance(parent, str):
            raise TypeError("the parent session must be a str")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ValueError("timeout must be more than 0 seconds, or None")
        with self._lock:
            if self._closed:
                raise HubError("not_connected", "this client was closed; make a new one")
            if self._conn is not None or self._target is not None:
                raise RuntimeError("this client is connected already")
            self._target = target
        self.name = name
        self.parent = parent
        self._connect_timeout = timeout
        self._connect_options = options

    def _open(self, initial: bool) -> None:
        assert self._target is not None
        try:
            url, token = self._target()
            self.url = url
            self.state = "connecting"
            ws = WebSocket.connect(url, token, timeout=self._connect_timeout,
                                   max_message_size=self.max_message_size, **self._connect_options)
        except BaseException:
            if initial:
                with self._lock:
                    self._target = None
                self.state = "new"
            raise
        conn = _Connection(self, ws)
        conn.reader.start()
        try:
            if self.name is not None:
                hello = {"name": self.name}
                if self.parent is not None:
                    hello["parent"] = self.parent
                reply = self._request_on(conn, "hub.hello", hello, self._connect_timeout).result()
                session = reply.get("session")
                if not isinstance(session, str):
                    session = reply.get("id") if isinstance(reply.get("id"), str) else None
                conn.session = session
            with self._lock:
                if self._closed:
                    raise HubError("session_closed", "the client was closed while connecting")
                if conn.lost:
                    raise conn.error or HubError("session_closed", "the connection dropped while connecting")
                self._conn = conn
            if not initial:
                self._restore(conn)
        except BaseException:
            self._drop(conn, CLOSE_NORMAL, "hello failed")
            if initial:
                with self._lock:
                    self._target = None
                self.state = "new"
            raise
        if not conn.lost:
            self.state = "connected"
            self._post(("state", "connected", None))

    def _restore(self, conn: _Connection) -> None:
        with self._api_lock:
            with self._lock:
                topics = list(self._handlers)
                patterns = []  # type: List[str]
                for sub in self._subs:
                    if sub.pattern not in patterns:
                        patterns.append(sub.pattern)
            # Never raises: if the connection drops meanwhile, its reader
            # starts the next reconnection.
            steps = [("hub.register", {"topic": t}, "re-registering “{}”".format(t)) for t in topics]
            steps += [("hub.subscribe", {"pattern": p}, "re-subscribing “{}”".format(p)) for p in patterns]
            for topic, payload, what in steps:
                try:
                    self._request_on(conn, topic, payload, self._connect_timeout).result()
                except HubError as e:
                    if conn.lost:
                        return
                    self._report(HubError(e.code, "{} after a reconnect failed: {}".format(
                        what, e.message), e.data), None)

    def _drop(self, conn: _Connection, code: int, reason: str) -> None:
        conn.ws.send_close(code, reason)
        if threading.current_thread() is not conn.reader:
            conn.reader.join(2.0)
            if conn.reader.is_alive():
                conn.ws.shutdown()
                conn.reader.join(2.0)

    @property
    def session(self) -> Optional[str]:
        """The session id the hub gave ``hub.hello`` (None without a name,
        or while disconnected)."""
        conn = self._conn
        return conn.session if conn is not None else None

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.lost

    # -- requests --------------------------------------------------------

    def _next_id(self) -> str:
        return "{}-{}".format(self._id_prefix, next(self._id_counter))

    def request(self, topic: str, payload: Optional[dict] = None,
                timeout: Optional[float] = _DEFAULT) -> dict:  # type: ignore[assignment]
        """Sends a request and waits for its reply; returns the reply's
        payload. Raises :class:`HubError` for an ``error`` answer (its
        ``code``, ``message`` and ``data``), ``timeout`` when no answer
        comes within ``timeout`` seconds (default ``request_timeout``;
        None waits as long as the hub's own default deadline), and
        ``session_closed`` / ``not_connected`` without a connection."""
        if getattr(_local, "reading_for", None) is self:
            raise RuntimeError("a blocking request on the client's reader thread would wait for "
                               "itself: use request_async() in a Future's done-callback")
        if timeout is _DEFAULT:
            timeout = self.request_timeout
        future = self.request_async(topic, payload, timeout)
        try:
            return future.result(None if timeout is None else timeout + 5.0)
        except concurrent.futures.TimeoutError:
            raise HubError("timeout", "no answer to “{}” within {} s".format(topic, timeout)) from None

    def request_async(self, topic: str, payload: Optional[dict] = None,
                      timeout: Optional[float] = _DEFAULT) -> concurrent.futures.Future:  # type: ignore[assignment]
        """Sends a request; returns a :class:`concurrent.futures.Future` of
        the reply's payload, which fails with :class:`HubError` as
        :meth:`request` raises. Many may be in flight at once."""
        _check_topic(topic)
        payload = _check_payload(payload)
        if timeout is _DEFAULT:
            timeout = self.request_timeout
        conn = self._conn
        if conn is None or conn.lost:
            future = concurrent.futures.Future()  # type: concurrent.futures.Future
            future.set_exception(self._not_connected())
            return future
        return self._request_on(conn, topic, payload, timeout)

    def _not_connected(self) -> HubError:
        if self._closed:
            return HubError("not_connected", "the client is closed")
        if self.reconnect and self._target is not None:
            return HubError("not_connected", "the connection to {} dropped; reconnecting".format(self.url))
        return HubError("not_connected", "the client is not connected to a hub")

    def _request_on(self, conn: _Connection, topic: str, payload: dict,
                    timeout: Optional[float]) -> concurrent.futures.Future:
        if timeout is not None:
            if not isinstance(timeout, (int, float)) or timeout <= 0:
                raise ValueError("timeout must be more than 0 seconds, or None")
        mid = self._next_id()
        message = {"v": PROTOCOL_VERSION, "id": mid, "kind": "request", "topic": topic}
        if timeout is not None:
            message["timeout_ms"] = min(max(1, int(timeout * 1000 + 0.999)), 2 ** 31 - 1)
        message["payload"] = payload
        text = _dumps(message)  # TypeError/ValueError for what JSON cannot carry
        future = concurrent.futures.Future()  # type: concurrent.futures.Future
        entry = _Pending(future, topic, timeout)
        with self._lock:
            if conn.lost:
                error = conn.error or HubError("session_closed", "the connection is closed")
            else:
                conn.pending[mid] = entry
                error = None
        if error is not None:
            future.set_exception(error)
            return future
        future.add_done_callback(lambda f: f.cancelled() and self._forget(conn, mid))
        if timeout is not None:
            self._get_timers().add(timeout, lambda: self._expire(conn, mid))
        try:
            conn.ws.send_text(text)
        except HubError as e:
            if self._forget(conn, mid) is not None:
                _settle(future, error=HubError("session_closed", e.message))
        return future

    def _forget(self, conn: _Connection, mid: str) -> Optional[_Pending]:
        with self._lock:
            return conn.pending.pop(mid, None)

    def _expire(self, conn: _Connection, mid: str) -> None:
        entry = self._forget(conn, mid)
        if entry is not None:
            _settle(entry.future, error=HubError(
                "timeout", "no answer to “{}” within {} s".format(entry.topic, entry.timeout)))

    def ping(self, payload: Optional[dict] = None, timeout: Optional[float] = _DEFAULT) -> dict:  # type: ignore[assignment]
        """``hub.ping``: the hub answers with the same payload."""
        return self.request("hub.ping", payload, timeout)

    def sessions(self, timeout: Optional[float] = _DEFAULT) -> List[dict]:  # type: ignore[assignment]
        """``hub.sessions``: ``[{"id": ..., "parent": ...}, ...]`` in the
        order they opened."""
        return self.request("hub.sessions", None, timeout).get("sessions", [])

    # -- events ----------------------------------------------------------

    def emit(self, topic: str, payload: Optional[dict] = None) -> None:
        """Sends an event to every session subscribed to a matching
        pattern. The hub answers only a refusal, which goes to ``on_error``."""
        _check_topic(topic)
        payload = _check_payload(payload)
        text = _dumps({"v": PROTOCOL_VERSION, "id": self._next_id(), "kind": "event",
                       "topic": topic, "payload": payload})
        conn = self._conn
        if conn is None or conn.lost:
            raise self._not_connected()
        conn.ws.send_text(text)

    def subscribe(self, pattern: str, callback: Callable[[str, dict, dict], Any],
                  timeout: Optional[float] = _DEFAULT) -> Subscription:  # type: ignore[assignment]
        """Calls ``callback(topic, payload, message)`` on the dispatcher
        thread for every event whose topic ``pattern`` matches (``*`` one
        segment, a last ``**`` any number). Several callbacks may share a
        pattern: the hub is asked once per pattern. Returns a
        :class:`Subscription`."""
        _check_pattern(pattern)
        if not callable(callback):
            raise TypeError("the callback must be callable")
        sub = Subscription(self, pattern, callback)
        with self._api_lock:
            with self._lock:
                ask = all(s.pattern != pattern for s in self._subs)
                self._subs.append(sub)
            if ask:
                try:
                    self.request("hub.subscribe", {"pattern": pattern}, timeout)
                except BaseException:
                    with self._lock:
                        self._subs.remove(sub)
                    sub.active = False
                    raise
        return sub

    def unsubscribe(self, subscription: Union[Subscription, str], callback: Optional[Callable] = None,
                    timeout: Optional[float] = _DEFAULT) -> int:  # type: ignore[assignment]
        """Ends a :class:`Subscription`, or given a pattern every callback
        subscribed to it (only ``callback`` if given). The hub is told once
        the pattern has no callback left. Returns how many ended."""
        with self._api_lock:
            with self._lock:
                if isinstance(subscription, Subscription):
                    gone = [s for s in self._subs if s is subscription]
                else:
                    _check_pattern(subscription)
                    gone = [s for s in self._subs if s.pattern == subscription and
                            (callback is None or s.callback == callback)]
                for s in gone:
                    self._subs.remove(s)
                    s.active = False
                patterns = {s.pattern for s in gone} - {s.pattern for s in self._subs}
            if self.connected:
                for pattern in patterns:
                    self.request("hub.unsubscribe", {"pattern": pattern}, timeout)
        return len(gone)

    # -- handlers --------------------------------------------------------

    def register(self, topic: str, handler: Callable[[dict, dict], Optional[dict]],
                 timeout: Optional[float] = _DEFAULT) -> None:  # type: ignore[assignment]
        """Makes this client the handler of requests on ``topic``:
        ``handler(payload, message)`` runs on a worker thread and returns
        the reply's payload (a dict, or None for ``{}``, or a :class:`Reply`
        with something to do once the reply is sent). If it raises
        :class:`HubError`, that error is the answer; any other exception
        answers ``handler_failed`` with the traceback's last line. Raises
        ``HubError('handler_exists')`` if the topic has a handler."""
        _check_topic(topic)
        if not callable(handler):
            raise TypeError("the handler must be callable")
        with self._api_lock:
            with self._lock:
                if topic in self._handlers:
                    raise HubError("handler_exists", "this client handles “{}” already".format(topic))
                self._handlers[topic] = handler
            try:
                self.request("hub.register", {"topic": topic}, timeout)
            except BaseException:
                with self._lock:
                    if self._handlers.get(topic) is handler:
                        del self._handlers[topic]
                raise

    def unregister(self, topic: str, timeout: Optional[float] = _DEFAULT) -> bool:  # type: ignore[assignment]
        """Stops handling ``topic``; returns whether the hub had it."""
        _check_topic(topic)
        with self._api_lock:
            with self._lock:
                had = self._handlers.pop(topic, None) is not None
            if not self.connected:
                return had
            reply = self.request("hub.unregister", {"topic": topic}, timeout)
            return bool(reply.get("removed", had))

    # -- the reader ------------------------------------------------------

    def _read_loop(self, conn: _Connection) -> None:
        _local.reading_for = self
        error = None  # type: Optional[HubError]
        try:
            while True:
                try:
                    data = conn.ws.recv()
                except ProtocolError as e:
                    error = e
                    break
                if data is None:
                    break
                if isinstance(data, bytes):
                    log.warning("%s sent a binary message of %d bytes; the hub speaks JSON in text frames",
                                conn.ws.url, len(data))
                    continue
                try:
                    message = json.loads(data)
                except ValueError as e:
                    message = e
                if not isinstance(message, dict):
                    what = ("not JSON ({})".format(message) if isinstance(message, ValueError)
                            else "JSON that is not an object")
                    error = ProtocolError("bad_message", "{} sent a message that is {}: {!r}".format(
                        conn.ws.url, what, data[:80]), CLOSE_POLICY_VIOLATION)
                    conn.ws.fail(error)
                    break
                self._route(conn, message)
        except Exception as e:  # pragma: no cover - a bug of this module
            log.exception("the hub client's reader failed")
            error = HubError("session_closed", "the client's reader failed: {}".format(e))
            conn.ws.shutdown()
        finally:
            _local.reading_for = None
        self._lost(conn, error)

    def _route(self, conn: _Connection, message: dict) -> None:
        kind = message.get("kind")
        if kind in ("reply", "error"):
            re_ = message.get("re")
            with self._lock:
                entry = conn.pending.pop(re_, None) if isinstance(re_, str) else None
            payload = message.get("payload")
            if entry is None:
                if kind == "error":
                    error = HubError.from_payload(payload)
                    self._report(error, message)
                else:
                    log.debug("dropped a late or unknown reply to %r", re_)
                return
            if kind == "reply":
                _settle(entry.future, result=payload if isinstance(payload, dict) else {})
            else:
                _settle(entry.future, error=HubError.from_payload(payload))
        elif kind == "event":
            topic = message.get("topic")
            if isinstance(topic, str):
                self._post(("event", message))
        elif kind == "request":
            mid = message.get("id")
            if not isinstance(mid, str) or not isinstance(message.get("topic"), str):
                log.warning("dropped a request without an id or topic: %r", message)
                return
            try:
                self._get_pool().submit(self._serve, conn, message)
            except RuntimeError:  # the pool shut down: closing, or the interpreter exits
                pass
        else:
            log.warning("dropped a message of unknown kind %r", kind)

    def _lost(self, conn: _Connection, error: Optional[HubError]) -> None:
        with self._lock:
            conn.lost = True
            if conn.error is None:
                conn.error = error
            pending = conn.pending
            conn.pending = {}
            current = self._conn is conn
            if current:
                self._conn = None
            closing = self._closed
        self.close_code = conn.ws.close_code
        self.close_reason = conn.ws.close_reason
        if error is None:
            if closing:
                why = "the client closed"
            else:
                why = "the connection to {} closed".format(conn.ws.url)
                if conn.ws.close_code not in (None, CLOSE_ABNORMAL):
                    why += " ({}{})".format(conn.ws.close_code,
                                            ", " + conn.ws.close_reason if conn.ws.close_reason else "")
            failure = HubError("session_closed", why + " before an answer came",
                               {"close_code": conn.ws.close_code})
        else:
            failure = error
        for entry in pending.values():
            _settle(entry.future, error=failure)
        if current and not closing:
            self.state = "disconnected"
            self._post(("state", "disconnected", failure))
        conn.ws.release()
        if not current or closing:
            return
        if self.reconnect:
            # This reader thread has nothing left to read: it reconnects.
            self._reconnector = threading.current_thread()
            self._reconnect_loop()

    def _reconnect_loop(self) -> None:
        delay = _BACKOFF_FIRST
        last = None  # type: Optional[BaseException]
        while not self._stop.wait(delay):
            self.state = "reconnecting"
            self._post(("state", "reconnecting", last))
            try:
                self._open(initial=False)
                return
            except Exception as e:
                last = e
                log.info("reconnecting to %s failed: %s", self.url, e)
            delay = min(delay * 2, _BACKOFF_MAX)

    # -- handlers, events and callbacks ------------------------------------

    def _serve(self, conn: _Connection, message: dict) -> None:
        topic = message["topic"]
        with self._lock:
            handler = self._handlers.get(topic)
        answer = {"v": PROTOCOL_VERSION, "id": self._next_id(), "kind": "reply",
                  "topic": topic, "re": message["id"]}  # type: Dict[str, Any]
        then = None  # type: Optional[Callable[[], Any]]
        try:
            if handler is None:
                raise HubError("no_handler", "this client does not handle “{}” any more".format(topic))
            payload = message.get("payload")
            result = handler(payload if isinstance(payload, dict) else {}, message)
            if isinstance(result, Reply):
                then, result = result.then, result.payload
            if result is None:
                result = {}
            if not isinstance(result, dict):
                raise TypeError("the handler of “{}” returned {}, not a dict".format(
                    topic, type(result).__name__))
            answer["payload"] = result
            text = _dumps(answer)
        except HubError as e:
            answer["kind"] = "error"
            answer["payload"] = e.to_payload()
            text = _dumps(answer)
        except Exception as e:
            lines = traceback.format_exception_only(type(e), e)
            answer["kind"] = "error"
            answer["payload"] = {"code": "handler_failed",
                                 "message": lines[-1].strip() if lines else type(e).__name__,
                                 "data": {"exception": type(e).__name__,
                                          "traceback": traceback.format_exc()}}
            try:
                text = _dumps(answer)
            except (TypeError, ValueError):
                answer["payload"].pop("data")
                text = _dumps(answer)
            log.debug("the handler of %r failed", topic, exc_info=True)
        try:
            conn.ws.send_text(text)
        except HubError:
            pass  # the connection went: the hub fails the request with session_closed
        if then is not None:
            try:
                then()
            except Exception:
                log.exception("what the handler of %r does after its reply failed", topic)

    def _report(self, error: HubError, message: Optional[dict]) -> None:
        if self.on_error is not None:
            self._post(("error", error, message))
        else:
            log.warning("the hub: %s", error)

    def _post(self, item: tuple) -> None:
        if item[0] == "state" and self.on_state is None:
            return
        with self._lock:
            if self._closed and item[:2] != ("state", "closed"):
                return
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(target=self._dispatch_loop,
                                                    name="qi-hub-dispatch", daemon=True)
                self._dispatcher.start()
        self._events.put(item)

    def _dispatch_loop(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            try:
                if item[0] == "event":
                    message = item[1]
                    topic = message["topic"]
                    payload = message.get("payload")
                    if not isinstance(payload, dict):
                        payload = {}
                    with self._lock:
                        subs = [s for s in self._subs if s.active]
                    for sub in subs:
                        if sub.active and sub.matches(topic):
                            try:
                                sub.callback(topic, payload, message)
                            except Exception:
                                log.exception("the callback of %r failed on %r", sub.pattern, topic)
                elif item[0] == "state":
                    if self.on_state is not None:
                        self.on_state(item[1], item[2])
                elif item[0] == "error":
                    if self.on_error is not None:
                        self.on_error(item[1], item[2])
            except Exception:
                log.exception("a hub client callback failed")

    def _get_timers(self) -> _Timers:
        with self._lock:
            if self._timers is None:
                self._timers = _Timers()
                self._timers.start()
            return self._timers

    def _get_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self._max_workers, thread_name_prefix="qi-hub-handler")
            return self._pool

    # -- closing ---------------------------------------------------------

    def close(self, code: int = CLOSE_NORMAL, reason: str = "", timeout: float = 2.0) -> None:
        """Closes the connection with the close handshake (``code``,
        ``reason``; waits up to ``timeout`` seconds for the hub's answer)
        and stops the client's threads. Waiting requests fail with
        ``session_closed``. Closing twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            conn = self._conn
        self._stop.set()
        if conn is not None:
            conn.ws.send_close(code, reason)
            if threading.current_thread() is not conn.reader:
                conn.reader.join(timeout)
                if conn.reader.is_alive():
                    conn.ws.shutdown()
                    conn.reader.join(timeout)
        reconnector = self._reconnector
        if reconnector is not None and reconnector is not threading.current_thread():
            reconnector.join(timeout)
        self.state = "closed"
        with self._lock:
            timers, pool = self._timers, self._pool
        if timers is not None:
            timers.stop()
        if pool is not None:
            pool.shutdown(wait=False)
        self._post(("state", "closed", None))
        with self._lock:
            dispatcher = self._dispatcher
        if dispatcher is not None:
            self._events.put(None)  # after everything queued before it
            if dispatcher is not threading.current_thread():
                dispatcher.join(timeout)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<qi.hub.Client {} {}{}>".format(self.url, self.state,
                                               " " + self.session if self.session else "")


HubClient = Client


def _settle(future: concurrent.futures.Future, result: Any = None,
            error: Optional[BaseException] = None) -> None:
    """Resolves a request's future unless it was cancelled meanwhile."""
    try:
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except Exception:  # InvalidStateError (3.8+): cancelled in between
        pass


def connect(url: str, token: Optional[str] = None, name: Optional[str] = None,
            parent: Optional[str] = None, timeout: Optional[float] = 10.0, *,
            origin: Optional[str] = None, token_in_query: bool = False, **options: Any) -> Client:
    """``Client(**options).connect(url, token, name, parent, timeout)``."""
    client = Client(**options)
    try:
        return client.connect(url, token, name, parent, timeout,
                              origin=origin, token_in_query=token_in_query)
    except BaseException:
        client.close()
        raise


# --------------------------------------------------------------------------
# The server's info file


def default_info_path() -> str:
    """Where ``qi --headless serve`` writes its info file by default:
    ``$XDG_RUNTIME_DIR/qi/server.json``; without ``XDG_RUNTIME_DIR``, GLib's
    fallback, the user cache directory (``$XDG_CACHE_HOME`` or
    ``~/.cache``)."""
    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("XDG_CACHE_HOME") or \
        os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "qi", "server.json")


def read_server_info(path: Optional[str] = None) -> dict:
    """The server's info file as a dict: ``url``, ``http``, ``pid``,
    ``token``. Raises ``HubError('no_server')`` if there is none,
    ``HubError('bad_server_info')`` if it is not what the server writes."""
    path = path or default_info_path()
    try:
        with open(path, "rb") as f:
            raw = f.read(1024 * 1024)
    except FileNotFoundError:
        raise HubError("no_server", "no Qi server info at {}: is `qi --headless serve` "
                       "running?".format(path)) from None
    except OSError as e:
        raise HubError("no_server", "cannot read the Qi server info {}: {}".format(
            path, e.strerror or e)) from e
    try:
        info = json.loads(raw.decode("utf-8"))
    except ValueError as e:
        raise HubError("bad_server_info", "{} is not JSON: {}".format(path, e)) from None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        raise HubError("bad_server_info", "{} has no \"url\" string".format(path))
    if "token" in info and info["token"] is not None and not isinstance(info["token"], str):
        raise HubError("bad_server_info", "{}: \"token\" is not a string".format(path))
    return info


def connect_from_info(path: Optional[str] = None, name: Optional[str] = None,
                      parent: Optional[str] = None, timeout: Optional[float] = 10.0,
                      **options: Any) -> Client:
    """Connects to the server that wrote the info file ``path`` (default:
    :func:`default_info_path`) with its URL and token. With
    ``reconnect=True`` every attempt reads the file again, so a restarted
    server (a new port, a new token) is found. ``options`` are
    :class:`Client`'s."""
    info_path = path or default_info_path()
    read_server_info(info_path)  # its errors before anything else

    def target() -> Tuple[str, Optional[str]]:
        info = read_server_info(info_path)
        _parse_url(info["url"])
        return info["url"], info.get("token")

    origin = options.pop("origin", None)
    token_in_query = options.pop("token_in_query", False)
    client = Client(**options)
    try:
        client._configure(target, name, parent, timeout,
                          {"origin": origin, "token_in_query": token_in_query})
        try:
            client._open(initial=True)
        except HubError as e:
            if e.code == "connect_failed":
                info = read_server_info(info_path)
                pid = info.get("pid")
                if isinstance(pid, int) and pid > 0 and not _pid_alive(pid):
                    raise HubError("connect_failed", "{} (the info file {} names pid {}, which is not "
                                   "running: a stale file?)".format(e.message, info_path, pid)) from e
            raise
    except BaseException:
        client.close()
        raise
    return client


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
