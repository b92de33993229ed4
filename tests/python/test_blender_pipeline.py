"""The pipeline inside Debian's Blender, end to end: a model created,
saved, reopened and published (.blend, glTF, FBX and a thumbnail, with
their checksums in the tracker); loaded as a linked container in a layout
session, which sees it become outdated through the hub when the model is
published again, updates it, saves it; then switches it to glTF and
removes it. Two Blenders in the background at once, a real ``qi
--headless serve`` on the demo tracker."""
import hashlib
import json
import os
import pathlib
import subprocess
import threading
import time

import pytest

import qi.hub

from test_blender_host import BLENDER, Blender, base_env, launch_env, run_qi
from test_hub_server import QiServer, T

LONG = 300  # a publish renders and exports: seconds, on a loaded machine


@pytest.fixture
def studio(tmp_path):
    env = base_env(tmp_path)
    run_qi(env, "db", "seed-demo")
    server = QiServer(tmp_path)
    hub = qi.hub.connect(server.url, server.token, name="test/pipeline", timeout=T)
    blenders = []
    yield server, env, hub, blenders, tmp_path
    for blender in blenders:
        blender.stop()
    hub.close()
    server.stop()


def start(studio, context, task, name):
    server, base, hub, blenders, tmp_path = studio
    workdir = pathlib.Path(run_qi(base, "templates", "solve", "work.directory", "--project", "demo",
                                  "--context", context, "--task", task).strip())
    workdir.mkdir(parents=True, exist_ok=True)
    workfile = workdir / ("%s_v001.blend" % name)
    env = launch_env(base, server, workdir, QI_CONTEXT=context, QI_TASK=task, QI_TASK_TYPE=task,
                     QI_WORKFILE=str(workfile))
    argv = json.loads(run_qi(base, "hosts", "args", "blender", "--app-arg=--background", "--json"))["argv"]
    blender = Blender(argv, env, tmp_path / ("blender-%s.log" % name))
    blenders.append(blender)
    blender.wait_for_session(hub)
    blender.prefix = "dcc.blender.%d." % blender.proc.pid
    blender.workfile = workfile
    # the session is open before its topics are registered: until they answer
    end = time.monotonic() + 60
    while True:
        try:
            hub.request(blender.prefix + "pipeline.creators", {}, timeout=T)
            return blender
        except qi.hub.HubError as error:
            if error.code != "no_handler" or time.monotonic() > end:
                pytest.fail("%s: %s\n%s" % (blender.prefix, error, blender.log()))
            time.sleep(0.1)


