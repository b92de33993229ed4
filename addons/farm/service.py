"""The farm on the hub: ``farm.submit``, ``farm.job.get``,
``farm.job.list``, ``farm.cancel``, ``farm.retry``, ``farm.logs``,
``farm.adapters``, answered in threads (a farm's commands and HTTP block),
and the ``farm.job.changed`` events of the jobs Qi submitted, watched
while the hub serves. Each project's jobs go to the adapter its settings
name (``farm.adapter``: ``local`` by default)."""
import getpass
import json
import os
import subprocess
import sys
import threading

from gi.repository import GLib

from qi.addon import EndpointHub, call_in_main, threaded_handler
from qi.farm import FarmError, JobError, adapter_class, adapter_names, normalize
from qi.farm.local import LocalFarm

#: the settings' keys an adapter reads, and their defaults
DEFAULTS = {"adapter": "local", "local_slots": 0, "slurm_partition": "", "slurm_conf": "", "slurm_bin": "",
            "deadline_url": "", "deadline_pool": "", "deadline_group": "", "qi_command": ""}


def qi_executable():
    """This process's ``qi`` (Python is embedded in it)."""
    try:
        path = os.readlink("/proc/self/exe")
    except OSError:
        path = None
    if path and os.path.basename(path).startswith("qi"):
        return path
    return os.environ.get("QI_EXE") or "qi"



def _project(payload):
    """The project a request is about: its ``project``, else the session's
    ``QI_PROJECT`` (docs/protocol.md)."""
    return payload.get("project") or os.environ.get("QI_PROJECT")

