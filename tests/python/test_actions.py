"""Actions (the ``actions`` addon, ``qi.actions``) through a real ``qi
--headless serve`` on the demo tracker: Qi's own on a task, a version and
a representation, a studio's from its own addon, their refusals, and the
hub answering while one runs."""
import os
import threading
import time

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import QiServer, T
from test_publish_integrator import make_dirs, qi_run

pytestmark = pytest.mark.skipif(
    not os.path.isfile(os.path.join(os.environ.get("QI_ADDON_DIR", ""), "actions", "addon.py"))
    or not os.environ.get("QI_LOADER_DIR"),
    reason="the actions addon or the Python bridge is not built (run through meson test)")

STUDIO_ACTION = '''
import time

from qi.actions import Action


class CountFrames(Action):
    label = "Count the frames"
    targets = ["version"]
    order = 5

    def is_compatible(self, selection):
        return all(v.get("product_type") == "render" for v in selection)

    def process(self, selection):
        time.sleep(1.0)  # a slow one: the hub answers meanwhile
        version = self.hub.request("db_service.version.get", {"id": selection[0]["id"]})
        return "%d frames" % sum(len(c["files"]) for c in version["components"])


class Broken(Action):
    targets = ["task"]

    def process(self, selection):
        raise RuntimeError("the render farm is down")
'''


@pytest.fixture
def studio(tmp_path):
    dirs = make_dirs(tmp_path)
    assert qi_run(dirs, "db", "seed-demo").returncode == 0
    addon = tmp_path / "addons" / "studio-actions"
    (addon / "plugins" / "actions").mkdir(parents=True)
    (addon / "addon.toml").write_text('name = "studio-actions"\nversion = "1.0.0"\n')
    (addon / "plugins" / "actions" / "studio.py").write_text(STUDIO_ACTION)
    server = QiServer(tmp_path, addon_path=str(tmp_path / "addons"),
                      extra_env={"QI_DELIVERY_DIR": str(tmp_path / "deliveries")})
    server.dirs = dirs
    client = qi.hub.connect(server.url, server.token, name="test/actions", timeout=T)
    yield server, client, tmp_path
    client.close()
    server.stop()


def names(client, target, selection):
    return [a["name"] for a in client.request("actions.list", {"target": target, "selection": selection},
                                              timeout=T)["actions"]]


def publish(client, tmp_path):
    frames = []
    for f in (1001, 1002):
        path = tmp_path / ("sh010.%d.exr" % f)
        path.write_bytes(os.urandom(1000))
        frames.append({"path": str(path), "frame": f})
    return client.request("publish.integrate", {
        "project": "demo", "context": "/sq010/sh010", "product_type": "render", "product_name": "renderMain",
        "representations": [{"name": "exr", "ext": "exr", "files": frames}]}, timeout=60)


def test_qi_actions_on_a_task(studio):
    server, client, tmp_path = studio
    task = {"project": "demo", "context": "/sq010/sh010", "task": "comp"}
    assert names(client, "task", [task]) == ["OpenWorkFolder", "MakeWorkFolder", "CopyWorkfilePath", "Broken"]
    with pytest.raises(HubError, match="is not made yet: make the work folder first"):
        client.request("actions.run", {"action": "OpenWorkFolder", "target": "task", "selection": [task]}, timeout=T)
    made = client.request("actions.run", {"action": "MakeWorkFolder", "target": "task", "selection": [task]},
                          timeout=T)
    assert made["message"].startswith("made ") and os.path.isdir(made["path"])
    assert made["path"].endswith("/demo/sq010/sh010/work/comp")
    opened = client.request("actions.run", {"action": "OpenWorkFolder", "target": "task", "selection": [task]},
                            timeout=T)
    assert opened["path"] == made["path"]
    copied = client.request("actions.run", {"action": "CopyWorkfilePath", "target": "task", "selection": [task]},
                            timeout=T)
    assert copied["copy"].endswith("/work/comp/demo_sh010_comp_v001.blend")
    with pytest.raises(HubError, match="actions.run: Broken: the render farm is down"):
        client.request("actions.run", {"action": "Broken", "target": "task", "selection": [task]}, timeout=T)


def test_actions_on_versions_and_representations(studio):
    server, client, tmp_path = studio
    report = publish(client, tmp_path)
    version = client.request("db_service.version.get", {"id": report["version"]["id"]}, timeout=T)
    assert names(client, "version", [version]) == ["CountFrames", "OpenVersionFolder"]
    # the studio's test on the selection: not for a model
    assert names(client, "version", [dict(version, product_type="model")]) == ["OpenVersionFolder"]
    folder = client.request("actions.run", {"action": "OpenVersionFolder", "target": "version",
                                            "selection": [version]}, timeout=T)["path"]
    assert folder == os.path.dirname(report["files"][0]["path"])

    # the hub answers while the studio's slow action runs
    done = {}
    thread = threading.Thread(target=lambda: done.update(client.request(
        "actions.run", {"action": "CountFrames", "target": "version", "selection": [version]}, timeout=T)))
    thread.start()
    time.sleep(0.2)
    client.request("hub.ping", {}, timeout=T)
    assert thread.is_alive() and not done  # answered while the action still runs
    thread.join(T)
    assert done == {"message": "2 frames"}

    rep = {"version": version["id"], "representation": "exr"}
    assert names(client, "representation", [rep]) == ["CopyRepresentationPath", "DeliverCopy"]
    path = client.request("actions.run", {"action": "CopyRepresentationPath", "target": "representation",
                                          "selection": [rep]}, timeout=T)
    assert path["copy"] == folder  # a sequence: its folder
    delivered = client.request("actions.run", {"action": "DeliverCopy", "target": "representation",
                                               "selection": [rep]}, timeout=T)
    assert delivered["message"].startswith("delivered 2 files to ") and delivered["path"].endswith("renderMain_v002")
    assert sorted(os.listdir(delivered["path"])) == sorted(os.path.basename(f["path"]) for f in report["files"])
    with pytest.raises(HubError, match="is there already: a delivery is never overwritten"):
        client.request("actions.run", {"action": "DeliverCopy", "target": "representation", "selection": [rep]},
                       timeout=T)


def test_bad_requests_name_what_is_wrong(studio):
    server, client, tmp_path = studio
    with pytest.raises(HubError) as caught:
        client.request("actions.list", {"target": "shot", "selection": []}, timeout=T)
    assert caught.value.code == "bad_message" and "“target” is task, version, representation, container" in str(
        caught.value)
    with pytest.raises(HubError, match="“selection” must be a list of objects"):
        client.request("actions.list", {"target": "task", "selection": "x"}, timeout=T)
    with pytest.raises(HubError, match="no action “Nope” for a task"):
        client.request("actions.run", {"action": "Nope", "target": "task", "selection": [{}]}, timeout=T)
    with pytest.raises(HubError, match="does not apply to this selection"):
        client.request("actions.run", {"action": "MakeWorkFolder", "target": "task", "selection": [{}]}, timeout=T)
