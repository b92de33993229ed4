"""qi.host, the in-DCC code every host shares, against the real server.

A fake DCC (:class:`FakeHost`: a "scene" is a text file) stands for the
DCC; the test's own thread is its main thread, which serves the session's
calls (:meth:`qi.host.MainThread.serve`) while another thread asks the hub,
as the launcher would. The server loads the test addons, so that the host
``kinds-dcc`` of ``tests/addons/kinds`` gives the Qi menu an item.
"""
import os
import threading

import pytest

import qi.hub
import qi.host
from qi.hub import HubError

from test_hub_server import ADDONS, QI_EXE, QiServer, T  # noqa: F401  (QI_EXE: skips without it)

needs_addons = pytest.mark.skipif(not os.path.isdir(os.path.join(ADDONS, "kinds")),
                                  reason="the test addons are not built (run through meson test)")


class FakeHost(qi.host.Host):
    name = "kinds-dcc"
    label = "Kinds DCC"

    def __init__(self):
        self.current = None
        self.threads = set()
        self.warnings = []
        self.quits = 0
        self.menus = []

    def _mark(self):
        self.threads.add(threading.get_ident())

    def version(self):
        self._mark()
        return "1.2.3"

    def current_file(self):
        self._mark()
        return self.current

    def save(self, path):
        self._mark()
        with open(path, "w") as f:
            f.write("kinds scene\n")
        self.current = path

    def open(self, path):
        self._mark()
        self.current = path

    def quit(self):
        self._mark()
        self.quits += 1

    def show_menu(self, items):
        self.menus.append([i.label for i in items])

    def warn(self, text):
        self.warnings.append(text)


def serving(session, fn):
    """fn() on another thread while this (the DCC's main) thread serves."""
    outcome = {}
    done = threading.Event()

    def run():
        try:
            outcome["result"] = fn()
        except BaseException as e:
            outcome["error"] = e
        finally:
            done.set()
            session.main.wake()

    worker = threading.Thread(target=run)
    worker.start()
    session.main.serve(until=done.is_set, poll=0.05)
    worker.join(T)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def contract(server, tmp_path, **extra):
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    env = {"QI_SERVER_URL": server.url, "QI_SESSION_TOKEN": server.token, "QI_PROJECT": "demo",
           "QI_CONTEXT": "/sq010/sh010", "QI_TASK": "comp", "QI_TASK_TYPE": "compositing",
           "QI_HOST": "kinds-dcc", "QI_APP": "kinds-dcc/1.2", "QI_WORKDIR": str(workdir),
           "QI_WORKFILE": str(workdir / "sh010_comp_v001.kscene"), "QI_BUNDLE": "",
           "QI_LAUNCH_ID": "launch-1"}
    env.update(extra)
    return env


@pytest.fixture
def server(tmp_path):
    """The hub with the test addons and, of this build's, only the tracker:
    no applications addon answers workfiles.next, so that the test can
    (version up's fallback, and a launcher of the test's own)."""
    only_tracker = tmp_path / "first-party-addons"
    only_tracker.mkdir()
    built = os.environ.get("QI_ADDON_DIR")
    if built:
        os.symlink(os.path.join(built, "tracker-sqlite"), str(only_tracker / "tracker-sqlite"))
    s = QiServer(tmp_path, addon_path=ADDONS, extra_env={"QI_ADDON_DIR": str(only_tracker)} if built else None)
    yield s
    s.stop()


@pytest.fixture
def asker(server):
    with qi.hub.connect(server.url, server.token, name="test/launcher", timeout=T) as c:
        yield c


# -- without a hub -------------------------------------------------------------


