"""A fake of Deadline 10's Web Service (``deadlinewebservice``) on
127.0.0.1 for the Deadline adapter's tests, written from Deadline's REST
documentation (Jobs, Tasks, Task Reports): the requests it answers and the
shapes it answers with are the documented ones, and it checks what it is
sent the way the server would (a missing body, a missing command key, an
unknown command, a job id that is not there).

State: jobs with their ``Props`` and ``Stat`` (Active 1, Suspended 2,
Completed 3, Failed 4, Pending 6), tasks cut from ``Frames`` and
``ChunkSize`` (Queued 2, Suspended 3, Rendering 4, Completed 5, Failed 6,
Pending 8); a job with ``JobDependencies`` is Pending until each is
Completed. Nothing renders: the tests move tasks with ``/_fake/render``.

For the tests: ``GET /_fake/requests`` (every request: method, path,
query, body), ``POST /_fake/render`` ``{"JobID", "fail": [task ids]?}``
(its tasks complete, or fail), ``POST /_fake/delay`` ``{"seconds"}``
(every later answer waits), ``POST /_fake/reset``."""
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ACTIVE, SUSPENDED, COMPLETED, FAILED, PENDING = 1, 2, 3, 4, 6
T_QUEUED, T_SUSPENDED, T_RENDERING, T_COMPLETED, T_FAILED, T_PENDING = 2, 3, 4, 5, 6, 8


