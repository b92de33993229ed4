"""Slurm as a farm: a job is one ``sbatch`` job array, a task an array
task; dependencies are ``--dependency=afterok:ID`` (and
``--kill-on-invalid-dep=yes``, so that the dependents of a job that
failed are cancelled, not left pending); states come from ``scontrol
show job`` (accounting, hence ``sacct``, may well be off), and once Slurm
has forgotten a job, from the exit status each task writes beside its
log. Retries happen in the task's script, up to the job's
``max_retries``; ``retry`` submits the failed tasks again as a new array
of the same script. A task's environment is the submitter's without its
secrets (variables named like a token, key, password or secret) and the
job's, exported by the script: sbatch itself exports nothing
(``--export=NONE``), so that no secret reaches Slurm's records. Qi keeps
what it submitted in
``DATA_DIR/farm/slurm/ID/`` (the script, ``job.json``, each task's log
and exit status), so ``list`` shows the jobs Qi sent.

The settings (``farm`` addon): ``slurm_partition`` (a job's ``pool``
wins), ``slurm_conf`` (else ``$SLURM_CONF``), ``slurm_bin`` (the folder
of ``sbatch``; else ``PATH``)."""
import os
import re
import shlex
import subprocess
import time

from .adapter import FarmAdapter, FarmError, locked, read_json, read_log, write_json
from .jobs import FINAL, is_secret, job_state, tasks_of

#: what stands for the job's id in a task's words until the script says it
_JOB_ID = "\x00job\x00"


def _word(argument):
    """``argument`` as one shell word, the job's id where it says ``{job}``."""
    return '"$job"'.join(shlex.quote(part) if part else "" for part in argument.split(_JOB_ID)) or "''"


#: the submitting shell's own variables, which a task does not take
_LOCAL_VARIABLES = {"PWD", "OLDPWD", "SHLVL", "_", "PS1", "TERM", "DISPLAY", "WAYLAND_DISPLAY",
                    "DBUS_SESSION_BUS_ADDRESS", "SSH_AUTH_SOCK", "SSH_AGENT_PID"}

_STATES = {
    "PENDING": "queued", "CONFIGURING": "queued", "REQUEUED": "queued", "REQUEUE_HOLD": "queued",
    "REQUEUE_FED": "queued", "RESV_DEL_HOLD": "queued", "SPECIAL_EXIT": "failed",
    "RUNNING": "running", "COMPLETING": "running", "SUSPENDED": "running", "STOPPED": "running",
    "SIGNALING": "running", "STAGE_OUT": "running", "RESIZING": "running",
    "COMPLETED": "done",
    "CANCELLED": "cancelled", "REVOKED": "cancelled",
    "FAILED": "failed", "TIMEOUT": "failed", "NODE_FAIL": "failed", "OUT_OF_MEMORY": "failed",
    "BOOT_FAIL": "failed", "DEADLINE": "failed", "PREEMPTED": "failed",
}


def _ranges(text):
    """``"0-3,5"`` (and ``"0-3%2"``) → [0, 1, 2, 3, 5]."""
    found = []
    for part in text.split("%")[0].split(","):
        if "-" in part:
            first, last = part.split("-", 1)
            found.extend(range(int(first), int(last) + 1))
        elif part.strip().isdigit():
            found.append(int(part))
    return found


def parse_scontrol(text):
    """``scontrol show job --oneliner``'s records → ``[{Key: value}]``."""
    records = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        record = {}
        for match in re.finditer(r"(\w+)=(\S*)", line):
            record.setdefault(match.group(1), match.group(2))
        records.append(record)
    return records


