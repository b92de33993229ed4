"""Scene building without a DCC: placeholders and profiles checked with
errors that name the field, ``qi --headless build plan`` on the demo
tracker (a shot's casting, the latest versions, what is missing), and the
build graph of a recursive build: its order, its edges, and a cycle made
in the tracker's links reported naming the path."""
import json
import os
import subprocess
import time

import pytest

from qi.build import PlaceholderError, ProfileError, check_profiles, choose, placeholder
from qi.build.placeholders import read_sidecar, write_sidecar

from test_farm_local import clean_env
from test_hub_server import QI_EXE


def qi(env, *args):
    return subprocess.run([QI_EXE, "--headless", *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("kind, options, words", [
    ("paint", {}, "“kind” is 'paint', not one of load, create, script, context"),
    ("load", {}, "a load placeholder needs the option “builder”"),
    ("load", {"builder": "cast"}, "“builder” is 'cast', not one of context, linked, all"),
    ("load", {"builder": "linked", "product_name": "(model"}, "“product_name” is not a regular expression"),
    ("load", {"builder": "linked", "colour": "red"}, "a load placeholder has no option “colour”"),
    ("load", {"builder": "linked", "version": "3"}, "the option “version” must be an integer"),
    ("create", {"creator": "blender.camera"}, "a create placeholder needs the option “variant”"),
    ("create", {"creator": "c", "variant": "Main", "members": "all"}, "“members” is placeholder or scene"),
    ("context", {"apply": ["gamma"]}, "“apply” takes frame_range, fps, resolution, not 'gamma'"),
])
def test_a_bad_placeholder_is_refused_naming_what(kind, options, words):
    with pytest.raises(PlaceholderError) as raised:
        placeholder(kind, options, label="x")
    assert words in str(raised.value)


def test_a_sidecar_keeps_the_template_s_placeholders(tmp_path):
    template = str(tmp_path / "layout.blend")
    records = [placeholder("load", {"builder": "linked", "product_type": "model"}, 20, "models"),
               placeholder("create", {"creator": "blender.camera", "variant": "Main"}, 10, "camera")]
    write_sidecar(template, records, host="blender")
    assert [r["label"] for r in read_sidecar(template)] == ["camera", "models"]
    with open(template + ".placeholders.json", "w") as f:
        f.write('{"placeholders": [{"schema": "qi:placeholder-1.0", "id": "a", "kind": "load", "options": {}}]}')
    with pytest.raises(PlaceholderError) as raised:
        read_sidecar(template)
    assert "layout.blend.placeholders.json: placeholders[0] “load”: a load placeholder needs the option" in \
        str(raised.value)
    with pytest.raises(PlaceholderError) as raised:
        read_sidecar(str(tmp_path / "none.blend"))
    assert "has no placeholders file" in str(raised.value)


def test_profiles_choose_a_task_s_template():
    profiles = check_profiles([
        {"name": "hero layout", "task_types": ["layout"], "context_paths": ["^/sq010/sh010$"], "template": "/t/a"},
        {"name": "layout", "task_types": ["layout"], "context_kinds": ["shot"], "template": "/t/b"},
        {"name": "anything", "template": "/t/c", "produces": ["layout"]}])
    assert choose(profiles, "/sq010/sh010", "shot", "layout", "layout")["name"] == "hero layout"
    assert choose(profiles, "/sq010/sh020", "shot", "layout", "layout")["name"] == "layout"
    assert choose(profiles, "/assets/x", "asset_build", "model", "model")["name"] == "anything"
    assert profiles[0]["publish"] is True and profiles[0]["create_first_version"] is True
    for bad, words in (([{"template": "/t", "task_typo": []}], "build.profiles[0]: no key “task_typo”"),
                       ([{"name": "x"}], "build.profiles[0]: a profile needs its “template”"),
                       ([{"template": "/t", "context_paths": ["("]}], "is not a regular expression"),
                       ([{"template": "/t", "produces": "layout"}], "“produces” must be a list")):
        with pytest.raises(ProfileError) as raised:
            check_profiles(bad)
        assert words in str(raised.value)


@pytest.fixture
def demo(tmp_path):
    env = clean_env(tmp_path)
    assert qi(env, "db", "seed-demo").returncode == 0
    layout = str(tmp_path / "layout.blend")
    write_sidecar(layout, [
        placeholder("context", {"apply": ["frame_range", "fps"]}, 0, "shot settings"),
        placeholder("create", {"creator": "blender.camera", "variant": "Main"}, 10, "shot camera"),
        placeholder("load", {"builder": "linked", "product_type": "model", "context_kind": "asset_build"}, 20,
                    "cast models"),
        placeholder("load", {"builder": "context", "product_type": "camera", "representation": "abc"}, 30,
                    "the shot's camera")])
    lighting = str(tmp_path / "lighting.blend")
    write_sidecar(lighting, [placeholder("load", {"builder": "context", "product_type": "layout",
                                                  "representation": "blend"}, 10, "shot layout")])
    profiles = [{"name": "layout", "task_types": ["layout"], "template": layout, "produces": ["layout"]},
                {"name": "lighting", "task_types": ["lighting"], "template": lighting}]
    for key, value in (("profiles", json.dumps(profiles)),
                       ("context_values", json.dumps({"*": {"fps": 24}, "/sq010/sh010": {"frame_range": [1001, 1096]}}))):
        done = qi(env, "settings", "set", "build", key, value, "--layer", "project", "--project", "demo")
        assert done.returncode == 0, done.stderr
    return env, tmp_path, layout, lighting


def test_build_plan_on_the_demo_project(demo):
    env, tmp_path, layout, lighting = demo
    done = qi(env, "build", "plan", "--project", "demo", "--context", "/sq010/sh010", "--task", "layout", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["template"] == layout and plan["profile"] == "layout"
    steps = {s["label"]: s for s in plan["placeholders"]}
    assert [s["label"] for s in plan["placeholders"]] == ["shot settings", "shot camera", "cast models",
                                                          "the shot's camera"]
    assert steps["shot settings"]["values"] == {"frame_range": [1001, 1096], "fps": 24}
    # sh010 casts chr_hero (modelMain v1, v2) and prp_sword (no model)
    loads = steps["cast models"]["loads"]
    assert [(l["context"], l["product"], l["number"]) for l in loads] == [("/assets/chr_hero", "modelMain", 2)]
    assert [m["reason"] for m in steps["cast models"]["missing"]] == ["no published model in /assets/prp_sword"]
    assert steps["the shot's camera"]["loads"][0]["representation"] == "abc"
    text = qi(env, "build", "plan", "--project", "demo", "--context", "/sq010/sh010", "--task", "layout").stdout
    assert "load /assets/chr_hero modelMain v002" in text and "missing: no published model in /assets/prp_sword" in text

    wrong = qi(env, "build", "plan", "--project", "demo", "--context", "/sq010/sh999", "--task", "layout")
    assert wrong.returncode == 1 and "there is no context “/sq010/sh999” in the project “demo”" in wrong.stderr
    none = qi(env, "build", "plan", "--project", "demo", "--context", "/sq010/sh010", "--task", "comp")
    assert none.returncode == 1 and "no build profile takes /sq010/sh010 comp" in none.stderr


def test_the_graph_of_a_recursive_build(demo):
    env, tmp_path, layout, lighting = demo
    done = qi(env, "build", "graph", "--project", "demo", "--context", "/sq010/sh020", "--task", "lighting",
              "--json")
    assert done.returncode == 0, done.stderr
    graph = json.loads(done.stdout)
    # sh020 has no layout yet: its layout build comes first
    assert graph["order"] == [["/sq010/sh020 layout"], ["/sq010/sh020 lighting"]]
    assert graph["edges"] == [{"from": "/sq010/sh020 lighting", "to": "/sq010/sh020 layout",
                               "product_type": "layout"}]
    dot = qi(env, "build", "graph", "--project", "demo", "--context", "/sq010/sh020", "--task", "lighting",
             "--dot").stdout
    assert '"/sq010/sh020 lighting" -> "/sq010/sh020 layout" [label="layout"];' in dot

    # a depth limit of 0: the layout's build is not made, what it would make stays missing
    assert qi(env, "settings", "set", "build", "max_depth", "0", "--layer", "project",
              "--project", "demo").returncode == 0
    done = qi(env, "build", "graph", "--project", "demo", "--context", "/sq010/sh020", "--task", "lighting",
              "--json")
    assert done.returncode == 0, done.stderr
    graph = json.loads(done.stdout)
    assert graph["order"] == [["/sq010/sh020 lighting"]] and graph["edges"] == []
    assert "/sq010/sh020 lighting: the build of /sq010/sh020 layout is deeper than the limit (0)" in \
        json.dumps(graph), json.dumps(graph, indent=1)


def test_a_cycle_in_the_links_is_reported_naming_it(demo, tmp_path):
    env, tmp_path, layout, lighting = demo
    # a layout that loads the layouts of the shots it uses, and two shots that use each other
    linked = str(tmp_path / "linked-layout.blend")
    write_sidecar(linked, [placeholder("load", {"builder": "linked", "product_type": "layout",
                                                "context_kind": "shot"}, 10, "neighbours' layouts")])
    profiles = [{"name": "linked layout", "task_types": ["layout"], "template": linked, "produces": ["layout"]}]
    assert qi(env, "settings", "set", "build", "profiles", json.dumps(profiles), "--layer", "project",
              "--project", "demo").returncode == 0
    import sqlite3
    db = sqlite3.connect(os.path.join(env["XDG_DATA_HOME"], "qi", "tracker.sqlite"))
    ids = dict(db.execute("SELECT path, id FROM contexts").fetchall())
    db.execute("INSERT INTO context_links (context_id, uses_id, created_at) VALUES (?, ?, 0)",
               (ids["/sq010/sh020"], ids["/sq010/sh030"]))
    db.execute("INSERT INTO context_links (context_id, uses_id, created_at) VALUES (?, ?, 0)",
               (ids["/sq010/sh030"], ids["/sq010/sh020"]))
    db.commit()
    db.close()
    done = qi(env, "build", "graph", "--project", "demo", "--context", "/sq010/sh020", "--task", "layout")
    assert done.returncode == 1
    assert "a cycle in the builds: /sq010/sh020 layout → /sq010/sh030 layout → /sq010/sh020 layout" in done.stderr
    dot = qi(env, "build", "graph", "--project", "demo", "--context", "/sq010/sh020", "--task", "layout", "--dot")
    assert '"/sq010/sh030 layout" -> "/sq010/sh020 layout" [label="layout", color=red];' in dot.stdout


def test_build_run_finds_the_running_qi_where_serve_writes_its_info(demo):
    """``qi build run`` asks the running Qi, whose info file is where ``qi
    serve`` writes it, also without XDG_RUNTIME_DIR (GLib's fallback, the
    cache folder); with none running it says so, naming the file."""
    env, tmp_path, layout, lighting = demo
    env = dict(env)
    del env["XDG_RUNTIME_DIR"]
    info = tmp_path / "xdg_cache_home" / "qi" / "server.json"
    args = ("build", "run", "--project", "demo", "--context", "/sq010/nowhere", "--task", "layout")
    gone = qi(env, *args)
    assert gone.returncode == 1 and "no Qi is running" in gone.stderr and str(info) in gone.stderr, gone.stderr
    server = subprocess.Popen([QI_EXE, "--headless", "serve", "--port", "0"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(400):
            if info.exists() and info.stat().st_size > 0:
                break
            time.sleep(0.05)
        asked = qi(env, *args)
        # the running Qi answered: the context is what is wrong
        assert asked.returncode == 1 and "no Qi is running" not in asked.stderr, asked.stderr
        assert "/sq010/nowhere" in asked.stderr, asked.stderr
    finally:
        server.terminate()
        server.wait(30)
