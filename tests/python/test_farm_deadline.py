"""The Deadline adapter through a real ``qi --headless serve`` against the
fake Web Service (fake_deadline.py, written from Deadline's REST
documentation): a render with a dependent publish job makes exactly the
documented requests, states are read back as the farm moves, a cancel and
a retry reach the server, its refusals are named, and the hub answers
others while the Web Service is slow."""
import json
import os
import subprocess
import threading
import time

import pytest

import qi.hub
from qi.farm.deadline import REQUESTS, job_info
from qi.farm.jobs import normalize

from fake_deadline import FakeDeadline
from test_farm_local import clean_env
from test_hub_server import QI_EXE, QiServer, T


@pytest.fixture
def deadline(tmp_path):
    fake = FakeDeadline()
    env = clean_env(tmp_path)
    for key, value in (("adapter", "deadline"), ("deadline_url", fake.url), ("deadline_pool", "render")):
        done = subprocess.run([QI_EXE, "--headless", "settings", "set", "farm", key, value, "--layer", "project",
                               "--project", "demo"], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    server = QiServer(tmp_path)
    hub = qi.hub.connect(server.url, server.token, name="test/deadline", timeout=T)
    yield fake, hub, env
    hub.close()
    server.stop()
    fake.stop()


def api_requests(fake):
    return [r for r in fake.requests if r["path"].startswith("/api/")]


def test_a_job_is_deadline_s_job_info_and_plugin_info():
    job = normalize({"name": "sh010 render", "command": ["/usr/bin/blender", "-b", "scene.blend", "-s", "{start}",
                                                         "-e", "{end}", "-a"],
                     "frames": "1001-1008", "chunk_size": 4, "priority": 70, "environment": {"OCIO": "/s/c.ocio"},
                     "outputs": ["/r/sh010.####.png"], "dependencies": ["abc"], "user": "ada",
                     "metadata": {"comment": "first light"}})
    info, plugin = job_info(job, {"deadline_pool": "render", "deadline_group": "cpu"})
    assert info == {"Name": "sh010 render", "Plugin": "CommandLine", "Priority": 70, "Frames": "1001-1008",
                    "ChunkSize": 4, "OverrideTaskFailureDetection": True, "FailureDetectionTaskErrors": 2,
                    "UserName": "ada", "Pool": "render", "Group": "cpu", "JobDependencies": "abc",
                    "Comment": "first light", "EnvironmentKeyValue0": "OCIO=/s/c.ocio",
                    "OutputDirectory0": "/r", "OutputFilename0": "sh010.####.png"}
    assert plugin == {"Executable": "/usr/bin/blender", "Arguments": "-b scene.blend -s \"<STARTFRAME>\" -e "
                      "\"<ENDFRAME>\" -a", "Shell": "default", "ShellExecute": False}
    with pytest.raises(ValueError) as raised:
        job_info(normalize({"name": "x", "command": ["echo", "{task}"]}), {})
    assert "no task or job number" in str(raised.value)
    # every request the adapter sends is listed where a studio can read it
    assert set(REQUESTS) == {"submit", "job", "tasks", "suspend", "resume", "resumefailed", "report"}


def test_render_then_publish_on_deadline(deadline, tmp_path):
    fake, hub, env = deadline
    answer = hub.request("farm.submit", {
        "project": "demo", "name": "sh010 lighting", "kind": "render",
        "command": ["blender", "-b", "/w/sh010.blend", "-f", "{frames}"], "frames": "1-8", "chunk_size": 4,
        "priority": 60, "publish": {"metadata": "/r/sh010/v001/publish.json"}}, timeout=T)
    render, publish = answer["job"], answer["publish_job"]
    assert render["farm"] == "deadline" and render["state"] == "queued"
    # what Deadline does not keep, Qi does; dates as the other farms say them
    assert (render["kind"], publish["kind"], render["project"], publish["project"]) == \
        ("render", "publish", "demo", "demo")
    assert abs(render["submitted"] - time.time()) < 60 and render["finished"] is None
    assert [t["frames"] for t in render["tasks"]] == [[1, 4], [5, 8]]
    assert publish["state"] == "queued" and publish["dependencies"] == [render["id"]]

    posts = [r for r in api_requests(fake) if r["method"] == "POST"]
    assert len(posts) == 2
    first, second = posts[0]["body"], posts[1]["body"]
    assert first["IdOnly"] is True and first["AuxFiles"] == []
    assert first["JobInfo"]["Frames"] == "1-8" and first["JobInfo"]["ChunkSize"] == 4
    assert first["JobInfo"]["Pool"] == "render" and first["JobInfo"]["Priority"] == 60
    assert first["PluginInfo"]["Executable"] == "blender"
    assert first["PluginInfo"]["Arguments"] == "-b /w/sh010.blend -f \"<STARTFRAME>-<ENDFRAME>\""
    assert second["JobInfo"]["JobDependencies"] == render["id"]
    assert second["JobInfo"]["Name"] == "publish: sh010 lighting"
    arguments = second["PluginInfo"]["Arguments"]
    assert arguments == "--headless publish --from-farm /r/sh010/v001/publish.json"
    assert second["PluginInfo"]["Executable"].endswith("qi")
    for request in posts:
        text = json.dumps(request["body"])
        assert "token" not in text.lower() and "password" not in text.lower()

    # the farm moves: the render completes, then the publish job
    fake.render({"JobID": render["id"]})
    rendered = hub.request("farm.job.get", {"project": "demo", "job": render["id"]}, timeout=T)["job"]
    assert rendered["state"] == "done" and rendered["finished"] >= int(rendered["submitted"])
    assert rendered["kind"] == "render"
    record = hub.request("farm.job.get", {"project": "demo", "job": publish["id"]}, timeout=T)["job"]
    assert record["state"] == "queued"  # Active now that the render is Completed, not rendered yet
    fake.render({"JobID": publish["id"]})
    assert hub.request("farm.job.get", {"project": "demo", "job": publish["id"]}, timeout=T)["job"]["state"] == "done"

    listed = hub.request("farm.job.list", {"project": "demo"}, timeout=T)
    assert listed["farm"] == "deadline" and [j["id"] for j in listed["jobs"]] == [publish["id"], render["id"]]
    logs = hub.request("farm.logs", {"project": "demo", "job": render["id"], "task": 1}, timeout=T)["logs"]
    assert logs[0]["task"] == 1 and "Task 1 of %s" % render["id"] in logs[0]["text"]


def test_a_failed_render_cancel_and_retry_reach_the_server(deadline):
    fake, hub, env = deadline
    answer = hub.request("farm.submit", {"project": "demo", "name": "broken", "command": ["blender"],
                                         "frames": "1-4", "chunk_size": 2,
                                         "publish": {"metadata": "/r/x/publish.json"}}, timeout=T)
    render, publish = answer["job"], answer["publish_job"]
    fake.render({"JobID": render["id"], "fail": [1]})
    record = hub.request("farm.job.get", {"project": "demo", "job": render["id"]}, timeout=T)["job"]
    assert record["state"] == "failed" and [t["state"] for t in record["tasks"]] == ["done", "failed"]
    # the publish job waits on a render that failed: it never becomes active
    assert hub.request("farm.job.get", {"project": "demo", "job": publish["id"]}, timeout=T)["job"]["state"] == "queued"
    cancelled = hub.request("farm.cancel", {"project": "demo", "job": publish["id"]}, timeout=T)["job"]
    assert cancelled["state"] == "cancelled"
    puts = [r for r in api_requests(fake) if r["method"] == "PUT"]
    assert puts[-1]["body"] == {"Command": "suspend", "JobID": publish["id"]}
    retried = hub.request("farm.retry", {"project": "demo", "job": render["id"]}, timeout=T)["job"]
    assert retried["state"] == "running"  # task 0 done, task 1 queued again
    assert [r["body"] for r in api_requests(fake) if r["method"] == "PUT"][-1] == \
        {"Command": "resumefailed", "JobID": render["id"]}

    # the list of Qi's jobs, broken by hand, is named and never written over
    known = os.path.join(env["XDG_DATA_HOME"], "qi", "farm", "deadline.json")
    with open(known, "w") as f:
        f.write("[{broken")
    with pytest.raises(qi.hub.HubError) as raised:
        hub.request("farm.submit", {"project": "demo", "name": "more", "command": ["true"]}, timeout=T)
    assert "%s is not JSON" % known in str(raised.value)
    with open(known) as f:
        assert f.read() == "[{broken"
    os.unlink(known)

    # what the server refuses is named
    with pytest.raises(qi.hub.HubError) as raised:
        hub.request("farm.job.get", {"project": "demo", "job": "0000"}, timeout=T)
    assert raised.value.code == "handler_failed" and "Deadline has no job 0000" in str(raised.value)
    fake.stop()
    with pytest.raises(qi.hub.HubError) as raised:
        hub.request("farm.job.get", {"project": "demo", "job": render["id"]}, timeout=T)
    assert "Deadline's Web Service at %s cannot be reached" % fake.url in str(raised.value)


def test_the_hub_answers_while_deadline_is_slow(deadline):
    fake, hub, env = deadline
    job = hub.request("farm.submit", {"project": "demo", "name": "x", "command": ["true"]}, timeout=T)["job"]
    fake.delay = 2.0
    outcome = {}

    def slow():
        started = time.monotonic()
        outcome["job"] = hub.request("farm.job.get", {"project": "demo", "job": job["id"]}, timeout=30)["job"]
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    pings = 0
    while thread.is_alive() and pings < 5:
        hub.request("hub.ping", {}, timeout=T)
        pings += 1
        assert thread.is_alive(), "the slow request ended before the pings: no overlap to show"
    thread.join()
    assert pings == 5 and outcome["job"]["id"] == job["id"]
    assert outcome["seconds"] >= 2.0