def test_next_version_path(tmp_path):
    first = tmp_path / "sh010_comp_v001.nk"
    assert qi.host.next_version_path(str(first)) == (str(tmp_path / "sh010_comp_v002.nk"), 2)
    # the highest of the series in the folder, its padding kept, never a file there
    (tmp_path / "sh010_comp_v007.nk").write_text("")
    (tmp_path / "sh010_comp_v010_wip.nk").write_text("")
    assert qi.host.next_version_path(str(first)) == (str(tmp_path / "sh010_comp_v008.nk"), 8)
    assert qi.host.next_version_path(str(tmp_path / "a_v9.blend")) == (str(tmp_path / "a_v10.blend"), 10)
    assert qi.host.next_version_path(str(tmp_path / "a_v099_wip.ma")) == (str(tmp_path / "a_v100_wip.ma"), 100)
    # the last token counts; one inside a word does not
    assert qi.host.next_version_path("/w/v_v001_v003.nk") == ("/w/v_v001_v004.nk", 4)
    with pytest.raises(ValueError) as e:
        qi.host.next_version_path("/w/comp.nk")
    assert str(e.value) == "“comp.nk” has no version in its name: name it like “comp_v001.nk” to version it"
    with pytest.raises(ValueError):
        qi.host.next_version_path("/w/sh010_comp_v01x.nk")


def test_next_in_search_path(tmp_path):
    qi_folder, studio, other = tmp_path / "qi", tmp_path / "studio", tmp_path / "other"
    for folder in (qi_folder, studio, other):
        (folder / "scripts").mkdir(parents=True)
    (qi_folder / "scripts" / "123.py").write_text("")
    (other / "scripts" / "123.py").write_text("")
    entries = [str(qi_folder), str(studio), "&", str(other)]
    # the studio's folder has none: the next one that has it
    assert qi.host.next_in_search_path(entries, "scripts/123.py", str(qi_folder)) == \
        str(other / "scripts" / "123.py")
    assert qi.host.next_in_search_path(entries, "scripts/456.py", str(qi_folder)) is None
    # Qi's folder not on the path: nothing is Qi's to chain
    assert qi.host.next_in_search_path(entries[1:], "scripts/123.py", str(qi_folder)) is None


def test_main_thread():
    main = qi.host.MainThread()
    seen = []

    def where(x):
        seen.append(threading.get_ident())
        return x * 2

    # from the main thread: at once
    assert main.call(where, 2) == 4
    # from another: when the main thread runs it, with its result or error
    results = {}

    def ask():
        results["value"] = main.call(where, 21, timeout=T)
        try:
            main.call(lambda: 1 / 0, timeout=T)
        except ZeroDivisionError as e:
            results["error"] = e
        main.wake()

    worker = threading.Thread(target=ask)
    worker.start()
    main.serve(until=lambda: "error" in results, poll=0.05)
    worker.join(T)
    assert results["value"] == 42 and isinstance(results["error"], ZeroDivisionError)
    assert set(seen) == {threading.get_ident()}

    # nothing runs the queue: the caller gets a timeout, and the call is dropped
    failed = {}

    def stuck():
        try:
            main.call(where, 1, timeout=0.2)
        except HubError as e:
            failed["error"] = e

    worker = threading.Thread(target=stuck)
    worker.start()
    worker.join(T)
    assert failed["error"].code == "timeout"
    assert "did not take the call within 0.2 s" in failed["error"].message
    assert main.run_pending() == 0  # dropped, not run late
    assert len(seen) == 2

    # the DCC's own executor, when it has one
    calls = []
    own = qi.host.MainThread(executor=lambda fn, *a: calls.append(fn) or fn(*a))
    worker = threading.Thread(target=lambda: results.update(own=own.call(where, 5)))
    worker.start()
    worker.join(T)
    assert results["own"] == 10 and calls == [where]


def test_without_qi(tmp_path):
    host = FakeHost()
    session = qi.host.Session(host, environ={"QI_HOST": "kinds-dcc"})
    assert session.connect() is False
    assert host.warnings == ["Qi: QI_SERVER_URL is not set (Kinds DCC was not started by Qi); it runs "
                             "on without Qi"]
    assert session.finished.is_set()
    assert qi.host.start_session(host, environ={}) is None


