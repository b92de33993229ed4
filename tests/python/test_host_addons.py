"""The host addons' launches, DCC by DCC, without the DCCs.

For each host: the environment ``qi --headless hosts env HOST`` builds from
one where a studio set the DCC's variables already (Qi's entries first, the
studio's kept), ``{qi_python}`` first on PYTHONPATH, the start-up files the
DCC documents in the plugin folder, each valid Python for Debian's
/usr/bin/python3 and runnable without its DCC (the DCC's modules guarded),
its layer's Host subclass named after the host, and the command line of
``hosts args``. Blender runs for real in test_blender_host.py.
"""
import json
import os
import subprocess

import pytest

from test_hub_server import QI_EXE  # noqa: F401  (skips without it)

PYTHON = "/usr/bin/python3"
QI_PYTHON = os.environ.get("QI_PYTHON_PATH", "")
STUDIO = os.pathsep.join(["/studio/one", "/studio/two"])

# host → (the DCC's variables Qi prepends its folder to, start-up files, layer module, workfile arguments)
HOSTS = {
    "maya": (["PYTHONPATH", "MAYA_SCRIPT_PATH", "MAYA_MODULE_PATH"], ["userSetup.py", "qi.mod"],
             "qi_maya", ["-file", "{w}"]),
    "nuke": (["NUKE_PATH"], ["init.py", "menu.py"], "qi_nuke", ["{w}"]),
    "houdini": (["HOUDINI_PATH"], ["python3.9libs/pythonrc.py", "python3.10libs/pythonrc.py",
                                   "python3.11libs/pythonrc.py", "python3.7libs/pythonrc.py", "scripts/123.py",
                                   "scripts/456.py", "MainMenuCommon.xml"], "qi_houdini", ["{w}"]),
    "substance-painter": (["SUBSTANCE_PAINTER_PLUGINS_PATH"], ["startup/qi_painter_startup.py"],
                          "qi_substance_painter", ["{w}"]),
    "mari": (["MARI_SCRIPT_PATH"], ["qi_mari_startup.py"], "qi_mari", ["{w}"]),
    "hiero": (["HIERO_PLUGIN_PATH"], ["Python/Startup/qi_hiero_startup.py"], "qi_hiero", ["--hiero", "{w}"]),
    "resolve": ([], ["Fusion/Scripts/Utility/Qi.py"], "qi_resolve", ["{w}"]),
    "3de": (["PYTHON_CUSTOM_SCRIPTS_3DE4"], ["qi_3de_startup.py"], "qi_3de", ["-open", "{w}"]),
    "blender": ([], ["startup/qi_startup.py"], "qi_blender", ["{w}"]),
}
LAYER_FOLDER = {"blender": "modules"}


