"""``qi --headless farm submit|jobs|show|cancel|retry|logs|worker|adapters``:
the farm of the project (``--project``, else ``QI_PROJECT``) from the
command line, through the same service as the hub's ``farm.*``. Exit
status: 0 done, 1 refused or failed, 2 a wrong command line."""
import json
import signal
import time

from gi.repository import GLib, Qi

from qi.farm import FarmError, JobError
from qi.farm.local import LocalQueue, LocalWorker


def _print_json(invocation, value):
    invocation.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _when(stamp):
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if isinstance(stamp, (int, float)) else "-"


def _progress(record):
    tasks = record.get("tasks") or []
    done = sum(1 for t in tasks if t["state"] == "done")
    return "%d/%d" % (done, len(tasks))


def describe(record):
    lines = ["job %s on %s: %s" % (record["id"], record["farm"], record["name"]),
             "  state      %s%s" % (record["state"], " (%s)" % record["reason"] if record.get("reason") else ""),
             "  user       %s" % (record.get("user") or "-"),
             "  project    %s" % (record.get("project") or "-"),
             "  submitted  %s" % _when(record.get("submitted")),
             "  priority   %s" % record.get("priority")]
    if record.get("pool"):
        lines.append("  pool       %s" % record["pool"])
    if record.get("dependencies"):
        lines.append("  after      %s" % ", ".join(record["dependencies"]))
    lines.append("  tasks      %s done" % _progress(record))
    for task in record.get("tasks") or []:
        frames = task.get("frames")
        lines.append("    %3d  %-10s %-12s attempts %s%s" % (
            task["index"], task["state"], "%s-%s" % tuple(frames) if frames else "-", task.get("attempts", 0),
            "  exit %s" % task["exit_code"] if task.get("exit_code") not in (None, 0) else ""))
    return "\n".join(lines) + "\n"


class FarmCommands(object):
    def __init__(self, addon, service):
        self.addon = addon
        self.service = service

    def _project(self, invocation):
        return invocation.get_string("project")

    def _run(self, invocation, func):
        try:
            return func()
        except JobError as error:
            invocation.write_error("qi farm: %s\n" % error)
            return 2 if isinstance(error, UsageError) else 1
        except FarmError as error:
            invocation.write_error("qi farm: %s\n" % error)
            return 1

    def submit(self, invocation):
        def work():
            spec = {}
            path = invocation.get_string("file")
            if path:
                try:
                    with open(path, encoding="utf-8") as f:
                        spec = json.load(f)
                except OSError as error:
                    raise UsageError("cannot read %s: %s" % (path, error.strerror))
                except ValueError as error:
                    raise UsageError("%s is not JSON: %s" % (path, error))
                if not isinstance(spec, dict):
                    raise UsageError("%s: a job is a JSON object" % path)
            command = list(invocation.get_arguments() or [])
            if command:
                spec["command"] = command
            for key in ("name", "frames", "pool", "group", "cwd"):
                value = invocation.get_string(key)
                if value is not None:
                    spec[key] = value
            for option, key in (("chunk-size", "chunk_size"), ("priority", "priority"),
                                ("max-retries", "max_retries")):
                found, value = invocation.get_int(option)
                if found:
                    spec[key] = value
            depends = invocation.dup_strv("after")
            if depends:
                spec["dependencies"] = list(depends)
            for entry in invocation.dup_strv("env") or []:
                name, sep, value = entry.partition("=")
                if not sep:
                    raise UsageError("--env takes NAME=VALUE, not “%s”" % entry)
                spec.setdefault("environment", {})[name] = value
            if "command" not in spec:
                raise UsageError("give the command after --, or --file JOB.json")
            if "name" not in spec:
                spec["name"] = " ".join(spec["command"])[:80]
            project = self._project(invocation)
            if project:
                spec["project"] = project
            metadata = invocation.get_string("publish-metadata")
            if metadata:
                spec["publish"] = {"metadata": metadata}
            answer = self.service.submit(spec)
            if invocation.get_flag("json"):
                _print_json(invocation, answer)
            else:
                invocation.write("submitted job %s to %s: %s, %d tasks\n" % (
                    answer["job"]["id"], answer["job"]["farm"], answer["job"]["name"], len(answer["job"]["tasks"])))
                if "publish_job" in answer:
                    invocation.write("submitted job %s: the publish once job %s is done\n" % (
                        answer["publish_job"]["id"], answer["job"]["id"]))
            return 0
        return self._run(invocation, work)

    def jobs(self, invocation):
        def work():
            answer = self.service.list({"project": self._project(invocation), "user": invocation.get_string("user"),
                                        "active": invocation.get_flag("active")})
            if invocation.get_flag("json"):
                _print_json(invocation, answer)
                return 0
            if not answer["jobs"]:
                invocation.write("no jobs on %s\n" % answer["farm"])
            for record in answer["jobs"]:
                invocation.write("%-10s %-10s %-7s %-16s %-10s %s\n" % (
                    record["id"], record["state"], _progress(record), _when(record.get("submitted")),
                    record.get("user") or "-", record["name"]))
            return 0
        return self._run(invocation, work)

    def _one(self, invocation, method):
        def work():
            job = invocation.get_arguments()[0]
            answer = method({"project": self._project(invocation), "job": job})
            if invocation.get_flag("json"):
                _print_json(invocation, answer)
            else:
                invocation.write(describe(answer["job"]))
            return 0
        return self._run(invocation, work)

    def show(self, invocation):
        return self._one(invocation, self.service.get)

    def cancel(self, invocation):
        return self._one(invocation, self.service.cancel)

    def retry(self, invocation):
        return self._one(invocation, self.service.retry)

    def logs(self, invocation):
        def work():
            found, task = invocation.get_int("task")
            answer = self.service.logs({"project": self._project(invocation), "job": invocation.get_arguments()[0],
                                        "task": task if found else None})
            if invocation.get_flag("json"):
                _print_json(invocation, answer)
                return 0
            for entry in answer["logs"]:
                invocation.write("== task %d%s ==\n%s" % (entry["task"], " (%s)" % entry["path"] if entry["path"]
                                                          else "", entry["text"]))
                if entry["text"] and not entry["text"].endswith("\n"):
                    invocation.write("\n")
            return 0
        return self._run(invocation, work)

    def adapters(self, invocation):
        answer = self.service.adapters({"project": self._project(invocation)})
        for entry in answer["adapters"]:
            invocation.write("%s%-10s %s\n" % ("*" if entry["name"] == answer["project_adapter"] else " ",
                                               entry["name"], entry["label"]))
        return 0

    def worker(self, invocation):
        """The local runner's worker, in this process, until idle for
        ``--idle-exit`` seconds (default: until SIGTERM or Ctrl-C)."""
        import os

        folder = invocation.get_string("queue") or os.path.join(self.addon.get_data_dir(), "farm")
        found, slots = invocation.get_int("slots")
        found_idle, idle = invocation.get_int("idle-exit")
        worker = LocalWorker(LocalQueue(folder), slots if found else 0, idle if found_idle else None,
                             log=lambda text: invocation.write_error("qi farm worker: %s\n" % text))
        sources = [GLib.unix_signal_add(GLib.PRIORITY_HIGH, number, lambda: worker.stop() or GLib.SOURCE_CONTINUE)
                   for number in (signal.SIGINT, signal.SIGTERM)]
        worker.on_idle = lambda: GLib.MainContext.default().iteration(False)
        try:
            if not worker.run():
                invocation.write_error("qi farm worker: another worker runs the queue in %s\n" % folder)
        finally:
            for source in sources:
                GLib.source_remove(source)
        return 0


