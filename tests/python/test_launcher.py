"""The launcher, through a real ``qi --headless serve`` on the demo
tracker: the catalog of applications, a launch's environment in layers,
its work folder and workfile from the templates, the DCC as a child
process and a child session, its log and exit, the hooks, and the bad
requests that start nothing. The DCC is a small Python program that
speaks to the hub with ``qi.hub``, launched through the test host
``kinds-dcc`` (tests/addons/kinds)."""
import json
import os
import subprocess
import textwrap
import time

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import ADDONS, QI_EXE, QiServer, T, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.path.normpath(os.path.join(HERE, "..", "..", "python"))

pytestmark = pytest.mark.skipif(not os.path.isdir(os.path.join(ADDONS, "kinds")),
                                reason="the test addons are not built (run through meson test)")

# A DCC: says who it is, saves its workfile, quits when asked; or exits
# at once with the status it is given.
FAKE_DCC = textwrap.dedent("""
    import os, sys, threading, time
    import qi.hub
    if len(sys.argv) > 1 and sys.argv[1] == "--exit":
        print("task", os.environ["QI_TASK"], "of", os.environ["QI_CONTEXT"], flush=True)
        sys.exit(int(sys.argv[2]))
    quit = threading.Event()
    client = qi.hub.connect(os.environ["QI_SERVER_URL"], os.environ["QI_SESSION_TOKEN"],
                            name="dcc/kinds-dcc/%d" % os.getpid(), timeout=10)
    def info(payload, envelope):
        return {"host": os.environ["QI_HOST"], "app": os.environ["QI_APP"], "pid": os.getpid(),
                "argv": sys.argv[1:], "cwd": os.getcwd(),
                "env": {k: v for k, v in os.environ.items() if k.startswith(("QI_", "SHOW_", "KINDS_"))}}
    def save(payload, envelope):
        path = payload.get("path") or os.environ["QI_WORKFILE"]
        with open(path, "w") as f:
            f.write("a scene\\n")
        return {"path": path}
    def bye(payload, envelope):
        quit.set()
        return {}
    client.register("host.info", info)
    client.register("workfile.save", save)
    client.register("host.quit", bye)
    print("connected", client.session, flush=True)
    quit.wait(60)
    time.sleep(0.3)  # the reply to host.quit goes out first
    client.close()
""")


def groups(dcc):
    return {
        "kinds": {"label": "Kinds", "host": "kinds-dcc", "workfile_extension": ".kscene",
                  "environment": {"SHOW_GROUP": "kinds", "SHOW_PATH": ["/kinds/bin", "{SHOW_PATH}"]},
                  "variants": {"2": {"executables": {"linux": ["/usr/bin/python3"]},
                                     "arguments": [dcc], "environment": {"SHOW_VARIANT": "2 of {SHOW_GROUP}"}},
                               "1": {"executables": {"linux": ["/usr/bin/python3"]}, "arguments": [dcc]},
                               "9": {"executables": {"linux": ["/opt/kinds-9/kdcc"]}}}},
        "quick": {"label": "Quick", "host": "kinds-dcc", "workfile_extension": None,
                  "variants": {"1": {"executables": {"linux": ["/usr/bin/python3"]},
                                     "arguments": [dcc, "--exit", "3"]}}},
        "ghost": {"label": "Ghost", "host": "no-such-host",
                  "variants": {"1": {"executables": {"linux": ["/bin/sh"]}}}},
    }


def qi_run(dirs, *args, stdin=None, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k in ("QI_ADDON_DIR", "QI_PYTHON_PATH",
                                                                                 "QI_LOADER_DIR")}
    e.update(dirs)
    e["QI_ADDON_PATH"] = ADDONS
    e.update(env or {})
    return subprocess.run([QI_EXE, "--headless"] + list(args), env=e, input=stdin, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def studio(tmp_path):
    """The demo tracker, the test applications on the project layer, the
    DCC program; then a server."""
    dirs = {}
    for var in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700, exist_ok=True)
        dirs[var] = str(d)
    dcc = tmp_path / "fake_dcc.py"
    dcc.write_text(FAKE_DCC)
    assert qi_run(dirs, "db", "seed-demo").returncode == 0
    for key, value in (("groups", groups(str(dcc))),
                       ("project_environment", {"PYTHONPATH": [PYTHON, "{PYTHONPATH}"], "SHOW_NAME": "demo"})):
        done = qi_run(dirs, "settings", "set", "applications", key, json.dumps(value), "--layer", "project",
                      "--project", "demo")
        assert done.returncode == 0, done.stderr
    s = QiServer(tmp_path, addon_path=ADDONS)
    s.dirs = dirs
    yield s
    s.stop()


