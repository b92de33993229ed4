"""Plugins written for pyblish-base run unchanged on Qi's engine: the files
of tests/python/data/pyblish_plugins, as a studio writes them (``import
pyblish.api``, orders, families, an optional Subset validator, a repair
action, an extractor writing to a staging folder, an integrator, a Maya
only collector, a farm-only submitter), found through PYBLISHPLUGINPATH
and published with ``pyblish.util.publish()`` through the fallback
pyblish."""
import importlib
import importlib.util
import json
import os
import sys
import tempfile

import pytest

import qi.publish
from qi.publish import FALLBACK_DIR

PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "pyblish_plugins")


def forget_pyblish():
    for name in [name for name in sys.modules if name == "pyblish" or name.startswith("pyblish.")]:
        del sys.modules[name]
    importlib.invalidate_caches()


@pytest.fixture
def studio(tmp_path, monkeypatch, clean_publish):
    """A scene of two models to publish (and a third not to), a publish
    root, a staging folder for tempfile, the studio's plugins on
    PYBLISHPLUGINPATH, and Qi's fallback pyblish imported."""
    saved_path = list(sys.path)
    sys.path[:] = [path for path in sys.path if path != FALLBACK_DIR]
    forget_pyblish()
    if qi.publish.install_fallback() != "qi":
        pytest.skip("a pyblish is installed on this machine")

    scene = tmp_path / "chairs.json"
    scene.write_text(json.dumps({"frameStart": 1001, "frameEnd": 1010, "assets": [
        {"name": "chairMain", "nodes": ["chair_GEO", "leg_GEO"], "review": True},
        {"name": "stool", "nodes": ["stool_GEO"]},
        {"name": "wip", "nodes": ["Draft"], "publish": False},
    ]}))
    staging = tmp_path / "staging"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))
    monkeypatch.setenv("STUDIO_SCENE", str(scene))
    monkeypatch.setenv("STUDIO_PUBLISH_ROOT", str(tmp_path / "publish"))
    monkeypatch.setenv("PYBLISHPLUGINPATH", PLUGINS)
    yield scene
    sys.path[:] = saved_path
    forget_pyblish()


def ran(context):
    return [(r["plugin"].__name__, None if r["instance"] is None else r["instance"].name)
            for r in context.data["results"]]


def rename_in_scene(scene, old, new):
    data = json.loads(scene.read_text())
    for asset in data["assets"]:
        asset["nodes"] = [new if node == old else node for node in asset["nodes"]]
    scene.write_text(json.dumps(data))


def test_a_valid_scene_is_published(studio, tmp_path):
    import pyblish.api
    import pyblish.util

    assert pyblish.api.Context is qi.publish.Context
    processed = []
    pyblish.api.register_callback("pluginProcessed", lambda result: processed.append(result["plugin"].__name__))

    context = pyblish.util.publish()

    assert all(r["success"] for r in context.data["results"]), [
        r["error"].formatted_traceback for r in context.data["results"] if r["error"]]
    assert ran(context) == [
        ("CollectCurrentFile", None),
        ("CollectModels", None),
        ("ValidateNodeNames", "chairMain"), ("ValidateNodeNames", "stool"),
        ("ValidateSceneExists", None),
        ("ValidateFrameRange", "chairMain"),
        ("ExtractModel", "chairMain"), ("ExtractModel", "stool"),
        ("IntegrateModel", "chairMain"), ("IntegrateModel", "stool"),
    ]
    assert processed == [name for name, _ in ran(context)]
    assert context.data["currentFile"] == str(studio)
    assert [r.getMessage() for r in context.data["results"][0]["records"]] == ["Publishing %s" % studio]

    chair = context[0]
    assert chair.data["representations"] == [{
        "name": "json", "ext": "json", "files": "chairMain.json", "stagingDir": chair.data["stagingDir"]}]
    assert os.path.dirname(chair.data["stagingDir"]) == str(tmp_path / "staging")
    published = tmp_path / "publish" / "chairMain" / "v001" / "chairMain.json"
    assert json.loads(published.read_text()) == {"nodes": ["chair_GEO", "leg_GEO"], "source": str(studio)}
    assert (tmp_path / "publish" / "stool" / "v001" / "stool.json").is_file()
    assert not (tmp_path / "publish" / "wip").exists()


