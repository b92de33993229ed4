"""The anatomy addon through the real server, ``qi --headless serve``, over
the demo show of the embedded tracker (``qi --headless db seed-demo``):

- ``templates.solve`` fills the fields from the tracker, over the
  WebSocket, from a client of the hub like any DCC.
- A project's override written by another process (``qi --headless
  settings set``) counts at the next request: the server watches the
  override files and the anatomy is read again for each request.
- A bad template is refused by ``config.patch``, naming the key.
"""
import os
import subprocess

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import QI_EXE, QiServer, T, wait_until  # noqa: F401  (QI_EXE: skips without it)

ANATOMY = os.path.join(os.environ.get("QI_ADDON_DIR", ""), "anatomy")

pytestmark = pytest.mark.skipif(not os.path.isdir(ANATOMY),
                                reason="the anatomy addon is not built (run through meson test)")

ANIM = {"name": "work.path", "project": "demo", "context": "/sq010/sh010", "task": "anim",
        "fields": {"version": 1, "ext": ".blend"}}


def run_qi(server, *args):
    """qi --headless ARGS with the server's directories, as another process."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("QI_") or k in ("QI_LOADER_DIR", "QI_PYTHON_PATH", "QI_ADDON_DIR")}
    env.update(server.dirs)
    return subprocess.run([QI_EXE, "--headless", *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def demo_server(tmp_path):
    # the tracker first, as a user would: then the server reads it
    for var in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        (tmp_path / var.lower()).mkdir(mode=0o700, exist_ok=True)
    seeded = subprocess.run([QI_EXE, "--headless", "db", "seed-demo"], capture_output=True, text=True, timeout=60,
                            env=dict({k: v for k, v in os.environ.items()
                                      if not k.startswith("QI_") or k == "QI_ADDON_DIR"},
                                     XDG_RUNTIME_DIR=str(tmp_path / "xdg_runtime_dir"),
                                     XDG_CONFIG_HOME=str(tmp_path / "xdg_config_home"),
                                     XDG_DATA_HOME=str(tmp_path / "xdg_data_home")))
    assert seeded.returncode == 0, seeded.stderr
    s = QiServer(tmp_path)
    yield s
    s.stop()


def projects(server):
    return os.path.join(server.dirs["XDG_DATA_HOME"], "qi", "projects")


def test_solve_and_parse_over_the_websocket(demo_server):
    with qi.hub.connect(demo_server.url, demo_server.token, name="dcc/blender/1", timeout=T) as c:
        solved = c.request("templates.solve", ANIM, timeout=T)
        assert solved["path"] == os.path.join(projects(demo_server),
                                              "demo/sq010/sh010/work/anim/demo_sh010_anim_v001.blend")
        assert solved["fields"]["task"] == {"name": "anim", "type": "anim"}
        parsed = c.request("templates.parse", {"name": "work.path", "path": solved["path"]}, timeout=T)
        assert parsed["fields"]["folder"] == {"name": "sh010"}
        assert parsed["fields"]["version"] == 1
        listed = c.request("templates.list", {}, timeout=T)
        assert listed["roots"] == {"work": projects(demo_server), "publish": projects(demo_server)}
        with pytest.raises(HubError) as failed:
            c.request("templates.solve", dict(ANIM, task="rig"), timeout=T)
        assert failed.value.code == "handler_failed"
        assert str(failed.value).endswith("templates.solve: no task “rig” in “/sq010/sh010” of project “demo” "
                                          "(its tasks: anim, comp, fx, layout, lighting)")
        with pytest.raises(HubError) as refused:
            c.request("templates.solve", {"name": "work.path"}, timeout=T)
        assert refused.value.code == "bad_message"
        assert str(refused.value).endswith("templates.solve: the payload needs “project”, a string that is not empty")


def test_an_override_by_another_process_counts_at_the_next_request(demo_server):
    with qi.hub.connect(demo_server.url, demo_server.token, name="dcc/blender/2", timeout=T) as c:
        before = c.request("templates.solve", ANIM, timeout=T)
        assert before["path"].endswith("/demo_sh010_anim_v001.blend")

        done = run_qi(demo_server, "settings", "set", "anatomy", "templates",
                      '{"work": {"file": "{task[name]}_{@version}{ext}"}}', "--layer", "project", "--project", "demo")
        assert done.returncode == 0, done.stderr

        def changed():
            return c.request("templates.solve", ANIM, timeout=T)["path"].endswith("/work/anim/anim_v001.blend")
        assert wait_until(changed, timeout=10), c.request("templates.solve", ANIM, timeout=T)

        # over the hub, a bad template is refused naming the key
        with pytest.raises(HubError) as refused:
            c.request("config.patch", {"addon": "anatomy", "layer": "project", "project": "demo",
                                       "values": {"templates": {"work": {"file": "{task[name]"}}}}, timeout=T)
        assert "(project layer “demo”): anatomy.templates.work.file: “{task[name]” at character 0: " in str(refused.value)
        # and the good override stands
        assert c.request("templates.solve", ANIM, timeout=T)["path"].endswith("/work/anim/anim_v001.blend")
