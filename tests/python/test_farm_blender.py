"""Render on the farm and publish on success, end to end with Debian's
Blender in the background and a real ``qi --headless serve`` on the demo
tracker — on the local runner and on the real one-node Slurm cluster.

A lighting scene of /sq010/sh010 (Cycles on the CPU, 48 × 27, 8 frames)
gets a render instance; its publish sends the render (2 tasks of 4
frames) and the publish job that depends on it; once both are done the
tracker has the next version of renderMain with its 8 frames at the
publish template's paths, their checksums, the artist and the comment.
Then a render whose frame 6 cannot be written fails its task, and its
publish job never runs: nothing is published, nothing is left pending."""
import fcntl
import hashlib
import json
import os
import pathlib
import subprocess
import time

import pytest

import qi.hub

from slurm_cluster import cluster_fixture
from test_blender_host import BLENDER, Blender, base_env, launch_env, run_qi
from test_farm_local import workers_of
from test_hub_server import QI_EXE, QiServer, T

LONG = 300
CONTEXT, TASK = "/sq010/sh010", "lighting"

SCENE = """
import bpy
scene = bpy.context.scene
scene.render.engine = 'CYCLES'
scene.cycles.device = 'CPU'
scene.cycles.samples = 2
scene.cycles.use_denoising = False
scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 48, 27, 100
scene.frame_start, scene.frame_end = 1, 8
cube = bpy.data.objects['Cube']
cube.rotation_euler = (0, 0, 0)
cube.keyframe_insert('rotation_euler', frame=1)
cube.rotation_euler = (0, 0, 3.14)
cube.keyframe_insert('rotation_euler', frame=8)
bpy.ops.wm.save_as_mainfile(filepath=%r)
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = cluster_fixture(tmp_path_factory)
    yield cluster
    cluster.stop()


class Studio(object):
    def __init__(self, tmp_path, adapter, cluster=None):
        self.tmp = tmp_path
        self.env = base_env(tmp_path)
        run_qi(self.env, "db", "seed-demo")
        self.settings("adapter", adapter)
        if cluster is not None:
            self.settings("slurm_conf", cluster.conf)
        self.cluster = cluster
        self.server = QiServer(tmp_path)
        self.hub = qi.hub.connect(self.server.url, self.server.token, name="test/farm-blender", timeout=T)
        self.queue = tmp_path / "xdg_data_home" / "qi" / "farm"
        self.blender = None

    def settings(self, key, value):
        run_qi(self.env, "settings", "set", "farm", key, value, "--layer", "project", "--project", "demo")

    def start_blender(self):
        workdir = pathlib.Path(run_qi(self.env, "templates", "solve", "work.directory", "--project", "demo",
                                      "--context", CONTEXT, "--task", TASK).strip())
        workdir.mkdir(parents=True, exist_ok=True)
        workfile = workdir / "sh010_lighting_v001.blend"
        self.blender_workdir = workdir
        made = subprocess.run([BLENDER, "--background", "--factory-startup", "--python-exit-code", "1",
                               "--python-expr", SCENE % str(workfile)], capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stdout + made.stderr
        env = launch_env(self.env, self.server, workdir, QI_CONTEXT=CONTEXT, QI_TASK=TASK, QI_TASK_TYPE=TASK,
                         QI_WORKFILE=str(workfile))
        argv = json.loads(run_qi(self.env, "hosts", "args", "blender", "--app-arg=--background", "--workfile",
                                 str(workfile), "--json"))["argv"]
        self.blender = Blender(argv, env, self.tmp / "blender.log")
        self.blender.wait_for_session(self.hub)
        self.prefix = "dcc.blender.%d." % self.blender.proc.pid
        end = time.monotonic() + 60
        while True:
            try:
                self.hub.request(self.prefix + "pipeline.creators", {}, timeout=T)
                break
            except qi.hub.HubError as error:
                if error.code != "no_handler" or time.monotonic() > end:
                    pytest.fail("%s\n%s" % (error, self.blender.log()))
                time.sleep(0.1)
        return workfile

    def ask(self, topic, payload=None, timeout=LONG):
        try:
            return self.hub.request(self.prefix + topic, payload or {}, timeout=timeout)
        except qi.hub.HubError as error:
            pytest.fail("%s: %s\n%s" % (topic, error, self.blender.log()))

    def job(self, job_id):
        return self.hub.request("farm.job.get", {"project": "demo", "job": job_id}, timeout=T)["job"]

    def wait(self, job_id, timeout=LONG):
        end = time.monotonic() + timeout
        while True:
            record = self.job(job_id)
            if record["state"] in ("done", "failed", "cancelled"):
                return record
            if time.monotonic() > end:
                logs = self.hub.request("farm.logs", {"project": "demo", "job": job_id}, timeout=T)["logs"]
                pytest.fail("job %s is %s after %d s:\n%s\n%s" % (job_id, record["state"], timeout,
                                                                  json.dumps(record, indent=1), logs))
            time.sleep(0.5)

    def logs(self, job_id):
        return "\n".join(entry["text"] for entry in self.hub.request(
            "farm.logs", {"project": "demo", "job": job_id}, timeout=T)["logs"])

    def close(self):
        if self.blender is not None:
            self.blender.stop()
        self.hub.close()
        self.server.stop()
        for pid in workers_of(self.queue):
            os.kill(pid, 15)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def renders(studio):
    return {v["product_name"]: v for v in studio.hub.request("db_service.version.latest", {
        "project": "demo", "context": CONTEXT, "include_pending": True}, timeout=T)["versions"]}


def publish_render(studio, comment):
    made = studio.ask("pipeline.create", {"creator": "blender.render", "variant": "Main"})
    studio.ask("workfile.save")
    outcome = studio.ask("pipeline.publish", {"comment": comment, "instances": [made["id"]]})
    assert outcome["success"], json.dumps(outcome["errors"], indent=1)
    assert outcome["products"] == []  # integrated by the farm's publish job, not here
    [sent] = outcome["farm"]
    assert sent["product"] == "renderMain"
    return made, sent


def render_and_publish(studio, farm):
    workfile = studio.start_blender()
    before = renders(studio)["renderMain"]["number"]
    made, sent = publish_render(studio, "first light")
    render, publish = sent["job"], sent["publish_job"]
    assert render["farm"] == farm and publish["farm"] == farm
    assert [t["frames"] for t in render["tasks"]] == [[1, 4], [5, 8]]
    assert publish["dependencies"] == [render["id"]]

    record = studio.wait(publish["id"])
    assert record["state"] == "done", studio.logs(render["id"]) + studio.logs(publish["id"])
    assert studio.job(render["id"])["state"] == "done"
    log = studio.logs(render["id"])
    assert log.count("QI-FRAME") == 8

    version = renders(studio)["renderMain"]
    assert version["number"] == before + 1 and version["state"] == "published"
    full = studio.hub.request("db_service.version.get", {"id": version["id"]}, timeout=T)
    assert full["comment"] == "first light"
    assert full["metadata"]["source_workfile"] == str(workfile)
    [component] = [c for c in full["components"] if c["name"] == "png"]
    assert len(component["files"]) == 8
    roots = studio.hub.request("templates.list", {"project": "demo"}, timeout=T)["roots"]
    directory = pathlib.Path(run_qi(studio.env, "templates", "solve", "publish.directory", "--project", "demo",
                                    "--context", CONTEXT, "--task", TASK, "--set", "product.name=renderMain",
                                    "--set", "product.type=render", "--set",
                                    "version=%d" % version["number"]).strip())
    published = sorted(directory.glob("*.png"))
    assert len(published) == 8, (directory, list(directory.iterdir()) if directory.exists() else None)
    output = pathlib.Path(sent["output"]).parent
    for path in published:
        frame = path.name.split(".")[-2]
        assert sha256(path) == sha256(output / ("renderMain.%s.png" % frame))
    root = roots.get(component["metadata"].get("root")) if component.get("metadata") else None
    assert root is None or str(directory).startswith(root)
    # the metadata the publish job read: rootless paths
    document = json.loads((output / "publish.json").read_text())
    assert document["instances"][0]["representations"][0]["pattern"].startswith("{root[")
    return made


def break_frame_six(sent):
    """Frame 6's file is made a folder before the render reaches it."""
    output = pathlib.Path(sent["output"]).parent
    (output / "renderMain.0006.png").mkdir()


