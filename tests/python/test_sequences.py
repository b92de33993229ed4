"""qi.sequences (patterns, frames on disk, grouping), qi.standalone (the
products of files and batch files) and qi.instances (a representation's
files, its checks, the integrator's request): standard library only, on
real files in a temporary folder."""
import json
import os

import pytest

from qi import instances, sequences, standalone
from qi.sequences import Sequence, SequenceError


def touch(folder, *names):
    for name in names:
        with open(os.path.join(str(folder), name), "wb") as f:
            f.write(b"x")


@pytest.mark.parametrize("text,head,tail,padding,start,end", [
    ("sh010.####.exr", "sh010.", ".exr", 4, None, None),
    ("sh010.#.exr", "sh010.", ".exr", 1, None, None),
    ("sh010.%04d.exr", "sh010.", ".exr", 4, None, None),
    ("sh010.%d.exr", "sh010.", ".exr", 1, None, None),
    ("sh010.1001-1100#.exr", "sh010.", ".exr", 4, 1001, 1100),
    ("sh010.1-100#.exr", "sh010.", ".exr", 1, 1, 100),
    ("sh010.0001-0100#.exr", "sh010.", ".exr", 4, 1, 100),
    ("sh010.1-100####.exr", "sh010.", ".exr", 4, 1, 100),
    ("sh010-1001-1100#.exr", "sh010-", ".exr", 4, 1001, 1100),
    ("sh010.-5-5#.exr", "sh010.", ".exr", 2, -5, 5),
])
def test_patterns_read_as_written(text, head, tail, padding, start, end):
    pattern = sequences.parse(text)
    assert (pattern.head, pattern.tail, pattern.padding, pattern.start, pattern.end) == (head, tail, padding,
                                                                                          start, end)


def test_what_is_no_pattern_or_a_bad_one():
    assert sequences.parse("/shots/plate.mov") is None
    assert sequences.parse("/shots/sh010.1001.exr") is None
    udim = sequences.parse("tex.<UDIM>.exr")
    assert udim.udim and udim.head == "tex." and udim.matches("tex.1002.exr") == 1002
    assert udim.matches("tex.0999.exr") is None
    with pytest.raises(SequenceError, match="more than one frame token"):
        sequences.parse("a.##.%04d.exr")
    with pytest.raises(SequenceError, match="write %04d"):
        sequences.parse("a.%4d.exr")
    with pytest.raises(SequenceError, match="ends before it starts"):
        sequences.parse("a.1100-1001#.exr")


def test_expand_finds_the_frames_and_what_is_missing(tmp_path):
    touch(tmp_path, "sh010.1001.exr", "sh010.1002.exr", "sh010.1004.exr", "sh010.10005.exr", "sh010.101.exr",
          "sh010.1003.exr.bak", "other.1003.exr")
    found = sequences.expand(str(tmp_path / "sh010.####.exr"))
    # 10005 is five digits: %04d writes it so; 101 is not padded to four
    assert found.frames == [1001, 1002, 1004, 10005]
    ranged = sequences.expand(str(tmp_path / "sh010.1001-1004#.exr"))
    assert ranged.frames == [1001, 1002, 1004] and ranged.missing() == [1003]
    assert ranged.path(1003) == str(tmp_path / "sh010.1003.exr") and ranged.ext == "exr"
    assert sequences.expand(str(tmp_path / "sh010.%d.exr")).frames == [101, 1001, 1002, 1004, 10005]
    with pytest.raises(SequenceError, match="none of its frames 2001-2002 is there"):
        sequences.expand(str(tmp_path / "sh010.2001-2002#.exr"))
    with pytest.raises(SequenceError, match="no file matches"):
        sequences.expand(str(tmp_path / "nope.####.exr"))
    with pytest.raises(SequenceError, match="cannot read the folder"):
        sequences.expand(str(tmp_path / "gone" / "a.####.exr"))


def test_grouping_names_into_sequences_and_single_files(tmp_path):
    grouped = sequences.group(["a.1.exr", "a.2.exr", "notes.txt", "b.0001.png", "b.0002.png", "b.0010.png",
                               "c_v001.ma"])
    assert grouped[0] == Sequence("", "a.", ".exr", 1, [1, 2])
    assert grouped[1] == Sequence("", "b.", ".png", 4, [1, 2, 10])
    assert set(grouped[2:]) == {"c_v001.ma", "notes.txt"}
    assert sequences.format_frames([1001, 1002, 1003, 1007, 1009, 1010]) == "1001-1003, 1007, 1009-1010"
    touch(tmp_path, "x.1.exr", "x.2.exr", ".hidden.1.exr", ".hidden.2.exr", "y.txt")
    (tmp_path / "sub").mkdir()
    scanned = sequences.scan(str(tmp_path))
    assert scanned == [Sequence(str(tmp_path), "x.", ".exr", 1, [1, 2]), str(tmp_path / "y.txt")]


def test_frames_of_a_representations_names():
    assert sequences.frames_of(["a.0001.exr", "a.0002.exr"]).frames == [1, 2]
    assert sequences.frames_of(["a.0007.exr"]).padding == 4
    with pytest.raises(SequenceError, match="not one sequence"):
        sequences.frames_of(["a.0001.exr", "b.0001.exr"])
    with pytest.raises(SequenceError, match="there twice"):
        sequences.frames_of(["a.0001.exr", "a.0001.exr", "a.0002.exr"])


