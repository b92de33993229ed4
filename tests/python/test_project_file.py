"""The project file of `qi --headless db export` against its JSON Schema
(docs/project-file.schema.json, draft 2020-12), checked by Debian's
python3-jsonschema: the schema is a valid 2020-12 schema, the demo
project's export validates, and what the schema refuses, import refuses."""
import json
import os
import subprocess

import pytest

jsonschema = pytest.importorskip("jsonschema")

QI_EXE = os.environ.get("QI_EXE")
if not QI_EXE:
    pytest.skip("QI_EXE is not set (meson test sets it to the built qi)", allow_module_level=True)

SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "project-file.schema.json")


def qi(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k == "QI_ADDON_DIR"}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    return subprocess.run([QI_EXE, "--headless", *args], env=env, capture_output=True, text=True, timeout=60)


def test_export_validates_against_the_schema(tmp_path):
    schema = json.load(open(SCHEMA))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    assert qi(tmp_path, "db", "seed-demo").returncode == 0
    exported = tmp_path / "demo.json"
    done = qi(tmp_path, "db", "export", str(exported))
    assert done.returncode == 0, done.stderr
    document = json.loads(exported.read_text())
    validator.validate(document)
    assert document["format"] == "qi-project"
    assert {c["path"] for c in document["contexts"]} >= {"/sq010", "/sq010/sh010"}

    # A field the schema refuses, import refuses too, naming its path.
    document["versions"][0]["components"][0]["files"][0]["size"] = -5
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(document)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    done = qi(tmp_path, "--data-dir", str(tmp_path / "other"), "db", "import", str(bad))
    assert done.returncode == 2
    assert "$.versions[0].components[0].files[0].size: -5 is below 0; nothing was imported" in done.stderr