def test_refused(server, tmp_path):
    host = FakeHost()
    env = contract(server, tmp_path, QI_SESSION_TOKEN="not-a-token")
    assert qi.host.Session(host, environ=env).connect(timeout=T) is False
    assert len(host.warnings) == 1
    assert host.warnings[0].startswith("Qi: cannot connect to the hub at {} as dcc/kinds-dcc/{} (".format(
        server.url, os.getpid()))
    assert host.warnings[0].endswith("); Kinds DCC runs on without Qi")
    host.warnings.clear()
    env = contract(server, tmp_path, QI_SERVER_URL="http://127.0.0.1:1/ws")
    assert qi.host.Session(host, environ=env).connect(timeout=T) is False
    assert len(host.warnings) == 1 and "must start with ws://" in host.warnings[0]


# -- on the hub ----------------------------------------------------------------


@needs_addons
def test_session(server, asker, tmp_path):
    host = FakeHost()
    env = contract(server, tmp_path)
    session = qi.host.start_session(host, environ=env)
    assert session is not None and host.warnings == []
    try:
        name = "dcc/kinds-dcc/{}".format(os.getpid())
        assert session.session == name
        assert {"id": name, "parent": None} in asker.sessions(timeout=T)
        # the Qi menu: the host's item (kinds' QiHost), then Save and Version up
        assert host.menus == [["Say hello", "Save", "Version up"]]
        assert session.menu_items[0].topic == "kinds.tray.clicked"

        info = serving(session, lambda: asker.request("host.info", {}, timeout=T))
        assert info == {"host": "kinds-dcc", "app": "kinds-dcc/1.2", "version": "1.2.3", "pid": os.getpid(),
                        "project": "demo", "context": "/sq010/sh010", "task": "comp",
                        "workdir": env["QI_WORKDIR"], "current_file": None}
        # every DCC call ran on the main thread, none on the client's
        assert host.threads == {threading.get_ident()}

        # unsaved, no path: QI_WORKFILE
        saved = serving(session, lambda: asker.request("workfile.save", {}, timeout=T))
        assert saved == {"path": env["QI_WORKFILE"]} and os.path.isfile(env["QI_WORKFILE"])
        other = str(tmp_path / "elsewhere" / "deep" / "sh010_comp_v005.kscene")
        assert serving(session, lambda: asker.request("workfile.save", {"path": other}, timeout=T)) == \
            {"path": other}
        assert host.current == other and os.path.isfile(other)
        for bad in ({"path": "relative.kscene"}, {"path": 3}):
            with pytest.raises(HubError) as e:
                serving(session, lambda: asker.request("workfile.save", bad, timeout=T))
            assert e.value.code == "bad_message"
            assert e.value.message == "workfile.save: “path” must be an absolute path, a string"

        # open
        assert serving(session, lambda: asker.request("workfile.open", {"path": env["QI_WORKFILE"]},
                                                      timeout=T)) == {"path": env["QI_WORKFILE"]}
        assert host.current == env["QI_WORKFILE"]
        with pytest.raises(HubError) as e:
            serving(session, lambda: asker.request("workfile.open", {"path": "/nope/x.kscene"}, timeout=T))
        assert e.value.code == "handler_failed"
        assert e.value.message == "workfile.open: there is no file “/nope/x.kscene”"
        with pytest.raises(HubError) as e:
            serving(session, lambda: asker.request("workfile.open", {}, timeout=T))
        assert e.value.code == "bad_message"

        # version up: nothing answers workfiles.next, so the name's next _vNNN
        up = serving(session, lambda: asker.request("workfile.version_up", {}, timeout=T))
        v002 = str(tmp_path / "work" / "sh010_comp_v002.kscene")
        assert up == {"path": v002, "version": 2} and host.current == v002 and os.path.isfile(v002)

        # the menu's items: the host's requests its topic, Save saves
        reply = serving(session, lambda: session.menu_items[0].action().result(T))
        assert reply == {"clicked": "?"}
        os.unlink(v002)
        session.menu_items[1].action()
        assert os.path.isfile(v002)

        # the plain topics are the first DCC's; a second answers its own
        second_host = FakeHost()
        other_pid = os.getpid() + 100000  # another process's, as the second DCC is
        second = qi.host.start_session(second_host, environ=env, pid=other_pid)
        try:
            assert second_host.warnings == []
            assert second.session == "dcc/kinds-dcc/{}".format(other_pid)
            assert second.shared_topics is False and session.shared_topics is True
            assert second.topic_prefix == "dcc.kinds-dcc.{}.".format(other_pid)
            mine = serving(second, lambda: asker.request(second.topic_prefix + "host.info", {}, timeout=T))
            assert mine["pid"] == other_pid
            first = serving(session, lambda: asker.request("host.info", {}, timeout=T))
            assert first["pid"] == os.getpid()
        finally:
            second.close()
    finally:
        session.close()