def dcc_ready(c):
    """Waits until a DCC answers host.info (its session opens before it
    registers its topics)."""
    def answers():
        try:
            c.request("host.info", {}, timeout=T)
            return True
        except HubError:
            return False
    assert wait_until(answers, timeout=20), "no DCC answers host.info"


def launch(c, **payload):
    request = dict({"project": "demo", "context": "/sq010/sh010", "task": "anim"}, **payload)
    return c.request("launcher.launch", request, timeout=30)


def test_the_catalog_says_what_can_launch(studio):
    with qi.hub.connect(studio.url, studio.token, name="test/ui", timeout=T) as c:
        apps = {a["name"]: a for a in c.request("launcher.apps", {"project": "demo"}, timeout=T)["apps"]}
    # newest first within a group
    names = [n for n in apps if n.startswith("kinds/")]
    assert names == ["kinds/9", "kinds/2", "kinds/1"]
    assert apps["kinds/2"]["launchable"] and apps["kinds/2"]["installed"]
    assert not apps["kinds/9"]["installed"] and not apps["kinds/9"]["launchable"]
    assert apps["kinds/9"]["why"] == "not installed here: looked for /opt/kinds-9/kdcc"
    assert apps["ghost/1"]["installed"] and not apps["ghost/1"]["launchable"]
    assert apps["ghost/1"]["why"] == "no addon of this bundle provides the host “no-such-host”"
    # the studio's defaults are there too, merged under the project's
    assert "maya/2025" in apps and apps["maya/2025"]["host"] == "maya"


