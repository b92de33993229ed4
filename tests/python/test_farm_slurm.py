"""The Slurm adapter on a real one-node cluster (slurm_cluster.py:
Debian's slurm-wlm and munge on 127.0.0.1): ``qi --headless farm`` with
the project's ``farm.adapter = "slurm"`` submits job arrays, a dependent
job that runs once the array is done, a failing job whose retries and
dependents behave as on the local runner, a cancel that reaches
``scancel``, a retry as a new array of the failed tasks, the logs; and,
with stand-ins for Slurm's commands, a job's record changed by two
processes at once."""
import json
import subprocess
import sys
import time

import pytest

from slurm_cluster import cluster_fixture
from test_farm_local import clean_env
from test_hub_server import QI_EXE

WAIT = 180


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = cluster_fixture(tmp_path_factory)
    yield cluster
    cluster.stop()


class SlurmFarm(object):
    def __init__(self, tmp_path, cluster):
        self.env = clean_env(tmp_path)
        self.cluster = cluster
        for key, value in (("adapter", "slurm"), ("slurm_conf", cluster.conf)):
            self.run_qi("settings", "set", "farm", key, value, "--layer", "project", "--project", "demo")

    def run_qi(self, *args, check=True):
        # a secret in the submitter's environment, which no job may carry
        env = dict(self.env, QI_TEST_API_KEY="s3cret-of-the-submitter")
        done = subprocess.run([QI_EXE, "--headless", *args], env=env, capture_output=True, text=True,
                              timeout=90)
        if check:
            assert done.returncode == 0, "qi %s exited %d: %s" % (" ".join(args), done.returncode, done.stderr)
        return done

    def farm(self, verb, *args, check=True):
        return self.run_qi("farm", verb, "--project", "demo", *args, check=check)

    def submit(self, *args):
        return json.loads(self.farm("submit", "--json", *args).stdout)

    def show(self, job):
        return json.loads(self.farm("show", "--json", job).stdout)["job"]

    def wait(self, job, timeout=WAIT):
        end = time.monotonic() + timeout
        while True:
            record = self.show(job)
            if record["state"] in ("done", "failed", "cancelled"):
                return record
            if time.monotonic() > end:
                pytest.fail("job %s is %s after %d s:\n%s\n%s" % (job, record["state"], timeout,
                                                                  json.dumps(record, indent=1), self.cluster.logs()))
            time.sleep(0.3)


def test_slurm_runs_arrays_dependencies_retries_and_cancels(cluster, tmp_path):
    farm = SlurmFarm(tmp_path, cluster)
    out = tmp_path / "out"
    out.mkdir()
    render = farm.submit("--name", "render", "--frames", "1-8", "--chunk-size", "4", "--env", "QI_TEST=on",
                         "--publish-metadata", str(tmp_path / "none.json"), "--",
                         sys.executable, "-c", "import os, sys\nfor f in range({start}, {end} + 1):\n"
                         "    open(os.path.join(%r, '%%04d' %% f), 'w').write(os.environ['QI_TEST'])\n" % str(out))
    job, publish = render["job"], render["publish_job"]
    assert job["farm"] == "slurm" and [t["frames"] for t in job["tasks"]] == [[1, 4], [5, 8]]
    assert publish["dependencies"] == [job["id"]]
    assert farm.wait(job["id"])["state"] == "done"
    assert sorted(p.name for p in out.iterdir()) == ["%04d" % f for f in range(1, 9)]
    assert (out / "0008").read_text() == "on"
    # the submitter's environment reaches the tasks, its secrets do not
    folder = tmp_path / "xdg_data_home" / "qi" / "farm" / "slurm" / job["id"]
    assert "s3cret-of-the-submitter" not in (folder / "job.sh").read_text()
    assert "export QI_TEST=on" in (folder / "job.sh").read_text()
    probe = farm.submit("--name", "env", "--", "sh", "-c", "env")["job"]
    assert farm.wait(probe["id"])["state"] == "done"
    env_log = farm.farm("logs", probe["id"]).stdout
    assert "XDG_DATA_HOME=" in env_log and "s3cret-of-the-submitter" not in env_log
    # the publish job ran (afterok) and failed: its metadata file is not there
    record = farm.wait(publish["id"])
    assert record["state"] == "failed"
    log = farm.farm("logs", publish["id"]).stdout
    assert "none.json" in log

    flaky = tmp_path / "count"
    retried = farm.submit("--name", "flaky", "--max-retries", "1", "--", sys.executable, "-c",
                          "import os, sys; p = %r; n = int(open(p).read()) if os.path.exists(p) else 0; "
                          "open(p, 'w').write(str(n + 1)); sys.exit(0 if n else 4)" % str(flaky))["job"]
    assert farm.wait(retried["id"])["state"] == "done" and flaky.read_text() == "2"
    assert farm.show(retried["id"])["tasks"][0]["attempts"] == 2
    # {job} and QI_FARM_JOB are the job's id from its first run on
    ids = farm.submit("--name", "ids", "--", "sh", "-c", "echo job={job} farm_job=$QI_FARM_JOB")["job"]
    assert farm.wait(ids["id"])["state"] == "done"
    assert "job=%s farm_job=%s" % (ids["id"], ids["id"]) in farm.farm("logs", ids["id"]).stdout

    broken = farm.submit("--name", "broken", "--max-retries", "0", "--", "sh", "-c", "exit 5")["job"]
    after = farm.submit("--name", "after broken", "--after", broken["id"], "--", "touch",
                        str(tmp_path / "never"))["job"]
    assert farm.wait(broken["id"])["state"] == "failed"
    assert farm.show(broken["id"])["tasks"][0]["exit_code"] == 5
    assert farm.wait(after["id"])["state"] == "cancelled"
    assert not (tmp_path / "never").exists()

    # a retry resubmits the failed task as a new array of the same job
    again = farm.farm("retry", broken["id"]).stdout
    assert "job %s on slurm" % broken["id"] in again
    assert farm.wait(broken["id"])["state"] == "failed"
    assert farm.farm("logs", broken["id"]).stdout.count("== exit 5 ==") == 2
    # the retry's run is counted afresh, as on the local runner
    assert farm.show(broken["id"])["tasks"][0]["attempts"] == 1

    long = farm.submit("--name", "long", "--frames", "1-2", "--", "sleep", "300")["job"]
    end = time.monotonic() + WAIT
    while farm.show(long["id"])["state"] != "running":
        assert time.monotonic() < end, cluster.logs()
        time.sleep(0.3)
    farm.farm("cancel", long["id"])
    assert farm.wait(long["id"])["state"] == "cancelled"
    squeue = subprocess.run(["squeue", "-h", "-j", long["id"]], env=cluster.env, capture_output=True, text=True)
    assert squeue.stdout.strip() == ""

    listed = json.loads(farm.farm("jobs", "--json").stdout)
    assert listed["farm"] == "slurm"
    assert {j["id"] for j in listed["jobs"]} >= {job["id"], publish["id"], broken["id"], long["id"]}
    missing = farm.farm("show", "999999", check=False)
    assert missing.returncode == 1 and "Qi did not submit a Slurm job 999999" in missing.stderr