def test_a_bad_name_stops_the_publish_and_the_repair_action_fixes_it(studio, tmp_path):
    import pyblish.util

    rename_in_scene(studio, "leg_GEO", "Leg_geo")
    context = pyblish.util.publish()

    failed = [r for r in context.data["results"] if not r["success"]]
    assert [(r["plugin"].__name__, r["instance"].name) for r in failed] == [("ValidateNodeNames", "chairMain")]
    assert "chairMain: 1 node(s) not named lower_case_GEO" in str(failed[0]["error"])
    assert [r.getMessage() for r in failed[0]["records"]] == ["Invalid name: Leg_geo (should be leg_GEO)"]
    assert not any(name in ("ExtractModel", "IntegrateModel") for name, _ in ran(context))
    assert not (tmp_path / "publish").exists()

    validator = failed[0]["plugin"]
    offered = qi.publish.available_actions(validator, context)
    assert [action.__name__ for action in offered] == ["RenameNodes"]
    assert (offered[0].label, offered[0].icon) == ("Rename nodes", "wrench")
    result = qi.publish.run_action(offered[0], validator, context)
    assert result["success"], result["error"] and result["error"].formatted_traceback
    assert [r.getMessage() for r in result["records"]] == ["Renamed the nodes of %s" % studio]
    assert json.loads(studio.read_text())["assets"][0]["nodes"] == ["chair_GEO", "leg_GEO"]

    # The repaired scene, collected anew, publishes.
    context = pyblish.util.publish()
    assert all(r["success"] for r in context.data["results"])
    assert (tmp_path / "publish" / "chairMain" / "v001" / "chairMain.json").is_file()


def test_the_optional_validator_can_be_turned_off(studio):
    import pyblish.api
    import pyblish.util

    data = json.loads(studio.read_text())
    data["frameEnd"] = 900
    studio.write_text(json.dumps(data))

    plugins = pyblish.api.discover()
    frame_range = [p for p in plugins if p.__name__ == "ValidateFrameRange"][0]
    assert frame_range.optional
    context = pyblish.util.publish(plugins=plugins)
    assert [r["plugin"].__name__ for r in context.data["results"] if not r["success"]] == ["ValidateFrameRange"]

    qi.publish.toggle_plugin(frame_range, False)
    context = pyblish.util.publish(plugins=plugins)
    assert all(r["success"] for r in context.data["results"])
    assert "ValidateFrameRange" not in [name for name, _ in ran(context)]


def test_the_farm_target_and_the_maya_host(studio):
    import pyblish.api
    import pyblish.util

    context = pyblish.util.publish(targets=["farm"])
    assert context.data["farmJob"] == {"scene": str(studio), "instances": ["chairMain", "stool"]}
    assert "CollectMayaSelection" not in [name for name, _ in ran(context)]

    # Registered as a host, Maya's collector runs; it fails here (no maya
    # module), and a failing collector does not stop the publish.
    pyblish.api.register_host("maya")
    context = pyblish.util.publish()
    failed = [r for r in context.data["results"] if not r["success"]]
    assert [r["plugin"].__name__ for r in failed] == ["CollectMayaSelection"]
    assert "No module named 'maya'" in failed[0]["error"].formatted_traceback
    assert ("IntegrateModel", "stool") in ran(context)
    assert "farmJob" not in context.data


def test_the_studio_files_are_found_as_pyblish_base_would_find_them(studio):
    import pyblish.api

    assert pyblish.api.plugin_paths() == [PLUGINS]
    # By order; the two validators of order 1 in the order of their files'
    # names (validate_node_names.py, validate_scene.py).
    assert [p.__name__ for p in pyblish.api.discover()] == [
        "CollectCurrentFile", "CollectModels", "ValidateNodeNames", "ValidateSceneExists",
        "ValidateFrameRange", "ExtractModel", "IntegrateModel"]
    assert pyblish.api.discovery_errors() == {}
    assert importlib.util.find_spec("pyblish").origin == os.path.join(FALLBACK_DIR, "pyblish", "__init__.py")


def test_a_publish_in_parts_runs_each_discovered_plugin_once(studio, tmp_path):
    import pyblish.api
    import pyblish.util

    # Each part discovers the files anew (new classes of the same names);
    # what already ran on the context still does not run again.
    context = pyblish.util.collect()
    assert [name for name, _ in ran(context)] == ["CollectCurrentFile", "CollectModels"]
    assert pyblish.util.validate(context) is context
    assert len(context) == 3
    pyblish.util.publish(context)
    assert [name for name, _ in ran(context)] == [
        "CollectCurrentFile", "CollectModels", "ValidateNodeNames", "ValidateNodeNames", "ValidateSceneExists",
        "ValidateFrameRange", "ExtractModel", "ExtractModel", "IntegrateModel", "IntegrateModel"]
    assert (tmp_path / "publish" / "stool" / "v001" / "stool.json").is_file()

    # And a rediscovered plugin's actions are those of the one that ran.
    rename_in_scene(studio, "stool_GEO", "Stool")
    context = pyblish.util.validate()
    rediscovered = [p for p in pyblish.api.discover() if p.__name__ == "ValidateNodeNames"][0]
    assert [a.__name__ for a in qi.publish.available_actions(rediscovered, context)] == ["RenameNodes"]