def ask(studio, blender, topic, payload=None, timeout=LONG):
    hub = studio[2]
    try:
        return hub.request(blender.prefix + topic, payload or {}, timeout=timeout)
    except qi.hub.HubError as error:
        pytest.fail("%s: %s\n%s" % (topic, error, blender.log()))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def inspect_blend(path, tmp_path):
    """What a saved .blend holds, read by another Blender."""
    script = tmp_path / "inspect.py"
    script.write_text(
        "import bpy, json, os\n"
        "print('QI-SCENE ' + json.dumps({\n"
        "  'libraries': [os.path.normpath(bpy.path.abspath(l.filepath)) for l in bpy.data.libraries],\n"
        "  'containers': [json.loads(c['qi_container']) for c in bpy.data.collections\n"
        "                 if c.library is None and 'qi_container' in c.keys()],\n"
        "  'instances': [json.loads(c['qi_instance']) for c in bpy.data.collections\n"
        "                if c.library is None and 'qi_instance' in c.keys()],\n"
        "  'objects': sorted(o.name for o in bpy.data.objects if o.library is None),\n"
        "  'linked_collections': sorted(c.name for c in bpy.data.collections if c.library is not None),\n"
        "  'options': {'alembic': bpy.app.build_options.alembic, 'usd': bpy.app.build_options.usd}}))\n")
    done = subprocess.run([BLENDER, "--background", "--factory-startup", str(path), "--python-exit-code", "1",
                           "--python", str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    line = [l for l in done.stdout.splitlines() if l.startswith("QI-SCENE ")][0]
    return json.loads(line[len("QI-SCENE "):])


def test_model_to_layout_in_blender(studio):
    server, base, hub, blenders, tmp_path = studio
    events = []
    seen = threading.Event()

    def on_inventory(topic, payload, message):
        events.append(payload)
        seen.set()

    hub.subscribe("inventory.changed", on_inventory)

    # 1. the model: created from a mesh, kept through save and reopen, published
    model = start(studio, "/assets/prp_sword", "model", "model")
    listed = ask(studio, model, "pipeline.creators")
    creators = {c["identifier"]: c for c in listed["creators"]}
    assert {"blender.model", "blender.camera", "blender.look"} <= set(creators), listed
    assert listed["errors"] == {}
    schema = creators["blender.model"]["attributes"]
    assert schema["properties"]["thumbnail"]["type"] == "boolean"
    assert schema["properties"]["formats"]["items"]["enum"] == ["blend", "gltf", "fbx"]
    made = ask(studio, model, "pipeline.create", {"creator": "blender.model", "variant": "Main",
                                                  "members": ["Cube"]})
    assert made["product_name"] == "modelMain" and made["members"] == ["Cube"]
    assert made["context"] == "/assets/prp_sword" and made["task"] == "model"
    saved = ask(studio, model, "workfile.save")["path"]
    assert saved == str(model.workfile)
    ask(studio, model, "workfile.open", {"path": saved})
    instances = {i["creator"]: i for i in ask(studio, model, "pipeline.instances")["instances"]}
    assert instances["blender.model"]["id"] == made["id"] and instances["blender.model"]["members"] == ["Cube"]
    assert "blender.workfile" in instances  # the auto creator's
    # the publish plugins' attributes for the instance: an optional check, the thumbnail's size
    schemas = instances["blender.model"]["publish_attributes_schema"]
    assert schemas["ValidateBlenderScale"]["properties"]["active"]["default"] is True
    assert schemas["ExtractThumbnail"]["properties"]["size"]["maximum"] == 512
    changed = ask(studio, model, "pipeline.update", {"id": made["id"], "changes": {
        "publish_attributes": {"ExtractThumbnail": {"size": 48}}}})
    assert changed["publish_attributes"] == {"ExtractThumbnail": {"size": 48, "samples": 8}}
    ask(studio, model, "workfile.save")

    first = ask(studio, model, "pipeline.publish", {"comment": "first sword"})
    assert first["success"], json.dumps(first["errors"], indent=1)
    reports = {r["product"]["name"]: r for r in first["products"]}
    report = reports["modelMain"]
    assert report["number"] == 1 and "workfileMain" in reports
    version = hub.request("db_service.version.get", {"id": report["version"]["id"]}, timeout=T)
    assert version["state"] == "published" and version["comment"] == "first sword"
    assert version["metadata"]["host"] == "blender" and version["metadata"]["source_workfile"] == saved
    assert sorted(c["name"] for c in version["components"]) == ["blend", "fbx", "gltf", "thumbnail"]
    expected = pathlib.Path(run_qi(base, "templates", "solve", "publish.directory", "--project", "demo",
                                   "--context", "/assets/prp_sword", "--task", "model", "--set",
                                   "product.name=modelMain", "--set", "product.type=model",
                                   "--set", "version=1").strip())
    root = os.path.join(base["XDG_DATA_HOME"], "qi", "projects")
    for entry in report["files"]:
        assert os.path.dirname(entry["path"]) == str(expected)
        relative = os.path.relpath(entry["path"], root)
        assert version["metadata"]["checksums"][relative] == sha256(entry["path"]) == entry["sha256"]
    thumb = [f["path"] for f in report["files"] if f["path"].endswith("_thumbnail.png")][0]
    with open(thumb, "rb") as f:
        head = f.read(24)
    # a PNG of the size the artist chose
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(head[16:20], "big") == 48
    ran = {r["plugin"] for r in first["results"]}
    assert {"ExtractBlend", "ExtractGLTF", "ExtractFBX", "ExtractThumbnail", "IntegrateQiVersion"} <= ran
    # Alembic and USD are offered only where this Blender has them
    options = inspect_blend(saved, tmp_path)["options"]
    assert ("ExtractAlembic" in ran) == options["alembic"] and ("ExtractUSD" in ran) == options["usd"]

    # 2. the layout: version 1 linked as a container
    layout = start(studio, "/sq010/sh010", "layout", "layout")
    loaders = ask(studio, layout, "pipeline.loaders", {"version": report["version"]["id"], "representation": "blend"})
    assert [l["name"] for l in loaders["loaders"]] == ["LinkBlend", "AppendBlend"]
    gltf_loaders = ask(studio, layout, "pipeline.loaders", {"version": report["version"]["id"],
                                                            "representation": "gltf"})
    assert [l["name"] for l in gltf_loaders["loaders"]] == ["ImportGLTF"]
    container = ask(studio, layout, "pipeline.load", {"version": report["version"]["id"],
                                                      "representation": "blend"})["container"]
    assert container["loader"] == "LinkBlend" and container["version_number"] == 1
    assert container["product_name"] == "modelMain" and container["namespace"] == "modelMain_01"
    [row] = ask(studio, layout, "inventory.list")["containers"]
    assert row["state"] == "latest" and row["version"] == 1 and row["latest"] == 1
    # an action that runs in Blender, on the container; Qi's side does not offer it
    offered = ask(studio, layout, "pipeline.actions", {"target": "container", "selection": [container]})
    assert [a["name"] for a in offered["actions"]] == ["ReloadLibrary"]
    reloaded = ask(studio, layout, "pipeline.action", {"action": "ReloadLibrary", "target": "container",
                                                       "selection": [container]})
    assert reloaded["message"].startswith("reloaded ") and reloaded["message"].endswith("_v001_blend.blend")
    on_qi = hub.request("actions.list", {"target": "container", "selection": [container]}, timeout=T)
    assert [a["name"] for a in on_qi["actions"]] == ["OpenContainerFolder"]
    assert not [k for k in on_qi["errors"] if "blender_actions" in k]

    # 3. the model again: version 2; the open layout hears of it
    second = ask(studio, model, "pipeline.publish", {"comment": "sharper", "instances": [made["id"]]})
    assert second["success"], second["errors"]
    assert [r["number"] for r in second["products"]] == [2]
    assert seen.wait(30), "no inventory.changed from the layout:\n" + layout.log()
    change = [e for e in events if e["session"] == "dcc/blender/%d" % layout.proc.pid][-1]
    assert change["containers"][0]["state"] == "outdated" and change["containers"][0]["latest"] == 2
    [row] = ask(studio, layout, "inventory.list")["containers"]
    assert row["state"] == "outdated" and row["version"] == 1 and row["latest"] == 2
    updated = ask(studio, layout, "inventory.update", {"container": container["id"], "version": "latest"})
    assert updated["container"]["version_number"] == 2 and updated["container"]["id"] == container["id"]
    [row] = ask(studio, layout, "inventory.list")["containers"]
    assert row["state"] == "latest" and row["version"] == 2
    layout_file = ask(studio, layout, "workfile.save")["path"]
    scene = inspect_blend(layout_file, tmp_path)
    v2_blend = [f["path"] for f in second["products"][0]["files"] if f["path"].endswith(".blend")][0]
    assert scene["libraries"] == [v2_blend]
    assert [c["version_number"] for c in scene["containers"]] == [2]
    assert scene["linked_collections"] == ["modelMain"]

    # setting a version down, then up again
    down = ask(studio, layout, "inventory.update", {"container": container["id"], "version": "-1"})
    assert down["container"]["version_number"] == 1
    ask(studio, layout, "inventory.update", {"container": container["id"], "version": 2})

    # 4. switched to glTF, then removed
    switched = ask(studio, layout, "inventory.switch", {"container": container["id"], "representation": "gltf"})
    assert switched["container"]["loader"] == "ImportGLTF" and switched["container"]["representation_name"] == "gltf"
    [row] = ask(studio, layout, "inventory.list")["containers"]
    assert row["container"]["representation_name"] == "gltf" and row["state"] == "latest"
    scene = inspect_blend(ask(studio, layout, "workfile.save")["path"], tmp_path)
    assert scene["libraries"] == [] and "Cube" in scene["objects"]  # the imported sword's mesh object
    ask(studio, layout, "inventory.remove", {"container": container["id"]})
    assert ask(studio, layout, "inventory.list")["containers"] == []
    scene = inspect_blend(ask(studio, layout, "workfile.save")["path"], tmp_path)
    assert scene["containers"] == [] and scene["libraries"] == []
    assert scene["objects"] == ["Camera", "Cube", "Light"]  # the layout's own, nothing of the sword


def test_bad_requests_are_refused_naming_what(studio):
    blender = start(studio, "/assets/prp_sword", "model", "model")
    hub = studio[2]
    cases = [
        ("pipeline.create", {"creator": "blender.cloth", "variant": "Main"}, "no creator “blender.cloth”"),
        ("pipeline.create", {"creator": "blender.model", "variant": "a b", "members": ["Cube"]},
         "the variant 'a b' is not one"),
        ("pipeline.create", {"creator": "blender.model", "variant": "Main", "members": ["Nope"]},
         "there is no object “Nope”"),
        ("pipeline.create", {"creator": "blender.camera", "variant": "Main", "members": ["Cube"]},
         "a camera holds camera objects; “Cube” is a mesh"),
        ("pipeline.create", {"creator": "blender.model", "variant": "Main", "members": ["Cube"],
                             "attributes": {"thumbnail": 3}}, "“thumbnail” is true or false"),
        ("pipeline.create", {"creator": "blender.workfile", "variant": "Main"}, "makes its instances itself"),
        ("inventory.update", {"container": "nope"}, "no container “nope” in the scene"),
        ("pipeline.update", {"id": "nope", "changes": {}}, "no instance “nope” in the scene"),
        ("pipeline.load", {"version": "1", "representation": "usd"}, "has no representation “usd”"),
    ]
    for topic, payload, message in cases:
        with pytest.raises(qi.hub.HubError) as caught:
            hub.request(blender.prefix + topic, payload, timeout=60)
        assert message in caught.value.message, (topic, caught.value.message)
    # nothing was made
    assert [i["creator"] for i in ask(studio, blender, "pipeline.instances")["instances"]] == ["blender.workfile"]


def test_a_camera_and_a_look_are_published(studio):
    blender = start(studio, "/assets/prp_sword", "lookdev", "lookdev")
    camera = ask(studio, blender, "pipeline.create", {"creator": "blender.camera", "variant": "Main",
                                                      "members": ["Camera"]})
    look = ask(studio, blender, "pipeline.create", {"creator": "blender.look", "variant": "Main",
                                                    "members": ["Cube"]})
    assert (camera["product_name"], look["product_name"]) == ("cameraMain", "lookMain")
    ask(studio, blender, "workfile.save")
    done = ask(studio, blender, "pipeline.publish", {"instances": [camera["id"], look["id"]]})
    assert done["success"], json.dumps(done["errors"], indent=1)
    by_name = {r["product"]["name"]: r for r in done["products"]}
    assert sorted(by_name) == ["cameraMain", "lookMain"]  # not the workfile: it was not asked for
    components = {name: sorted(c["name"] for c in r["version"]["components"]) for name, r in by_name.items()}
    assert components == {"cameraMain": ["blend", "fbx"], "lookMain": ["blend"]}
    # the look's .blend holds the cube's material
    look_blend = by_name["lookMain"]["files"][0]["path"]
    script = studio[4] / "materials.py"
    script.write_text("import bpy\n"
                      "with bpy.data.libraries.load(%r) as (src, dst):\n"
                      "    print('QI-MATERIALS', sorted(src.materials), sorted(src.collections))\n" % look_blend)
    out = subprocess.run([BLENDER, "--background", "--factory-startup", "--python-exit-code", "1", "--python",
                          str(script)], capture_output=True, text=True, timeout=120).stdout
    assert "QI-MATERIALS ['Material'] ['lookMain']" in out, out
    # the scene's instances are unchanged by the publish
    assert len(ask(studio, blender, "pipeline.instances")["instances"]) == 3


def test_a_failed_validation_is_repaired_and_published_again(studio):
    tmp_path = studio[4]
    scaled = tmp_path / "scaled.blend"
    done = subprocess.run([BLENDER, "--background", "--factory-startup", "--python-exit-code", "1", "--python-expr",
                           "import bpy; bpy.data.objects['Cube'].scale = (2.0, 2.0, 2.0); "
                           "bpy.ops.wm.save_as_mainfile(filepath=%r)" % str(scaled)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    blender = start(studio, "/assets/prp_sword", "model", "model")
    ask(studio, blender, "workfile.open", {"path": str(scaled)})
    made = ask(studio, blender, "pipeline.create", {"creator": "blender.model", "variant": "Main",
                                                    "members": ["Cube"]})
    refused = ask(studio, blender, "pipeline.publish", {"instances": [made["id"]]})
    assert not refused["success"] and refused["products"] == []
    [error] = refused["errors"]
    assert error["plugin"] == "ValidateBlenderScale" and "the scale of “Cube” is not applied" in error["error"]
    assert error["actions"] == [{"name": "RepairScale", "label": "Apply the scale", "icon": "wrench"}]
    assert "IntegrateQiVersion" not in [r["plugin"] for r in refused["results"]]
    repaired = ask(studio, blender, "pipeline.repair", {"plugin": "ValidateBlenderScale", "action": "RepairScale"})
    assert repaired == {"success": True, "error": None, "records": ["applied the scale of Cube"]}
    again = ask(studio, blender, "pipeline.publish", {"instances": [made["id"]]})
    assert again["success"], json.dumps(again["errors"], indent=1)
    assert [r["number"] for r in again["products"]] == [1]
    with pytest.raises(qi.hub.HubError, match="has no action “Nope”"):
        studio[2].request(blender.prefix + "pipeline.repair", {"plugin": "ValidateBlenderScale", "action": "Nope"},
                          timeout=60)