@needs_addons
def test_version_up_asks_the_hub(server, asker, tmp_path):
    host = FakeHost()
    env = contract(server, tmp_path)
    session = qi.host.start_session(host, environ=env)
    asked = []
    target = str(tmp_path / "work" / "from_the_launcher_v012.kscene")

    def next_workfile(payload, message):
        asked.append(payload)
        if payload["current"].endswith("broken.kscene"):
            raise HubError("handler_failed", "no template for kinds-dcc")
        return {"path": target, "version": 12}

    try:
        asker.register("workfiles.next", next_workfile, timeout=T)
        host.current = str(tmp_path / "work" / "sh010_comp_v003.kscene")
        up = serving(session, lambda: asker.request("workfile.version_up", {}, timeout=T))
        assert up == {"path": target, "version": 12} and os.path.isfile(target)
        assert asked == [{"project": "demo", "context": "/sq010/sh010", "task": "comp", "host": "kinds-dcc",
                          "current": str(tmp_path / "work" / "sh010_comp_v003.kscene")}]
        # what the launcher refuses is the answer, not a silent fallback
        host.current = str(tmp_path / "work" / "broken.kscene")
        with pytest.raises(HubError) as e:
            serving(session, lambda: asker.request("workfile.version_up", {}, timeout=T))
        assert e.value.code == "handler_failed" and e.value.message == "no template for kinds-dcc"
        # and without it, a name without a version says how to name it
        asker.unregister("workfiles.next", timeout=T)
        with pytest.raises(HubError) as e:
            serving(session, lambda: asker.request("workfile.version_up", {}, timeout=T))
        assert e.value.message == ("workfile.version_up: “broken.kscene” has no version in its name: name it "
                                   "like “broken_v001.kscene” to version it")
    finally:
        session.close()


@needs_addons
def test_quit_and_the_end_of_the_session(server, asker, tmp_path):
    host = FakeHost()
    session = qi.host.start_session(host, environ=contract(server, tmp_path))
    try:
        reply = asker.request("host.quit", {}, timeout=T)
        assert reply == {"quitting": True}
        session.main.serve(until=lambda: host.quits == 1, poll=0.05)
        assert session.finished.is_set() and host.threads == {threading.get_ident()}
    finally:
        session.close()

    # the hub going away ends the session, with one warning line
    host = FakeHost()
    session = qi.host.start_session(host, environ=contract(server, tmp_path))
    try:
        assert not session.finished.is_set()
        server.stop()
        assert session.finished.wait(T)
        assert len(host.warnings) == 1
        assert host.warnings[0].startswith("Qi: the hub closed this session (")
        assert host.warnings[0].endswith("); Kinds DCC runs on without Qi")
    finally:
        session.close()


def test_add_qi_python_path(monkeypatch, tmp_path):
    monkeypatch.setattr("sys.path", ["/already"])
    qi.host.add_qi_python_path({"QI_HOST_PYTHONPATH": os.pathsep.join([str(tmp_path), "/already", ""])})
    import sys

    assert sys.path == [str(tmp_path), "/already"]