def base_env(tmp_path, **extra):
    keep = ("QI_PYTHON_PATH", "QI_ADDON_DIR", "QI_LOADER_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k in keep}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        env[var] = str(tmp_path / var.lower())
        os.makedirs(env[var], mode=0o700, exist_ok=True)
    env.update(extra)
    return env


def qi(env, *args, check=True):
    done = subprocess.run([QI_EXE, "--headless", *args], env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, "qi {}: {}".format(" ".join(args), done.stderr)
    return done


def host_env(env, host):
    """The launch environment of ``host`` built from ``env``, and its JSON."""
    reply = json.loads(qi(env, "hosts", "env", host, "--json").stdout)
    launched = dict(env)
    for name, value in reply["changes"].items():
        if value is None:
            launched.pop(name, None)
        else:
            launched[name] = value
    return launched, reply


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_environment_keeps_the_studios(host, tmp_path):
    variables, _, _, _ = HOSTS[host]
    studio = {name: STUDIO for name in variables if name != "PYTHONPATH"}
    env = base_env(tmp_path, PYTHONPATH="/studio/python", **studio)
    launched, reply = host_env(env, host)
    folder = reply["plugin_folder"]
    assert reply["addon"] == "host-" + host and os.path.isdir(folder)
    assert folder.endswith(os.path.join("host-" + host, "host", host))
    assert launched["QI_HOST"] == host and launched["QI_HOST_PLUGIN_FOLDER"] == folder
    assert launched["QI_HOST_PYTHONPATH"] == QI_PYTHON

    python = launched["PYTHONPATH"].split(os.pathsep)
    assert python[0] == QI_PYTHON or (host == "maya" and python[:2] == [folder, QI_PYTHON])
    assert "/studio/python" in python and python.index("/studio/python") > python.index(QI_PYTHON)
    for name in variables:
        if name == "PYTHONPATH":
            continue
        entries = launched[name].split(os.pathsep)
        assert entries[0] == folder, (name, launched[name])
        assert entries[1:3] == ["/studio/one", "/studio/two"], (name, launched[name])

    # built again from its own result, nothing moves or doubles
    again, _ = host_env(launched, host)
    for name in variables + ["PYTHONPATH"]:
        assert again[name] == launched[name], name


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_start_up_files(host, tmp_path):
    _, files, layer, _ = HOSTS[host]
    env = base_env(tmp_path)
    launched, reply = host_env(env, host)
    folder = reply["plugin_folder"]
    layer_path = os.path.join(folder, LAYER_FOLDER.get(host, "python"), layer + ".py")
    sources = [os.path.join(folder, name) for name in files] + [layer_path]
    for path in sources:
        assert os.path.isfile(path), path
    cache = dict(env, PYTHONPYCACHEPREFIX=str(tmp_path / "pycache"))
    for path in sources:
        if path.endswith(".py"):
            done = subprocess.run([PYTHON, "-m", "py_compile", path], env=cache, capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0, done.stderr

    # Outside its DCC, each start-up file runs and does nothing: the DCC's
    # modules are guarded, Qi's found through QI_HOST_PYTHONPATH alone.
    outside = dict(launched, PYTHONPYCACHEPREFIX=str(tmp_path / "pycache"))
    outside.pop("PYTHONPATH")
    for path in sources[:-1]:
        if path.endswith(".py"):
            done = subprocess.run([PYTHON, path], env=outside, capture_output=True, text=True, timeout=60,
                                  cwd=str(tmp_path))
            assert done.returncode == 0 and done.stdout == "" and done.stderr == "", (path, done.stderr)

    # The layer's Host is this host's, and gives every call qi.host asks.
    check = ("import sys, qi.host\n"
             "sys.path.insert(0, {folder!r})\n"
             "import {layer} as layer\n"
             "hosts = [c for c in vars(layer).values() if isinstance(c, type) and issubclass(c, qi.host.Host)\n"
             "         and c is not qi.host.Host]\n"
             "assert len(hosts) == 1, hosts\n"
             "cls = hosts[0]\n"
             "missing = [m for m in ('version', 'current_file', 'save', 'open', 'quit') if m not in vars(cls)]\n"
             "assert not missing, missing\n"
             "print(cls.name)\n").format(folder=os.path.dirname(layer_path), layer=layer)
    done = subprocess.run([PYTHON, "-c", check], env=dict(outside, PYTHONPATH=QI_PYTHON), capture_output=True,
                          text=True, timeout=60, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == host


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_workfile_arguments(host, tmp_path):
    expected = [a.replace("{w}", "/shows/demo/sh010 v001.ext") for a in HOSTS[host][3]]
    done = qi(base_env(tmp_path), "hosts", "args", host, "--executable", "/apps/dcc", "--workfile",
              "/shows/demo/sh010 v001.ext", "--json")
    assert json.loads(done.stdout) == {"host": host, "argv": ["/apps/dcc"] + expected}


def test_houdini_keeps_its_defaults(tmp_path):
    def houdini_path(**extra):
        launched, reply = host_env(base_env(tmp_path, **extra), "houdini")
        return launched["HOUDINI_PATH"], reply["plugin_folder"]

    value, folder = houdini_path()
    assert value == folder + os.pathsep + "&"
    value, _ = houdini_path(HOUDINI_PATH="/studio/houdini")
    assert value == os.pathsep.join([folder, "/studio/houdini", "&"])
    # a studio's & (in either separator) stays where the studio put it, once
    value, _ = houdini_path(HOUDINI_PATH="/studio/houdini:&:/late")
    assert value == os.pathsep.join([folder, "/studio/houdini", "&", "/late"])
    value, _ = houdini_path(HOUDINI_PATH="/studio/houdini;&")
    assert value.count("&") == 1


def test_houdini_runs_the_studios_123(tmp_path):
    """Houdini runs only the first scripts/123.py: Qi's runs the studio's."""
    studio = tmp_path / "studio"
    (studio / "scripts").mkdir(parents=True)
    marker = tmp_path / "ran.txt"
    (studio / "scripts" / "123.py").write_text(
        "import os\nopen(os.environ['MARKER'], 'w').write('studio 123 ' + __name__)\n")
    launched, reply = host_env(base_env(tmp_path, HOUDINI_PATH=str(studio)), "houdini")
    script = os.path.join(reply["plugin_folder"], "scripts", "123.py")
    done = subprocess.run([PYTHON, script], env=dict(launched, MARKER=str(marker)), capture_output=True,
                          text=True, timeout=60, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "studio 123 __main__"


def test_resolve_scripting(tmp_path):
    launched, reply = host_env(base_env(tmp_path), "resolve")
    assert launched["RESOLVE_SCRIPT_API"] == "/opt/resolve/Developer/Scripting"
    assert launched["RESOLVE_SCRIPT_LIB"] == "/opt/resolve/libs/Fusion/fusionscript.so"
    assert launched["PYTHONPATH"].split(os.pathsep) == [QI_PYTHON, "/opt/resolve/Developer/Scripting/Modules"]
    assert launched["QI_RESOLVE_SCRIPTS"] == os.path.join(reply["plugin_folder"], "Fusion", "Scripts")
    # a studio's own install is kept, and its Modules put on the path
    launched, _ = host_env(base_env(tmp_path, RESOLVE_SCRIPT_API="/home/resolve/Developer/Scripting",
                                    PYTHONPATH="/studio/python"), "resolve")
    assert launched["RESOLVE_SCRIPT_API"] == "/home/resolve/Developer/Scripting"
    assert launched["PYTHONPATH"].split(os.pathsep) == [QI_PYTHON, "/studio/python",
                                                        "/home/resolve/Developer/Scripting/Modules"]


def test_hiero_mode(tmp_path):
    env = base_env(tmp_path)
    argv = json.loads(qi(env, "hosts", "args", "hiero", "--executable", "/apps/Nuke15.1", "--app-arg=--studio",
                         "--json").stdout)["argv"]
    assert argv == ["/apps/Nuke15.1", "--studio"]


def test_blender_arguments(tmp_path):
    env = base_env(tmp_path)

    def args(*extra):
        return json.loads(qi(env, "hosts", "args", "blender", "--executable", "/apps/blender", "--json",
                             *extra).stdout)["argv"][1:]

    serve = ["--python-expr", "import qi_blender; qi_blender.serve_background()"]
    assert args() == []
    assert args("--workfile", "/w/a.blend") == ["/w/a.blend"]
    assert args("--app-arg=-b", "--workfile", "/w/a.blend") == ["-b", "/w/a.blend", "--python-exit-code", "1"] + serve
    # the user's own script runs instead; their exit code is kept
    assert args("--app-arg=-b", "--", "--python", "render.py") == ["-b", "--python", "render.py"]
    assert args("--app-arg=-b", "--app-arg=--python-exit-code=3") == ["-b", "--python-exit-code=3"] + serve
    # after “--” the arguments are the scripts': Qi's go before it
    assert args("--app-arg=--background", "--", "--", "--python", "x") == \
        ["--background", "--python-exit-code", "1"] + serve + ["--", "--python", "x"]


def test_bad_input(tmp_path):
    env = base_env(tmp_path)
    done = qi(env, "hosts", "args", "nope", check=False)
    assert done.returncode == 1
    assert done.stderr == "qi hosts args: no host “nope”; “qi --headless hosts list” shows them\n"
    done = qi(dict(env, PATH="/nonexistent"), "hosts", "args", "maya", check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("qi hosts args: host “maya”: none of maya, /usr/autodesk/maya2026/bin/maya")
    assert done.stderr.endswith("(searched /nonexistent); name one with --executable PATH\n")
    done = qi(env, "hosts", "args", check=False)
    assert done.returncode == 2
