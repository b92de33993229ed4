"""The Blender host for real: Debian's blender in the background, launched
as the launcher will launch it, serving the hub.

The environment is the launcher's: ``qi --headless hosts env blender``
applied to a clean one, plus the variables of the contract
(docs/protocol.md, “Inside a DCC”), with the info file's token as
QI_SESSION_TOKEN; the command line is ``qi --headless hosts args blender``'s.
Blender always runs with ``--python-exit-code 1``, which the host adds, so
that an exception in Qi's code fails it.
"""
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import QI_EXE, QiServer, T

BLENDER = shutil.which("blender") or "/usr/bin/blender"
if not os.access(BLENDER, os.X_OK):
    pytest.fail("blender is not installed: tools/deps.sh installs Debian's (QI_TEST_PACKAGES)",
                pytrace=False)

START = 60  # seconds for Blender to start and connect, on a loaded machine


def base_env(tmp_path):
    """A clean environment: no QI_* of the caller's but this build's, a home of the test's."""
    keep = ("QI_PYTHON_PATH", "QI_ADDON_DIR", "QI_LOADER_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QI_", "BLENDER_")) or k in keep}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(tmp_path / "xdg_config_home"),
               XDG_DATA_HOME=str(tmp_path / "xdg_data_home"), XDG_RUNTIME_DIR=str(tmp_path / "xdg_runtime_dir"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        os.makedirs(env[var], mode=0o700, exist_ok=True)
    return env


def run_qi(env, *args):
    done = subprocess.run([QI_EXE, "--headless", *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, "qi {} exited {}: {}".format(" ".join(args), done.returncode, done.stderr)
    return done.stdout


def launch_env(base, server, workdir, **extra):
    """What the launcher gives Blender: the host's changes and the contract."""
    changes = json.loads(run_qi(base, "hosts", "env", "blender", "--json"))["changes"]
    env = dict(base)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env.update(QI_SERVER_URL=server.url, QI_SESSION_TOKEN=server.token, QI_PROJECT="demo",
               QI_CONTEXT="/sq010/sh010", QI_TASK="lighting", QI_TASK_TYPE="lighting", QI_APP="blender/3.4",
               QI_WORKDIR=str(workdir), QI_WORKFILE=str(workdir / "demo_sh010_lighting_v001.blend"),
               QI_BUNDLE="", QI_LAUNCH_ID="test-launch-1")
    env.update(extra)
    return env


@pytest.fixture
def tracker(tmp_path):
    """qi --headless serve on a scratch tracker with the demo show."""
    env = base_env(tmp_path)
    run_qi(env, "db", "seed-demo")
    server = QiServer(tmp_path)
    yield server, env
    server.stop()


class Blender:
    def __init__(self, argv, env, log_path):
        self.log_path = log_path
        with open(str(log_path), "wb") as log:
            self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        self.session = "dcc/blender/{}".format(self.proc.pid)

    def log(self):
        return self.log_path.read_text(errors="replace")[-6000:]

    def wait_for_session(self, hub):
        end = time.monotonic() + START
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                pytest.fail("blender exited {} before its session opened:\n{}".format(self.proc.returncode,
                                                                                     self.log()))
            if any(s["id"] == self.session for s in hub.sessions(timeout=T)):
                return
            time.sleep(0.1)
        pytest.fail("no session {} after {} s:\n{}".format(self.session, START, self.log()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def test_blender_in_the_background(tracker, tmp_path):
    server, base = tracker
    # the studio's work folder of the task, as the launcher solves it
    workdir = pathlib.Path(run_qi(base, "templates", "solve", "work.directory", "--project", "demo",
                                  "--context", "/sq010/sh010", "--task", "lighting").strip())
    workdir.mkdir(parents=True)
    env = launch_env(base, server, workdir)
    argv = json.loads(run_qi(base, "hosts", "args", "blender", "--app-arg=--background", "--json"))["argv"]
    assert argv[1:] == ["--background", "--python-exit-code", "1", "--python-expr",
                        "import qi_blender; qi_blender.serve_background()"]

    blender = Blender(argv, env, tmp_path / "blender.log")
    try:
        with qi.hub.connect(server.url, server.token, name="test/launcher", timeout=T) as hub:
            blender.wait_for_session(hub)
            prefix = "dcc.blender.{}.".format(blender.proc.pid)

            info = hub.request("host.info", {}, timeout=T)
            assert info == {"host": "blender", "app": "blender/3.4", "version": info["version"],
                            "pid": blender.proc.pid, "project": "demo", "context": "/sq010/sh010",
                            "task": "lighting", "workdir": str(workdir), "current_file": None}
            assert info["version"].startswith("3.4"), info
            assert hub.request(prefix + "host.info", {}, timeout=T) == info

            # a real .blend where it is asked for
            first = workdir / "demo_sh010_lighting_v001.blend"
            assert hub.request("workfile.save", {"path": str(first)}, timeout=T) == {"path": str(first)}
            assert first.read_bytes()[:7] == b"BLENDER"
            assert hub.request("host.info", {}, timeout=T)["current_file"] == str(first)

            # version up: the applications addon answers workfiles.next with
            # the studio's next work file of the task
            up = hub.request("workfile.version_up", {}, timeout=T)
            second = workdir / "demo_sh010_lighting_v002.blend"
            assert up == {"path": str(second), "version": 2}
            assert second.read_bytes()[:7] == b"BLENDER"

            # open the first again
            assert hub.request("workfile.open", {"path": str(first)}, timeout=T) == {"path": str(first)}
            assert hub.request("host.info", {}, timeout=T)["current_file"] == str(first)
            with pytest.raises(HubError) as e:
                hub.request("workfile.open", {"path": str(workdir / "missing.blend")}, timeout=T)
            assert e.value.code == "handler_failed"

            assert hub.request("host.quit", {}, timeout=T) == {"quitting": True}
            assert blender.proc.wait(30) == 0, blender.log()
            assert blender.session not in [s["id"] for s in hub.sessions(timeout=T)]
    finally:
        blender.stop()


def test_the_studio_scripts_still_load(tracker, tmp_path):
    """A studio's BLENDER_USER_SCRIPTS keeps its startup modules and addons
    under Qi's; the hub closing the session lets Blender exit."""
    server, base = tracker
    studio = tmp_path / "studio-scripts"
    (studio / "startup").mkdir(parents=True)
    (studio / "addons" / "studio_tool").mkdir(parents=True)
    (studio / "modules").mkdir()
    marker = tmp_path / "studio-ran.txt"
    (studio / "modules" / "studio_lib.py").write_text("GREETING = 'from the studio'\n")
    (studio / "startup" / "studio_startup.py").write_text(
        "import os\nimport addon_utils\nimport studio_lib\n\n"
        "def register():\n"
        "    with open(os.environ['STUDIO_MARKER'], 'a') as f:\n"
        "        f.write('startup ' + studio_lib.GREETING + '\\n')\n"
        "    addon_utils.enable('studio_tool', default_set=True)\n")
    (studio / "addons" / "studio_tool" / "__init__.py").write_text(
        "import os\n"
        "bl_info = {'name': 'Studio tool', 'blender': (3, 0, 0), 'category': 'System'}\n\n"
        "def register():\n"
        "    with open(os.environ['STUDIO_MARKER'], 'a') as f:\n"
        "        f.write('addon studio_tool\\n')\n\n"
        "def unregister():\n"
        "    pass\n")
    base["BLENDER_USER_SCRIPTS"] = str(studio)
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = launch_env(base, server, workdir, STUDIO_MARKER=str(marker))
    assert env["QI_BLENDER_STUDIO_SCRIPTS"] == str(studio)
    assert env["BLENDER_USER_SCRIPTS"] == env["QI_HOST_PLUGIN_FOLDER"]
    assert env["BLENDER_USER_SCRIPTS"].endswith(os.path.join("host-blender", "host", "blender"))
    argv = json.loads(run_qi(base, "hosts", "args", "blender", "--app-arg=-b", "--json"))["argv"]

    blender = Blender(argv, env, tmp_path / "blender.log")
    try:
        with qi.hub.connect(server.url, server.token, name="test/launcher", timeout=T) as hub:
            blender.wait_for_session(hub)
            # the startup module ran, and the addon it enabled from the studio's addons/
            # (Blender's own start-up enables it again, the preferences naming it: twice is fine)
            lines = marker.read_text().splitlines() if marker.exists() else []
            assert lines[:2] == ["startup from the studio", "addon studio_tool"], blender.log()
            # the hub going away ends Blender's session: it exits, and not in error
            server.stop()
            assert blender.proc.wait(30) == 0, blender.log()
            assert "Qi: the hub closed this session" in blender.log()
    finally:
        blender.stop()


def test_blender_started_by_hand(tmp_path):
    """Without QI_SERVER_URL: one warning line, and Blender runs on."""
    base = base_env(tmp_path)
    argv = json.loads(run_qi(base, "hosts", "args", "blender", "--app-arg=--background", "--json"))["argv"]
    changes = json.loads(run_qi(base, "hosts", "env", "blender", "--json"))["changes"]
    env = dict(base, **changes)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=START)
    assert done.returncode == 0, done.stdout + done.stderr
    qi_lines = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("Qi:")]
    assert qi_lines == ["Qi: QI_SERVER_URL is not set (Blender was not started by Qi); it runs on without Qi"]


def test_the_qi_menu_registers(tmp_path):
    """File → Qi: the menu's classes register in Blender (here in the
    background, which has no window to show them in)."""
    base = base_env(tmp_path)
    env = dict(base, **json.loads(run_qi(base, "hosts", "env", "blender", "--json"))["changes"])
    script = ("import bpy, qi.host, qi_blender\n"
              "items = [qi.host.MenuItem('Save', lambda: None), qi.host.MenuItem('Version up', lambda: None)]\n"
              "qi_blender.register_menu(items)\n"
              "assert hasattr(bpy.types, 'QI_MT_menu') and bpy.ops.qi.menu_item.poll()\n"
              "assert [i.label for i in qi_blender._items] == ['Save', 'Version up']\n"
              "qi_blender.unregister_menu()\n"
              "assert not hasattr(bpy.types, 'QI_MT_menu')\n"
              "print('menu ok')\n")
    done = subprocess.run([BLENDER, "--background", "--python-exit-code", "1", "--python-expr", script],
                          env=env, capture_output=True, text=True, timeout=START)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "menu ok" in done.stdout


XVFB_RUN = shutil.which("xvfb-run")


@pytest.mark.skipif(XVFB_RUN is None, reason="xvfb-run is not installed (tools/deps.sh installs it)")
def test_blender_with_its_interface(tracker, tmp_path):
    """With a window (on Xvfb): bpy.app.timers runs the hub's requests on
    Blender's main thread, File → Qi is there, host.quit quits Blender."""
    server, base = tracker
    workdir = tmp_path / "work"
    workdir.mkdir()
    marker = tmp_path / "menu.txt"
    env = launch_env(base, server, workdir, MENU_MARKER=str(marker))
    # (not --factory-startup: Blender then skips the user scripts, Qi's among them)
    argv = json.loads(run_qi(base, "hosts", "args", "blender", "--json"))["argv"]
    assert "--python-expr" not in argv  # no background: Qi's start-up module serves
    check = ("import bpy, os\n"
             "def check():\n"
             "    if not hasattr(bpy.types, 'QI_MT_menu'):\n"
             "        return 0.2\n"
             "    import qi_blender\n"
             "    drawn = [f.__name__ for f in bpy.types.TOPBAR_MT_file._dyn_ui_initialize()]\n"
             "    with open(os.environ['MENU_MARKER'], 'w') as f:\n"
             "        f.write(' | '.join(i.label for i in qi_blender._items) + '\\n' + ' '.join(drawn))\n"
             "    return None\n"
             "bpy.app.timers.register(check, first_interval=0.2)\n")
    argv = [XVFB_RUN, "-a", "-s", "-screen 0 1280x720x24"] + argv + ["--python-exit-code", "1",
                                                                     "--python-expr", check]
    blender = Blender(argv, env, tmp_path / "blender.log")
    try:
        with qi.hub.connect(server.url, server.token, name="test/launcher", timeout=T) as hub:
            end = time.monotonic() + START
            session = None
            while session is None and time.monotonic() < end:
                if blender.proc.poll() is not None:
                    pytest.fail("blender exited {}:\n{}".format(blender.proc.returncode, blender.log()))
                session = next((s["id"] for s in hub.sessions(timeout=T) if s["id"].startswith("dcc/blender/")),
                               None)
                time.sleep(0.1)
            assert session is not None, blender.log()
            info = hub.request("host.info", {}, timeout=T)
            assert info["host"] == "blender" and info["context"] == "/sq010/sh010"
            assert session == "dcc/blender/{}".format(info["pid"])
            # the first save of a Blender with its interface waits for its
            # main loop, which a loaded machine keeps busy for seconds
            saved = hub.request("workfile.save", {}, timeout=START)
            assert saved == {"path": env["QI_WORKFILE"]}
            assert open(env["QI_WORKFILE"], "rb").read(7) == b"BLENDER"
            end = time.monotonic() + START
            # Blender's timer opens the file, then writes: it may be there
            # and still empty for a moment.
            lines = []
            while len(lines) < 2 and time.monotonic() < end:
                time.sleep(0.1)
                lines = marker.read_text().splitlines() if marker.exists() else []
            assert len(lines) == 2, blender.log()
            labels, drawn = lines
            # the pipeline's windows first, then the host's Save and Version up
            assert labels == "Publish… | Load… | Manage… | Build workfile | Update from template | Save | Version up"
            assert "_draw_file_menu" in drawn.split()
            assert hub.request("host.quit", {}, timeout=T) == {"quitting": True}
            assert blender.proc.wait(30) == 0, blender.log()
    finally:
        blender.stop()