class SlurmFarm(FarmAdapter):
    name = "slurm"
    label = "Slurm: sbatch job arrays, states from scontrol"

    def __init__(self, data_dir, settings):
        super().__init__(data_dir, settings)
        self.folder = os.path.join(data_dir, "farm", "slurm")
        os.makedirs(self.folder, exist_ok=True)

    # running Slurm's commands

    def _command(self, name):
        folder = self.settings.get("slurm_bin") or ""
        return os.path.join(folder, name) if folder else name

    def _env(self):
        env = dict(os.environ)
        conf = self.settings.get("slurm_conf")
        if conf:
            env["SLURM_CONF"] = conf
        return env

    def run(self, name, *arguments, check=True):
        argv = [self._command(name)] + list(arguments)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, env=self._env(), timeout=60)
        except FileNotFoundError:
            raise FarmError("Slurm's %s is not on this machine (install slurm-client, or set farm.slurm_bin)"
                            % name)
        except subprocess.TimeoutExpired:
            raise FarmError("Slurm's %s did not answer within 60 s: is slurmctld running?" % name)
        if check and done.returncode != 0:
            raise FarmError("%s failed (exit %d): %s" % (" ".join(argv[:2]), done.returncode,
                                                       (done.stderr or done.stdout).strip()))
        return done

    # what Qi keeps of its jobs

    def _dir(self, job_id):
        if not re.match(r"^\d+$", str(job_id)):
            raise FarmError("there is no Slurm job “%s” (its ids are numbers)" % job_id)
        return os.path.join(self.folder, str(job_id))

    def _path(self, job_id):
        return os.path.join(self._dir(job_id), "job.json")

    def _read(self, job_id):
        path = self._path(job_id)
        record = read_json(path)
        if record is None:
            raise FarmError("Qi did not submit a Slurm job %s (none in %s)" % (job_id, self.folder))
        return record

    def _write(self, record):
        write_json(os.path.join(self._dir(record["id"]), "job.json"), record)

    def _script(self, job, folder):
        """The job's script: each array task runs its command, again up to
        ``max_retries`` times, and writes its attempts and exit status beside
        its log in ``folder`` (a shell word: the first submission's is the
        folder named after the array's id, known only once sbatch answers;
        so is the job's id, ``{job}`` and ``QI_FARM_JOB``, which a retry's
        array of the same job does not change)."""
        if job.get("id"):
            job_id = shlex.quote(str(job["id"]))
            words = tasks_of(job)
        else:
            job_id = '"${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}"'
            words = tasks_of(dict(job, id=_JOB_ID))
        lines = ["#!/bin/sh", "# Written by Qi for the job “%s”." % job["name"].replace("\n", " "),
                 "task=${SLURM_ARRAY_TASK_ID:-0}", "folder=%s" % folder, "job=%s" % job_id, 'case "$task" in']
        for task in words:
            lines.append("%d) set -- %s ;;" % (task["index"], " ".join(_word(a) for a in task["argv"])))
        lines += ['*) echo "qi: the job has no task $task" >&2; exit 2 ;;', "esac"]
        # the submitter's environment without its secrets, then the job's: sbatch
        # exports nothing itself (--export=NONE), so no secret reaches Slurm's records
        environment = {name: value for name, value in os.environ.items()
                       if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name) and not is_secret(name)
                       and not name.startswith(("SLURM_", "BASH_FUNC_")) and name not in _LOCAL_VARIABLES}
        environment.update(job["environment"])
        for name, value in sorted(environment.items()):
            lines.append("export %s=%s" % (name, shlex.quote(value)))
        lines += [
            'export QI_FARM=slurm QI_FARM_JOB="$job" QI_FARM_TASK_INDEX=$task',
            "attempt=0",
            "while :; do",
            "  attempt=$((attempt + 1))",
            '  echo $attempt > "$folder/task-$task.attempts.tmp" && mv "$folder/task-$task.attempts.tmp" '
            '"$folder/task-$task.attempts"',
            '  echo "== $(date "+%Y-%m-%d %H:%M:%S") task $task attempt $attempt on $(hostname): $* =="',
            '  "$@"',
            "  code=$?",
            '  echo "== exit $code =="',
            "  if [ $code -eq 0 ] || [ $attempt -gt %d ]; then break; fi" % job["max_retries"],
            "done",
            'echo $code > "$folder/task-$task.exit.tmp" && mv "$folder/task-$task.exit.tmp" "$folder/task-$task.exit"',
            "exit $code", ""]
        return "\n".join(lines)

    def _sbatch(self, job, output, script, indices, dependencies, hold=False):
        arguments = ["--parsable", "--job-name", job["name"][:200], "--array", ",".join(map(str, indices)),
                     "--output", output, "--open-mode", "append",
                     "--kill-on-invalid-dep", "yes", "--export", "NONE"]
        partition = job.get("pool") or self.settings.get("slurm_partition")
        if partition:
            arguments += ["--partition", partition]
        if job.get("cwd"):
            arguments += ["--chdir", job["cwd"]]
        if job["priority"] < 50:
            arguments += ["--nice", str((50 - job["priority"]) * 100)]
        if dependencies:
            arguments += ["--dependency", "afterok:" + ":".join(dependencies)]
        if hold:
            arguments.append("--hold")
        done = self.run("sbatch", *(arguments + [script]))
        return done.stdout.strip().split(";")[0]

    def submit(self, job):
        for dependency in job["dependencies"]:
            self._read(dependency)
        tasks = tasks_of(job)
        script = os.path.join(self.folder, ".job-%d-%d.sh" % (os.getpid(), time.monotonic_ns()))
        with open(script, "w") as f:
            f.write(self._script(job, shlex.quote(self.folder) + '/"${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}"'))
        try:
            # held until its folder (named after its id) is there for its logs
            slurm_id = self._sbatch(job, os.path.join(self.folder, "%A", "task-%a.log"), script,
                                    [t["index"] for t in tasks], job["dependencies"], hold=True)
            folder = self._dir(slurm_id)
            os.makedirs(folder, exist_ok=True)
            os.replace(script, os.path.join(folder, "job.sh"))
        except BaseException:
            if os.path.exists(script):
                os.unlink(script)
            raise
        job = dict(job, id=slurm_id)
        record = {"id": slurm_id, "farm": "slurm", "name": job["name"], "kind": job["kind"], "user": job["user"],
                  "project": job["project"], "priority": job["priority"],
                  "pool": job.get("pool") or self.settings.get("slurm_partition"), "group": job.get("group"),
                  "dependencies": job["dependencies"], "frames": job["frames"], "chunk_size": job["chunk_size"],
                  "outputs": job["outputs"], "submitted": time.time(), "finished": None, "reason": None,
                  "metadata": job["metadata"], "spec": job,
                  "submissions": [{"slurm_id": slurm_id, "tasks": [t["index"] for t in tasks]}],
                  "tasks": [{"index": t["index"], "frames": t["frames"], "state": "queued", "attempts": 0,
                             "exit_code": None, "log": os.path.join(folder, "task-%d.log" % t["index"])}
                            for t in tasks]}
        self._write(record)
        try:
            self.run("scontrol", "release", slurm_id)
        except FarmError as error:
            # held forever otherwise: take it back
            self.run("scancel", slurm_id, check=False)
            record.update(cancelled=True, reason="Slurm did not release it: %s" % error)
            self._write(record)
            raise FarmError("job %s was submitted held and could not be released, so it was cancelled: %s" % (
                slurm_id, error))
        return self.get(slurm_id)

    def _job_ids(self):
        ids = []
        for entry in os.listdir(self.folder):
            if entry.isdigit() and os.path.exists(os.path.join(self.folder, entry, "job.json")):
                ids.append(int(entry))
        return sorted(ids, reverse=True)

    def _task_states(self, record):
        """Each task's state: from Slurm while it knows the array, else from
        the exit status the task wrote."""
        folder = self._dir(record["id"])
        states = {}
        for attempt in record["submissions"]:
            done = self.run("scontrol", "show", "job", "--oneliner", attempt["slurm_id"], check=False)
            known = {}
            if done.returncode != 0 and "invalid job id" not in (done.stderr or "").lower():
                # Slurm cannot be asked (its controller is down…): nothing
                # is concluded of the job's tasks, nothing is written
                raise FarmError("cannot ask Slurm about job %s (Slurm job %s): %s" % (
                    record["id"], attempt["slurm_id"], (done.stderr or done.stdout or "").strip() or
                    "scontrol exited with %d" % done.returncode))
            if done.returncode == 0:
                for entry in parse_scontrol(done.stdout):
                    state = _STATES.get(entry.get("JobState", "").split("+")[0], "queued")
                    if entry.get("Reason") == "DependencyNeverSatisfied":
                        state = "cancelled"
                    for index in _ranges(entry.get("ArrayTaskId", "0")):
                        known[index] = state
            for index in attempt["tasks"]:
                states[index] = known.get(index, states.get(index))
        for index in range(len(record["tasks"])):
            exit_path = os.path.join(folder, "task-%d.exit" % index)
            code = None
            try:
                with open(exit_path) as f:
                    code = int(f.read().strip() or "1")
            except (OSError, ValueError):
                pass
            task = record["tasks"][index]
            task["exit_code"] = code
            try:
                with open(os.path.join(folder, "task-%d.attempts" % index)) as f:
                    task["attempts"] = int(f.read().strip() or "0")
            except (OSError, ValueError):
                pass
            state = states.get(index)
            if code is not None and state in (None, "done", "failed", "running"):
                state = "done" if code == 0 else "failed"
            if state is None:
                state = "cancelled" if record.get("cancelled") else "failed"
            task["state"] = state
        return record

    def _complete_unlocked(self, record):
        """``record`` with its state from Slurm (nothing written)."""
        if record.get("finished") and record.get("state") in FINAL:
            return record  # ended: as it was when it did, without asking Slurm again
        record = self._task_states(record)
        record["state"] = job_state(t["state"] for t in record["tasks"])
        if record["state"] == "cancelled" and not record.get("reason"):
            record["reason"] = "cancelled" if record.get("cancelled") else "a job it depends on did not end done"
        elif record["state"] == "failed" and not record.get("reason"):
            failed = [t for t in record["tasks"] if t["state"] == "failed"]
            record["reason"] = "task %d exited with %s" % (failed[0]["index"], failed[0]["exit_code"]) if failed \
                else None
        return record

    def _complete(self, record):
        """``record`` with its state from Slurm; written once it ended.
        Slurm is asked without the job's lock (it can take seconds); a
        cancel or retry that changed the job meanwhile wins, and the next
        read says its state."""
        basis = (bool(record.get("cancelled")), len(record["submissions"]))
        record = self._complete_unlocked(record)
        if record["state"] in FINAL and not record.get("finished"):
            with locked(self._path(record["id"])):
                now = self._read(record["id"])
                if not now.get("finished") and (bool(now.get("cancelled")), len(now["submissions"])) == basis:
                    record["finished"] = time.time()
                    self._write(record)
        return record

    def get(self, job_id):
        return self._complete(self._read(job_id))

    def list(self, user=None, active_only=False, limit=200):
        records = []
        for job_id in self._job_ids():
            record = self._read(job_id)
            if user and record.get("user") != user:
                continue
            if active_only and record.get("finished"):
                continue
            records.append(self._complete(record))
            if len(records) >= limit:
                break
        return records

    def cancel(self, job_id):
        # read, changed and written under the job's lock: the hub's watcher
        # and a CLI may both be at it
        with locked(self._path(job_id)):
            record = self._read(job_id)
            for attempt in record["submissions"]:
                self.run("scancel", attempt["slurm_id"], check=False)
            record["cancelled"] = True
            record["reason"] = "cancelled"
            if record.get("state") not in FINAL:
                record["finished"] = None
            self._write(record)
        return self.get(job_id)

    def retry(self, job_id):
        record = self.get(job_id)
        if not any(t["state"] in ("failed", "cancelled") for t in record["tasks"]):
            return record
        with locked(self._path(job_id)):
            return self._retry(job_id)

    def _retry(self, job_id):
        # under the job's lock: what it is now, not what it was before
        record = self._complete_unlocked(self._read(job_id))
        again = [t["index"] for t in record["tasks"] if t["state"] in ("failed", "cancelled")]
        if not again:
            return record
        folder = self._dir(job_id)
        for index in again:
            for name in ("task-%d.exit" % index, "task-%d.attempts" % index):
                try:
                    os.unlink(os.path.join(folder, name))
                except FileNotFoundError:
                    pass
            record["tasks"][index]["attempts"] = 0
        script = os.path.join(folder, "job-retry-%d.sh" % len(record["submissions"]))
        with open(script, "w") as f:
            f.write(self._script(record["spec"], shlex.quote(folder)))
        slurm_id = self._sbatch(record["spec"], os.path.join(folder, "task-%a.log"), script, again, [])
        record["submissions"].append({"slurm_id": slurm_id, "tasks": again})
        record.update(cancelled=False, finished=None, reason=None, state="running")
        self._write(record)
        return self._complete_unlocked(record)

    def logs(self, job_id, task=None):
        record = self._read(job_id)
        folder = self._dir(job_id)
        indices = [t["index"] for t in record["tasks"]]
        if task is not None:
            if task not in indices:
                raise FarmError("job %s has no task %d" % (job_id, task))
            indices = [task]
        return [{"task": i, "path": os.path.join(folder, "task-%d.log" % i),
                 "text": read_log(os.path.join(folder, "task-%d.log" % i))} for i in indices]