def test_slurm_that_is_not_there_is_named(tmp_path, cluster):
    farm = SlurmFarm(tmp_path, cluster)
    farm.run_qi("settings", "set", "farm", "slurm_bin", str(tmp_path / "nowhere"), "--layer", "project",
                "--project", "demo")
    done = farm.farm("submit", "--", "true", check=False)
    assert done.returncode == 1
    assert "Slurm's sbatch is not on this machine" in done.stderr


def test_a_cancel_while_slurm_is_asked_is_not_written_over(tmp_path):
    """The hub's watcher asks Slurm about a job without holding its lock (it
    can take seconds); a cancel from a CLI meanwhile stands: the watcher
    does not write what it read before over it. Slurm's commands here are
    stand-ins answering as Slurm does for a job it has forgotten."""
    from qi.farm.adapter import read_json, write_json
    from qi.farm.slurm import SlurmFarm

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, script in (("scontrol", "echo 'slurm_load_jobs error: Invalid job id specified' >&2\nexit 1"),
                         ("scancel", "exit 0")):
        (bin_dir / name).write_text("#!/bin/sh\n%s\n" % script)
        (bin_dir / name).chmod(0o755)
    data = tmp_path / "data"
    settings = {"slurm_bin": str(bin_dir)}
    watcher, cli = SlurmFarm(str(data), settings), SlurmFarm(str(data), settings)
    folder = data / "farm" / "slurm" / "41"
    folder.mkdir(parents=True)
    write_json(str(folder / "job.json"), {
        "id": "41", "farm": "slurm", "name": "render sh010", "kind": "render", "user": "artist",
        "project": "demo", "submissions": [{"slurm_id": "41", "tasks": [0]}], "finished": None, "reason": None,
        "tasks": [{"index": 0, "frames": [1], "state": "running", "attempts": 0, "exit_code": None,
                   "log": str(folder / "task-0.log")}]})

    asked = watcher._task_states

    def cancelled_meanwhile(record):
        cli.cancel("41")
        return asked(record)

    watcher._task_states = cancelled_meanwhile
    # what the watcher read made the job failed (no exit status, Slurm forgot it)
    assert watcher.get("41")["state"] == "failed"
    kept = read_json(str(folder / "job.json"))
    assert kept["cancelled"] is True and kept["state"] == "cancelled" and kept["reason"] == "cancelled"
    watcher._task_states = asked
    assert watcher.get("41")["state"] == "cancelled"
