"""The farm's job model and the local runner, for real: ``qi --headless
farm`` commands on a scratch data folder, the worker process Qi starts,
tasks that are real processes; dependencies, retries, a cancel that ends
what runs, a worker killed with SIGKILL while its tasks run and every job
ending exactly once after the restart; and the hub's ``farm.*`` topics
and ``farm.job.changed`` events through a real ``qi --headless serve``."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import qi.hub
from qi.farm import JobError, normalize, parse_frames
from qi.farm.jobs import frames_text, job_state, tasks_of
from qi.farm.local import LocalQueue

from test_hub_server import QI_EXE, QiServer, T

WAIT = 120


def clean_env(tmp_path):
    keep = ("QI_PYTHON_PATH", "QI_ADDON_DIR", "QI_LOADER_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_") or k in keep}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = tmp_path / var.lower()
        path.mkdir(mode=0o700, exist_ok=True)
        env[var] = str(path)
    env["HOME"] = str(tmp_path)
    return env


def workers_of(folder):
    """The pids of the worker processes of the queue in ``folder``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"worker" in argv and str(folder).encode() in argv:
            found.append(int(entry))
    return found


class Farm(object):
    """``qi --headless farm …`` on a scratch data folder."""

    def __init__(self, tmp_path):
        self.env = clean_env(tmp_path)
        self.queue = tmp_path / "xdg_data_home" / "qi" / "farm"
        self.tmp = tmp_path

    def run(self, *args, check=True):
        done = subprocess.run([QI_EXE, "--headless", "farm", *args], env=self.env, capture_output=True, text=True,
                              timeout=60)
        if check:
            assert done.returncode == 0, "qi farm %s exited %d: %s" % (" ".join(args), done.returncode, done.stderr)
        return done

    def submit(self, *args):
        return json.loads(self.run("submit", "--json", *args).stdout)

    def show(self, job):
        return json.loads(self.run("show", "--json", str(job)).stdout)["job"]

    def wait(self, job, states=("done", "failed", "cancelled"), timeout=WAIT):
        end = time.monotonic() + timeout
        while True:
            record = self.show(job)
            if record["state"] in states:
                return record
            if time.monotonic() > end:
                pytest.fail("job %s is %s after %d s:\n%s\n%s" % (job, record["state"], timeout,
                                                                  json.dumps(record, indent=1), self.worker_log()))
            time.sleep(0.2)

    def worker_log(self):
        try:
            return (self.queue / "worker.log").read_text()[-3000:]
        except OSError:
            return ""

    def stop_workers(self):
        for pid in workers_of(self.queue):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        end = time.monotonic() + 30
        while workers_of(self.queue) and time.monotonic() < end:
            time.sleep(0.1)


@pytest.fixture
def farm(tmp_path):
    farm = Farm(tmp_path)
    yield farm
    farm.stop_workers()


def script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("import os, sys, time\n" + body)
    return path


# the job model


def test_frames_are_read_and_cut_into_tasks():
    assert parse_frames("1-8") == list(range(1, 9))
    assert parse_frames("1,3,5-7") == [1, 3, 5, 6, 7]
    assert parse_frames("1001-1010x5") == [1001, 1006]
    assert parse_frames("5,1-3,2") == [1, 2, 3, 5]
    assert frames_text([1, 2, 3, 5, 7, 8]) == "1-3,5,7-8"
    job = normalize({"name": "r", "command": ["render", "-s", "{start}", "-e", "{end}", "-f", "{frames}"],
                     "frames": "1-8", "chunk_size": 3})
    tasks = tasks_of(job)
    assert [t["frames"] for t in tasks] == [[1, 3], [4, 6], [7, 8]]
    assert tasks[2]["argv"] == ["render", "-s", "7", "-e", "8", "-f", "7-8"]
    assert tasks_of(normalize({"name": "one", "command": ["true"]}))[0]["frames"] is None
    assert job_state(["done", "queued"]) == "running"
    assert job_state(["queued", "queued"]) == "queued"
    assert job_state(["done", "failed"]) == "failed"
    assert job_state(["done", "cancelled"]) == "cancelled"


