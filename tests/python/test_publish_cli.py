"""``qi --headless publish``: files, sequences (``####``, ``%04d``,
``1001-1003#``), folders and batch files published through Qi's publish
plugins on the embedded Python (host ``standalone``) and the integrator,
on the demo tracker of a real ``qi`` process. The dry run, every refusal
(naming the file or field, writing nothing), a studio's pyblish plugin
taking part unchanged, the progress on a terminal and not, and an
interrupted publish undone."""
import json
import os
import pty
import random
import select
import signal
import subprocess
import time

import pytest

from test_publish_integrator import all_files, make_dirs, qi_run, sha256, throttle
from test_hub_server import QI_EXE

pytestmark = pytest.mark.skipif(
    not os.path.isfile(os.path.join(os.environ.get("QI_ADDON_DIR", ""), "publisher", "addon.py"))
    or not os.environ.get("QI_LOADER_DIR"),
    reason="the publisher addon or the Python bridge is not built (run through meson test)")

SHOT = ("--project", "demo", "--context", "/sq010/sh010", "--task", "comp")


class Demo(object):
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.dirs = make_dirs(tmp_path)
        seeded = qi_run(self.dirs, "db", "seed-demo")
        assert seeded.returncode == 0, seeded.stderr
        self.root = os.path.join(self.dirs["XDG_DATA_HOME"], "qi", "projects")
        self.src = tmp_path / "src"
        self.src.mkdir()

    def publish(self, *args, env=None):
        if env:
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
        try:
            return qi_run(self.dirs, "publish", *args)
        finally:
            if env:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v

    def frames(self, name="sh010", first=1001, count=3, size=50_000, folder=None, fmt="%s.%04d.exr"):
        folder = str(folder or self.src)
        os.makedirs(folder, exist_ok=True)
        rng = random.Random(first * 31 + count)
        paths = []
        for f in range(first, first + count):
            path = os.path.join(folder, fmt % (name, f))
            with open(path, "wb") as out:
                out.write(rng.randbytes(size))
            paths.append(path)
        return paths

    def published(self):
        return [p for p in all_files(self.root) if "/publish/" in p]

    def pending(self):
        doctor = qi_run(self.dirs, "db", "doctor", "--minutes", "0", "--json")
        assert doctor.returncode == 0, doctor.stderr
        return json.loads(doctor.stdout)["stale"]


@pytest.fixture
def demo(tmp_path):
    return Demo(tmp_path)


def report_of(done):
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(done.stdout)
    assert document["success"] and document["errors"] == []
    return document


def test_a_sequence_and_a_thumbnail_become_the_next_version(demo):
    frames = demo.frames()
    thumb = demo.src / "sh010.png"
    thumb.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(64)))
    done = demo.publish(*SHOT, "--product-type", "render", "--comment", "first light", "--thumbnail", str(thumb),
                        "--json", str(demo.src / "sh010.####.exr"))
    document = report_of(done)
    assert document["pyblish"] == "qi" and not document["dry_run"]
    [report] = document["products"]
    # the demo has renderMain v001: this is v002, published, with its comment
    assert report["number"] == 2 and report["product"]["name"] == "renderMain"
    version = report["version"]
    assert version["state"] == "published" and version["comment"] == "first light"
    assert version["metadata"]["host"] == "standalone" and version["metadata"]["frame_range"] == [1001, 1003]
    assert {c["name"] for c in version["components"]} == {"exr", "thumbnail"}
    assert [f["source"] for f in report["files"]] == frames + [str(thumb)]
    for entry in report["files"]:
        assert entry["sha256"] == sha256(entry["source"]) == sha256(entry["path"])
        assert entry["path"].startswith(demo.root + "/demo/sq010/sh010/publish/render/renderMain/v002/")
    assert report["files"][2]["path"].endswith("demo_sh010_renderMain_v002_exr.1003.exr")
    assert os.path.isfile(report["report"])
    # every plugin ran, Qi's in their order, each with its duration
    ran = [r["plugin"] for r in document["results"]]
    assert ran == ["CollectQiContext", "CollectQiInstances", "CollectQiLoaded", "ValidateQiProduct",
                   "ValidateQiRepresentations", "ValidateQiDestinations", "IntegrateQiVersion", "IntegrateQiLinks"]
    assert all(r["success"] and r["duration_ms"] >= 0 for r in document["results"])
    # one line of progress per file, at least the last, on stderr when it is no terminal
    assert "publishing renderMain v002: 4 files" in done.stderr and "[4/4]" in done.stderr
    assert sorted(demo.published()) == sorted(f["path"] for f in report["files"])


