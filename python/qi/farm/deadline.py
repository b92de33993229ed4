"""Deadline 10 as a farm, through its Web Service's REST API
(``deadlinewebservice``, ``http://HOST:8081`` by default).

Every request the adapter sends is in :data:`REQUESTS`, with the
documented form it takes, so that a studio can check them against its own
server. A Qi job becomes one Deadline job of the ``CommandLine`` plugin:
the command's program is ``Executable``, its arguments ``Arguments`` with
Qi's ``{start}``/``{end}`` as Deadline's ``<STARTFRAME>``/``<ENDFRAME>``
(``{frames}`` as ``<STARTFRAME>-<ENDFRAME>``); frames and chunk size are
``Frames`` and ``ChunkSize``; dependencies ``JobDependencies``; pool,
group, priority, the environment (``EnvironmentKeyValueN``) and outputs
(``OutputDirectoryN``/``OutputFilenameN``) as named. Cancelling suspends
the job (Deadline keeps it, and a retry resumes it); a retry resumes the
failed tasks. Qi remembers the ids it submitted in
``DATA_DIR/farm/deadline.json`` for ``list``.

The settings (``farm`` addon): ``deadline_url`` (the Web Service),
``deadline_pool``, ``deadline_group``; the Web Service's user and password
(if it asks for them) come from ``QI_DEADLINE_USER`` and
``QI_DEADLINE_PASSWORD`` in the environment, never from a job."""
import base64
import calendar
import json
import os
import shlex
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from .adapter import FarmAdapter, FarmError, locked, read_json, write_json
from .jobs import JobError, frames_text, job_state

#: the Web Service's requests, as Deadline 10's REST documentation gives them
REQUESTS = {
    "submit": ("POST", "/api/jobs", 'body {"JobInfo": {...}, "PluginInfo": {...}, "AuxFiles": [], "IdOnly": true}'
               ' → {"_id": ID}'),
    "job": ("GET", "/api/jobs?JobID=ID", "→ [job] (the job's _id, Props, Stat)"),
    "tasks": ("GET", "/api/tasks?JobID=ID", '→ {"JobID": ID, "Tasks": [{"TaskID", "Frames", "Stat", "Errs"}]}'),
    "suspend": ("PUT", "/api/jobs", 'body {"Command": "suspend", "JobID": ID}'),
    "resume": ("PUT", "/api/jobs", 'body {"Command": "resume", "JobID": ID}'),
    "resumefailed": ("PUT", "/api/jobs", 'body {"Command": "resumefailed", "JobID": ID}'),
    "report": ("GET", "/api/taskreports?JobID=ID&TaskID=N&Data=log", "→ the task's log reports"),
}

#: Deadline's job Stat → Qi's state (Unknown 0, Active 1, Suspended 2,
#: Completed 3, Failed 4, Pending 6)
JOB_STATES = {0: "queued", 1: "queued", 2: "cancelled", 3: "done", 4: "failed", 6: "queued"}
#: a task's Stat (Unknown 1, Queued 2, Suspended 3, Rendering 4,
#: Completed 5, Failed 6, Pending 8)
TASK_STATES = {1: "queued", 2: "queued", 3: "cancelled", 4: "running", 5: "done", 6: "failed", 8: "queued"}


def _arguments(argv):
    text = " ".join(shlex.quote(a) if not any(t in a for t in ("{start}", "{end}", "{frames}")) else
                    '"%s"' % a.replace('"', '\\"') for a in argv)
    if "{task}" in text or "{job}" in text:
        raise JobError("“command”: Deadline's CommandLine plugin has no task or job number to fill {task} or "
                       "{job} with: use {start} and {end}")
    return (text.replace("{frames}", "<STARTFRAME>-<ENDFRAME>").replace("{start}", "<STARTFRAME>")
            .replace("{end}", "<ENDFRAME>"))


def _epoch(text):
    """Deadline's date (``2026-12-07T10:00:00.000Z``, UTC) as seconds since
    the epoch, as Qi's other farms say it; None for none (Deadline writes
    the year 1 for a date not reached yet)."""
    if not isinstance(text, str) or not text or text.startswith("0001-"):
        return None
    stamp, _, fraction = text.rstrip("Z").partition(".")
    try:
        seconds = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None
    digits = "".join(c for c in fraction if c.isdigit())
    return seconds + (int(digits) / 10 ** len(digits) if digits else 0.0)