class UsageError(JobError):
    """A command line that does not say what to do."""


def add_verbs(addon, service):
    commands = FarmCommands(addon, service)
    project = ("project", Qi.CliOptionKind.STRING, "NAME", "The project, whose farm it is (default: QI_PROJECT)")
    json_flag = ("json", Qi.CliOptionKind.FLAG, None, "Print JSON")
    table = [
        ("farm submit", "Submit a job to the project's farm", commands.submit, "-- COMMAND [ARGUMENT…]", 0,
         GLib.MAXUINT, [
             project, json_flag,
             ("file", Qi.CliOptionKind.STRING, "JOB.json", "The job as JSON (docs/farm.md); options override it"),
             ("name", Qi.CliOptionKind.STRING, "NAME", "The job's name"),
             ("frames", Qi.CliOptionKind.STRING, "FRAMES", "Frames: 1-100, 1,3,5-7, 1-100x5"),
             ("chunk-size", Qi.CliOptionKind.INT, "N", "Frames a task (default 1)"),
             ("priority", Qi.CliOptionKind.INT, "0-100", "Priority (default 50)"),
             ("pool", Qi.CliOptionKind.STRING, "POOL", "Pool or partition"),
             ("group", Qi.CliOptionKind.STRING, "GROUP", "Group"),
             ("cwd", Qi.CliOptionKind.STRING, "FOLDER", "The folder the tasks run in"),
             ("max-retries", Qi.CliOptionKind.INT, "N", "Times a failed task runs again (default 1)"),
             ("after", Qi.CliOptionKind.STRING_ARRAY, "JOB", "Run after this job is done (repeatable)"),
             ("env", Qi.CliOptionKind.STRING_ARRAY, "NAME=VALUE", "A variable of the tasks (repeatable)"),
             ("publish-metadata", Qi.CliOptionKind.STRING, "FILE",
              "Then a job that publishes FILE's products once this one is done")]),
        ("farm jobs", "List the jobs Qi submitted to the project's farm", commands.jobs, None, 0, 0, [
            project, json_flag, ("user", Qi.CliOptionKind.STRING, "USER", "Only this user's jobs"),
            ("active", Qi.CliOptionKind.FLAG, None, "Only the jobs not finished")]),
        ("farm show", "Show a job and its tasks", commands.show, "JOB", 1, 1, [project, json_flag]),
        ("farm cancel", "Cancel a job: its running tasks stop, the others will not run", commands.cancel, "JOB",
         1, 1, [project, json_flag]),
        ("farm retry", "Run a job's failed and cancelled tasks again", commands.retry, "JOB", 1, 1,
         [project, json_flag]),
        ("farm logs", "Print a job's task logs", commands.logs, "JOB", 1, 1, [
            project, json_flag, ("task", Qi.CliOptionKind.INT, "N", "Only this task's log")]),
        ("farm adapters", "List the farm adapters and the project's", commands.adapters, None, 0, 0, [project]),
        ("farm worker", "Run the local farm's tasks (started by Qi when jobs wait)", commands.worker, None, 0, 0, [
            ("queue", Qi.CliOptionKind.STRING, "FOLDER", "The queue's folder (default: DATA_DIR/farm)"),
            ("slots", Qi.CliOptionKind.INT, "N", "Tasks at once (default: the cores)"),
            ("idle-exit", Qi.CliOptionKind.INT, "SECONDS", "Stop once idle this long (default: never)")]),
    ]
    for name, summary, func, syntax, low, high, options in table:
        verb = Qi.CliVerb.new(name, summary, func)
        if syntax:
            verb.set_arguments(syntax, low, high)
        for option in options:
            verb.add_option(*option)
        addon.add_verb(verb)
    return commands

