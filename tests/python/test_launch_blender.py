"""Launching Blender end to end, as an artist's `qi launch` does: a real
``qi --headless serve`` on the demo tracker, the first-party addons of this
build (the applications, the anatomy, the Blender host), Debian's Blender
in the background, and ``qi --headless launch … --wait`` finding the
running Qi through its default info file.

Blender's session must appear as a child of the launcher's, answer its
own topics (``dcc.blender.PID.*``) with the launch's context, save the
workfile where the studio's templates put it, version it up through the
launcher's ``workfiles.next``, and quit; the launch command and the
``launcher.exited`` event both say status 0."""
import json
import os
import shutil
import subprocess
import time

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import QI_EXE, T, wait_until

BLENDER = shutil.which("blender") or "/usr/bin/blender"
if not os.access(BLENDER, os.X_OK):
    pytest.fail("blender is not installed: tools/deps.sh installs Debian's (QI_TEST_PACKAGES)",
                pytrace=False)

START = 60  # seconds for Blender to start and connect, on a loaded machine
CONTEXT = {"project": "demo", "context": "/sq010/sh010", "task": "anim"}


def clean_env(tmp_path):
    """No QI_* of the caller's but this build's, and XDG folders of the test's."""
    keep = ("QI_PYTHON_PATH", "QI_ADDON_DIR", "QI_LOADER_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QI_", "BLENDER_")) or k in keep}
    home = tmp_path / "home"
    home.mkdir()
    env["HOME"] = str(home)
    for var in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700)
        env[var] = str(d)
    return env


def run_qi(env, *args):
    done = subprocess.run([QI_EXE, "--headless", *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, "qi {} exited {}: {}".format(" ".join(args), done.returncode, done.stderr)
    return done.stdout


def tail(path, size=6000):
    try:
        with open(str(path), errors="replace") as f:
            return f.read()[-size:]
    except OSError as e:
        return "({})".format(e)


@pytest.fixture
def serving(tmp_path):
    """`qi --headless serve` on a seeded tracker, found by its default info file."""
    env = clean_env(tmp_path)
    run_qi(env, "db", "seed-demo")
    log_path = tmp_path / "qi-serve.log"
    with open(str(log_path), "wb") as log:
        proc = subprocess.Popen([QI_EXE, "--headless", "serve", "--port", "0"], env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
    info_path = os.path.join(env["XDG_RUNTIME_DIR"], "qi", "server.json")

    def info():
        try:
            with open(info_path) as f:
                found = json.load(f)
            return found if found.get("url") and found.get("token") else None
        except (OSError, ValueError):
            return None
    assert wait_until(lambda: info() or proc.poll() is not None, timeout=20), tail(log_path)
    assert proc.poll() is None, "qi serve exited {}:\n{}".format(proc.returncode, tail(log_path))
    try:
        yield env, info(), log_path
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_qi_launch_runs_blender_in_the_task_and_it_serves_the_hub(serving, tmp_path):
    env, info, serve_log = serving
    # where the studio's templates put the task's first work file
    expected = run_qi(env, "templates", "solve", "work.path", "--project", "demo", "--context", "/sq010/sh010",
                  "--task", "anim", "--set", "version=1", "--set", "ext=.blend").strip()
    second = expected.replace("_v001.blend", "_v002.blend")
    assert expected.endswith("/work/anim/demo_sh010_anim_v001.blend"), expected

    with qi.hub.connect(info["url"], info["token"], name="test/watcher", timeout=T) as hub:
        events = []
        hub.subscribe("launcher.*", lambda topic, payload, envelope: events.append((topic, payload)))
        launch_out = tmp_path / "qi-launch.out"
        with open(str(launch_out), "wb") as out:
            launch = subprocess.Popen([QI_EXE, "--headless", "launch", "--app", "blender", "--project", "demo",
                                       "--context", "/sq010/sh010", "--task", "anim", "--wait", "--", "--background"],
                                      env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            def started():
                return next((p for t, p in events if t == "launcher.started"), None)

            def why():
                log = started()["log"] if started() else None
                return "qi launch:\n{}\nBlender's log:\n{}\nqi serve:\n{}".format(
                    tail(launch_out), tail(log) if log else "(no launch yet)", tail(serve_log))

            assert wait_until(lambda: started() or launch.poll() is not None, timeout=START), why()
            assert started() is not None, why()
            launched = started()
            assert launched["app"] == "blender/3.4" and launched["workfile"] == expected
            assert launched["workfile_exists"] is False
            pid = launched["pid"]
            session = "dcc/blender/{}".format(pid)
            prefix = "dcc.blender.{}.".format(pid)

            # the session is a child of the launcher's
            assert wait_until(lambda: any(t == "launcher.session" for t, _ in events) or launch.poll() is not None,
                              timeout=START), why()
            assert next(p for t, p in events if t == "launcher.session")["session"] == session, why()
            parents = {s["id"]: s["parent"] for s in hub.sessions(timeout=T)}
            assert parents[session] == "__hub__/addon/applications"

            def answers():
                try:
                    hub.request(prefix + "host.info", {}, timeout=T)
                    return True
                except HubError:
                    return False
            assert wait_until(answers, timeout=START), why()

            host_info = hub.request(prefix + "host.info", {}, timeout=T)
            assert host_info == {"host": "blender", "app": "blender/3.4", "version": host_info["version"],
                                 "pid": pid, "project": "demo", "context": "/sq010/sh010", "task": "anim",
                                 "workdir": os.path.dirname(expected), "current_file": None}
            assert host_info["version"].startswith("3.4"), host_info

            # the first save goes to the launch's workfile, the templated path
            assert hub.request(prefix + "workfile.save", {}, timeout=T) == {"path": expected}
            with open(expected, "rb") as f:
                assert f.read(7) == b"BLENDER"
            # version up asks the launcher for the next one of the templates
            assert hub.request(prefix + "workfile.version_up", {}, timeout=T) == {"path": second, "version": 2}
            with open(second, "rb") as f:
                assert f.read(7) == b"BLENDER"
            assert hub.request(prefix + "host.info", {}, timeout=T)["current_file"] == second

            assert hub.request(prefix + "host.quit", {}, timeout=T) == {"quitting": True}
            assert launch.wait(START) == 0, why()
            assert wait_until(lambda: any(t == "launcher.exited" for t, _ in events), timeout=T), why()
            exited = next(p for t, p in events if t == "launcher.exited")
            assert exited["launch"] == launched["launch"] and exited["status"] == 0 and exited["state"] == "exited"
            assert session not in [s["id"] for s in hub.sessions(timeout=T)]
            assert hub.request("launcher.running", {}, timeout=T)["running"] == []
            said = tail(launch_out)
            assert said.startswith("launched Blender 3.4 (pid {})".format(pid)), said
            assert said.rstrip().endswith("Blender 3.4 ended with status 0"), said
        finally:
            if launch.poll() is None:
                launch.kill()
                launch.wait(10)
            for _, p in events:
                if p.get("pid") and p.get("state") == "running":
                    try:
                        os.kill(p["pid"], 9)
                    except OSError:
                        pass

    # the next launch opens that last version, and passes it to Blender
    again = json.loads(run_qi(env, "launch", "--app", "blender", "--project", "demo", "--context", "/sq010/sh010",
                          "--task", "anim", "--json", "--wait", "--", "--background", "--python-exit-code", "1",
                          "--python-expr", "import bpy, sys; sys.exit(0 if bpy.data.filepath == {!r} else 5)"
                          .format(second)))
    assert again["workfile"] == second and again["workfile_exists"] is True