def test_a_launch_runs_the_dcc_as_a_child_of_the_launcher(studio):
    with qi.hub.connect(studio.url, studio.token, name="test/ui", timeout=T) as c:
        events = []
        c.subscribe("launcher.*", lambda topic, payload, envelope: events.append((topic, payload)))
        started = launch(c, app="kinds")
        # no variant: the newest installed one; a new workfile of the templates
        assert started["app"] == "kinds/2" and started["state"] == "running" and started["pid"] > 0
        workdir = os.path.join(studio.dirs["XDG_DATA_HOME"], "qi", "projects", "demo", "sq010", "sh010", "work",
                               "anim")
        assert started["workdir"] == workdir and os.path.isdir(workdir)
        assert started["workfile"] == os.path.join(workdir, "demo_sh010_anim_v001.kscene")
        assert started["workfile_exists"] is False
        assert wait_until(lambda: any(t == "launcher.session" for t, _ in events), timeout=20), studio.log()
        session = next(p for t, p in events if t == "launcher.session")["session"]
        assert session == "dcc/kinds-dcc/%d" % started["pid"]
        sessions = {x["id"]: x["parent"] for x in c.request("hub.sessions", timeout=T)["sessions"]}
        assert sessions[session] == "__hub__/addon/applications"
        running = c.request("launcher.running", {}, timeout=T)["running"]
        assert [r["launch"] for r in running] == [started["launch"]] and running[0]["session"] == session

        dcc_ready(c)
        info = c.request("host.info", {}, timeout=T)
        env = info["env"]
        # the layers: the group's, the variant's (referring to the group's), the project's, the launch's
        assert env["SHOW_GROUP"] == "kinds" and env["SHOW_VARIANT"] == "2 of kinds" and env["SHOW_NAME"] == "demo"
        assert env["QI_PROJECT"] == "demo" and env["QI_CONTEXT"] == "/sq010/sh010" and env["QI_TASK"] == "anim"
        assert env["QI_TASK_TYPE"] == "anim" and env["QI_APP"] == "kinds/2" and env["QI_HOST"] == "kinds-dcc"
        assert env["QI_WORKDIR"] == workdir and env["QI_LAUNCH_ID"] == started["launch"]
        assert env["QI_SERVER_URL"] == studio.url and env["KINDS_DCC_LICENSE"] == "floating"
        assert "QI_LOG_LEVEL" not in env
        assert info["cwd"] == workdir and info["argv"] == []
        saved = c.request("workfile.save", {}, timeout=T)["path"]
        assert saved == started["workfile"]
        c.request("host.quit", {}, timeout=T)
        assert wait_until(lambda: any(t == "launcher.exited" for t, _ in events), timeout=20)
        exited = next(p for t, p in events if t == "launcher.exited")
        assert exited["launch"] == started["launch"] and exited["status"] == 0 and exited["state"] == "exited"
        assert c.request("launcher.running", {}, timeout=T)["running"] == []

        # the next launch opens the task's last workfile; --new-workfile starts v002
        again = launch(c, app="kinds/1")
        assert again["workfile"] == saved and again["workfile_exists"] is True
        assert wait_until(lambda: sum(t == "launcher.session" for t, _ in events) == 2, timeout=20)
        dcc_ready(c)
        assert c.request("host.info", {}, timeout=T)["argv"] == [saved]
        c.request("host.quit", {}, timeout=T)
        fresh = launch(c, app="kinds/1", new_workfile=True)
        assert fresh["workfile"] == os.path.join(workdir, "demo_sh010_anim_v002.kscene") and not fresh["workfile_exists"]
        assert wait_until(lambda: sum(t == "launcher.session" for t, _ in events) == 3, timeout=20)
        dcc_ready(c)
        c.request("host.quit", {}, timeout=T)
        assert wait_until(lambda: sum(t == "launcher.exited" for t, _ in events) == 3, timeout=20)


def test_its_output_goes_to_its_log_and_its_status_to_the_exit_event(studio):
    with qi.hub.connect(studio.url, studio.token, name="test/ui", timeout=T) as c:
        events = []
        c.subscribe("launcher.exited", lambda topic, payload, envelope: events.append(payload))
        started = launch(c, app="quick", task="comp")
        assert started["workfile"] is None
        assert wait_until(lambda: events, timeout=20)
        assert events[0]["status"] == 3 and events[0]["signal"] is None
        with open(started["log"]) as f:
            assert f.read() == "task comp of /sq010/sh010\n"
        # the log over REST, for the launcher page
        import urllib.request
        request = urllib.request.Request("{}/api/launcher/log/{}".format(studio.info["http"], started["launch"]),
                                         headers={"Authorization": "Bearer " + studio.token})
        with urllib.request.urlopen(request, timeout=T) as answer:
            log = json.load(answer)
        assert log["text"] == "task comp of /sq010/sh010\n" and log["status"] == 3


def test_bad_launches_say_why_and_start_nothing(studio):
    with qi.hub.connect(studio.url, studio.token, name="test/ui", timeout=T) as c:
        for payload, words in (
                ({"app": "kinds/9"}, "Kinds 9 is not installed here: looked for /opt/kinds-9/kdcc"),
                ({"app": "kinds/7"}, "kinds has no variant “7”; its variants are 9, 2 (installed), 1 (installed)"),
                ({"app": "krita"}, "no application “krita”; the applications are 3dequalizer, blender, ghost,"),
                ({"app": "kinds", "context": "/sq010/sh999"}, "the project demo has no context “/sq010/sh999”"),
                ({"app": "kinds", "task": "lookdev"},
                 "/sq010/sh010 of demo has no task “lookdev”; its tasks are "),
                ({"app": "kinds", "project": "nope"}, "there is no project “nope” in the tracker"),
                ({"app": "ghost"}, "the host “no-such-host” cannot launch Ghost 1: no host “no-such-host”"),
                ({"app": "kinds", "task": 7}, "launcher.launch: the payload needs “task”, a string"),
                ({"app": "kinds", "args": "-x"}, "launcher.launch: “args” must be a list of strings")):
            with pytest.raises(HubError) as refused:
                launch(c, **payload)
            assert words in refused.value.message, (payload, refused.value.message)
        assert c.request("launcher.running", {}, timeout=T)["running"] == []


