"""Qi inside a DCC: the part every host integration shares.

A DCC that Qi launched (Maya, Nuke, Blender, …) finds in its environment
what the launcher and its host addon put there (``docs/protocol.md``, “Inside
a DCC”): the hub's URL and a session token, the project, context and task,
the workfile. Each host's thin layer, in its addon's ``host/NAME/`` folder,
subclasses :class:`Host` with the DCC's own calls (its version, the current
file, save, open, quit, its menu) and starts a :class:`Session`, which

- connects to the hub with :mod:`qi.hub` as session ``dcc/HOST/PID``, or
  says in one warning line why not and lets the DCC run on without Qi;
- answers ``host.info``, ``workfile.save``, ``workfile.open``,
  ``workfile.version_up`` and ``host.quit``, each on the DCC's main thread
  (:class:`MainThread`): the hub client's threads only hand the work over.
  A request topic has one handler on the hub: the plain topics are the
  first DCC's, and each DCC answers its own as ``dcc.HOST.PID.TOPIC``;
- gives the Qi menu as :class:`MenuItem` values: the host's own items (its
  QiHost's, from ``addons.hosts``), each requesting its hub topic, then
  Save and Version up.

Version up asks the hub ``workfiles.next``; while no one answers it
(``no_handler``), the next ``_vNNN`` of the current file's name
(:func:`next_version_path`) is used. Standard library only, and importable
without any DCC.
"""

from __future__ import annotations

import concurrent.futures
import os
import queue
import re
import sys
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import qi.hub
from qi.hub import HubError

__all__ = [
    "Host",
    "MainThread",
    "MenuItem",
    "Session",
    "add_qi_python_path",
    "fill_qt_menu",
    "next_in_search_path",
    "next_version_path",
    "session_name",
    "start_qt_pump",
    "start_session",
]

#: The variables of the contract between the launcher and the DCC.
CONTRACT = ("QI_SERVER_URL", "QI_SESSION_TOKEN", "QI_PROJECT", "QI_CONTEXT", "QI_TASK",
            "QI_TASK_TYPE", "QI_HOST", "QI_APP", "QI_WORKDIR", "QI_WORKFILE", "QI_BUNDLE",
            "QI_LAUNCH_ID", "QI_HOST_PLUGIN_FOLDER")

CONNECT_TIMEOUT = 10.0
HUB_TIMEOUT = 10.0
_DEFAULT_REQUEST_TIMEOUT = 30.0


def add_qi_python_path(environ: Optional[Mapping[str, str]] = None) -> None:
    """Puts the entries of ``QI_HOST_PYTHONPATH`` (Qi's Python package, set
    by every host addon) on :data:`sys.path`, for the start-up code of a DCC
    whose Python ignores ``PYTHONPATH``. What is there already stays."""
    environ = os.environ if environ is None else environ
    for entry in reversed(environ.get("QI_HOST_PYTHONPATH", "").split(os.pathsep)):
        if entry and entry not in sys.path:
            sys.path.insert(0, entry)


def session_name(host: str, pid: Optional[int] = None) -> str:
    """The hub session of a DCC: ``dcc/HOST/PID``."""
    return "dcc/{}/{}".format(host, os.getpid() if pid is None else pid)


# --------------------------------------------------------------------------
# Versions in file names

_VERSION_TOKEN = re.compile(r"_v(\d+)(?=[._]|$)", re.IGNORECASE)


