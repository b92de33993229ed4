"""The integrator (the ``publish`` addon's ``publish.*``) through a real
``qi --headless serve`` on the demo tracker: a publish in two phases with
its files and checksums, the dry run, the refusals that write nothing,
four publishers of one product at once, cancellation, a full disk, and a
server killed with SIGKILL at random points of the transfer, each time
followed by ``db doctor`` and ``publish resume`` or ``publish abandon``."""
import hashlib
import json
import os
import random
import signal
import subprocess
import threading
import time

import pytest

import qi.hub
from qi.hub import HubError

from test_hub_server import QI_EXE, QiServer, T, wait_until

pytestmark = pytest.mark.skipif(not os.path.isfile(os.path.join(os.environ.get("QI_ADDON_DIR", ""), "publish",
                                                                "publish.so")),
                                reason="the publish addon is not built (run through meson test)")

MiB = 1 << 20


def qi_run(dirs, *args, timeout=120):
    keep = ("QI_ADDON_DIR", "QI_PYTHON_PATH", "QI_LOADER_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k in keep}
    env.update(dirs)
    return subprocess.run([QI_EXE, "--headless"] + list(args), env=env, capture_output=True, text=True,
                          timeout=timeout)


def make_dirs(tmp_path):
    dirs = {}
    for var in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        d = tmp_path / var.lower()
        d.mkdir(mode=0o700, exist_ok=True)
        dirs[var] = str(d)
    return dirs


def start_server(tmp_path, dirs):
    s = QiServer(tmp_path)
    s.dirs = dirs
    return s


@pytest.fixture
def demo(tmp_path):
    dirs = make_dirs(tmp_path)
    seeded = qi_run(dirs, "db", "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    s = start_server(tmp_path, dirs)
    s.tmp = tmp_path
    s.root = os.path.join(dirs["XDG_DATA_HOME"], "qi", "projects")
    yield s
    s.stop()


def frames(folder, name="sh010", first=1001, count=3, size=200_000, seed=0):
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for f in range(first, first + count):
        path = os.path.join(folder, "%s.%04d.exr" % (name, f))
        with open(path, "wb") as out:
            out.write(rng.randbytes(size))
        paths.append(path)
    return paths


def render_payload(paths, first=1001, **extra):
    payload = {"project": "demo", "context": "/sq010/sh010", "task": "comp", "product_type": "render",
               "product_name": "renderMain",
               "representations": [{"name": "exr", "ext": "exr", "frame_start": first,
                                     "frame_end": first + len(paths) - 1,
                                     "files": [{"path": p, "frame": first + i} for i, p in enumerate(paths)]}]}
    payload.update(extra)
    return payload


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def all_files(root):
    found = []
    for folder, _, names in os.walk(root):
        found += [os.path.join(folder, n) for n in names]
    return sorted(found)


def test_a_sequence_is_published_with_its_checksums_and_report(demo):
    src = frames(str(demo.tmp / "src"))
    thumb = demo.tmp / "src" / "thumb.png"
    thumb.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    payload = render_payload(src, comment="first light", metadata={"host": "standalone"})
    payload["representations"].append({"name": "thumbnail", "ext": "png", "files": [str(thumb)],
                                       "tags": ["thumbnail"]})
    events = []
    with qi.hub.connect(demo.url, demo.token, name="test/pub", timeout=T) as c:
        c.subscribe("publish.*", lambda topic, p, m: events.append((topic, p)))
        report = c.request("publish.integrate", payload, timeout=60)
        version = c.request("db_service.version.get", {"id": report["version"]["id"]}, timeout=T)
        assert wait_until(lambda: any(t == "publish.finished" for t, _ in events))

    # the demo has renderMain v001: this is v002
    assert report["number"] == 2 and version["number"] == 2
    assert version["state"] == "published" and version["comment"] == "first light"
    assert version["metadata"]["host"] == "standalone"
    assert version["metadata"]["publish"]["publish"] == report["publish"]
    assert {c["name"] for c in version["components"]} == {"exr", "thumbnail"}
    exr = next(c for c in version["components"] if c["name"] == "exr")
    assert exr["metadata"]["frame_range"] == [1001, 1003] and exr["metadata"]["root"] == "publish"
    assert len(exr["files"]) == 3

    for entry, source in zip(report["files"], src + [str(thumb)]):
        assert entry["source"] == source
        assert os.path.isfile(entry["path"]) and entry["path"].startswith(demo.root + "/demo/sq010/sh010/publish/")
        assert entry["sha256"] == sha256(source) == sha256(entry["path"])
        relative = os.path.relpath(entry["path"], demo.root)
        assert version["metadata"]["checksums"][relative] == entry["sha256"]
    assert report["files"][0]["path"].endswith("/render/renderMain/v002/demo_sh010_renderMain_v002_exr.1001.exr")
    assert report["bytes"] == 3 * 200_000 + 72
    # nothing temporary stays beside them
    assert not [p for p in all_files(demo.root) if ".qi-part-" in p]
    # the report, in the tracker's data folder: the very text of the answer
    with open(report["report"]) as f:
        text = f.read()
    kept = json.loads(text)
    assert kept == report and text.endswith("}\n") and text.count("\n") == 1
    # the report's version says its components, not again its files
    assert {c["name"] for c in report["version"]["components"]} == {"exr", "thumbnail"}
    assert all("files" not in c and "sources" not in c["metadata"] for c in report["version"]["components"])
    assert "checksums" not in report["version"]["metadata"]
    # how long each step took, in microseconds, adding up to at most the whole
    steps = report["durations_us"]
    assert list(steps) == ["prepare", "destinations", "check", "create", "transfer", "publish"]
    assert all(isinstance(us, int) and us >= 0 for us in steps.values())
    assert sum(steps.values()) <= report["duration_ms"] * 1000 + 1000

    topics = [t for t, _ in events]
    assert topics[0] == "publish.started" and topics[-1] == "publish.finished"
    started = events[0][1]
    assert started["files_total"] == 4 and started["bytes_total"] == report["bytes"] and started["number"] == 2
    last_progress = [p for t, p in events if t == "publish.progress"][-1]
    assert last_progress["files"] == 4 and last_progress["bytes"] == report["bytes"]
    assert events[-1][1]["state"] == "published" and events[-1][1]["version"] == report["version"]["id"]


def test_a_dry_run_says_where_and_writes_nothing(demo):
    src = frames(str(demo.tmp / "src"))
    before = all_files(demo.root)
    with qi.hub.connect(demo.url, demo.token, name="test/pub", timeout=T) as c:
        report = c.request("publish.integrate", render_payload(src, dry_run=True), timeout=60)
        pending = c.request("db_service.version.pending", {}, timeout=T)["versions"]
        versions = c.request("db_service.version.list", {"product": report["product"]["id"],
                                                         "include_pending": True}, timeout=T)["versions"]
    assert report["dry_run"] and report["version"] is None and report["number"] == 2
    assert [os.path.basename(f["path"]) for f in report["files"]] == [
        "demo_sh010_renderMain_v002_exr.%d.exr" % f for f in (1001, 1002, 1003)]
    assert all(f["sha256"] is None for f in report["files"])
    assert report["report"] is None
    # it stops after the check
    assert list(report["durations_us"]) == ["prepare", "destinations", "check"]
    assert all_files(demo.root) == before and pending == [] and [v["number"] for v in versions] == [1]


def test_refusals_name_the_field_or_file_and_write_nothing(demo):
    src = frames(str(demo.tmp / "src"))
    before = all_files(demo.root)

    def refused(payload, code="handler_failed"):
        with pytest.raises(HubError) as caught:
            c.request("publish.integrate", payload, timeout=60)
        assert caught.value.code == code, caught.value
        return caught.value.message

    with qi.hub.connect(demo.url, demo.token, name="test/pub", timeout=T) as c:
        missing = render_payload(src[:1] + [str(demo.tmp / "src" / "sh010.1002.exr.gone")] + src[2:])
        assert refused(missing) == ("publish.integrate: representations[0].files[1]: “%s” does not exist"
                                    % (demo.tmp / "src" / "sh010.1002.exr.gone"))
        assert "no task “rig” in “/sq010/sh010” of project “demo”" in refused(render_payload(src, task="rig"))
        assert "no context “/sq010/sh999”" in refused(render_payload(src, context="/sq010/sh999"))
        assert refused(render_payload(src, product_type="cloth")).startswith(
            "publish.integrate: product_type: “cloth” is not a product type of the project (publish.product_types: "
            "animation, audio, camera")
        # renderMain exists, and is a render
        assert "the product “renderMain” of /sq010/sh010 is of the type “render”, not “review”" in refused(
            render_payload(src, product_type="review"))
        # two files onto one name: frames the template cannot tell apart
        flat = render_payload(src)
        flat["representations"][0]["files"] = src[:2]
        assert "both go to" in refused(flat)
        # the shape of the payload: bad_message, naming the member
        assert refused({"project": "demo"}, "bad_message") == (
            "publish.integrate: context: is missing: it must be a string that is not empty")
        relative = render_payload(src)
        relative["representations"][0]["files"][0] = "sh010.1001.exr"
        assert refused(relative, "bad_message") == (
            "publish.integrate: representations[0].files[0]: “sh010.1001.exr” is not an absolute path")
        assert "must be copy, hardlink or reflink" in refused(render_payload(src, mode="move"), "bad_message")

        # a destination that is there already is never overwritten
        dry = c.request("publish.integrate", render_payload(src, dry_run=True), timeout=60)
        os.makedirs(os.path.dirname(dry["files"][1]["path"]))
        with open(dry["files"][1]["path"], "w") as f:
            f.write("someone else's\n")
        message = refused(render_payload(src))
        assert message == ("publish.integrate: representations[0].files[1]: “%s” exists already: a published file "
                           "is never overwritten" % dry["files"][1]["path"])
        with open(dry["files"][1]["path"]) as f:
            assert f.read() == "someone else's\n"
        os.unlink(dry["files"][1]["path"])
        os.rmdir(os.path.dirname(dry["files"][1]["path"]))

        assert c.request("db_service.version.pending", {}, timeout=T)["versions"] == []
    assert all_files(demo.root) == before


def test_four_publishers_of_one_product_get_versions_one_to_n(tmp_path):
    """Two servers on one tracker file, two clients each, five publishes
    each: twenty versions, numbered 1 to 20, each with its own files."""
    dirs = make_dirs(tmp_path)
    assert qi_run(dirs, "db", "seed-demo").returncode == 0
    servers = []
    for n in range(2):
        sub = tmp_path / ("server%d" % n)
        sub.mkdir()
        servers.append(QiServer(sub, extra_env=dirs))
    reports, errors = [], []
    try:
        def publisher(k):
            s = servers[k % 2]
            try:
                with qi.hub.connect(s.url, s.token, name="test/pub%d" % k, timeout=T) as c:
                    for i in range(5):
                        src = frames(str(tmp_path / ("src%d-%d" % (k, i))), count=2, size=50_000, seed=k * 10 + i)
                        payload = render_payload(src, product_name="fxSmoke", product_type="render",
                                                 comment="publisher %d, publish %d" % (k, i))
                        reports.append(c.request("publish.integrate", payload, timeout=120))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=publisher, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        assert errors == []
        assert sorted(r["number"] for r in reports) == list(range(1, 21))
        with qi.hub.connect(servers[0].url, servers[0].token, name="test/check", timeout=T) as c:
            versions = c.request("db_service.version.list", {"product": reports[0]["product"]["id"], "limit": 100},
                                 timeout=T)["versions"]
        assert sorted(v["number"] for v in versions) == list(range(1, 21))
        assert all(v["state"] == "published" for v in versions)
        by_comment = {v["comment"]: v["number"] for v in versions}
        for r in reports:
            assert by_comment[r["version"]["comment"]] == r["number"]
            for f in r["files"]:
                assert "_v%03d_" % r["number"] in f["path"] and sha256(f["path"]) == f["sha256"]
    finally:
        for s in servers:
            s.stop()


def test_the_hub_answers_while_a_publish_runs_and_a_cancel_undoes_it(demo):
    throttle(demo.dirs, 16)  # 40 MiB: 2.5 s
    src = frames(str(demo.tmp / "big"), count=20, size=2 * MiB)
    before = all_files(demo.root)
    progress, outcome = [], {}
    with qi.hub.connect(demo.url, demo.token, name="test/pub", timeout=T) as c:
        c.subscribe("publish.progress", lambda t, p, m: progress.append(p))

        def run():
            try:
                outcome["report"] = c.request("publish.integrate", render_payload(src, publish="big-one"),
                                              timeout=120)
            except HubError as e:
                outcome["error"] = e

        worker = threading.Thread(target=run)
        worker.start()
        assert wait_until(lambda: progress and progress[-1]["bytes"] > 0, timeout=30)
        # the hub's loop is free: a ping is answered at once, and the
        # publish shows in publish.running
        with qi.hub.connect(demo.url, demo.token, name="test/other", timeout=T) as other:
            other.ping(timeout=2)
            running = other.request("publish.running", {}, timeout=2)["publishes"]
            assert [p["publish"] for p in running] == ["big-one"]
            assert other.request("publish.cancel", {"publish": "big-one"}, timeout=2) == {
                "publish": "big-one", "cancelled": True}
        worker.join(60)
        assert "error" in outcome, outcome
        assert outcome["error"].message == "publish.integrate: the publish big-one was cancelled"
        assert c.request("db_service.version.pending", {}, timeout=T)["versions"] == []
        versions = c.request("db_service.version.list", {"product": "5", "include_pending": True}, timeout=T)
        assert [v["number"] for v in versions["versions"]] == [1]
        with pytest.raises(HubError):
            c.request("publish.cancel", {"publish": "big-one"}, timeout=T)
    assert all_files(demo.root) == before


def test_a_full_disk_undoes_the_publish(demo):
    mount = demo.tmp / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small file system here: " + done.stderr.decode(errors="replace").strip())
    try:
        roots = {"publish": {"linux": str(mount), "windows": "P:/", "darwin": "/Volumes/p"}}
        set_roots = qi_run(demo.dirs, "settings", "set", "anatomy", "roots", json.dumps(roots), "--layer", "project",
                           "--project", "demo")
        assert set_roots.returncode == 0, set_roots.stderr
        src = frames(str(demo.tmp / "src"), count=3, size=400_000)
        with qi.hub.connect(demo.url, demo.token, name="test/pub", timeout=T) as c:
            with pytest.raises(HubError) as caught:
                c.request("publish.integrate", render_payload(src), timeout=60)
            assert "no space left on the device writing “%s/demo/sq010/sh010/publish/render/renderMain/v002/" % mount \
                in caught.value.message
            assert caught.value.message.endswith(": the publish was undone")
            assert c.request("db_service.version.pending", {}, timeout=T)["versions"] == []
        assert all_files(str(mount)) == []
    finally:
        subprocess.run(["umount", str(mount)])


def throttle(dirs, mib_per_second):
    done = qi_run(dirs, "settings", "set", "publish", "rate_limit", str(mib_per_second), "--layer", "project",
                  "--project", "demo")
    assert done.returncode == 0, done.stderr


def published_files_are_whole(c, root):
    """Every published version's files are there with their size and
    checksum; every file under the root belongs to a version the tracker
    knows; nothing is pending and nothing temporary stays."""
    known = set()
    for product in c.request("db_service.product.list", {"project": "demo", "context": "/sq010/sh010"},
                             timeout=T)["products"]:
        for v in c.request("db_service.version.list", {"product": product["id"], "include_pending": True,
                                                       "limit": 1000}, timeout=T)["versions"]:
            assert v["state"] == "published", v
            full = c.request("db_service.version.get", {"id": v["id"]}, timeout=T)
            checksums = full["metadata"].get("checksums", {})
            for component in full["components"]:
                for f in component["files"]:
                    path = os.path.join(root, f["path"])
                    known.add(path)
                    if component["metadata"].get("root") != "publish":
                        continue  # the demo's own versions have no files on disk
                    assert os.path.getsize(path) == f["size"], path
                    assert sha256(path) == checksums[f["path"]], path
    on_disk = [p for p in all_files(os.path.join(root, "demo")) if "/publish/" in p]
    assert [p for p in on_disk if p not in known] == []


def test_a_publisher_killed_anywhere_leaves_a_pending_version_to_resume_or_abandon(tmp_path):
    dirs = make_dirs(tmp_path)
    assert qi_run(dirs, "db", "seed-demo").returncode == 0
    root = os.path.join(dirs["XDG_DATA_HOME"], "qi", "projects")
    throttle(dirs, 64)  # 80 MiB: 1.25 s
    src = frames(str(tmp_path / "src"), count=40, size=2 * MiB)
    rng = random.Random(16)
    outcomes = []
    for attempt in range(6):
        sub = tmp_path / ("run%d" % attempt)
        sub.mkdir()
        server = QiServer(sub, extra_env=dirs)
        c = qi.hub.connect(server.url, server.token, name="test/pub", timeout=T)
        # even attempts: during the transfer, at a random share of its
        # bytes; odd ones: at a random moment, anywhere
        share = rng.uniform(0.05, 0.95)
        reached = threading.Event()
        c.subscribe("publish.progress",
                    lambda t, p, m: p["bytes_total"] and p["bytes"] >= share * p["bytes_total"] and reached.set())

        def run():
            try:
                c.request("publish.integrate", render_payload(src, comment="attempt %d" % attempt), timeout=120)
            except HubError:
                pass  # the server dies under it

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        if attempt % 2 == 0:
            assert reached.wait(60), server.log()
        else:
            time.sleep(rng.uniform(0.0, 0.8))
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        c.close()
        worker.join(10)

        doctor = qi_run(dirs, "db", "doctor", "--minutes", "0", "--json")
        assert doctor.returncode == 0, doctor.stderr
        pending = json.loads(doctor.stdout)["stale"]
        if not pending:
            outcomes.append("nothing pending")
        assert len(pending) <= 1
        version = pending[0]["id"] if pending else None
        if version is None:
            pass
        elif sum(o in ("resumed", "abandoned") for o in outcomes) % 2 == 0:
            done = qi_run(dirs, "publish", "resume", str(version), "--json")
            assert done.returncode == 0, done.stderr
            report = json.loads(done.stdout)
            assert report["version"]["state"] == "published" and len(report["files"]) == 40
            outcomes.append("resumed")
        else:
            done = qi_run(dirs, "publish", "abandon", str(version))
            assert done.returncode == 0, done.stderr
            assert done.stdout.rstrip().endswith("abandoned version %s" % version)
            outcomes.append("abandoned")
        again = qi_run(dirs, "db", "doctor", "--minutes", "0", "--json")
        assert json.loads(again.stdout)["stale"] == []
        assert not [p for p in all_files(root) if ".qi-part-" in p]

        after = sub / "after"
        after.mkdir()
        server = QiServer(after, extra_env=dirs)
        try:
            with qi.hub.connect(server.url, server.token, name="test/check", timeout=T) as check:
                published_files_are_whole(check, root)
        finally:
            server.stop()
    print("outcomes:", outcomes)
    assert "resumed" in outcomes and "abandoned" in outcomes, outcomes


def test_resume_and_abandon_refuse_a_published_version(demo):
    src = frames(str(demo.tmp / "src"))
    with qi.hub.connect(demo.url, demo.token, name="test/pub", timeout=T) as c:
        report = c.request("publish.integrate", render_payload(src), timeout=60)
    for verb in ("resume", "abandon"):
        done = qi_run(demo.dirs, "publish", verb, report["version"]["id"])
        assert done.returncode == 1
        assert "the version %s is published: only a pending version can be" % report["version"]["id"] in done.stderr
        assert os.path.isfile(report["files"][0]["path"])


def test_a_file_the_template_cannot_name_is_named(demo):
    """A studio's template that needs each file's frame: the file given
    without one is named by its place in the request, nothing is written."""
    with qi.hub.connect(demo.url, demo.token, name="test/pub", timeout=T) as c:
        templates = c.request("config.get", {"addon": "anatomy", "project": "demo"}, timeout=T)["values"]["templates"]
    templates["strict"] = {"path": "{@publish.directory}/{product[name]}.{frame:0>4}{ext}"}
    for addon, key, value in (("anatomy", "templates", json.dumps(templates)), ("publish", "template", "strict.path")):
        done = qi_run(demo.dirs, "settings", "set", addon, key, value, "--layer", "project", "--project", "demo")
        assert done.returncode == 0, done.stderr
    src = frames(str(demo.tmp / "src"))
    before = all_files(demo.root)
    payload = render_payload(src)
    del payload["representations"][0]["files"][2]["frame"]
    with qi.hub.connect(demo.url, demo.token, name="test/pub", timeout=T) as c:
        # the serving Qi reads the settings again once it sees their file change
        end = time.monotonic() + 30
        while c.request("config.get", {"addon": "publish", "project": "demo"},
                        timeout=T)["values"]["template"] != "strict.path":
            assert time.monotonic() < end, "the serving Qi never read the new setting"
            time.sleep(0.05)
        with pytest.raises(HubError) as caught:
            c.request("publish.integrate", payload, timeout=60)
        assert caught.value.message.startswith("publish.integrate: representations[0].files[2]: "), caught.value
        assert "{frame}" in caught.value.message, caught.value
        assert c.request("db_service.version.pending", {}, timeout=T)["versions"] == []
    assert all_files(demo.root) == before