def test_env_explain_names_each_layer(studio):
    done = qi_run(studio.dirs, "env", "explain", "--app", "kinds/2", "--project", "demo", "--context",
                  "/sq010/sh010", "--task", "anim")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("# kinds/2 for demo /sq010/sh010 anim, in ")
    assert "SHOW_VARIANT=2 of kinds  # kinds/2" in lines
    assert "SHOW_GROUP=kinds  # kinds" in lines
    assert "SHOW_NAME=demo  # project demo" in lines
    assert "QI_TASK=anim  # launch" in lines
    assert "KINDS_DCC_LICENSE=floating  # host kinds-dcc" in lines
    assert any(line.startswith("HOME=") and line.endswith("# environment") for line in lines)
    resolved = qi_run(studio.dirs, "env", "resolve", "--json", "--app", "kinds/2", "--project", "demo",
                      "--context", "/sq010/sh010", "--task", "anim")
    assert resolved.returncode == 0, resolved.stderr
    env = json.loads(resolved.stdout)["environment"]
    assert env["SHOW_PATH"].startswith("/kinds/bin") and env["QI_APP"] == "kinds/2"
    bad = qi_run(studio.dirs, "env", "explain", "--app", "kinds", "--project", "demo", "--context", "/nope",
                 "--task", "anim")
    assert bad.returncode == 1 and bad.stderr.startswith("qi env explain: the project demo has no context “/nope”")
    usage = qi_run(studio.dirs, "env", "explain", "--app", "kinds")
    assert usage.returncode == 2 and "give --project" in usage.stderr


