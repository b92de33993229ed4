"""The publish job of a farm render, ``qi --headless publish --from-farm
METADATA.json``, on a scratch demo tracker: the metadata's rootless paths
resolved with this platform's roots, every expected frame checked whole
before anything is published, the version made with the artist, comment
and source workfile of the metadata; and each way the file or the render
can be wrong refused, naming it, with nothing published."""
import json
import os
import struct
import subprocess
import zlib

import pytest

from qi.farm import metadata

from test_farm_local import clean_env
from test_hub_server import QI_EXE

CONTEXT = "/sq010/sh020"


def png(width=4, height=2):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + b"\x80\x40\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def exported(env):
    """The demo project as ``db export`` writes it."""
    path = os.path.join(env["HOME"], "export.json")
    done = qi(env, "db", "export", path)
    assert done.returncode == 0, done.stderr
    with open(path) as f:
        return f.read()


def qi(env, *args):
    return subprocess.run([QI_EXE, "--headless", *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def render(tmp_path):
    env = clean_env(tmp_path)
    assert qi(env, "db", "seed-demo").returncode == 0
    roots = json.loads(qi(env, "templates", "list", "--json").stdout)["roots"]
    folder = os.path.join(roots["work"], "demo", "sq010", "sh020", "work", "lighting", "renders", "renderKey",
                          "v001")
    os.makedirs(folder)
    for frame in range(1, 9):
        with open(os.path.join(folder, "renderKey.%04d.png" % frame), "wb") as f:
            f.write(png())
    workfile = os.path.join(roots["work"], "demo", "sq010", "sh020", "work", "lighting", "sh020_v003.blend")
    open(workfile, "wb").close()
    document = {"schema": metadata.SCHEMA, "project": "demo", "context": CONTEXT, "task": "lighting",
                "user": "emil", "comment": "key light", "host": "blender",
                "source_workfile": metadata.rootless(workfile, roots),
                "instances": [{"product_type": "render", "variant": "Key", "product_name": "renderKey",
                               "representations": [{"name": "png", "ext": "png", "frames": [1, 8],
                                                    "pattern": metadata.rootless(
                                                        os.path.join(folder, "renderKey.####.png"), roots)}]}]}
    path = os.path.join(folder, "publish.json")
    metadata.write(path, document)
    return env, roots, folder, path, document, workfile


def test_rootless_paths_resolve_with_each_platform_s_roots():
    roots = {"work": "/mnt/work", "publish": "/mnt/work/publish"}
    assert metadata.rootless("/mnt/work/demo/a.png", roots) == "{root[work]}/demo/a.png"
    assert metadata.rootless("/mnt/work/publish/x", roots) == "{root[publish]}/x"  # the longest root
    assert metadata.rootless("/elsewhere/a.png", roots) == "/elsewhere/a.png"
    assert metadata.resolve("{root[work]}/demo/a.png", {"work": "W:/projects"}) == "W:/projects/demo/a.png"
    with pytest.raises(metadata.MetadataError) as raised:
        metadata.resolve("{root[render]}/a.png", roots, "pattern")
    assert "the root “render” has no folder on this platform" in str(raised.value)


def test_a_farm_render_is_published_from_its_metadata(render):
    env, roots, folder, path, document, workfile = render
    done = qi(env, "publish", "--from-farm", path, "--json")
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    [report] = outcome["products"]
    assert report["product"]["name"] == "renderKey" and report["number"] == 1
    assert report["context"] == CONTEXT and len(report["files"]) == 8
    for entry in report["files"]:
        assert os.path.isfile(entry["path"]) and entry["source"].startswith(folder)
    project = json.loads(exported(env))
    [version] = [v for v in project["versions"] if v.get("comment") == "key light"]
    # the artist; the author is whoever the worker is logged in as (a service user)
    assert version["number"] == 1 and version["metadata"]["user"] == "emil"
    assert version["metadata"]["source_workfile"] == workfile


@pytest.mark.parametrize("damage, words", [
    ("missing", "renderKey png: %(frame)s is missing"),
    ("empty", "renderKey png: %(frame)s is empty"),
    ("cut", "renderKey png: %(frame)s is cut short (no PNG end)"),
])
def test_a_render_with_a_bad_frame_publishes_nothing(render, damage, words):
    env, roots, folder, path, document, workfile = render
    frame = os.path.join(folder, "renderKey.0006.png")
    if damage == "missing":
        os.unlink(frame)
    elif damage == "empty":
        open(frame, "wb").close()
    else:
        with open(frame, "r+b") as f:
            f.truncate(30)
    done = qi(env, "publish", "--from-farm", path)
    assert done.returncode == 1
    assert "the render is not complete, nothing is published" in done.stderr
    assert words % {"frame": frame} in done.stderr
    assert "renderKey" not in exported(env)


@pytest.mark.parametrize("change, words", [
    (lambda d: "not json", "is not JSON"),
    (lambda d: dict(d, schema="qi:other"), "“schema” is 'qi:other', not “qi:farm-publish-1.0”"),
    (lambda d: dict(d, instances=[]), "“instances” must be a non-empty list"),
    (lambda d: dict(d, context=""), "“context” must be a non-empty string"),
    (lambda d: dict(d, instances=[dict(d["instances"][0], representations=[
        dict(d["instances"][0]["representations"][0], frames=[8, 1])])]), "representations[0]: “frames” must be"),
    (lambda d: dict(d, instances=[dict(d["instances"][0], representations=[
        dict(d["instances"][0]["representations"][0],
             pattern="{root[render]}/x.####.png")])]), "the root “render” has no folder on this platform"),
])
def test_a_bad_metadata_file_is_refused_naming_what(render, change, words):
    env, roots, folder, path, document, workfile = render
    changed = change(document)
    with open(path, "w") as f:
        f.write(changed if isinstance(changed, str) else json.dumps(changed))
    done = qi(env, "publish", "--from-farm", path)
    assert done.returncode == 1, done.stdout
    assert path in done.stderr or "renderKey" in done.stderr
    assert words in done.stderr
    assert "renderKey" not in exported(env)


def test_from_farm_takes_no_files(render):
    env, roots, folder, path, document, workfile = render
    done = qi(env, "publish", "--from-farm", path, os.path.join(folder, "renderKey.0001.png"))
    assert done.returncode == 2 and "--from-farm publishes what its file names" in done.stderr
    missing = qi(env, "publish", "--from-farm", os.path.join(folder, "nope.json"))
    assert missing.returncode == 1 and "nope.json: no such file" in missing.stderr
