"""Every JSON writer of Qi writes JSON that a strict parser reads back.

Each code point U+0001–U+001F and U+007F goes through each place where Qi
writes JSON — hub frames, REST bodies, a settings file, ``--json`` output,
project files, addon metadata through ``addons list --json`` and the
tagged TOML of the toml-test decoder — and Python's ``json.loads`` (strict:
it refuses raw control characters in strings) must read the same string
back. U+0000 cannot be held by Qi's JSON values (C strings): each reader
refuses it with a message that names where it was, and nothing is cut.
"""
import json
import os
import subprocess

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import ADDONS, QI_EXE, QiServer, T  # noqa: F401  (QI_EXE: skips without it)
from test_settings_server import rest

CONTROLS = "".join(chr(c) for c in range(1, 0x20)) + "\x7f"
ALL = "a" + CONTROLS + "z"
TOML_DECODE = os.environ.get("QI_TOML_DECODE")

needs_addons = pytest.mark.skipif(not os.path.isdir(os.path.join(ADDONS, "farm")),
                                  reason="the test addons are not built (run through meson test)")


def strict(text):
    """json.loads, strict as it is by default (no raw control characters)."""
    return json.loads(text, strict=True)


def run_qi(tmp_path, *args, env_extra=None, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k in ("QI_LOADER_DIR", "QI_PYTHON_PATH", "QI_ADDON_DIR")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_RUNTIME_DIR=str(tmp_path / "runtime"))
    env.update(env_extra or {})
    os.makedirs(str(tmp_path / "runtime"), mode=0o700, exist_ok=True)
    return subprocess.run([QI_EXE, "--headless", *args], env=env, capture_output=True, timeout=60,
                          input=stdin)


@pytest.fixture
def farm_server(tmp_path):
    s = QiServer(tmp_path, addon_path=ADDONS)
    yield s
    s.stop()


@needs_addons
def test_hub_frames(farm_server):
    with qi.hub.connect(farm_server.url, farm_server.token, name="test/json", timeout=T) as c:
        # hub.ping echoes the payload: the hub writes the frame, qi.hub reads it with json.loads
        got = c.request("hub.ping", {"s": ALL, CONTROLS: [ALL]}, timeout=T)
        assert got["s"] == ALL
        assert got[CONTROLS] == [ALL]

        with pytest.raises(HubError) as refused:
            c.request("hub.ping", {"nested": [{"name": "a\x00b"}]}, timeout=T)
        assert refused.value.code == "bad_message"
        assert "\\u0000 is not allowed in strings" in refused.value.message
        assert "/payload/nested/0/name" in refused.value.message


@needs_addons
def test_rest_bodies_settings_files_and_json_output(farm_server, tmp_path):
    status, body = rest(farm_server, "PATCH", "/api/settings/farm", {"layer": "bundle", "values": {"label": ALL}})
    assert status == 200, body
    assert body["values"]["label"] == ALL

    status, body = rest(farm_server, "GET", "/api/settings/farm")
    assert status == 200
    assert body["values"]["label"] == ALL

    # The settings file Qi wrote
    path = os.path.join(farm_server.dirs["XDG_CONFIG_HOME"], "qi", "settings", "bundles", "default.json")
    with open(path, encoding="utf-8") as f:
        assert strict(f.read())["addons"]["farm"]["label"] == ALL

    # `--json` output of the same value
    env = dict(farm_server.dirs, QI_ADDON_PATH=ADDONS)
    done = run_qi(tmp_path, "settings", "get", "farm", "--json", env_extra=env)
    assert done.returncode == 0, done.stderr
    assert strict(done.stdout.decode("utf-8"))["label"] == ALL

    # U+0000 is refused, naming the string; the value stays as it was
    status, body = rest(farm_server, "PATCH", "/api/settings/farm", {"layer": "bundle", "values": {"label": "cut\x00here"}})
    assert status == 400
    assert "\\u0000 is not supported in a string" in body["error"]["message"]
    assert "/values/label" in body["error"]["message"]
    status, body = rest(farm_server, "GET", "/api/settings/farm")
    assert body["values"]["label"] == ALL


def test_project_files(tmp_path):
    assert run_qi(tmp_path, "db", "seed-demo").returncode == 0
    exported = tmp_path / "demo.json"
    done = run_qi(tmp_path, "db", "export", str(exported))
    assert done.returncode == 0, done.stderr
    document = strict(exported.read_text(encoding="utf-8"))
    document["versions"][0]["comment"] = ALL

    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document), encoding="utf-8")
    other = tmp_path / "other"
    done = run_qi(tmp_path, "--data-dir", str(other), "db", "import", str(edited))
    assert done.returncode == 0, done.stderr
    again = tmp_path / "again.json"
    done = run_qi(tmp_path, "--data-dir", str(other), "db", "export", str(again))
    assert done.returncode == 0, done.stderr
    assert strict(again.read_text(encoding="utf-8"))["versions"][0]["comment"] == ALL

    # U+0000 in a project file: refused, naming the string; nothing imported
    document["versions"][0]["comment"] = "cut\x00here"
    edited.write_text(json.dumps(document), encoding="utf-8")
    third = tmp_path / "third"
    done = run_qi(tmp_path, "--data-dir", str(third), "db", "import", str(edited))
    assert done.returncode != 0
    stderr = done.stderr.decode("utf-8")
    assert "\\u0000 in the string at “/versions/0/comment”, which Qi cannot hold" in stderr
    assert "nothing was imported" in stderr


def test_addon_metadata_through_addons_list_json(tmp_path):
    folder = tmp_path / "addons" / "ctrl"
    folder.mkdir(parents=True)
    escaped = "".join("\\u%04X" % ord(c) for c in CONTROLS)
    (folder / "addon.toml").write_text('name = "ctrl"\nversion = "1.0.0"\ndescription = "a%sz"\n' % escaped,
                                       encoding="utf-8")
    done = run_qi(tmp_path, "addons", "list", "--json", env_extra={"QI_ADDON_PATH": str(tmp_path / "addons")})
    assert done.returncode == 0, done.stderr
    listed = {a["name"]: a for a in strict(done.stdout.decode("utf-8"))}
    assert listed["ctrl"]["description"] == ALL

    # U+0000 in addon.toml: the addon fails with the file, line and column
    (folder / "addon.toml").write_text('name = "ctrl"\nversion = "1.0.0"\ndescription = "a\\u0000z"\n',
                                       encoding="utf-8")
    done = run_qi(tmp_path, "addons", "list", "--json", env_extra={"QI_ADDON_PATH": str(tmp_path / "addons")})
    listed = {a["name"]: a for a in strict(done.stdout.decode("utf-8"))}
    assert listed["ctrl"]["state"] == "failed"
    assert "addon.toml:3:17: the escape \\u0000 is U+0000" in listed["ctrl"]["error"]


@pytest.mark.skipif(not TOML_DECODE, reason="QI_TOML_DECODE is not set (meson test sets it)")
def test_tagged_toml_keeps_every_code_point():
    escaped = "".join("\\u%04X" % c for c in range(0, 0x20)) + "\\u007F"
    document = 's = "a%sz"\n"k\\u0000ey" = 1\n' % escaped
    done = subprocess.run([TOML_DECODE], input=document.encode(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    decoded = strict(done.stdout.decode("utf-8"))
    assert decoded["s"] == {"type": "string", "value": "a\x00" + CONTROLS + "z"}
    assert decoded["k\x00ey"] == {"type": "integer", "value": "1"}