def test_the_products_of_files_sequences_and_folders(tmp_path):
    touch(tmp_path, "sh010.1001.exr", "sh010.1002.exr", "plate.mov", "thumb.png")
    product = standalone.product("render", [str(tmp_path / "sh010.####.exr"), str(tmp_path / "plate.mov")],
                                 project="demo", context="/sq010/sh010", thumbnail=str(tmp_path / "thumb.png"))
    exr, mov, thumb = product["representations"]
    assert exr == {"name": "exr", "ext": "exr", "files": ["sh010.1001.exr", "sh010.1002.exr"],
                   "stagingDir": str(tmp_path), "tags": [], "frameStart": 1001, "frameEnd": 1002,
                   "pattern": str(tmp_path / "sh010.####.exr")}
    assert mov["files"] == "plate.mov" and mov["name"] == "mov"
    assert thumb["name"] == "thumbnail" and thumb["tags"] == ["thumbnail"]
    assert product["project"] == "demo" and "task" not in product
    folder = standalone.product("plate", [str(tmp_path)])
    assert [r["name"] for r in folder["representations"]] == ["mov", "exr", "png"]
    with pytest.raises(standalone.InputError, match="no file to publish"):
        standalone.product("render", [])
    with pytest.raises(standalone.InputError, match="would both be the representation “exr”"):
        standalone.product("render", [str(tmp_path / "sh010.####.exr"), str(tmp_path / "sh010.1001.exr")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(standalone.InputError, match="holds no file"):
        standalone.product("render", [str(tmp_path / "empty")])


def test_a_batch_file_and_its_errors(tmp_path):
    touch(tmp_path, "a.1.exr", "a.2.exr")
    batch = tmp_path / "b.json"
    batch.write_text(json.dumps({"project": "demo", "products": [
        {"context": "/s", "product_type": "render", "files": "a.%d.exr"}]}))
    [product] = standalone.read_batch(str(batch), {"task": "comp"})
    assert product["project"] == "demo" and product["task"] == "comp" and product["context"] == "/s"
    assert product["representations"][0]["files"] == ["a.1.exr", "a.2.exr"]
    batch.write_bytes(b"\xff\xfe")
    with pytest.raises(standalone.InputError, match="not UTF-8"):
        standalone.read_batch(str(batch))
    with pytest.raises(standalone.InputError, match="cannot read the batch file"):
        standalone.read_batch(str(tmp_path / "none.json"))
    batch.write_text('{"product": []}')
    with pytest.raises(standalone.InputError, match="unknown key “product”"):
        standalone.read_batch(str(batch))


def test_a_representations_files_checks_and_request(tmp_path):
    touch(tmp_path, "a.1001.exr", "a.1002.exr", "a.1004.exr", "m.blend", "t.1001.exr", "t.1002.exr")
    rep = {"name": "exr", "ext": "exr", "files": ["a.1001.exr", "a.1002.exr"], "stagingDir": str(tmp_path)}
    assert instances.files_of(rep) == [(str(tmp_path / "a.1001.exr"), 1001, None),
                                       (str(tmp_path / "a.1002.exr"), 1002, None)]
    instances.check_representation(rep)
    with pytest.raises(instances.RepresentationError, match=r"misses frame 1003 of 1001-1004 \(“.*a.1003.exr”"):
        instances.check_representation(dict(rep, files=["a.1001.exr", "a.1002.exr", "a.1004.exr"]))
    with pytest.raises(instances.RepresentationError, match="frame 1002 is outside the range 1001-1001"):
        instances.check_representation(dict(rep, frameEnd=1001))
    with pytest.raises(instances.RepresentationError, match="“files” must be"):
        instances.files_of(dict(rep, files=[]))
    with pytest.raises(instances.RepresentationError, match="is relative, and the representation has no stagingDir"):
        instances.files_of(dict(rep, stagingDir=None))
    single = {"name": "blend", "ext": "blend", "files": ["m.blend"], "stagingDir": str(tmp_path)}
    assert instances.files_of(single) == [(str(tmp_path / "m.blend"), None, None)]
    udim = {"name": "tex", "ext": "exr", "files": ["t.1001.exr", "t.1002.exr"], "stagingDir": str(tmp_path),
            "udim": True}
    data = {"project": "demo", "context": "/s", "productType": "look", "productName": "lookMain",
            "variant": "main", "representations": [single, udim, rep]}
    payload = instances.integrate_payload(data, {"host": "blender", "user": "ann", "currentFile": "/w/a.blend",
                                                 "publish": "p1", "transfer_mode": "hardlink"})
    assert payload["representations"][0]["files"] == [str(tmp_path / "m.blend")]
    assert payload["representations"][1]["files"][1] == {"path": str(tmp_path / "t.1002.exr"), "udim": 1002}
    assert payload["representations"][2]["frame_start"] == 1001 and payload["mode"] == "hardlink"
    assert payload["metadata"] == {"host": "blender", "user": "ann", "source_workfile": "/w/a.blend",
                                   "frame_range": [1001, 1002]}
    assert payload["publish"] == "p1-lookMain" and payload["dry_run"] is False and "task" not in payload
