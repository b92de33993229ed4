"""Scene building end to end with Debian's Blender in the background and a
real ``qi --headless serve`` on the demo tracker.

The cast models of /sq010/sh010 (chr_hero, prp_sword) are published as
.blend files; a layout template (a context placeholder, a camera-create
placeholder holding the template's camera, a load placeholder for the
shot's cast models, a layout-create placeholder) and a lighting template
(a load placeholder for the shot's layout) are made in Blender with Qi's
template tools. Then: ``build plan`` says what the layout build will load,
and the build in Blender does exactly that; the layout is published and
the lighting build of the shot loads it; and a recursive build of
lighting for /sq010/sh020, which has no layout yet, builds and publishes
the layout first (through the launcher), then builds the lighting."""
import json
import os
import pathlib
import subprocess

import pytest

import qi.hub

from test_blender_host import BLENDER, base_env, run_qi
from test_blender_pipeline import start
from test_hub_server import QiServer, T

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))
MODULES = os.path.join(SOURCE, "addons", "host-blender", "host", "blender", "modules")
PYTHON = os.path.join(SOURCE, "python")
LONG = 600


def blender(script, *files):
    env = dict(os.environ, PYTHONPATH="%s:%s" % (MODULES, PYTHON))
    done = subprocess.run([BLENDER, "--background", "--factory-startup", *files, "--python-exit-code", "1",
                           "--python-expr", script], capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


MODEL = """
import bpy
for o in list(bpy.data.objects):
    bpy.data.objects.remove(o)
bpy.ops.mesh.primitive_uv_sphere_add()
body = bpy.context.active_object
body.name = %(name)r
collection = bpy.data.collections.new("modelMain")
bpy.context.scene.collection.children.link(collection)
for c in list(body.users_collection):
    c.objects.unlink(body)
collection.objects.link(body)
bpy.ops.wm.save_as_mainfile(filepath=%(path)r)
"""

LAYOUT = """
import bpy
import qi_blender_build as b
for o in list(bpy.data.objects):
    if o.name != "Camera":
        bpy.data.objects.remove(o)
b.add_placeholder("context", {"apply": ["frame_range", "fps"]}, 0, "shot settings")
b.add_placeholder("create", {"creator": "blender.camera", "variant": "Main"}, 10, "shot camera", objects=["Camera"])
b.add_placeholder("load", {"builder": "linked", "product_type": "model", "context_kind": "asset_build",
                           "representation": "blend", "loader": "LinkBlend"}, 20, "cast models")
b.add_placeholder("create", {"creator": "blender.layout", "variant": "Main", "members": "scene"}, 90, "layout")
b.save_template(%(path)r)
"""

LIGHTING = """
import bpy
import qi_blender_build as b
for o in list(bpy.data.objects):
    if o.name == "Cube":
        bpy.data.objects.remove(o)
b.add_placeholder("load", {"builder": "context", "product_type": "layout", "representation": "blend",
                           "loader": "LinkBlend"}, 10, "shot layout")
b.save_template(%(path)r)
"""

INSPECT = """
import bpy, json, os
scene = bpy.context.scene
print('QI-SCENE ' + json.dumps({
  'containers': sorted((json.loads(c['qi_container'])['product_name'], json.loads(c['qi_container'])['version'])
                       for c in bpy.data.collections if c.library is None and 'qi_container' in c.keys()),
  'instances': sorted(json.loads(c['qi_instance'])['product_name'] for c in bpy.data.collections
                      if c.library is None and 'qi_instance' in c.keys()),
  'placeholders': [c.name for c in bpy.data.collections if 'qi_placeholder' in c.keys()],
  'libraries': sorted(os.path.basename(l.filepath) for l in bpy.data.libraries),
  'frames': [scene.frame_start, scene.frame_end], 'fps': scene.render.fps / scene.render.fps_base}))
"""


def inspect(path):
    out = blender(INSPECT, str(path))
    return json.loads([l for l in out.splitlines() if l.startswith("QI-SCENE ")][0][len("QI-SCENE "):])


@pytest.fixture
def studio(tmp_path):
    env = base_env(tmp_path)
    run_qi(env, "db", "seed-demo")
    templates = tmp_path / "templates"
    templates.mkdir()
    blender(LAYOUT % {"path": str(templates / "layout.blend")})
    blender(LIGHTING % {"path": str(templates / "lighting.blend")})
    profiles = [{"name": "shot layout", "task_types": ["layout"], "template": str(templates / "layout.blend"),
                 "produces": ["layout"], "publish": True},
                {"name": "shot lighting", "task_types": ["lighting"], "template": str(templates / "lighting.blend")}]
    for key, value in (("profiles", json.dumps(profiles)),
                       ("context_values", json.dumps({"*": {"fps": 25, "frame_range": [1001, 1024]}}))):
        run_qi(env, "settings", "set", "build", key, value, "--layer", "project", "--project", "demo")
    # the cast's models, published as .blend files
    for context, name in (("/assets/chr_hero", "hero"), ("/assets/prp_sword", "sword")):
        path = tmp_path / ("%s.blend" % name)
        blender(MODEL % {"name": name, "path": str(path)})
        run_qi(env, "publish", "--project", "demo", "--context", context, "--task", "model", "--product-type",
               "model", "--variant", "Main", "--comment", "for the layout", str(path))
    server = QiServer(tmp_path)
    hub = qi.hub.connect(server.url, server.token, name="test/build", timeout=T)
    blenders = []
    yield server, env, hub, blenders, tmp_path
    for running in blenders:
        running.stop()
    hub.close()
    server.stop()


def ask(blender_session, hub, topic, payload=None):
    try:
        return hub.request(blender_session.prefix + topic, payload or {}, timeout=LONG)
    except qi.hub.HubError as error:
        pytest.fail("%s: %s\n%s" % (topic, error, blender_session.log()))


def test_layout_then_lighting_built_from_templates(studio):
    server, env, hub, blenders, tmp_path = studio
    plan = json.loads(run_qi(env, "build", "plan", "--project", "demo", "--context", "/sq010/sh010", "--task",
                             "layout", "--json"))
    planned = [(l["context"], l["product"], l["number"]) for s in plan["placeholders"] for l in s.get("loads", [])]
    # chr_hero's modelMain v3 (the demo has v1 and v2), prp_sword's v1
    assert planned == [("/assets/chr_hero", "modelMain", 3), ("/assets/prp_sword", "modelMain", 1)]
    assert plan["missing"] == []

    layout = start(studio, "/sq010/sh010", "layout", "layout")
    report = ask(layout, hub, "pipeline.build")
    assert report["failed"] == [] and report["missing"] == [], json.dumps(report, indent=1)
    assert report["profile"] == "shot layout" and report["workfile"] == str(layout.workfile)
    built = [(l["context"], l["product"], l["number"]) for b in report["built"] for l in b.get("loaded", [])]
    assert built == planned  # the plan is what the build did
    assert [b["label"] for b in report["built"]] == ["shot settings", "shot camera", "cast models", "layout"]
    scene = inspect(layout.workfile)
    assert scene["instances"] == ["cameraMain", "layoutMain", "workfileMain"]
    assert [c[0] for c in scene["containers"]] == ["modelMain", "modelMain"]
    assert scene["placeholders"] == []  # replaced by what they made
    assert scene["frames"] == [1001, 1024] and scene["fps"] == 25
    assert scene["libraries"] == ["demo_chr_hero_modelMain_v003_blend.blend",
                                  "demo_prp_sword_modelMain_v001_blend.blend"]

    instances = {i["product_name"]: i for i in ask(layout, hub, "pipeline.instances")["instances"]}
    published = ask(layout, hub, "pipeline.publish", {"comment": "built layout",
                                                      "instances": [instances["layoutMain"]["id"]]})
    assert published["success"], json.dumps(published["errors"], indent=1)
    [report_layout] = [r for r in published["products"] if r["product"]["name"] == "layoutMain"]
    assert report_layout["number"] == 1
    # the tracker knows what the layout uses: the two models it loaded
    links = hub.request("db_service.version.links", {"version": report_layout["version"]["id"]}, timeout=T)
    assert sorted((v["product_name"], v["number"]) for v in links["uses"]) == [("modelMain", 1), ("modelMain", 3)]

    lighting = start(studio, "/sq010/sh010", "lighting", "lighting")
    report = ask(lighting, hub, "pipeline.build")
    assert report["failed"] == [] and report["missing"] == [], json.dumps(report, indent=1)
    [loaded] = [l for b in report["built"] for l in b.get("loaded", [])]
    assert (loaded["product"], loaded["number"]) == ("layoutMain", 1)
    scene = inspect(lighting.workfile)
    assert [c[0] for c in scene["containers"]] == ["layoutMain"]
    # the layout's .blend brings the cast's models with it
    assert scene["libraries"] == ["demo_chr_hero_modelMain_v003_blend.blend",
                                  "demo_prp_sword_modelMain_v001_blend.blend", "demo_sh010_layoutMain_v001_blend.blend"]


def test_a_recursive_build_publishes_the_missing_layout_first(studio):
    server, env, hub, blenders, tmp_path = studio
    sh020 = hub.request("db_service.context.lookup", {"project": "demo", "path": "/sq010/sh020"}, timeout=T)
    sword = hub.request("db_service.context.lookup", {"project": "demo", "path": "/assets/prp_sword"}, timeout=T)
    hub.request("db_service.context.link", {"context": sh020["id"], "uses": sword["id"]}, timeout=T)
    graph = hub.request("build.graph", {"project": "demo", "context": "/sq010/sh020", "task": "lighting"}, timeout=T)
    assert graph["order"] == [["/sq010/sh020 layout"], ["/sq010/sh020 lighting"]]

    report = hub.request("build.run", {"project": "demo", "context": "/sq010/sh020", "task": "lighting"},
                         timeout=LONG)
    assert report["success"], json.dumps(report, indent=1)
    assert report["skipped"] == []
    with open(report["report"]) as f:  # the report is kept
        assert json.load(f)["builds"] == report["builds"]
    first, second = report["builds"]
    assert first["node"] == "/sq010/sh020 layout" and first["error"] is None
    # the built scene's products: its layout, its camera and the workfile
    assert sorted((p["product"], p["number"]) for p in first["published"]) == [
        ("cameraMain", 1), ("layoutMain", 1), ("workfileMain", 1)]
    loaded = [(l["context"], l["product"]) for b in first["build"]["built"] for l in b.get("loaded", [])]
    assert loaded == [("/assets/prp_sword", "modelMain")]
    assert second["node"] == "/sq010/sh020 lighting" and second["published"] == []
    lighting_loaded = [(l["product"], l["number"]) for b in second["build"]["built"] for l in b.get("loaded", [])]
    assert lighting_loaded == [("layoutMain", 1)]
    workfile = pathlib.Path(second["build"]["workfile"])
    assert workfile.is_file()
    assert [c[0] for c in inspect(workfile)["containers"]] == ["layoutMain"]
    # the lighting's build is a workfile, not a publish
    latest = {v["product_name"]: v for v in hub.request("db_service.version.latest", {
        "project": "demo", "context": "/sq010/sh020"}, timeout=T)["versions"]}
    assert latest["layoutMain"]["number"] == 1 and "lightingMain" not in latest


def test_a_new_workfile_is_built_when_its_profile_says_so(studio):
    server, env, hub, blenders, tmp_path = studio
    reply = hub.request("config.get", {"addon": "build", "project": "demo"}, timeout=T)
    profiles = reply["values"]["profiles"]
    profiles[0]["build_on_new_workfile"] = True
    run_qi(env, "settings", "set", "build", "profiles", json.dumps(profiles), "--layer", "project", "--project", "demo")
    layout = start(studio, "/sq010/sh030", "layout", "layout")  # its workfile does not exist yet
    assert layout.workfile.is_file(), layout.log()
    scene = inspect(layout.workfile)
    assert scene["instances"] == ["cameraMain", "layoutMain", "workfileMain"]
    assert scene["placeholders"] == [] and scene["frames"] == [1001, 1024]
    # sh030 casts nobody: the load placeholder found nothing, and said so
    assert scene["containers"] == []
    # building again never writes over the artist's workfile: the build is its next version
    before = layout.workfile.read_bytes()
    again = ask(layout, hub, "pipeline.build")
    assert again["workfile"] == str(layout.workfile).replace("_v001.blend", "_v002.blend")
    assert layout.workfile.read_bytes() == before and pathlib.Path(again["workfile"]).is_file()


BROKEN_LAYOUT = """
import bpy
import qi_blender_build as b
b.add_placeholder("context", {"apply": ["frame_range", "fps"]}, 0, "shot settings")
b.add_placeholder("script", {"code": "raise RuntimeError('the rig server is down')"}, 5, "rig check")
b.add_placeholder("create", {"creator": "blender.layout", "variant": "Main", "members": "scene"}, 90, "layout")
b.save_template(%(path)r)
"""


def test_an_upstream_build_whose_placeholders_failed_is_not_published(studio):
    """A recursive build whose upstream scene was built without one of its
    steps publishes nothing of it, and builds nothing downstream."""
    server, env, hub, blenders, tmp_path = studio
    broken = tmp_path / "templates" / "broken-layout.blend"
    blender(BROKEN_LAYOUT % {"path": str(broken)})
    profiles = [{"name": "shot layout", "task_types": ["layout"], "template": str(broken), "produces": ["layout"],
                 "publish": True},
                {"name": "shot lighting", "task_types": ["lighting"],
                 "template": str(tmp_path / "templates" / "lighting.blend")}]
    run_qi(env, "settings", "set", "build", "profiles", json.dumps(profiles), "--layer", "project",
           "--project", "demo")
    report = hub.request("build.run", {"project": "demo", "context": "/sq010/sh020", "task": "lighting"},
                         timeout=LONG)
    assert not report["success"]
    first = report["builds"][0]
    assert first["node"] == "/sq010/sh020 layout" and first["published"] == []
    assert "1 of its placeholders failed (rig check: " in first["error"], first["error"]
    assert "the rig server is down" in first["error"]
    assert [b["node"] for b in report["builds"]] == ["/sq010/sh020 layout"]
    assert "/sq010/sh020 lighting" in report["skipped"]
    latest = hub.request("db_service.version.latest", {"project": "demo", "context": "/sq010/sh020"},
                         timeout=T)["versions"]
    assert [v["product_name"] for v in latest] == []


def test_a_recursive_build_builds_once_a_workfile_built_at_start(studio):
    """An upstream build whose profile builds new workfiles at start is the
    build the DCC made at start, not a second one saved as the next version."""
    server, env, hub, blenders, tmp_path = studio
    reply = hub.request("config.get", {"addon": "build", "project": "demo"}, timeout=T)
    profiles = reply["values"]["profiles"]
    profiles[0]["build_on_new_workfile"] = True
    run_qi(env, "settings", "set", "build", "profiles", json.dumps(profiles), "--layer", "project", "--project", "demo")
    report = hub.request("build.run", {"project": "demo", "context": "/sq010/sh030", "task": "lighting"},
                         timeout=LONG)
    assert report["success"], json.dumps(report, indent=1)
    first = report["builds"][0]
    assert first["node"] == "/sq010/sh030 layout"
    workfile = pathlib.Path(first["build"]["workfile"])
    assert workfile.name.endswith("_v001.blend"), workfile
    assert sorted(p.name for p in workfile.parent.glob("*.blend")) == [workfile.name]
    assert sorted(p["product"] for p in first["published"]) == ["cameraMain", "layoutMain", "workfileMain"]


def test_an_update_loads_what_the_scene_lacks_only(studio):
    """“Update from template” builds the placeholders kept in the scene: a
    model newly cast is loaded, those the scene holds are not loaded again."""
    server, env, hub, blenders, tmp_path = studio
    layout = start(studio, "/sq010/sh010", "layout", "layout")
    first = ask(layout, hub, "pipeline.build", {"keep_placeholders": True})
    assert first["failed"] == [], json.dumps(first, indent=1)
    assert len([l for b in first["built"] for l in b.get("loaded", [])]) == 2
    # a third asset cast in the shot, published
    prop = tmp_path / "lamp.blend"
    blender(MODEL % {"name": "lamp", "path": str(prop)})
    run_qi(env, "publish", "--project", "demo", "--context", "/assets/prp_sword", "--task", "model",
           "--product-type", "model", "--variant", "Lamp", str(prop))
    update = ask(layout, hub, "pipeline.build", {"update": True})
    assert update["failed"] == [], json.dumps(update, indent=1)
    loads = sorted((l["product"], l["number"], bool(l.get("held"))) for b in update["built"]
                   for l in b.get("loaded", []))
    assert loads == [("modelLamp", 1, False), ("modelMain", 1, True), ("modelMain", 3, True)]
    held = [l["container"] for b in update["built"] for l in b.get("loaded", []) if l.get("held")]
    containers = ask(layout, hub, "inventory.list")["containers"]
    assert sorted(held) == sorted(c["container"]["id"] for c in containers
                                  if c["container"]["product_name"] == "modelMain")
    assert sorted(c["container"]["product_name"] for c in containers) == ["modelLamp", "modelMain", "modelMain"]