def test_secrets_are_known_by_their_names():
    from qi.farm.jobs import is_secret

    for name in ("FTRACK_API_KEY", "QI_SESSION_TOKEN", "SSH_KEY", "AWS_ACCESS_KEY_ID", "DB_PASS", "DB_PASSWORD",
                 "AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS"):
        assert is_secret(name), name
    for name in ("PATH", "KEYFRAME", "OCIO", "PASSTHROUGH", "QI_PROJECT", "MONKEY"):
        assert not is_secret(name), name


@pytest.mark.parametrize("spec, words", [
    ({"command": ["true"]}, "the job needs “name”"),
    ({"name": "x"}, "“command” must be a non-empty list"),
    ({"name": "x", "command": []}, "“command” must be a non-empty list"),
    ({"name": "x", "command": ["true"], "frames": "1-x"}, "“1-x” is not a frame or a range"),
    ({"name": "x", "command": ["true"], "frames": "9-1"}, "ends before it starts"),
    ({"name": "x", "command": ["true"], "chunk_size": 0}, "“chunk_size” must be an integer from 1"),
    ({"name": "x", "command": ["true"], "priority": 101}, "“priority” must be an integer from 0 to 100"),
    ({"name": "x", "command": ["true"], "environment": {"FTRACK_API_KEY": "k"}}, "looks like a secret"),
    ({"name": "x", "command": ["true"], "environment": {"QI_SESSION_TOKEN": "t"}}, "looks like a secret"),
    ({"name": "x", "command": ["true"], "environment": {"A B": "1"}}, "“A B” is not a variable name"),
    ({"name": "x", "command": ["true"], "dependencies": {"a": 1}}, "“dependencies” must be a list"),
    ({"name": "x", "command": ["true"], "frames": "1-200000", "chunk_size": 1}, "more than 100000 tasks"),
])
def test_a_bad_job_is_refused_naming_what(spec, words):
    with pytest.raises(JobError) as raised:
        normalize(spec)
    assert words in str(raised.value)


# the local runner through the command line