class FarmService(object):
    def __init__(self, addon):
        self.addon = addon
        self.hub = EndpointHub(addon.get_endpoint())
        self._adapters = {}
        self._lock = threading.Lock()
        self._watched = {}      # (adapter name, key) → adapter, for the events
        self._seen = {}         # job key → its last state signature
        self._local_seq = {}
        self._watching = False
        self._watch_source = None

    # which farm a project's jobs go to

    def settings(self, project=None):
        values = dict(DEFAULTS)
        payload = {"addon": "farm"}
        if project:
            payload["project"] = project
        try:
            resolved = self.hub.request("config.get", payload, timeout=10).get("values") or {}
        except Exception as error:
            # never the default farm in place of the project's: say why
            raise FarmError("the farm settings%s cannot be read (%s), so the project's farm is not known" % (
                " of the project “%s”" % project if project else "", getattr(error, "message", None) or error))
        values.update({key: value for key, value in resolved.items() if value is not None})
        return values

    def start_worker(self, folder, slots):
        """A worker process for the local queue in ``folder``, on its own
        (it outlives this Qi), until it has been idle for a minute."""
        os.makedirs(folder, exist_ok=True)
        log = open(os.path.join(folder, "worker.log"), "ab")
        argv = [qi_executable(), "--headless", "farm", "worker", "--queue", folder, "--idle-exit", "60"]
        if slots:
            argv += ["--slots", str(slots)]
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                         close_fds=True)
        log.close()

    def adapter(self, project=None):
        settings = self.settings(project)
        name = settings.get("adapter") or "local"
        key = (name, json.dumps(settings, sort_keys=True))
        with self._lock:
            adapter = self._adapters.get(key)
            if adapter is None:
                data_dir = self.addon.get_data_dir()
                if name == "local":
                    folder = os.path.join(data_dir, "farm")
                    adapter = LocalFarm(data_dir, settings,
                                        start_worker=lambda: self.start_worker(folder, settings.get("local_slots")))
                    # the changes from now on are told of
                    self._local_seq[key] = adapter.queue.last_change()
                else:
                    adapter = adapter_class(name)(data_dir, settings)
                self._adapters[key] = adapter
                self._watched[key] = adapter
        # its jobs are told of from now on (docs/protocol.md, farm.job.changed)
        self.watch()
        return adapter

    # the requests

    def submit(self, payload):
        """``{job…, "project"?, "publish"?: {"metadata": PATH, "name"?}}``
        → ``{"job", "publish_job"?}``."""
        project = _project(payload)
        spec = {key: value for key, value in payload.items() if key not in ("publish",)}
        if project:
            spec["project"] = project
        if not spec.get("user"):
            spec["user"] = os.environ.get("QI_USER") or getpass.getuser()
        job = normalize(spec)
        publish = payload.get("publish")
        if publish is not None:
            if not isinstance(publish, dict) or not isinstance(publish.get("metadata"), str):
                raise JobError("“publish” must be an object with “metadata”, the path of the publish's metadata "
                               "file")
        adapter = self.adapter(project)
        record = adapter.submit(job)
        answer = {"job": record}
        if publish is not None:
            settings = adapter.settings
            qi = settings.get("qi_command") or qi_executable()
            publish_job = normalize({
                "name": publish.get("name") or "publish: %s" % job["name"], "kind": "publish",
                "command": [qi, "--headless", "publish", "--from-farm", publish["metadata"]],
                "dependencies": [record["id"]], "priority": job["priority"], "pool": job.get("pool"),
                "group": job.get("group"), "user": job["user"], "project": project, "max_retries": 0,
                "metadata": {"render_job": record["id"], "publish_metadata": publish["metadata"]}})
            try:
                answer["publish_job"] = adapter.submit(publish_job)
            except Exception as error:
                # a render nothing would publish is not left to run
                try:
                    adapter.cancel(record["id"])
                    what = "it was cancelled"
                except Exception as cancel_error:
                    what = "it could not be cancelled (%s): cancel it with “qi --headless farm cancel %s”" % (
                        cancel_error, record["id"])
                raise FarmError("the publish job of render job %s was refused (%s); %s" % (
                    record["id"], getattr(error, "message", None) or error, what)) from None
        return answer

    def get(self, payload):
        return {"job": self.adapter(_project(payload)).get(self._id(payload))}

    def list(self, payload):
        adapter = self.adapter(_project(payload))
        limit = payload.get("limit") or 200
        return {"farm": adapter.name, "jobs": adapter.list(payload.get("user"), bool(payload.get("active")), limit)}

    def cancel(self, payload):
        return {"job": self.adapter(_project(payload)).cancel(self._id(payload))}

    def retry(self, payload):
        return {"job": self.adapter(_project(payload)).retry(self._id(payload))}

    def logs(self, payload):
        task = payload.get("task")
        if task is not None and (not isinstance(task, int) or isinstance(task, bool) or task < 0):
            raise JobError("“task” must be a task's index, 0 or more")
        return {"logs": self.adapter(_project(payload)).logs(self._id(payload), task)}

    def adapters(self, payload):
        names = sorted(set(adapter_names()) | {"local"})
        return {"adapters": [{"name": n, "label": LocalFarm.label if n == "local" else adapter_class(n).label}
                             for n in names],
                "project_adapter": self.settings(_project(payload)).get("adapter")}

    @staticmethod
    def _id(payload):
        job = payload.get("job")
        if isinstance(job, int) and not isinstance(job, bool):
            job = str(job)
        if not isinstance(job, str) or not job:
            raise JobError("the payload needs “job”, the job's id")
        return job

    def register(self):
        endpoint = self.addon.get_endpoint()
        for topic, method in (("farm.submit", self.submit), ("farm.job.get", self.get),
                              ("farm.job.list", self.list), ("farm.cancel", self.cancel),
                              ("farm.retry", self.retry), ("farm.logs", self.logs),
                              ("farm.adapters", self.adapters)):
            endpoint.add_handler(topic, threaded_handler(topic, method, refused=(JobError,), failed=(FarmError,)))

    # farm.job.changed while the hub serves

    def watch(self):
        """Watches the jobs of the farms used so far, twice a second, from
        the main loop (a one-shot command never runs it)."""
        if self._watch_source is None:
            self._watch_source = call_in_main(GLib.timeout_add, 500, self._tick)

    def _tick(self):
        if self._watching:
            return GLib.SOURCE_CONTINUE
        self._watching = True
        threading.Thread(target=self._poll, name="qi-farm-watch", daemon=True).start()
        return GLib.SOURCE_CONTINUE

    def _poll(self):
        try:
            with self._lock:
                watched = list(self._watched.items())
            for key, adapter in watched:
                try:
                    for record in self._changed(key, adapter):
                        self._announce(record)
                except Exception as error:  # a farm that cannot be reached now: later
                    sys.stderr.write("qi farm: watching %s: %s\n" % (adapter.name, error))
        finally:
            self._watching = False

    def _changed(self, key, adapter):
        if isinstance(adapter, LocalFarm):
            since = self._local_seq.get(key, 0)
            seq, ids = adapter.queue.changes(since)
            self._local_seq[key] = seq
            records = [adapter.get(job_id) for job_id in ids]
        else:
            # the jobs not seen ended yet (an adapter returns each once more as it ends)
            records = adapter.list(active_only=True, limit=200)
        changed = []
        for record in records:
            signature = (record["state"], tuple((t["state"], t.get("attempts")) for t in record["tasks"]))
            job_key = (adapter.name, record["id"])
            if self._seen.get(job_key) != signature:
                self._seen[job_key] = signature
                changed.append(record)
        return changed

    def _announce(self, record):
        self.addon.get_endpoint().emit("farm.job.changed", {"job": record})
        if record["state"] in ("failed",) or (record["state"] == "done" and record.get("kind") == "publish"):
            self._notify(record)

    def _notify(self, record):
        title = ("Farm job failed: %s" if record["state"] == "failed" else "Published from the farm: %s") % (
            record["name"])
        body = record.get("reason") or ("job %s on %s" % (record["id"], record["farm"]))
        try:
            self.hub.request("gui.notify", {"title": title, "body": body}, timeout=5)
        except Exception:
            pass  # no desktop shell: the event is there for the windows

