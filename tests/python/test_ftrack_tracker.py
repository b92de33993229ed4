"""A run on the ftrack tracker (`QI_TRACKER=tracker-ftrack`): `qi serve`
logged in with the QI_FTRACK_* variables (a farm machine), or by a login
window's ftrack login over the hub, and the db_service.* topics answered
by the ftrack adapter, against the stateful fake ftrack server of tests/ftrack
(the recorded schemas and server information of tests/fixtures/ftrack)."""
import json
import os
import subprocess
import time
import sys
import urllib.request

import pytest

import qi.hub

from test_hub_server import QiServer, T

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "ftrack", "fake_ftrack.py")
FIXTURES = os.environ.get("QI_FTRACK_FIXTURES")
USER = "qi.pipeline@studio.example"
KEY = "5e1f6d9a-0c4b-4b8e-9d61-3f2a7c8b9e10"

if not FIXTURES:
    pytest.skip("QI_FTRACK_FIXTURES is not set (meson test sets it)", allow_module_level=True)


@pytest.fixture
def ftrack():
    proc = subprocess.Popen(["/usr/bin/python3", FAKE, "--fixtures", FIXTURES, "--port", "0",
                             "--user", USER, "--key", KEY],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = proc.stdout.readline().strip()
    assert port.isdigit(), "the fake ftrack server did not start"
    yield "http://127.0.0.1:" + port
    proc.terminate()
    proc.wait(5)


def requests(url):
    with urllib.request.urlopen(url + "/_fake/requests", timeout=T) as answer:
        return json.load(answer)


def operations(url):
    return [op for request in requests(url) for op in request["operations"]]


def test_a_farm_run_on_ftrack_logs_in_from_the_environment(tmp_path, ftrack):
    s = QiServer(tmp_path, extra_env={"QI_TRACKER": "tracker-ftrack", "QI_FTRACK_SERVER": ftrack,
                                      "QI_FTRACK_API_USER": USER, "QI_FTRACK_API_KEY": KEY, "QI_NO_KEYRING": "1"})
    try:
        with qi.hub.connect(s.url, s.token, name="tool/test", timeout=T) as c:
            project = c.request("db_service.project.create", {"name": "show_a", "label": "Show A"}, timeout=T)
            # an ftrack id, not a row of the embedded tracker
            assert len(project["id"]) == 36 and project["id"].count("-") == 4
            shot = c.request("db_service.context.create",
                             {"project": "show_a", "kind": "shot", "name": "sh010"}, timeout=T)
            assert shot["path"] == "/sh010"
            listed = c.request("db_service.project.list", {}, timeout=T)
            assert [p["name"] for p in listed["projects"]] == ["show_a"]
            # the run has one tracker: the embedded one is not loaded
            with pytest.raises(qi.hub.HubError) as refused:
                c.request("db_service.project.list", {"adapter": "tracker-sqlite"}, timeout=T)
            assert "tracker-sqlite" in str(refused.value)
            info = c.request("auth.info", {}, timeout=T)
            assert info == {"provider": "ftrack", "logged_in": True, "user": USER}
        creates = [op for op in operations(ftrack) if op.get("action") == "create"]
        assert [op["entity_type"] for op in creates] == ["Project", "Shot"]
        assert creates[0]["entity_data"]["name"] == "show_a"
    finally:
        s.stop()


def test_an_ftrack_run_logs_in_over_the_hub(tmp_path, ftrack):
    s = QiServer(tmp_path, extra_env={"QI_TRACKER": "tracker-ftrack", "QI_NO_KEYRING": "1"})
    try:
        with qi.hub.connect(s.url, s.token, name="ui/login", timeout=T) as c:
            assert c.request("auth.info", {}, timeout=T) == {"provider": "ftrack", "logged_in": False,
                                                              "user": None}
            # before a login the tracker says so, and sends nothing
            with pytest.raises(qi.hub.HubError) as early:
                c.request("db_service.project.list", {}, timeout=T)
            assert "not logged in to ftrack" in str(early.value)
            assert operations(ftrack) == []
            with pytest.raises(qi.hub.HubError) as refused:
                c.request("auth.login", {"provider": "ftrack", "server": ftrack, "api_user": USER,
                                         "api_key": "wrong"}, timeout=T)
            assert refused.value.code == "unauthorized"
            # a refused login leaves the tracker logged out
            with pytest.raises(qi.hub.HubError):
                c.request("db_service.project.list", {}, timeout=T)
            session = c.request("auth.login", {"provider": "ftrack", "server": ftrack, "api_user": USER,
                                               "api_key": KEY}, timeout=T)
            assert session["provider"] == "ftrack"
            c.request("db_service.project.create", {"name": "show_b"}, timeout=T)
            assert any(op.get("entity_type") == "Project" for op in operations(ftrack)
                       if op.get("action") == "create")
            assert [p["name"] for p in c.request("db_service.project.list", {}, timeout=T)["projects"]] == ["show_b"]
    finally:
        s.stop()


def test_the_hub_answers_while_ftrack_is_slow(tmp_path, ftrack, record_property):
    """The hub's loop never waits on the tracker: with ftrack answering
    every request after 5 s, 20 context lists are in ftrack at once, and
    a ping of another client is answered while all of them wait."""
    s = QiServer(tmp_path, extra_env={"QI_TRACKER": "tracker-ftrack", "QI_FTRACK_SERVER": ftrack,
                                      "QI_FTRACK_API_USER": USER, "QI_FTRACK_API_KEY": KEY, "QI_NO_KEYRING": "1"})
    try:
        with qi.hub.connect(s.url, s.token, name="tool/lists", timeout=T) as c, \
                qi.hub.connect(s.url, s.token, name="tool/pinger", timeout=T) as pinger:
            c.request("db_service.project.create", {"name": "show_a"}, timeout=T)
            c.request("db_service.context.create", {"project": "show_a", "kind": "shot", "name": "sh010"},
                      timeout=T)
            before = len(requests(ftrack))
            post(ftrack, "/_fake/delay", {"ms": 5000, "every": True})
            lists = [c.request_async("db_service.context.list", {"project": "show_a"}, timeout=60)
                     for _ in range(20)]
            # the lists reach ftrack, and wait there
            deadline = time.monotonic() + 30
            while len(requests(ftrack)) - before < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(requests(ftrack)) - before == 20, "the 20 lists did not all reach ftrack at once"
            started = time.monotonic()
            assert pinger.request("hub.ping", {"n": 7}, timeout=T) == {"n": 7}
            latency_ms = (time.monotonic() - started) * 1000
            assert not any(f.done() for f in lists), "a list was answered before the ping"
            record_property("ping_ms_while_ftrack_waits", round(latency_ms, 2))
            sys.stderr.write("hub.ping answered in %.1f ms with 20 lists waiting on ftrack\n" % latency_ms)
            for f in lists:
                assert [x["path"] for x in f.result(60)["contexts"]] == ["/sh010"]
        # a list is two requests (the project, then its contexts): the 20
        # of each step were in ftrack together, each begun before any ended
        log = requests(ftrack)[before:]
        assert len(log) == 40
        for step in (log[:20], log[20:]):
            assert max(e["started"] for e in step) < min(e["finished"] for e in step)
    finally:
        post(ftrack, "/_fake/delay", {"ms": 0})
        s.stop()


def post(url, path, body):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=T) as answer:
        return json.load(answer)
