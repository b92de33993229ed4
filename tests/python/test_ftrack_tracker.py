"""An ftrack login makes ftrack the run's tracker: `qi serve` started with
the QI_FTRACK_* variables (a farm machine), or a login window's ftrack
login over the hub, and the db_service.* topics are answered by the
ftrack adapter, against the stateful fake ftrack server of tests/ftrack
(the recorded schemas and server information of tests/fixtures/ftrack)."""
import json
import os
import subprocess
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


def operations(url):
    with urllib.request.urlopen(url + "/_fake/requests", timeout=T) as answer:
        return [op for request in json.load(answer) for op in request["operations"]]


def test_a_farm_login_from_the_environment_makes_ftrack_the_tracker(tmp_path, ftrack):
    s = QiServer(tmp_path, extra_env={"QI_FTRACK_SERVER": ftrack, "QI_FTRACK_API_USER": USER,
                                      "QI_FTRACK_API_KEY": KEY, "QI_NO_KEYRING": "1"})
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
            # the embedded tracker is still there by name, and has none of it
            embedded = c.request("db_service.project.list", {"adapter": "sqlite"}, timeout=T)
            assert embedded["projects"] == []
        creates = [op for op in operations(ftrack) if op.get("action") == "create"]
        assert [op["entity_type"] for op in creates] == ["Project", "Shot"]
        assert creates[0]["entity_data"]["name"] == "show_a"
    finally:
        s.stop()


def test_an_ftrack_login_over_the_hub_switches_the_tracker(tmp_path, ftrack):
    s = QiServer(tmp_path, extra_env={"QI_NO_KEYRING": "1"})
    try:
        with qi.hub.connect(s.url, s.token, name="ui/login", timeout=T) as c:
            before = c.request("db_service.project.list", {}, timeout=T)
            assert before["projects"] == []
            with pytest.raises(qi.hub.HubError) as refused:
                c.request("auth.login", {"provider": "ftrack", "server": ftrack, "api_user": USER,
                                         "api_key": "wrong"}, timeout=T)
            assert refused.value.code == "unauthorized"
            # a refused login changes nothing
            assert c.request("db_service.project.list", {}, timeout=T)["projects"] == []
            session = c.request("auth.login", {"provider": "ftrack", "server": ftrack, "api_user": USER,
                                               "api_key": KEY}, timeout=T)
            assert session["provider"] == "ftrack"
            c.request("db_service.project.create", {"name": "show_b"}, timeout=T)
            assert any(op.get("entity_type") == "Project" for op in operations(ftrack)
                       if op.get("action") == "create")
            assert c.request("db_service.project.list", {"adapter": "sqlite"}, timeout=T)["projects"] == []
    finally:
        s.stop()