@pytest.mark.parametrize("pattern", ["sh010.####.exr", "sh010.%04d.exr", "sh010.1001-1003#.exr",
                                     "sh010.1001-1003####.exr", "FOLDER"])
def test_every_way_of_writing_a_sequence_publishes_its_frames(demo, pattern):
    frames = demo.frames(folder=demo.src / "seq")
    # frames outside the written range are not taken
    demo.frames(first=1004, count=1, folder=demo.src / "seq") if "-" in pattern else None
    argument = str(demo.src / "seq") if pattern == "FOLDER" else str(demo.src / "seq" / pattern)
    done = demo.publish(*SHOT, "--product-type", "plate", "--variant", "bg", "--json", argument)
    [report] = report_of(done)["products"]
    assert report["product"]["name"] == "plateBg" and report["number"] == 1
    assert [f["source"] for f in report["files"]] == frames
    assert [os.path.basename(f["path"]) for f in report["files"]] == [
        "demo_sh010_plateBg_v001_exr.%d.exr" % f for f in (1001, 1002, 1003)]


def test_a_dry_run_prints_the_destinations_and_writes_nothing(demo):
    demo.frames()
    done = demo.publish(*SHOT, "--product-type", "render", "--dry-run", str(demo.src / "sh010.####.exr"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("would publish renderMain v002 in demo /sq010/sh010 (comp): 3 files")
    assert lines[1] == "  %s -> %s" % (demo.src / "sh010.1001.exr", os.path.join(
        demo.root, "demo/sq010/sh010/publish/render/renderMain/v002/demo_sh010_renderMain_v002_exr.1001.exr"))
    assert demo.published() == [] and demo.pending() == []
    # and the number is still free
    again = demo.publish(*SHOT, "--product-type", "render", "--json", str(demo.src / "sh010.####.exr"))
    assert report_of(again)["products"][0]["number"] == 2


def test_a_batch_publishes_many_products_with_the_files_defaults(demo):
    demo.frames(folder=demo.src / "a")
    demo.frames(name="sh020", folder=demo.src / "b", count=2)
    (demo.src / "notes.txt").write_text("review notes\n")
    batch = demo.src / "batch.json"
    batch.write_text(json.dumps({
        "project": "demo", "task": "comp", "comment": "from the batch",
        "products": [
            {"context": "/sq010/sh010", "product_type": "render", "files": ["a/sh010.####.exr"]},
            {"context": "/sq010/sh020", "product_type": "plate", "variant": "fg", "files": ["b"],
             "comment": "its own"},
            {"context": "/sq010/sh010", "product_type": "review", "product_name": "reviewNotes",
             "files": ["notes.txt"], "task": None},
        ]}))
    document = report_of(demo.publish("--batch", str(batch), "--json"))
    reports = document["products"]
    assert [(r["context"], r["product"]["name"], r["number"]) for r in reports] == [
        ("/sq010/sh010", "renderMain", 2), ("/sq010/sh020", "plateFg", 1), ("/sq010/sh010", "reviewNotes", 1)]
    assert [r["version"]["comment"] for r in reports] == ["from the batch", "its own", "from the batch"]
    assert reports[2]["task"] == "comp"  # null is "not given": the file's task
    assert len(reports[1]["files"]) == 2 and reports[2]["files"][0]["path"].endswith(".txt")


def test_bad_input_is_refused_naming_the_file_or_field_and_nothing_is_written(demo):
    demo.frames()
    (demo.src / "other.exr").write_bytes(b"x")
    seq = str(demo.src / "sh010.####.exr")
    cases = [
        ((*SHOT, "--product-type", "render", str(demo.src / "sh010.1001-1005#.exr")), 1,
         "the sequence misses frames 1004-1005 of 1001-1005 (“%s” does not exist)" % (demo.src / "sh010.1004.exr")),
        ((*SHOT, "--product-type", "render", str(demo.src / "gone.exr")), 1,
         "“%s” does not exist" % (demo.src / "gone.exr")),
        ((*SHOT, "--product-type", "render", str(demo.src / "zz.####.exr")), 1, "zz.####.exr”: no file matches"),
        ((*SHOT, "--product-type", "cloth", seq), 1, "“cloth” is not a product type of the project"),
        (("--project", "demo", "--context", "/sq010/sh999", "--product-type", "render", seq), 1,
         "no context “/sq010/sh999” in project “demo”"),
        (("--project", "demo", "--context", "/sq010/sh010", "--task", "rig", "--product-type", "render", seq), 1,
         "no task “rig” in “/sq010/sh010”"),
        (("--project", "nope", "--context", "/sq010/sh010", "--product-type", "render", seq), 1, "nope"),
        (("--context", "/sq010/sh010", "--product-type", "render", seq), 1, "no project"),
        ((*SHOT, "--product-type", "render", "--variant", "a b", seq), 1, "the product name 'renderA b' is not one"),
        ((*SHOT, "--product-type", "render", seq, str(demo.src / "other.exr")), 1,
         "would both be the representation “exr”"),
        ((*SHOT, "--product-type", "render", "--mode", "move", seq), 2, "--mode must be copy, hardlink, reflink"),
        ((*SHOT, "--product-type", "render"), 2, "name the files"),
        ((*SHOT, seq), 2, "--product-type is missing"),
        ((*SHOT, "--product-type", "render", str(demo.src / "a##b##.exr")), 1, "more than one frame token"),
    ]
    for args, status, message in cases:
        done = demo.publish(*args)
        assert done.returncode == status, (args, done.stdout, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert done.stdout == "", args
    assert demo.published() == [] and demo.pending() == []


def test_an_existing_destination_is_never_overwritten(demo):
    demo.frames()
    dry = json.loads(demo.publish(*SHOT, "--product-type", "render", "--dry-run", "--json",
                                  str(demo.src / "sh010.####.exr")).stdout)
    taken = dry["products"][0]["files"][1]["path"]
    os.makedirs(os.path.dirname(taken))
    with open(taken, "wb") as f:
        f.write(b"someone else's")
    done = demo.publish(*SHOT, "--product-type", "render", str(demo.src / "sh010.####.exr"))
    assert done.returncode == 1 and "“%s” exists already" % taken in done.stderr
    assert demo.published() == [taken] and open(taken, "rb").read() == b"someone else's"
    assert demo.pending() == []


@pytest.mark.parametrize("bad,message", [
    ("{", "not JSON"),
    ("[]", "no product in the batch"),
    ('{"products": [{"context": 3, "product_type": "render", "files": ["x"]}]}',
     "products[0]: “context” must be a non-empty string, not 3"),
    ('{"products": [{"context": "/sq010/sh010", "product_type": "render", "files": ["x"], "colour": 1}]}',
     "products[0]: unknown key “colour”"),
    ('{"products": [{"context": "/sq010/sh010", "product_type": "render"}]}', "products[0]: “files” must be"),
    ('{"products": [{"product_type": "render", "files": ["x"]}]}', "products[0]: “context” is missing"),
    ('{"products": {"a": 1}}', "“products” must be a list"),
])
def test_a_malformed_batch_file_is_refused_naming_where(demo, bad, message):
    batch = demo.src / "batch.json"
    batch.write_text(bad)
    done = demo.publish("--project", "demo", "--batch", str(batch))
    assert done.returncode == 1 and str(batch) in done.stderr and message in done.stderr, done.stderr
    assert demo.published() == []


STUDIO_PLUGIN = '''
import pyblish.api


class ValidateNoWip(pyblish.api.InstancePlugin):
    """A studio's validator, written for pyblish-base."""
    order = pyblish.api.ValidatorOrder
    families = ["render"]
    hosts = ["standalone"]
    label = "No WIP"

    def process(self, instance):
        self.log.info("checking %s", instance.data["productName"])
        assert "wip" not in instance.data["comment"], "the comment says WIP: not for the studio"


class CollectStudioTag(pyblish.api.InstancePlugin):
    order = pyblish.api.CollectorOrder + 0.1
    families = ["render"]

    def process(self, instance):
        instance.data.setdefault("metadata", {})["studio_tag"] = "approved-pipeline"


class NotHere(pyblish.api.ContextPlugin):
    """Only for Maya: never discovered in the standalone host."""
    hosts = ["maya"]

    def process(self, context):
        raise RuntimeError("ran in the wrong host")
'''


def test_a_studios_pyblish_plugins_take_part_unchanged(demo):
    demo.frames()
    folder = demo.tmp / "studio"
    folder.mkdir()
    (folder / "studio_plugins.py").write_text(STUDIO_PLUGIN)
    env = {"PYBLISHPLUGINPATH": str(folder)}
    refused = demo.publish(*SHOT, "--product-type", "render", "--comment", "wip, do not use", "--json",
                           str(demo.src / "sh010.####.exr"), env=env)
    assert refused.returncode == 1
    document = json.loads(refused.stdout)
    assert document["errors"] == ["the comment says WIP: not for the studio"]
    assert "No WIP (renderMain): the comment says WIP" in refused.stderr
    assert "IntegrateQiVersion" not in [r["plugin"] for r in document["results"]]
    assert "NotHere" not in [r["plugin"] for r in document["results"]]
    assert demo.published() == []

    accepted = report_of(demo.publish(*SHOT, "--product-type", "render", "--comment", "final", "--json",
                                      str(demo.src / "sh010.####.exr"), env=env))
    results = {r["plugin"]: r for r in accepted["results"]}
    assert results["ValidateNoWip"]["records"] == [{"level": "info", "message": "checking renderMain"}]
    assert accepted["products"][0]["version"]["metadata"]["studio_tag"] == "approved-pipeline"


def run_on_a_terminal(dirs, args, until=None):
    """Runs ``qi --headless`` with stderr on a pseudo-terminal: its exit
    status, stdout and what the terminal got."""
    keep = ("QI_ADDON_DIR", "QI_PYTHON_PATH", "QI_LOADER_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k in keep}
    env.update(dirs)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([QI_EXE, "--headless"] + list(args), env=env, stdout=subprocess.PIPE,
                            stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end is closed
                break
            if not chunk:
                break
            seen += chunk
            if until is not None and until(seen, proc):
                until = None
        elif proc.poll() is not None:
            break
    out = proc.communicate(timeout=60)[0]
    os.close(leader)
    return proc.returncode, out.decode(), seen.decode(errors="replace")


def test_a_terminal_gets_a_progress_bar(demo):
    demo.frames(count=8, size=1 << 20)
    throttle(demo.dirs, 16)  # half a second of transfer at least
    status, out, terminal = run_on_a_terminal(demo.dirs, ["publish", *SHOT, "--product-type", "render",
                                                          str(demo.src / "sh010.####.exr")])
    assert status == 0, terminal
    assert "\r[" in terminal and "100% 8/8" in terminal and "publishing renderMain" not in terminal
    assert out.startswith("published renderMain v002")


def test_an_interrupted_publish_is_undone(demo):
    demo.frames(count=16, size=1 << 20)
    throttle(demo.dirs, 2)  # eight seconds of transfer

    def interrupt_once_it_runs(seen, proc):
        if b"/16" in seen:
            proc.send_signal(signal.SIGINT)
            return True
        return False

    status, out, terminal = run_on_a_terminal(demo.dirs, ["publish", *SHOT, "--product-type", "render",
                                                          str(demo.src / "sh010.####.exr")],
                                              until=interrupt_once_it_runs)
    assert status == 130, terminal
    assert "interrupted, undoing the publish" in terminal and "was cancelled" in terminal
    assert out == ""
    assert demo.published() == [] and demo.pending() == []
    assert not [p for p in all_files(demo.root) if ".qi-part-" in p]
    # the number is free again
    again = report_of(demo.publish(*SHOT, "--product-type", "render", "--json", "--mode", "hardlink",
                                   str(demo.src / "sh010.####.exr")))
    assert again["products"][0]["number"] == 2 and again["products"][0]["mode"] == "hardlink"
    assert os.stat(again["products"][0]["files"][0]["path"]).st_ino == os.stat(demo.src / "sh010.1001.exr").st_ino
