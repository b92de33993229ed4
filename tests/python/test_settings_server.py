"""Addon settings through the real server, ``qi --headless serve``, with the
test addons (tests/addons/farm has a schema of every key type).

- The exported JSON Schema is checked against the draft 2020-12
  meta-schema by Debian's python3-jsonschema, and the resolved values
  validate against it, layer over layer.
- ``config.get`` / ``config.patch`` on the hub, ``GET``/``PATCH
  /api/settings/farm`` and ``/schema`` over REST.
- An override file edited by someone else while the server runs is read
  again and announced as ``config.changed``.
"""
import json
import os
import threading
import urllib.error
import urllib.request

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import ADDONS, QI_EXE, QiServer, T  # noqa: F401  (QI_EXE: skips without it)

jsonschema = pytest.importorskip("jsonschema")

pytestmark = pytest.mark.skipif(not os.path.isdir(os.path.join(ADDONS, "farm")),
                                reason="the test addons are not built (run through meson test)")


@pytest.fixture
def farm_server(tmp_path):
    s = QiServer(tmp_path, addon_path=ADDONS)
    yield s
    s.stop()


def rest(server, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.info["http"] + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + server.token,
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=T) as response:
            return response.status, json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode())


def bundle_file(server):
    return os.path.join(server.dirs["XDG_CONFIG_HOME"], "qi", "settings", "bundles", "default.json")


def test_schema_is_json_schema_2020_12_and_values_validate(farm_server):
    status, schema = rest(farm_server, "GET", "/api/settings/farm/schema")
    assert status == 200
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft202012Validator
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    status, resolved = rest(farm_server, "GET", "/api/settings/farm")
    assert status == 200
    validator.validate(resolved["values"])
    assert resolved["values"]["farm"] == {"priority": 50, "pool": "cpu", "timeout": 3600.0}

    # What the schema refuses, the server refuses, and the other way round.
    for bad in ({"farm": {"priority": 101}}, {"farm": {"pool": "tpu"}},
                {"output": {"formats": []}}, {"notify": "yes"}, {"farm": {"speed": 1}}):
        with pytest.raises(jsonschema.ValidationError):
            merged = json.loads(json.dumps(resolved["values"]))
            for group, value in bad.items():
                if isinstance(value, dict):
                    merged[group].update(value)
                else:
                    merged[group] = value
            validator.validate(merged)
        status, body = rest(farm_server, "PATCH", "/api/settings/farm", {"layer": "bundle", "values": bad})
        assert status == 422, body
        assert body["error"]["code"] == "invalid"

    status, body = rest(farm_server, "PATCH", "/api/settings/farm?project=demo",
                        {"layer": "project", "values": {"farm": {"priority": 99}, "label": "hero"}})
    assert status == 200, body
    validator.validate(body["values"])
    assert body["origins"]["farm.priority"] == "project"
    assert body["origins"]["label"] == "project"
    assert body["origins"]["farm.pool"] == "default"


def test_hub_round_trip_and_errors(farm_server):
    with qi.hub.connect(farm_server.url, farm_server.token, name="test/settings", timeout=T) as c:
        got = c.request("config.patch", {"addon": "farm", "layer": "bundle",
                                         "values": {"output": {"formats": ["exr", "png"]}}}, timeout=T)
        assert got["values"]["output"]["formats"] == ["exr", "png"]
        assert got["origins"]["output.formats"] == "bundle"
        assert got["bundle"] == "default"
        assert got["errors"] == []

        # The addon reads its settings too.
        c.request("config.patch", {"addon": "farm", "layer": "project", "project": "demo",
                                   "values": {"farm": {"priority": 12}}}, timeout=T)
        assert c.request("farm.describe", {"project": "demo"}, timeout=T) == {"priority": 12, "origin": "project"}
        assert c.request("farm.describe", {}, timeout=T) == {"priority": 50, "origin": "default"}

        with pytest.raises(HubError) as failed:
            c.request("config.patch", {"addon": "farm", "layer": "bundle", "values": {"farm": {"priority": -3}}},
                      timeout=T)
        assert failed.value.code == "handler_failed"
        assert "(bundle layer “default”): farm.priority: -3 is below the minimum 0" in failed.value.message

        with pytest.raises(HubError) as failed:
            c.request("config.get", {"addon": "badschema"}, timeout=T)
        assert "no loaded addon “badschema” has settings" in failed.value.message


def test_a_file_edited_by_someone_else_is_announced(farm_server):
    events = []
    seen = threading.Event()

    def on_changed(topic, payload, message):
        events.append(payload)
        seen.set()

    with qi.hub.connect(farm_server.url, farm_server.token, name="test/watcher", timeout=T) as c:
        c.subscribe("config.changed", on_changed, timeout=T)
        # Reading the layer starts its watch.
        c.request("config.get", {"addon": "farm"}, timeout=T)

        path = bundle_file(farm_server)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            json.dump({"format": 1, "addons": {"farm": {"farm": {"pool": "gpu"}, "notify": False}}}, f)
        os.replace(path + ".tmp", path)

        assert seen.wait(10), "no config.changed within 10 s"
        assert events[0] == {"addon": "farm", "layer": "bundle", "name": "default", "project": None,
                             "keys": ["farm.pool", "notify"]}
        got = c.request("config.get", {"addon": "farm"}, timeout=T)
        assert got["values"]["farm"]["pool"] == "gpu"
        assert got["origins"]["notify"] == "bundle"

        # A refused change leaves the user's file exactly as it was.
        before = open(path, "rb").read()
        status, body = rest(farm_server, "PATCH", "/api/settings/farm",
                            {"layer": "bundle", "values": {"farm": {"timeout": 0}}})
        assert status == 422
        assert open(path, "rb").read() == before