def failed_render_publishes_nothing(studio, made, hold, release):
    before = renders(studio)["renderMain"]
    hold()
    try:
        outcome = studio.ask("pipeline.publish", {"comment": "broken", "instances": [made["id"]]})
        assert outcome["success"], json.dumps(outcome["errors"], indent=1)
        [sent] = outcome["farm"]
        break_frame_six(sent)
    finally:
        release()
    render, publish = sent["job"], sent["publish_job"]
    assert studio.wait(render["id"])["state"] == "failed"
    record = studio.wait(publish["id"])
    assert record["state"] == "cancelled"
    log = studio.logs(render["id"])
    assert "frame 6 did not render" in log
    after = renders(studio)["renderMain"]
    assert after["id"] == before["id"] and after["state"] == "published"
    assert studio.hub.request("db_service.version.pending", {}, timeout=T)["versions"] == []


def test_render_on_the_local_runner_and_publish_when_done(tmp_path):
    studio = Studio(tmp_path, "local")
    try:
        made = render_and_publish(studio, "local")
        lock = {}

        def hold():
            # no worker may start: the test holds the queue's worker lock
            for pid in workers_of(studio.queue):
                os.kill(pid, 15)
            end = time.monotonic() + 30
            while workers_of(studio.queue) and time.monotonic() < end:
                time.sleep(0.1)
            lock["file"] = open(studio.queue / "local.lock", "a+")
            fcntl.flock(lock["file"], fcntl.LOCK_EX)

        def release():
            fcntl.flock(lock["file"], fcntl.LOCK_UN)
            lock["file"].close()
            # “Qi starts again”: a worker of the queue runs what waits
            subprocess.Popen([QI_EXE, "--headless", "farm", "worker", "--queue", str(studio.queue),
                              "--idle-exit", "5"], env=studio.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        failed_render_publishes_nothing(studio, made, hold, release)

        # a farm that cannot take the job: the publish fails naming it, and
        # the submission leaves nothing in the renders folder
        output_folders = sorted(p.name for p in (studio.blender_workdir / "renders" / "renderMain").iterdir())
        studio.settings("adapter", "unknown-farm")
        end = time.monotonic() + 30  # until the hub has read the file again
        while studio.hub.request("farm.adapters", {"project": "demo"}, timeout=T)["project_adapter"] != "unknown-farm":
            assert time.monotonic() < end, "the hub did not pick up farm.adapter"
            time.sleep(0.1)
        outcome = studio.hub.request(studio.prefix + "pipeline.publish", {"comment": "nowhere",
                                                                          "instances": [made["id"]]}, timeout=LONG)
        assert not outcome["success"], json.dumps(outcome, indent=1)[:3000]
        assert "unknown-farm" in json.dumps(outcome["errors"]), json.dumps(outcome["errors"], indent=1)
        assert sorted(p.name for p in (studio.blender_workdir / "renders" / "renderMain").iterdir()) == \
            output_folders
    finally:
        studio.close()


def test_render_on_slurm_and_publish_when_done(tmp_path, cluster):
    studio = Studio(tmp_path, "slurm", cluster)
    try:
        made = render_and_publish(studio, "slurm")

        def partition(state):
            done = subprocess.run(["scontrol", "update", "PartitionName=render", "State=%s" % state],
                                  env=cluster.env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr

        failed_render_publishes_nothing(studio, made, lambda: partition("DOWN"), lambda: partition("UP"))
    finally:
        studio.close()