def job_info(job, settings):
    """A normalized Qi job → Deadline's (JobInfo, PluginInfo)."""
    info = {"Name": job["name"], "Plugin": "CommandLine", "Priority": job["priority"],
            "Frames": frames_text(job["frames"]) if job["frames"] else "0",
            "ChunkSize": job["chunk_size"] if job["frames"] else 1,
            "OverrideTaskFailureDetection": True, "FailureDetectionTaskErrors": job["max_retries"] + 1}
    if job.get("user"):
        info["UserName"] = job["user"]
    pool = job.get("pool") or settings.get("deadline_pool")
    if pool:
        info["Pool"] = pool
    group = job.get("group") or settings.get("deadline_group")
    if group:
        info["Group"] = group
    if job["dependencies"]:
        info["JobDependencies"] = ",".join(job["dependencies"])
    batch = job.get("metadata", {}).get("batch")
    if batch:
        info["BatchName"] = str(batch)
    comment = job.get("metadata", {}).get("comment")
    if comment:
        info["Comment"] = str(comment)
    for index, (name, value) in enumerate(sorted(job["environment"].items())):
        info["EnvironmentKeyValue%d" % index] = "%s=%s" % (name, value)
    for index, output in enumerate(job["outputs"]):
        info["OutputDirectory%d" % index] = os.path.dirname(output)
        info["OutputFilename%d" % index] = os.path.basename(output)
    plugin = {"Executable": job["command"][0], "Arguments": _arguments(job["command"][1:]), "Shell": "default",
              "ShellExecute": False}
    if job.get("cwd"):
        plugin["StartupDirectory"] = job["cwd"]
    return info, plugin