def test_qi_launch_waits_and_exits_with_the_dccs_status(studio):
    e = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k == "QI_ADDON_DIR"}
    e.update(studio.dirs)
    proc = subprocess.Popen([QI_EXE, "--headless", "launch", "--app", "kinds", "--project", "demo", "--context",
                             "/sq010/sh010", "--task", "anim", "--info-file", str(studio.info_path), "--wait",
                             "--", "--extra"], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with qi.hub.connect(studio.url, studio.token, name="test/ui", timeout=T) as c:
        dcc_ready(c)
        assert c.request("host.info", {}, timeout=T)["argv"] == ["--extra"]
        c.request("host.quit", {}, timeout=T)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.startswith("launched Kinds 2 (pid ")
    assert out.rstrip().endswith("Kinds 2 ended with status 0")
    # a quick one's status is the command's
    done = subprocess.run([QI_EXE, "--headless", "launch", "--app", "quick", "--project", "demo", "--context",
                           "/sq010/sh010", "--task", "anim", "--info-file", str(studio.info_path), "--wait"],
                          env=e, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    # nobody to ask
    gone = subprocess.run([QI_EXE, "--headless", "launch", "--app", "quick", "--project", "demo", "--context",
                           "/sq010/sh010", "--task", "anim", "--info-file", "/nonexistent/server.json"],
                          env=e, capture_output=True, text=True, timeout=60)
    assert gone.returncode == 1
    assert gone.stderr.startswith("qi launch: no Qi is running here (/nonexistent/server.json cannot be read")


def test_a_new_workfile_starts_from_the_template_file(studio, tmp_path):
    template = tmp_path / "start.kscene"
    template.write_text("the studio's start scene\n")
    done = qi_run(studio.dirs, "settings", "set", "applications", "workfile_templates",
                  json.dumps({"kinds": {"linux": str(template), "windows": "P:/templates/start.kscene"}}),
                  "--layer", "project", "--project", "demo")
    assert done.returncode == 0, done.stderr
    with qi.hub.connect(studio.url, studio.token, name="test/ui", timeout=T) as c:
        explained = c.request("launcher.explain", {"app": "kinds/2", "project": "demo", "context": "/sq010/sh010",
                                                   "task": "fx"}, timeout=T)["launch"]
        assert explained["workfile_template"] == str(template)
        assert not os.path.exists(explained["workfile"]), "explain copies nothing"
        started = launch(c, app="kinds/2", task="fx")
        assert started["workfile_template"] == str(template) and started["workfile_exists"] is False
        workfile = started["workfile"]
        assert workfile.endswith("/work/fx/demo_sh010_fx_v001.kscene")
        with open(workfile) as f:
            assert f.read() == "the studio's start scene\n"
        # the DCC opens it; nothing half-copied is left beside it
        dcc_ready(c)
        assert c.request("host.info", {}, timeout=T)["argv"] == [workfile]
        assert sorted(os.listdir(os.path.dirname(workfile))) == [os.path.basename(workfile)]
        c.request("host.quit", {}, timeout=T)
        # the next launch opens that file, with no template
        again = launch(c, app="kinds/2", task="fx")
        assert again["workfile"] == workfile and again["workfile_exists"] is True
        assert again["workfile_template"] is None
        dcc_ready(c)
        c.request("host.quit", {}, timeout=T)

        # a template that is not there refuses the launch, naming it
        template.unlink()
        with pytest.raises(HubError) as refused:
            launch(c, app="kinds/2", task="comp")
        assert refused.value.message == (
            "applications.workfile_templates.kinds: the template file {} is not there, so the new workfile of "
            "Kinds 2 cannot start from it".format(template))
    # a setting that is not a path is refused where it is set
    done = qi_run(studio.dirs, "settings", "set", "applications", "workfile_templates", '{"kinds": "start.kscene"}',
                  "--layer", "project", "--project", "demo")
    assert done.returncode == 2
    assert "(project layer “demo”): workfile_templates.kinds: is not an absolute path" in done.stderr, done.stderr


def test_hooks_change_a_launch_or_stop_it(studio, tmp_path):
    hooks = tmp_path / "hook-addons" / "studio-hooks" / "plugins" / "hooks"
    hooks.mkdir(parents=True)
    (hooks.parent.parent / "addon.toml").write_text('name = "studio-hooks"\nversion = "1.0.0"\n')
    (hooks / "10_env.py").write_text(textwrap.dedent("""
        order = 10
        app_groups = ["kinds"]
        def pre_launch(launch):
            launch.env["SHOW_HOOKED"] = launch.task + " in " + launch.app
            launch.argv.append("--from-hook")
        def post_launch(launch):
            raise RuntimeError("the render farm is down")
    """))
    (hooks / "20_stop.py").write_text(textwrap.dedent("""
        app_groups = ["quick"]
        def pre_launch(launch):
            raise ValueError("no licence for Quick today")
    """))
    studio.stop()
    assert studio.proc.returncode == 0, studio.log()
    if studio.info_path.exists():  # not the stopped server's details for the next
        studio.info_path.unlink()
    s = QiServer(tmp_path, addon_path=ADDONS + ":" + str(tmp_path / "hook-addons"))
    try:
        with qi.hub.connect(s.url, s.token, name="test/ui", timeout=T) as c:
            failures = []
            c.subscribe("launcher.hook_failed", lambda topic, payload, envelope: failures.append(payload))
            started = launch(c, app="kinds")
            dcc_ready(c)
            info = c.request("host.info", {}, timeout=T)
            assert info["env"]["SHOW_HOOKED"] == "anim in kinds/2" and info["argv"] == ["--from-hook"]
            # a post-launch hook's failure is reported, the DCC runs on
            assert wait_until(lambda: failures, timeout=20)
            assert failures[0]["launch"] == started["launch"]
            assert failures[0]["message"].endswith("10_env.py:8: RuntimeError: the render farm is down")
            c.request("host.quit", {}, timeout=T)
            with pytest.raises(HubError) as stopped:
                launch(c, app="quick")
            assert stopped.value.message.startswith("a pre-launch hook failed: ")
            assert stopped.value.message.endswith("20_stop.py:4: ValueError: no licence for Quick today")
    finally:
        s.stop()