def _frames(text):
    frames = []
    for part in str(text).split(","):
        part = part.strip()
        match = re.match(r"^(-?\d+)(?:-(-?\d+))?(?:x(\d+))?$", part)
        if not match:
            raise ValueError("bad Frames “%s”" % text)
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        frames.extend(range(first, last + 1, int(match.group(3) or 1)))
    return sorted(set(frames))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client gone before its answer (the adapter's timeout, a stopped test)
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeDeadline(object):
    def __init__(self):
        self.lock = threading.RLock()
        self.reset()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.jobs = {}
            self.requests = []
            self.delay = 0.0

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # the Repository

    def submit(self, body):
        if not isinstance(body, dict) or not isinstance(body.get("JobInfo"), dict) or \
                not isinstance(body.get("PluginInfo"), dict):
            return 400, "Bad Request: the body needs JobInfo and PluginInfo objects"
        info, plugin = body["JobInfo"], body["PluginInfo"]
        for key in ("Name", "Plugin"):
            if not info.get(key):
                return 400, "Bad Request: JobInfo has no %s" % key
        try:
            frames = _frames(info.get("Frames", "0"))
        except ValueError as error:
            return 400, "Bad Request: %s" % error
        chunk = int(info.get("ChunkSize", 1))
        dependencies = [d for d in str(info.get("JobDependencies", "")).split(",") if d]
        for dependency in dependencies:
            if dependency not in self.jobs:
                return 500, "Internal Server Error: no job %s for JobDependencies" % dependency
        job_id = uuid.uuid4().hex[:24]
        pending = any(self.jobs[d]["Stat"] != COMPLETED for d in dependencies)
        env = {}
        for key, value in info.items():
            if key.startswith("EnvironmentKeyValue"):
                name, _, text = str(value).partition("=")
                env[name] = text
        tasks = []
        for index in range(0, len(frames), chunk):
            part = frames[index:index + chunk]
            tasks.append({"TaskID": len(tasks), "Frames": "%d-%d" % (part[0], part[-1]) if len(part) > 1
                          else str(part[0]), "Stat": T_PENDING if pending else T_QUEUED, "Errs": 0, "Slave": ""})
        job = {"_id": job_id, "Stat": PENDING if pending else ACTIVE, "Plug": info["Plugin"],
               "DateSubmitted": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()), "DateComp": None,
               "Props": {"Name": info["Name"], "User": info.get("UserName", "deadline"),
                         "Pri": int(info.get("Priority", 50)), "Pool": info.get("Pool", "none"),
                         "Grp": info.get("Group", "none"), "Frames": info.get("Frames", "0"), "Chunk": chunk,
                         "Dep": [{"JD": d} for d in dependencies], "Env": env, "PlugInfo": plugin,
                         "Batch": info.get("BatchName", ""), "Cmmt": info.get("Comment", "")},
               "tasks": tasks}
        self.jobs[job_id] = job
        if body.get("IdOnly"):
            return 200, {"_id": job_id}
        return 200, self.public(job)

    @staticmethod
    def public(job):
        return {key: value for key, value in job.items() if key != "tasks"}

    def _settle(self):
        changed = True
        while changed:
            changed = False
            for job in self.jobs.values():
                states = {t["Stat"] for t in job["tasks"]}
                if job["Stat"] == PENDING:
                    deps = [self.jobs[d["JD"]] for d in job["Props"]["Dep"]]
                    if all(d["Stat"] == COMPLETED for d in deps):
                        job["Stat"] = ACTIVE
                        for task in job["tasks"]:
                            task["Stat"] = T_QUEUED
                        changed = True
                elif job["Stat"] == ACTIVE:
                    if states == {T_COMPLETED}:
                        job["Stat"], job["DateComp"] = COMPLETED, time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                                                time.gmtime())
                        changed = True
                    elif T_FAILED in states and not states & {T_QUEUED, T_RENDERING}:
                        job["Stat"] = FAILED
                        changed = True

    def command(self, body):
        if not isinstance(body, dict):
            return 400, "Bad Request: no message body"
        if "Command" not in body:
            return 400, "Bad Request: the message body has no Command key"
        job = self.jobs.get(str(body.get("JobID")))
        if job is None:
            return 500, "Internal Server Error: no job %s" % body.get("JobID")
        command = str(body["Command"]).lower()
        if command == "suspend":
            job["Stat"] = SUSPENDED
            for task in job["tasks"]:
                if task["Stat"] in (T_QUEUED, T_RENDERING, T_PENDING):
                    task["Stat"] = T_SUSPENDED
        elif command == "resume":
            job["Stat"] = ACTIVE
            for task in job["tasks"]:
                if task["Stat"] == T_SUSPENDED:
                    task["Stat"] = T_QUEUED
        elif command == "resumefailed":
            if job["Stat"] == FAILED:
                job["Stat"] = ACTIVE
            for task in job["tasks"]:
                if task["Stat"] == T_FAILED:
                    task["Stat"] = T_QUEUED
        elif command == "fail":
            job["Stat"] = FAILED
            for task in job["tasks"]:
                if task["Stat"] != T_COMPLETED:
                    task["Stat"] = T_FAILED
        elif command == "requeue":
            job["Stat"] = ACTIVE
            for task in job["tasks"]:
                task["Stat"] = T_QUEUED
        else:
            return 500, "Internal Server Error: the command “%s” is not a job command" % body["Command"]
        self._settle()
        return 200, "Success"

    def render(self, body):
        with self.lock:
            return self._render(body)

    def _render(self, body):
        job = self.jobs.get(str(body.get("JobID")))
        if job is None:
            return 404, "no job"
        if job["Stat"] != ACTIVE:
            return 409, "the job is not active (Stat %d)" % job["Stat"]
        failing = set(body.get("fail") or [])
        for task in job["tasks"]:
            if task["Stat"] in (T_QUEUED, T_RENDERING):
                task["Stat"] = T_FAILED if task["TaskID"] in failing else T_COMPLETED
                if task["TaskID"] in failing:
                    task["Errs"] += 1
        self._settle()
        return 200, self.public(job)

    # HTTP

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status, body):
                data = (json.dumps(body) if not isinstance(body, str) or status == 200 else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                if not length:
                    return None
                try:
                    return json.loads(self.rfile.read(length))
                except ValueError:
                    return "not json"

            def _route(self, method):
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                body = self._body() if method in ("POST", "PUT") else None
                if not parts.path.startswith("/_fake/"):
                    with fake.lock:
                        fake.requests.append({"method": method, "path": parts.path, "query": query, "body": body})
                        delay = fake.delay
                    if delay:
                        time.sleep(delay)
                with fake.lock:
                    return self._dispatch(method, parts.path, query, body)

            def _dispatch(self, method, path, query, body):
                if path == "/_fake/requests":
                    return 200, fake.requests
                if path == "/_fake/reset":
                    fake.jobs, fake.requests, fake.delay = {}, [], 0.0
                    return 200, {}
                if path == "/_fake/delay":
                    fake.delay = float(body.get("seconds", 0))
                    return 200, {}
                if path == "/_fake/render":
                    return fake.render(body or {})
                if path == "/api/jobs":
                    if method == "POST":
                        if body is None:
                            return 400, "Bad Request: no message body"
                        return fake.submit(body)
                    if method == "PUT":
                        return fake.command(body)
                    if method == "GET":
                        if "JobID" in query:
                            return 200, [fake.public(fake.jobs[j]) for j in query["JobID"].split(",")
                                         if j in fake.jobs]
                        return 200, [fake.public(j) for j in fake.jobs.values()]
                    if method == "DELETE":
                        for job_id in query.get("JobID", "").split(","):
                            fake.jobs.pop(job_id, None)
                        return 200, "Success"
                if path == "/api/tasks" and method == "GET":
                    job = fake.jobs.get(query.get("JobID", ""))
                    if job is None:
                        return 500, "Internal Server Error: no job %s" % query.get("JobID")
                    if "TaskID" in query:
                        found = [t for t in job["tasks"] if str(t["TaskID"]) == query["TaskID"]]
                        return (200, found[0]) if found else (500, "Internal Server Error: no such task")
                    return 200, {"JobID": job["_id"], "Tasks": job["tasks"]}
                if path == "/api/taskreports" and method == "GET":
                    job = fake.jobs.get(query.get("JobID", ""))
                    if job is None:
                        return 500, "Internal Server Error: no job %s" % query.get("JobID")
                    return 200, ["Task %s of %s: rendered by the fake" % (query.get("TaskID"), job["_id"])]
                return 404, "Not Found"

            def do_GET(self):
                self._answer(*self._route("GET"))

            def do_POST(self):
                self._answer(*self._route("POST"))

            def do_PUT(self):
                self._answer(*self._route("PUT"))

            def do_DELETE(self):
                self._answer(*self._route("DELETE"))

        return Handler