def next_version_path(path: str) -> Tuple[str, int]:
    """The next version of ``path`` by its name: the ``_vNNN`` token (the
    last of the name) one above the highest of its series in its folder,
    its zero padding kept, never an existing file. Returns ``(path,
    version)``; raises :class:`ValueError` for a name without one."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    matches = list(_VERSION_TOKEN.finditer(stem))
    if not matches:
        raise ValueError("“{}” has no version in its name: name it like “{}_v001{}” to version "
                         "it".format(name, stem, ext))
    last = matches[-1]
    prefix, digits, suffix = stem[:last.start(1)], last.group(1), stem[last.end(1):]
    series = re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix + ext) + r"\Z")
    highest = int(digits)
    try:
        names = os.listdir(folder or ".")
    except OSError:
        names = []
    for other in names:
        found = series.match(other)
        if found:
            highest = max(highest, int(found.group(1)))
    version = highest + 1
    while True:
        candidate = os.path.join(folder, "{}{}{}{}".format(prefix, str(version).zfill(len(digits)),
                                                           suffix, ext))
        if not os.path.exists(candidate):
            return candidate, version
        version += 1


def next_in_search_path(entries: List[str], relative: str, after: str) -> Optional[str]:
    """The first ``entry/relative`` that is a file among the ``entries`` of
    a search path after the entry ``after`` (a folder of Qi's): the
    studio's start-up script that a DCC running only the first one found
    (Houdini's ``123.py``) would miss, for Qi's to run in turn."""
    after = os.path.normpath(after)
    seen = False
    for entry in entries:
        if not entry or entry == "&":
            continue
        if not seen:
            seen = os.path.normpath(entry) == after
            continue
        candidate = os.path.join(entry, relative)
        if os.path.isfile(candidate):
            return candidate
    return None


# --------------------------------------------------------------------------
# The main thread


class MainThread:
    """Hands calls from other threads (the hub client's) to the DCC's main
    thread, which made this object.

    With ``executor``, the DCC's own way to run a call there and wait
    (``maya.utils.executeInMainThreadWithResult``), calls go through it.
    Without, they wait in a queue that the main thread empties: from a
    timer of the DCC (:meth:`run_pending`, such as ``bpy.app.timers``), or
    in a loop of its own where the DCC has no event loop (:meth:`serve`,
    Blender in the background). A call from the main thread itself runs at
    once."""

    def __init__(self, executor: Optional[Callable[..., Any]] = None):
        self._executor = executor
        self._ident = threading.get_ident()
        self._queue = queue.Queue()  # type: queue.Queue

    def is_main(self) -> bool:
        return threading.get_ident() == self._ident

    def call(self, fn: Callable[..., Any], *args: Any, timeout: Optional[float] = None) -> Any:
        """``fn(*args)`` on the main thread; its result, or what it raised.
        Raises ``HubError('timeout')`` if the main thread has not run it
        within ``timeout`` seconds (it is then dropped)."""
        if self.is_main():
            return fn(*args)
        if self._executor is not None:
            return self._executor(fn, *args)
        future = concurrent.futures.Future()  # type: concurrent.futures.Future
        self._queue.put((fn, args, future))
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise HubError("timeout", "the DCC's main thread did not take the call within {:g} s "
                           "(is it busy, or is nothing running its events?)".format(timeout)) from None

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """``fn(*args)`` on the main thread, later, without waiting."""
        self._queue.put((fn, args, None))

    def wake(self) -> None:
        """Makes :meth:`serve` look at its condition now."""
        self._queue.put(None)

    def run_pending(self) -> int:
        """Runs the calls waiting (from the main thread); how many ran."""
        ran = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return ran
            ran += self._run(item)

    def serve(self, until: Callable[[], bool], poll: float = 0.25) -> None:
        """Runs the calls as they come until ``until()`` is true."""
        while not until():
            try:
                item = self._queue.get(timeout=poll)
            except queue.Empty:
                continue
            self._run(item)

    @staticmethod
    def _run(item: Optional[tuple]) -> int:
        if item is None:
            return 0
        fn, args, future = item
        if future is not None and not future.set_running_or_notify_cancel():
            return 0
        try:
            result = fn(*args)
        except BaseException as e:
            if future is None:
                print("Qi: {} failed: {}".format(getattr(fn, "__name__", fn), e), file=sys.stderr)
            else:
                future.set_exception(e)
        else:
            if future is not None:
                future.set_result(result)
        return 1


# --------------------------------------------------------------------------
# The DCC's side


class MenuItem:
    """An entry of the Qi menu: ``label`` and what choosing it does,
    ``action()`` (called on the main thread); ``topic`` for the host's
    items, which request it on the hub."""

    __slots__ = ("label", "action", "topic")

    def __init__(self, label: str, action: Callable[[], Any], topic: Optional[str] = None):
        self.label = label
        self.action = action
        self.topic = topic

    def __repr__(self) -> str:
        return "MenuItem({!r}{})".format(self.label, ", topic={!r}".format(self.topic) if self.topic else "")


class Host:
    """What a DCC's layer gives the :class:`Session`. Every method is called
    on the DCC's main thread."""

    #: The host's name, as its QiHost has it (``blender``); QI_HOST by default.
    name = ""
    #: The name people see (``Blender``).
    label = "the DCC"

    def version(self) -> str:
        """The DCC's own version (``3.4.1``)."""
        raise NotImplementedError

    def current_file(self) -> Optional[str]:
        """The path of the open scene, or None while it was never saved."""
        raise NotImplementedError

    def save(self, path: str) -> None:
        """Saves the open scene as ``path``, which becomes the current file."""
        raise NotImplementedError

    def open(self, path: str) -> None:
        """Opens the scene ``path``."""
        raise NotImplementedError

    def quit(self) -> None:
        """Ends the DCC (after the hub has the reply)."""
        raise NotImplementedError

    def show_menu(self, items: List[MenuItem]) -> None:
        """Builds the DCC's Qi menu of ``items``; a DCC without one does nothing."""

    def warn(self, text: str) -> None:
        """One line in the DCC's console."""
        print(text, file=sys.stderr, flush=True)


class Session:
    """One DCC's session on the hub (see the module's docstring)."""

    def __init__(self, host: Host, environ: Optional[Mapping[str, str]] = None,
                 main_thread: Optional[MainThread] = None, pid: Optional[int] = None):
        self.host = host
        #: The DCC's process id, in its session's name and own topics.
        self.pid = os.getpid() if pid is None else pid
        self.environ = dict(os.environ if environ is None else environ)
        self.main = main_thread if main_thread is not None else MainThread()
        self.name = host.name or self.environ.get("QI_HOST", "")
        self.client = None  # type: Optional[qi.hub.Client]
        self.menu_items = []  # type: List[MenuItem]
        #: Set once the session is over: host.quit, or the hub closed it.
        self.finished = threading.Event()
        self._host_items = []  # type: List[MenuItem]
        #: Whether this DCC answers the plain topics too (no other had them).
        self.shared_topics = True

    # -- the contract's values -------------------------------------------

    def _get(self, name: str) -> Optional[str]:
        value = self.environ.get(name)
        return value if value else None

    @property
    def project(self) -> Optional[str]:
        return self._get("QI_PROJECT")

    @property
    def context(self) -> Optional[str]:
        return self._get("QI_CONTEXT")

    @property
    def task(self) -> Optional[str]:
        return self._get("QI_TASK")

    @property
    def workdir(self) -> Optional[str]:
        return self._get("QI_WORKDIR")

    @property
    def workfile(self) -> Optional[str]:
        return self._get("QI_WORKFILE")

    # -- connecting ------------------------------------------------------

    def connect(self, timeout: float = CONNECT_TIMEOUT) -> bool:
        """Connects and registers the handlers; False, after one warning
        line, when the DCC runs without Qi."""
        url = self._get("QI_SERVER_URL")
        if url is None:
            self.host.warn("Qi: QI_SERVER_URL is not set ({} was not started by Qi); it runs on "
                           "without Qi".format(self.host.label))
            self.finished.set()
            return False
        name = session_name(self.name or "unknown", self.pid)
        try:
            self.client = qi.hub.connect(url, self._get("QI_SESSION_TOKEN"), name=name,
                                         timeout=timeout, on_state=self._on_state)
            for topic, handler in self._handlers():
                self.client.register(self.topic_prefix + topic, handler, timeout=timeout)
                try:
                    self.client.register(topic, handler, timeout=timeout)
                except HubError as e:
                    if e.code != "handler_exists":
                        raise
                    self.shared_topics = False  # another DCC's: this one answers its own
        except (HubError, ValueError, TypeError, OSError) as e:
            self.host.warn("Qi: cannot connect to the hub at {} as {} ({}); {} runs on without "
                           "Qi".format(url, name, e, self.host.label))
            self.close()
            self.finished.set()
            return False
        self._host_items = self._fetch_host_items()
        self.menu_items = self.menu()
        return True

    def _handlers(self) -> List[Tuple[str, Callable[[dict, dict], Any]]]:
        return [("host.info", self._on_info), ("workfile.save", self._on_save),
                ("workfile.open", self._on_open), ("workfile.version_up", self._on_version_up),
                ("host.quit", self._on_quit)]

    @property
    def topic_prefix(self) -> str:
        """Where this DCC's own topics are: ``dcc.HOST.PID.`` (the plain
        ``host.info``… answer the first DCC that registered them)."""
        return "dcc.{}.{}.".format(self.name or "unknown", self.pid)

    def _on_state(self, state: str, error: Optional[BaseException]) -> None:
        if state == "disconnected" and not self.finished.is_set():
            self.host.warn("Qi: the hub closed this session ({}); {} runs on without "
                           "Qi".format(error or "no reason given", self.host.label))
            self.finished.set()
            self.main.wake()

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close(timeout=1.0)

    @property
    def session(self) -> Optional[str]:
        return self.client.session if self.client is not None else None

    # -- what the hub asks -------------------------------------------------

    @staticmethod
    def _deadline(message: dict) -> float:
        timeout_ms = message.get("timeout_ms") if isinstance(message, dict) else None
        if isinstance(timeout_ms, int) and timeout_ms > 0:
            return timeout_ms / 1000.0
        return _DEFAULT_REQUEST_TIMEOUT

    def info(self) -> Dict[str, Any]:
        """What ``host.info`` replies (on the main thread)."""
        return {"host": self.name, "app": self._get("QI_APP"), "version": self.host.version(),
                "pid": self.pid, "project": self.project, "context": self.context,
                "task": self.task, "workdir": self.workdir,
                "current_file": self.host.current_file() or None}

    def save(self, path: Optional[str] = None) -> str:
        """Saves to ``path``, else the current file, else QI_WORKFILE;
        returns where (on the main thread)."""
        target = path or self.host.current_file() or self.workfile
        if not target:
            raise HubError("handler_failed", "workfile.save: the scene has no file yet and QI_WORKFILE "
                           "is not set: give “path”")
        folder = os.path.dirname(target)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.host.save(target)
        return target

    def open(self, path: str) -> str:
        if not os.path.isfile(path):
            raise HubError("handler_failed", "workfile.open: there is no file “{}”".format(path))
        self.host.open(path)
        return path

    def next_version(self, current: str) -> Tuple[str, int]:
        """Where version up saves: the hub's ``workfiles.next``, or, while
        nothing answers it, :func:`next_version_path`."""
        if self.client is not None:
            try:
                reply = self.client.request("workfiles.next", {
                    "project": self.project, "context": self.context, "task": self.task,
                    "host": self.name, "current": current}, timeout=HUB_TIMEOUT)
            except HubError as e:
                if e.code != "no_handler":
                    raise
            else:
                path, version = reply.get("path"), reply.get("version")
                if not isinstance(path, str) or not path or not isinstance(version, int):
                    raise HubError("handler_failed", "workfiles.next answered {!r}, not "
                                   "{{\"path\", \"version\"}}".format(reply))
                return path, version
        try:
            return next_version_path(current)
        except ValueError as e:
            raise HubError("handler_failed", "workfile.version_up: {}".format(e)) from None

    def version_up(self) -> Tuple[str, int]:
        """Saves the next version; returns ``(path, version)``. From any
        thread: the hub is asked from the caller's, the DCC from its main."""
        current = self.main.call(self.host.current_file) or self.workfile
        if not current:
            raise HubError("handler_failed", "workfile.version_up: the scene has no file yet and "
                           "QI_WORKFILE is not set: save it first")
        path, version = self.next_version(current)
        self.main.call(self.save, path)
        return path, version

    def _on_info(self, payload: dict, message: dict) -> dict:
        return self.main.call(self.info, timeout=self._deadline(message))

    def _on_save(self, payload: dict, message: dict) -> dict:
        path = payload.get("path")
        if path is not None and (not isinstance(path, str) or not os.path.isabs(path)):
            raise HubError("bad_message", "workfile.save: “path” must be an absolute path, a string")
        return {"path": self.main.call(self.save, path, timeout=self._deadline(message))}

    def _on_open(self, payload: dict, message: dict) -> dict:
        path = payload.get("path")
        if not isinstance(path, str) or not os.path.isabs(path):
            raise HubError("bad_message", "workfile.open: the payload needs “path”, an absolute path")
        return {"path": self.main.call(self.open, path, timeout=self._deadline(message))}

    def _on_version_up(self, payload: dict, message: dict) -> dict:
        path, version = self.version_up()
        return {"path": path, "version": version}

    def _on_quit(self, payload: dict, message: dict) -> qi.hub.Reply:
        def after_reply() -> None:
            self.finished.set()
            self.main.post(self.host.quit)
            self.main.wake()
        return qi.hub.Reply({"quitting": True}, then=after_reply)

    # -- the menu ----------------------------------------------------------

    def _fetch_host_items(self) -> List[MenuItem]:
        """The menu items of this host's QiHost (``addons.hosts``)."""
        try:
            reply = self.client.request("addons.hosts", {}, timeout=HUB_TIMEOUT)
        except HubError as e:
            self.host.warn("Qi: the hub did not give {}'s menu ({}); the Qi menu has Save and "
                           "Version up only".format(self.host.label, e))
            return []
        for host in reply.get("hosts") or []:
            if isinstance(host, dict) and host.get("name") == self.name:
                return [self._hub_item(item["label"], item["topic"]) for item in host.get("menu") or []
                        if isinstance(item, dict) and isinstance(item.get("label"), str)
                        and qi.hub.is_topic(item.get("topic"))]
        return []

    def _hub_item(self, label: str, topic: str) -> MenuItem:
        return MenuItem(label, lambda: self.activate(topic), topic=topic)

    def menu(self) -> List[MenuItem]:
        """The Qi menu: the host's items, then Save and Version up."""
        return list(self._host_items) + [
            MenuItem("Save", lambda: self._report(self.save)),
            MenuItem("Version up", lambda: self._report(self.version_up)),
        ]

    def activate(self, topic: str) -> "concurrent.futures.Future[dict]":
        """Requests ``topic`` for a menu item, without waiting: the payload
        names this session and its context; a failure is one warning line."""
        if self.client is None:
            future = concurrent.futures.Future()  # type: concurrent.futures.Future
            future.set_exception(HubError("not_connected", "Qi is not connected to the hub"))
            return future
        future = self.client.request_async(topic, {
            "host": self.name, "session": self.session, "project": self.project,
            "context": self.context, "task": self.task}, timeout=HUB_TIMEOUT)

        def done(f: concurrent.futures.Future) -> None:
            if not f.cancelled() and f.exception() is not None:
                self.host.warn("Qi: {} failed: {}".format(topic, f.exception()))
        future.add_done_callback(done)
        return future

    def _report(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as e:
            self.host.warn("Qi: {}".format(e))
            return None


# --------------------------------------------------------------------------
# Starting, and the DCCs built on Qt


def start_session(host: Host, executor: Optional[Callable[..., Any]] = None,
                  environ: Optional[Mapping[str, str]] = None, pid: Optional[int] = None) -> Optional[Session]:
    """Connects ``host``'s session (:meth:`Session.connect`) and builds its
    Qi menu (:meth:`Host.show_menu`); None, after one warning line, when
    the DCC runs without Qi. Call it on the DCC's main thread."""
    session = Session(host, environ=environ, main_thread=MainThread(executor), pid=pid)
    if not session.connect():
        return None
    try:
        host.show_menu(session.menu_items)
    except Exception as e:
        host.warn("Qi: the Qi menu could not be built ({}); the hub session goes on".format(e))
    return session


def _qt(module: str) -> Any:
    import importlib

    for binding in ("PySide6", "PySide2"):
        try:
            return importlib.import_module("{}.{}".format(binding, module))
        except ImportError:
            continue
    raise ImportError("neither PySide6 nor PySide2 is importable")


def start_qt_pump(session: Session, interval_ms: int = 100) -> Any:
    """A Qt timer that runs the session's calls on the main thread of a DCC
    built on Qt (Substance Painter, Mari, Hiero, 3DEqualizer); keep the
    returned timer."""
    timer = _qt("QtCore").QTimer()
    timer.timeout.connect(session.main.run_pending)
    timer.start(interval_ms)
    return timer


def fill_qt_menu(menu: Any, items: List[MenuItem]) -> None:
    """Fills a QMenu with ``items``."""
    menu.clear()
    for item in items:
        action = menu.addAction(item.label)
        action.triggered.connect(lambda checked=False, item=item: item.action())