def test_a_job_runs_its_frames_in_tasks_and_logs_each(farm, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    work = script(tmp_path, "frames.py",
                  "for f in range(int(sys.argv[1]), int(sys.argv[2]) + 1):\n"
                  "    open(os.path.join(sys.argv[3], 'f%04d' % f), 'w').write(os.environ['QI_FARM_TASK_INDEX'])\n"
                  "print('rendered', sys.argv[1], sys.argv[2])\n")
    answer = farm.submit("--name", "render sh010", "--frames", "1-8", "--chunk-size", "4",
                         "--env", "QI_TEST_VALUE=42", "--", sys.executable, str(work), "{start}", "{end}", str(out))
    job = answer["job"]
    assert job["farm"] == "local" and job["name"] == "render sh010"
    assert [t["frames"] for t in job["tasks"]] == [[1, 4], [5, 8]]
    record = farm.wait(job["id"])
    assert record["state"] == "done", json.dumps(record, indent=1)
    assert sorted(os.listdir(out)) == ["f%04d" % f for f in range(1, 9)]
    assert (out / "f0001").read_text() == "0" and (out / "f0008").read_text() == "1"
    logs = json.loads(farm.run("logs", "--json", job["id"]).stdout)["logs"]
    assert [entry["task"] for entry in logs] == [0, 1]
    assert "rendered 5 8" in logs[1]["text"] and "== exit 0 ==" in logs[1]["text"]
    listed = farm.run("jobs").stdout
    assert "render sh010" in listed and "done" in listed and "2/2" in listed
    shown = farm.run("show", job["id"]).stdout
    assert "state      done" in shown and "5-8" in shown


def test_dependencies_retries_and_a_failure_that_cancels_what_depends_on_it(farm, tmp_path):
    flaky = script(tmp_path, "flaky.py",
                   "path = sys.argv[1]\n"
                   "n = int(open(path).read()) if os.path.exists(path) else 0\n"
                   "open(path, 'w').write(str(n + 1))\n"
                   "sys.exit(0 if n >= 1 else 3)\n")
    first = farm.submit("--name", "flaky", "--max-retries", "1", "--", sys.executable, str(flaky),
                        str(tmp_path / "count"))["job"]
    after = farm.submit("--name", "after", "--after", first["id"], "--", sys.executable, "-c",
                        "import os; open(%r, 'w').write('ran')" % str(tmp_path / "after"))["job"]
    assert farm.wait(after["id"])["state"] == "done"
    record = farm.show(first["id"])
    assert record["state"] == "done" and record["tasks"][0]["attempts"] == 2
    assert (tmp_path / "count").read_text() == "2" and (tmp_path / "after").read_text() == "ran"
    log = farm.run("logs", first["id"]).stdout
    assert log.count("== exit 3 ==") == 1 and log.count("== exit 0 ==") == 1

    broken = farm.submit("--name", "broken", "--max-retries", "0", "--", "sh", "-c", "exit 7")["job"]
    publish = farm.submit("--name", "publish", "--after", broken["id"], "--", "touch",
                          str(tmp_path / "published"))["job"]
    assert farm.wait(broken["id"])["state"] == "failed"
    record = farm.wait(publish["id"])
    assert record["state"] == "cancelled"
    assert record["reason"] == "job %s, which it depends on, failed" % broken["id"]
    assert not (tmp_path / "published").exists()
    assert farm.show(broken["id"])["tasks"][0]["exit_code"] == 7

    # a retry of the failed job queues what it cancelled again
    done = farm.run("retry", broken["id"])
    assert "job %s" % broken["id"] in done.stdout
    assert farm.wait(broken["id"])["state"] == "failed"  # it still exits 7
    assert farm.wait(publish["id"])["state"] == "cancelled"
    assert not (tmp_path / "published").exists()

    missing = farm.run("submit", "--name", "x", "--after", "999", "--", "true", check=False)
    assert missing.returncode == 1 and "there is no job 999 on the local farm" in missing.stderr
    unknown = farm.run("show", "77", check=False)
    assert unknown.returncode == 1 and "there is no job 77 on the local farm" in unknown.stderr
    usage = farm.run("submit", "--name", "x", check=False)
    assert usage.returncode == 2 and "give the command after --" in usage.stderr
    secret = farm.run("submit", "--env", "FTRACK_API_KEY=abc", "--", "true", check=False)
    assert secret.returncode == 1 and "“FTRACK_API_KEY” looks like a secret" in secret.stderr


def test_retries_and_cancels_end_every_job(tmp_path):
    """The queue's own bookkeeping, with the worker's calls made by hand:
    a retry of a job that is done ends again, a retry of a job whose
    dependency still failed is cancelled again naming it, and a task that
    fails or is interrupted while its job is cancelled is not run again."""
    queue = LocalQueue(str(tmp_path / "queue"))

    def job(name, after=(), retries=1):
        return queue.submit(normalize({"name": name, "command": ["true"], "dependencies": list(after),
                                       "max_retries": retries}))

    def run(job_id, exit_code):
        [(claimed, idx, _, _)] = queue.claim(1)
        assert str(claimed) == job_id
        return queue.ended(claimed, idx, exit_code)

    done = job("done")
    assert run(done, 0) == "done"
    queue.retry(done)
    record = queue.record(done)
    assert record["state"] == "done" and record["finished"] is not None
    assert done not in [j["id"] for j in queue.list(active_only=True)]

    broken = job("broken", retries=0)
    assert run(broken, 7) == "failed"
    dependent = job("dependent", [broken])
    assert queue.record(dependent)["state"] == "cancelled"
    queue.retry(dependent)  # not its dependency: it cannot run
    record = queue.record(dependent)
    assert record["state"] == "cancelled" and record["finished"] is not None
    assert record["reason"] == "job %s, which it depends on, failed" % broken
    assert not queue.runnable()

    cancelled = job("cancelled")
    [(claimed, idx, _, _)] = queue.claim(1)
    queue.cancel(cancelled)
    assert queue.ended(claimed, idx, 1) == "cancelled"  # it had retries left
    record = queue.record(cancelled)
    assert record["state"] == "cancelled" and record["finished"] is not None

    interrupted = job("interrupted")
    [(claimed, idx, _, _)] = queue.claim(1)
    queue.cancel(interrupted)
    queue.interrupted(claimed, idx)
    record = queue.record(interrupted)
    assert record["state"] == "cancelled" and record["finished"] is not None
    assert queue.list(active_only=True) == []


def test_a_cancel_ends_the_running_tasks_and_skips_the_others(farm, tmp_path):
    started = tmp_path / "started"
    job = farm.submit("--name", "long", "--frames", "1-4", "--", sys.executable, "-c",
                      "import os, time; open(%r + os.environ['QI_FARM_TASK_INDEX'], 'w').write(str(os.getpid())); "
                      "time.sleep(300)" % str(started))["job"]
    end = time.monotonic() + WAIT
    while not list(tmp_path.glob("started*")):
        assert time.monotonic() < end, farm.worker_log()
        time.sleep(0.1)
    farm.run("cancel", job["id"])
    record = farm.wait(job["id"])
    assert record["state"] == "cancelled"
    assert {t["state"] for t in record["tasks"]} == {"cancelled"}
    for path in tmp_path.glob("started*"):
        pid = int(path.read_text())
        assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split(")")[1].split()[0] \
            == "Z"
    # the tasks that had not started never did
    assert len(list(tmp_path.glob("started*"))) <= 2


def test_a_killed_worker_leaves_nothing_lost_or_run_twice(farm, tmp_path):
    """SIGKILL to the worker while its tasks run: the tasks it left go on as
    orphans; the next worker ends them and runs each again, once."""
    runs = tmp_path / "runs"
    runs.mkdir()
    task = script(tmp_path, "task.py",
                  "import fcntl\n"
                  "name = os.path.join(sys.argv[1], 'job%s-task%s' % (os.environ['QI_FARM_JOB'], "
                  "os.environ['QI_FARM_TASK_INDEX']))\n"
                  "lock = open(name + '.lock', 'a')\n"
                  "try:\n"
                  "    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
                  "except OSError:\n"
                  "    open(name + '.overlap', 'a').write('x')\n"
                  "open(name + '.start', 'a').write('x')\n"
                  "time.sleep(float(sys.argv[2]))\n"
                  "open(name + '.end', 'a').write('x')\n")
    jobs = [farm.submit("--name", "job %d" % n, "--frames", "1-2", "--", sys.executable, str(task), str(runs),
                        "2")["job"] for n in range(3)]
    end = time.monotonic() + WAIT
    while len(list(runs.glob("*.start"))) < 2:
        assert time.monotonic() < end, farm.worker_log()
        time.sleep(0.05)
    # the worker that runs the queue holds its lock and wrote its pid there
    # (another one, started by a submission meanwhile, found the lock taken and left)
    holder = int((farm.queue / "local.lock").read_text().split()[0])
    while workers_of(farm.queue) != [holder]:
        assert holder in workers_of(farm.queue) and time.monotonic() < end, farm.worker_log()
        time.sleep(0.05)
    os.kill(holder, signal.SIGKILL)
    killed_while = sorted(p.name for p in runs.glob("*.start"))
    time.sleep(0.5)
    queue = LocalQueue(str(farm.queue))
    assert len(queue.left_running()) >= 1  # the dead worker's tasks, still marked running
    # "Qi restarts": a new worker, here in the foreground until the queue is idle
    done = subprocess.run([QI_EXE, "--headless", "farm", "worker", "--queue", str(farm.queue), "--idle-exit", "1"],
                          env=farm.env, capture_output=True, text=True, timeout=WAIT)
    assert done.returncode == 0, done.stderr
    assert "still runs" in done.stderr
    for job in jobs:
        record = farm.show(job["id"])
        assert record["state"] == "done", json.dumps(record, indent=1)
    assert not list(runs.glob("*.overlap")), "a task ran twice at once"
    for job in jobs:
        for index in (0, 1):
            name = "job%s-task%d" % (job["id"], index)
            assert (runs / (name + ".end")).read_text() == "x", name  # ended exactly once
    interrupted = [t for job in jobs for t in farm.show(job["id"])["tasks"] if t["interruptions"]]
    assert len(interrupted) == len(killed_while)
    assert all(t["attempts"] == 1 for t in interrupted)


# the hub


def test_the_hub_submits_and_tells_of_each_change(tmp_path):
    server = QiServer(tmp_path)
    hub = qi.hub.connect(server.url, server.token, name="test/farm", timeout=T)
    queue = tmp_path / "xdg_data_home" / "qi" / "farm"
    try:
        changes, notes = [], []
        hub.subscribe("farm.job.changed", lambda topic, payload, message: changes.append(payload["job"]))

        def notify(payload, message):  # the desktop shell's, as the tray shows it
            notes.append(payload)
            return {}

        hub.register("gui.notify", notify)
        answer = hub.request("farm.submit", {"name": "hub job", "command": ["sh", "-c", "sleep 2; echo hi"],
                                             "frames": "1-2", "project": "demo",
                                             "publish": {"metadata": str(tmp_path / "missing.json")}}, timeout=T)
        job, publish = answer["job"], answer["publish_job"]
        assert publish["dependencies"] == [job["id"]] and publish["kind"] == "publish"
        assert publish["project"] == "demo"
        end = time.monotonic() + WAIT
        while not any(c["id"] == publish["id"] and c["state"] in ("done", "failed") for c in changes):
            assert time.monotonic() < end, (changes, server.log())
            assert hub.request("hub.ping", {}, timeout=T) is not None
            time.sleep(0.1)
        states = [c["state"] for c in changes if c["id"] == job["id"]]
        assert states[-1] == "done" and "running" in states
        # the publish job ran qi --headless publish --from-farm on a file that is not there
        record = hub.request("farm.job.get", {"job": publish["id"]}, timeout=T)["job"]
        assert record["state"] == "failed"
        log = hub.request("farm.logs", {"job": publish["id"]}, timeout=T)["logs"][0]["text"]
        assert "missing.json" in log
        end = time.monotonic() + 30
        while not notes:
            assert time.monotonic() < end, "no notification of the failed publish job"
            time.sleep(0.1)
        assert notes[0]["title"] == "Farm job failed: publish: hub job"
        assert "exited with 1" in notes[0]["body"]
        listed = hub.request("farm.job.list", {}, timeout=T)
        assert listed["farm"] == "local" and [j["id"] for j in listed["jobs"]] == [publish["id"], job["id"]]
        with pytest.raises(qi.hub.HubError) as raised:
            hub.request("farm.submit", {"name": "x", "command": "true"}, timeout=T)
        assert raised.value.code == "bad_message"
        assert "farm.submit: “command” must be a non-empty list" in str(raised.value)
        with pytest.raises(qi.hub.HubError) as raised:
            hub.request("farm.cancel", {}, timeout=T)
        assert "farm.cancel: the payload needs “job”" in str(raised.value)
        adapters = hub.request("farm.adapters", {}, timeout=T)
        assert {a["name"] for a in adapters["adapters"]} >= {"local", "slurm", "deadline"}
        assert adapters["project_adapter"] == "local"
    finally:
        hub.close()
        server.stop()
        for pid in workers_of(queue):
            os.kill(pid, signal.SIGTERM)