class DeadlineFarm(FarmAdapter):
    name = "deadline"
    label = "Deadline 10, through its Web Service"

    def __init__(self, data_dir, settings):
        super().__init__(data_dir, settings)
        url = self.settings.get("deadline_url") or os.environ.get("QI_DEADLINE_URL")
        if not url:
            raise FarmError("the Deadline farm needs its Web Service's address: set farm.deadline_url "
                            "(http://HOST:8081)")
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise FarmError("farm.deadline_url “%s” is not an http:// or https:// address" % url)
        self.url = url.rstrip("/")
        self.known = os.path.join(data_dir, "farm", "deadline.json")
        self._lock = threading.Lock()

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        user = os.environ.get("QI_DEADLINE_USER")
        if user:
            secret = "%s:%s" % (user, os.environ.get("QI_DEADLINE_PASSWORD", ""))
            request.add_header("Authorization", "Basic " + base64.b64encode(secret.encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                text = answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace").strip()
            raise FarmError("Deadline's Web Service at %s answered %s %s to %s %s%s" % (
                self.url, error.code, error.reason, method, path.split("?")[0], ": " + detail[:300] if detail
                else ""))
        except (urllib.error.URLError, OSError) as error:
            raise FarmError("Deadline's Web Service at %s cannot be reached: %s" % (
                self.url, getattr(error, "reason", error)))
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _remember(self, job_id, job):
        """What Deadline does not keep of a Qi job (its kind, project,
        outputs and metadata), beside its id."""
        with self._lock, locked(self.known):
            known = self._known()
            known.insert(0, {"id": job_id, "user": job.get("user"), "kind": job.get("kind"),
                             "project": job.get("project"), "outputs": job.get("outputs") or [],
                             "metadata": job.get("metadata") or {}})
            write_json(self.known, known, indent=None)

    def _known(self):
        known = read_json(self.known, [])
        if not isinstance(known, list):
            raise FarmError("%s is not the list of Qi's Deadline jobs: fix or remove it" % self.known)
        return known

    def submit(self, job):
        info, plugin = job_info(job, self.settings)
        self._known()  # a list of Qi's jobs that cannot be read refuses before the farm has the job
        answer = self.request("POST", "/api/jobs", {"JobInfo": info, "PluginInfo": plugin, "AuxFiles": [],
                                                    "IdOnly": True})
        job_id = answer.get("_id") if isinstance(answer, dict) else None
        if not job_id:
            raise FarmError("Deadline's Web Service accepted the job but gave no id: %r" % (answer,))
        self._remember(job_id, job)
        return self.get(job_id)

    def get(self, job_id, entry=None):
        """The job as Deadline says it, with what Qi kept of it (``entry``,
        its record in deadline.json, looked up when not given)."""
        if entry is None:
            entry = next((e for e in self._known() if e.get("id") == str(job_id)), {})
        quoted = urllib.parse.quote(str(job_id))
        jobs = self.request("GET", "/api/jobs?JobID=" + quoted)
        if not jobs or not isinstance(jobs, list):
            raise FarmError("Deadline has no job %s" % job_id)
        job = jobs[0]
        props = job.get("Props") or {}
        answer = self.request("GET", "/api/tasks?JobID=" + quoted) or {}
        tasks = []
        for task in answer.get("Tasks") or []:
            frames = str(task.get("Frames") or "")
            first, _, last = frames.partition("-")
            tasks.append({"index": int(task.get("TaskID", len(tasks))),
                          "frames": [int(first), int(last or first)] if first.lstrip("-").isdigit() else None,
                          "state": TASK_STATES.get(task.get("Stat"), "queued"), "attempts": task.get("Errs", 0),
                          "exit_code": None, "log": None})
        state = JOB_STATES.get(job.get("Stat"), "queued")
        if tasks and state not in ("cancelled",):
            state = job_state(t["state"] for t in tasks)
        dependencies = [d.get("JD") for d in props.get("Dep") or [] if isinstance(d, dict)]
        finished = _epoch(job.get("DateComp")) if state in ("done", "failed", "cancelled") else None
        return {"id": job.get("_id", str(job_id)), "farm": "deadline", "name": props.get("Name"),
                "kind": entry.get("kind"), "state": state, "user": props.get("User") or entry.get("user"),
                "project": entry.get("project"), "priority": props.get("Pri"), "pool": props.get("Pool"),
                "group": props.get("Grp"), "dependencies": dependencies, "frames": props.get("Frames"),
                "chunk_size": props.get("Chunk"), "outputs": entry.get("outputs") or [],
                "submitted": _epoch(job.get("DateSubmitted")), "finished": finished, "reason": None,
                "metadata": entry.get("metadata") or {}, "tasks": tasks}

    def list(self, user=None, active_only=False, limit=200):
        records = []
        ended = []
        for entry in self._known():
            if user and entry.get("user") != user:
                continue
            if active_only and entry.get("ended"):
                continue
            try:
                record = self.get(entry["id"], entry)
            except FarmError:
                continue
            if record["state"] in ("done", "failed", "cancelled") and not entry.get("ended"):
                ended.append(entry["id"])
            records.append(record)
            if len(records) >= limit:
                break
        if ended:
            self._mark_ended(ended)
        return records

    def _mark_ended(self, ids):
        """The jobs seen ended: an active list does not ask for them again
        (a retry makes them active)."""
        with self._lock, locked(self.known):
            known = self._known()
            for entry in known:
                if entry["id"] in ids:
                    entry["ended"] = True
            write_json(self.known, known, indent=None)

    def _mark_active(self, job_id):
        with self._lock, locked(self.known):
            known = self._known()
            for entry in known:
                if entry["id"] == job_id:
                    entry.pop("ended", None)
            write_json(self.known, known, indent=None)

    def cancel(self, job_id):
        self.request("PUT", "/api/jobs", {"Command": "suspend", "JobID": str(job_id)})
        return self.get(job_id)

    def retry(self, job_id):
        record = self.get(job_id)
        if record["state"] == "cancelled":
            self.request("PUT", "/api/jobs", {"Command": "resume", "JobID": str(job_id)})
        self.request("PUT", "/api/jobs", {"Command": "resumefailed", "JobID": str(job_id)})
        self._mark_active(str(job_id))
        return self.get(job_id)

    def logs(self, job_id, task=None):
        record = self.get(job_id)
        found = []
        for entry in record["tasks"]:
            if task is not None and entry["index"] != task:
                continue
            reports = self.request("GET", "/api/taskreports?JobID=%s&TaskID=%d&Data=log" % (
                urllib.parse.quote(str(job_id)), entry["index"])) or []
            text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in reports) \
                if isinstance(reports, list) else str(reports)
            found.append({"task": entry["index"], "path": None, "text": text})
        if task is not None and not found:
            raise FarmError("job %s has no task %d" % (job_id, task))
        return found
