"""The local runner, the embedded default farm: a persistent queue in
Qi's data folder (``farm/local.sqlite``, SQLite in WAL mode) and one
worker process at a time (``qi --headless farm worker``) that runs its
tasks, as many at once as the machine has cores (or ``farm.local_slots``).

- A submission is one transaction: the job, its tasks, its dependencies;
  a task runs once every job it depends on is done, and is cancelled
  (naming why) when one of them failed or was cancelled.
- A task that exits non-zero runs again up to the job's ``max_retries``;
  each attempt appends to the task's one log file.
- Each task runs in a session of its own with ``QI_FARM_TASK`` naming the
  queue, the job and the task in its environment, which its children
  inherit. A worker that starts finds the tasks a dead worker left
  running, ends whatever still runs under their names, and queues them
  again: a job running when Qi stopped is marked (``interruptions``) and
  retried, never lost, never run twice at once. One worker per queue: it
  holds an exclusive lock on ``farm/local.lock`` while it lives.

Standard library only; the worker runs in ``qi`` or in any Python 3."""
import fcntl
import json
import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

from .adapter import FarmAdapter, FarmError, read_log
from .jobs import FINAL, JobError, job_state, tasks_of

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL, kind TEXT NOT NULL, spec TEXT NOT NULL,
  user TEXT, project TEXT, priority INTEGER NOT NULL,
  submitted REAL NOT NULL, finished REAL, cancel INTEGER NOT NULL DEFAULT 0, reason TEXT);
CREATE TABLE IF NOT EXISTS tasks (
  job INTEGER NOT NULL REFERENCES jobs(id), idx INTEGER NOT NULL,
  first INTEGER, last INTEGER, argv TEXT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, interruptions INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER, pid INTEGER, started REAL, finished REAL,
  PRIMARY KEY (job, idx));
CREATE INDEX IF NOT EXISTS tasks_state ON tasks (state);
CREATE TABLE IF NOT EXISTS dependencies (job INTEGER NOT NULL, on_job INTEGER NOT NULL, PRIMARY KEY (job, on_job));
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, job INTEGER NOT NULL);
"""

ENV_TASK = "QI_FARM_TASK"


def _now():
    return time.time()


class LocalQueue(object):
    """The queue's file. Each call opens its own transaction, so any
    number of processes (submitters, the worker, ``qi serve`` reading
    states) share it."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, "local.sqlite")
        self.logs = os.path.join(folder, "logs")
        self._local = threading.local()
        self._db().executescript(_SCHEMA)
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'queue'").fetchone()
            if row is None:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('queue', ?)", (uuid.uuid4().hex,))
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', '1')")
            self.queue_id = db.execute("SELECT value FROM meta WHERE key = 'queue'").fetchone()[0]

    def _db(self):
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as error:
                raise FarmError("the local farm's queue %s: %s" % (self.path, error))
            self._local.db = db
        return db

    class _Transaction(object):
        def __init__(self, db):
            self.db = db

        def __enter__(self):
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, kind, value, trace):
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")
            return False

    def _transaction(self):
        return LocalQueue._Transaction(self._db())

    def log_path(self, job, index):
        return os.path.join(self.logs, str(job), "task-%d.log" % index)

    # the submitter's side

    def submit(self, job):
        with self._transaction() as db:
            for dependency in job["dependencies"]:
                if not dependency.isdigit() or db.execute("SELECT 1 FROM jobs WHERE id = ?",
                                                          (int(dependency),)).fetchone() is None:
                    raise JobError("“dependencies”: there is no job %s on the local farm" % dependency)
            cursor = db.execute(
                "INSERT INTO jobs (name, kind, spec, user, project, priority, submitted) VALUES (?,?,?,?,?,?,?)",
                (job["name"], job["kind"], "{}", job["user"], job["project"], job["priority"], _now()))
            job_id = cursor.lastrowid
            job = dict(job, id=str(job_id))
            db.execute("UPDATE jobs SET spec = ? WHERE id = ?", (json.dumps(job), job_id))
            for task in tasks_of(job):
                first, last = task["frames"] or (None, None)
                db.execute("INSERT INTO tasks (job, idx, first, last, argv, state) VALUES (?,?,?,?,?,'queued')",
                           (job_id, task["index"], first, last, json.dumps(task["argv"])))
            db.execute("INSERT INTO changes (job) VALUES (?)", (job_id,))
            for dependency in job["dependencies"]:
                db.execute("INSERT OR IGNORE INTO dependencies VALUES (?, ?)", (job_id, int(dependency)))
                # one that has ended already, not done: this job will never run
                states = [row[0] for row in db.execute("SELECT state FROM tasks WHERE job = ?", (int(dependency),))]
                if all(state in FINAL for state in states) and job_state(states) != "done":
                    self._cancel_dependents(db, int(dependency), job_state(states), [job_id])
            self._settle(db, job_id)
        return str(job_id)

    def _job_row(self, db, job_id):
        try:
            number = int(job_id)
        except (TypeError, ValueError):
            raise FarmError("there is no job “%s” on the local farm (its ids are numbers)" % job_id)
        row = db.execute("SELECT id, spec, submitted, finished, cancel, reason FROM jobs WHERE id = ?",
                         (number,)).fetchone()
        if row is None:
            raise FarmError("there is no job %s on the local farm" % job_id)
        return row

    def record(self, job_id, db=None):
        db = db or self._db()
        number, spec, submitted, finished, _cancel, reason = self._job_row(db, job_id)
        job = json.loads(spec)
        tasks = []
        for idx, first, last, state, attempts, interruptions, exit_code, started, ended in db.execute(
                "SELECT idx, first, last, state, attempts, interruptions, exit_code, started, finished FROM tasks "
                "WHERE job = ? ORDER BY idx", (number,)):
            tasks.append({"index": idx, "frames": [first, last] if first is not None else None, "state": state,
                          "attempts": attempts, "interruptions": interruptions, "exit_code": exit_code,
                          "started": started, "finished": ended, "log": self.log_path(number, idx)})
        state = job_state(t["state"] for t in tasks)
        return {"id": str(number), "farm": "local", "name": job["name"], "kind": job["kind"], "state": state,
                "user": job.get("user"), "project": job.get("project"), "priority": job["priority"],
                "pool": job.get("pool"), "group": job.get("group"), "dependencies": job["dependencies"],
                "frames": job["frames"], "chunk_size": job["chunk_size"], "outputs": job["outputs"],
                "submitted": submitted, "finished": finished, "reason": reason, "metadata": job["metadata"],
                "tasks": tasks}

    def list(self, user=None, active_only=False, limit=200):
        db = self._db()
        query, arguments = "SELECT id FROM jobs", []
        clauses = []
        if user:
            clauses.append("user = ?")
            arguments.append(user)
        if active_only:
            clauses.append("finished IS NULL")
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        query += " ORDER BY id DESC LIMIT ?"
        arguments.append(int(limit))
        return [self.record(row[0], db) for row in db.execute(query, arguments).fetchall()]

    def cancel(self, job_id):
        with self._transaction() as db:
            number = self._job_row(db, job_id)[0]
            db.execute("UPDATE jobs SET cancel = 1, reason = coalesce(reason, 'cancelled') WHERE id = ?", (number,))
            db.execute("UPDATE tasks SET state = 'cancelled', finished = ? WHERE job = ? AND state = 'queued'",
                       (_now(), number))
            db.execute("INSERT INTO changes (job) VALUES (?)", (number,))
            self._settle(db, number)
        return self.record(job_id)

    def retry(self, job_id):
        with self._transaction() as db:
            number = self._job_row(db, job_id)[0]
            again = [number]
            # the jobs cancelled because this one failed go again with it
            pending = [number]
            while pending:
                current = pending.pop()
                for (dependent,) in db.execute(
                        "SELECT d.job FROM dependencies d JOIN jobs j ON j.id = d.job "
                        "WHERE d.on_job = ? AND j.cancel = 2", (current,)).fetchall():
                    again.append(dependent)
                    pending.append(dependent)
            for job in again:
                db.execute("UPDATE tasks SET state = 'queued', attempts = 0, exit_code = NULL, finished = NULL "
                           "WHERE job = ? AND state IN ('failed', 'cancelled')", (job,))
                db.execute("UPDATE jobs SET cancel = 0, finished = NULL, reason = NULL WHERE id = ?", (job,))
                db.execute("INSERT INTO changes (job) VALUES (?)", (job,))
            for job in again:
                # a job that depends on one that still did not end done is
                # cancelled again, naming it, rather than waiting forever
                for (on_job,) in db.execute("SELECT on_job FROM dependencies WHERE job = ?", (job,)).fetchall():
                    states = [row[0] for row in db.execute("SELECT state FROM tasks WHERE job = ?", (on_job,))]
                    if all(state in FINAL for state in states) and job_state(states) != "done":
                        self._cancel_dependents(db, on_job, job_state(states), [job])
                # a job with nothing to run again (all done) ends again
                self._settle(db, job)
        return self.record(job_id)

    def changes(self, since):
        """``(last seq, [job ids changed after since])``."""
        rows = self._db().execute("SELECT seq, job FROM changes WHERE seq > ? ORDER BY seq", (since,)).fetchall()
        if not rows:
            return since, []
        return rows[-1][0], sorted({str(job) for _, job in rows})

    def last_change(self):
        row = self._db().execute("SELECT max(seq) FROM changes").fetchone()
        return row[0] or 0

    def runnable(self):
        """Whether a queued task could run now."""
        return self._db().execute(
            "SELECT 1 FROM tasks t JOIN jobs j ON j.id = t.job WHERE t.state = 'queued' AND j.cancel = 0 AND NOT "
            "EXISTS (SELECT 1 FROM dependencies d WHERE d.job = t.job AND EXISTS (SELECT 1 FROM tasks u WHERE "
            "u.job = d.on_job AND u.state != 'done')) LIMIT 1").fetchone() is not None

    # the worker's side

    def _settle(self, db, job_id):
        """Marks the job finished once each task is, and cancels the queued
        tasks of the jobs that depend on it if it did not end done."""
        pending = [job_id]
        while pending:
            current = pending.pop()
            states = [row[0] for row in db.execute("SELECT state FROM tasks WHERE job = ?", (current,))]
            if any(state not in FINAL for state in states):
                continue
            finished = db.execute("SELECT finished FROM jobs WHERE id = ?", (current,)).fetchone()[0]
            if finished is None:
                db.execute("UPDATE jobs SET finished = ? WHERE id = ?", (_now(), current))
                db.execute("INSERT INTO changes (job) VALUES (?)", (current,))
            state = job_state(states)
            if state != "done":
                pending.extend(self._cancel_dependents(db, current, state))

    def _cancel_dependents(self, db, job_id, state, dependents=None):
        """Cancels the queued tasks of the jobs that depend on ``job_id``,
        which ended ``state``; returns the jobs it cancelled."""
        if dependents is None:
            dependents = [row[0] for row in db.execute("SELECT job FROM dependencies WHERE on_job = ?", (job_id,))]
        cancelled = []
        for dependent in dependents:
            changed = db.execute("UPDATE tasks SET state = 'cancelled', finished = ? "
                                 "WHERE job = ? AND state = 'queued'", (_now(), dependent)).rowcount
            if changed:
                db.execute("UPDATE jobs SET cancel = 2, reason = ? WHERE id = ?",
                           ("job %d, which it depends on, %s" % (job_id, "failed" if state == "failed"
                                                                 else "was cancelled"), dependent))
                db.execute("INSERT INTO changes (job) VALUES (?)", (dependent,))
                cancelled.append(dependent)
        return cancelled

    def claim(self, count):
        """Up to ``count`` runnable tasks, marked running: ``[(job, idx,
        argv, spec)]``, the highest priority and oldest first."""
        if count <= 0:
            return []
        with self._transaction() as db:
            rows = db.execute(
                "SELECT t.job, t.idx, t.argv, j.spec FROM tasks t JOIN jobs j ON j.id = t.job "
                "WHERE t.state = 'queued' AND j.cancel = 0 AND NOT EXISTS ("
                "  SELECT 1 FROM dependencies d WHERE d.job = t.job AND EXISTS ("
                "    SELECT 1 FROM tasks u WHERE u.job = d.on_job AND u.state != 'done')) "
                "ORDER BY j.priority DESC, t.job, t.idx LIMIT ?", (count,)).fetchall()
            for job, idx, _, _ in rows:
                db.execute("UPDATE tasks SET state = 'running', attempts = attempts + 1, started = ?, "
                           "exit_code = NULL, pid = NULL WHERE job = ? AND idx = ?", (_now(), job, idx))
                db.execute("INSERT INTO changes (job) VALUES (?)", (job,))
        return [(job, idx, json.loads(argv), json.loads(spec)) for job, idx, argv, spec in rows]

    def started(self, job, idx, pid):
        with self._transaction() as db:
            db.execute("UPDATE tasks SET pid = ? WHERE job = ? AND idx = ?", (pid, job, idx))

    def ended(self, job, idx, exit_code, cancelled=False):
        """Records a task's end: done, queued again (retries left), failed
        or cancelled."""
        with self._transaction() as db:
            attempts, = db.execute("SELECT attempts FROM tasks WHERE job = ? AND idx = ?", (job, idx)).fetchone()
            spec, cancelling = db.execute("SELECT spec, cancel FROM jobs WHERE id = ?", (job,)).fetchone()
            spec = json.loads(spec)
            if exit_code == 0 and not cancelled:
                state = "done"
            elif cancelled or cancelling:
                state = "cancelled"  # a job being cancelled runs nothing again
            elif attempts <= spec["max_retries"]:
                state = "queued"
            else:
                state = "failed"
            db.execute("UPDATE tasks SET state = ?, exit_code = ?, pid = NULL, finished = ? WHERE job = ? AND idx = ?",
                       (state, exit_code, _now() if state != "queued" else None, job, idx))
            if state == "failed":
                db.execute("UPDATE jobs SET reason = coalesce(reason, ?) WHERE id = ?",
                           ("task %d exited with %s" % (idx, exit_code), job))
            db.execute("INSERT INTO changes (job) VALUES (?)", (job,))
            self._settle(db, job)
        return state

    def cancelled_running(self):
        """The running tasks of jobs being cancelled: ``[(job, idx)]``."""
        return self._db().execute("SELECT t.job, t.idx FROM tasks t JOIN jobs j ON j.id = t.job "
                                  "WHERE t.state = 'running' AND j.cancel != 0").fetchall()

    def left_running(self):
        return self._db().execute("SELECT job, idx FROM tasks WHERE state = 'running'").fetchall()

    def interrupted(self, job, idx):
        """A task a dead worker left running: queued again, without counting
        as a failed attempt."""
        with self._transaction() as db:
            cancelling, = db.execute("SELECT cancel FROM jobs WHERE id = ?", (job,)).fetchone()
            if cancelling:
                # nothing of a job being cancelled runs again
                db.execute("UPDATE tasks SET state = 'cancelled', interruptions = interruptions + 1, pid = NULL, "
                           "finished = ? WHERE job = ? AND idx = ? AND state = 'running'", (_now(), job, idx))
            else:
                db.execute("UPDATE tasks SET state = 'queued', attempts = max(attempts - 1, 0), "
                           "interruptions = interruptions + 1, pid = NULL WHERE job = ? AND idx = ? "
                           "AND state = 'running'", (job, idx))
            db.execute("INSERT INTO changes (job) VALUES (?)", (job,))
            self._settle(db, job)


def _processes_named(marker):
    """The pids of the processes whose environment has ``QI_FARM_TASK=marker``."""
    needle = ("%s=%s" % (ENV_TASK, marker)).encode() + b"\0"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                if needle in f.read() + b"\0":
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _end_processes(pids, grace=5.0):
    """SIGTERM to each process and its group, SIGKILL after ``grace``
    seconds, then waits until none is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, sig)
                except (OSError, ProcessLookupError):
                    pass
        end = time.monotonic() + (grace if sig == signal.SIGTERM else 30.0)
        while time.monotonic() < end:
            alive = [pid for pid in pids if _alive(pid)]
            if not alive:
                return
            time.sleep(0.05)


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class LocalWorker(object):
    """Runs the queue's tasks until it has been idle for ``idle_exit``
    seconds (None: until stopped)."""

    def __init__(self, queue, slots=0, idle_exit=None, log=None):
        self.queue = queue
        self.slots = slots if slots and slots > 0 else (os.cpu_count() or 1)
        self.idle_exit = idle_exit
        self.log = log or (lambda text: None)
        self.running = {}   # (job, idx) → (Popen, log file, cancelled?)
        self.stopping = False
        #: called on each turn of the loop (a host's main loop, for its signals)
        self.on_idle = None
        self._lock_file = None

    def marker(self, job, idx):
        return "%s/%d/%d" % (self.queue.queue_id, job, idx)

    def lock(self):
        """Takes the queue's worker lock; False if another worker has it."""
        path = os.path.join(self.queue.folder, "local.lock")
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write("%d\n" % os.getpid())
        handle.flush()
        self._lock_file = handle
        return True

    def unlock(self):
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _release_if_idle(self):
        """Gives the lock up; True if no task waits then. A submitter that
        saw the lock held before it went committed its job first, so the
        check after it finds that job, and takes the lock again (or another
        worker has)."""
        self.unlock()
        if not self.queue.runnable():
            return True
        return not self.lock()

    def recover(self):
        """The tasks a dead worker left running: whatever still runs of them
        ends, then they are queued again."""
        for job, idx in self.queue.left_running():
            pids = _processes_named(self.marker(job, idx))
            if pids:
                self.log("task %d.%d of a stopped worker still runs (pid %s): ending it" % (
                    job, idx, ", ".join(map(str, pids))))
                _end_processes(pids)
            self._note(job, idx, "== interrupted: the worker running it stopped; queued again ==\n")
            self.queue.interrupted(job, idx)

    def _note(self, job, idx, text):
        path = self.queue.log_path(job, idx)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a") as f:
            f.write(text)

    def _start(self, job, idx, argv, spec):
        path = self.queue.log_path(job, idx)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        log = open(path, "ab")
        attempt = "== %s task %d of job %d (%s) on %s: %s ==\n" % (
            time.strftime("%Y-%m-%d %H:%M:%S"), idx, job, spec["name"], socket.gethostname(),
            " ".join(argv))
        log.write(attempt.encode())
        log.flush()
        env = dict(os.environ)
        env.update(spec.get("environment") or {})
        env.update({ENV_TASK: self.marker(job, idx), "QI_FARM_JOB": str(job), "QI_FARM_TASK_INDEX": str(idx),
                    "QI_FARM": "local"})
        try:
            process = subprocess.Popen(argv, cwd=spec.get("cwd") or None, env=env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as error:
            log.write(("== could not start %s: %s ==\n" % (argv[0], error.strerror or error)).encode())
            log.close()
            self.queue.ended(job, idx, 127)
            return
        try:
            pidfd = os.pidfd_open(process.pid)
        except (AttributeError, OSError):
            pidfd = None
        self.queue.started(job, idx, process.pid)
        self.running[(job, idx)] = [process, log, False, pidfd]

    def _wait(self, seconds):
        """Until a task ends, or ``seconds``."""
        poller = select.poll()
        for entry in self.running.values():
            if entry[3] is not None:
                poller.register(entry[3], select.POLLIN)
        if not self.running or any(entry[3] is None for entry in self.running.values()):
            time.sleep(seconds)
            return
        poller.poll(int(seconds * 1000))

    def _reap(self):
        for key, entry in list(self.running.items()):
            process, log, cancelled, pidfd = entry
            code = process.poll()
            if code is None:
                continue
            del self.running[key]
            if pidfd is not None:
                os.close(pidfd)
            log.write(("== exit %d ==\n" % code).encode())
            log.close()
            self.queue.ended(key[0], key[1], code, cancelled=cancelled)

    def _cancel(self):
        for job, idx in self.queue.cancelled_running():
            entry = self.running.get((job, idx))
            if entry is None or entry[2]:
                continue
            entry[2] = True
            threading.Thread(target=_end_processes, args=([entry[0].pid],), daemon=True).start()

    def stop(self, *_args):
        self.stopping = True

    def run(self):
        """Returns False at once if another worker runs this queue."""
        if not self.lock():
            return False
        self.recover()
        idle_since = time.monotonic()
        seen = None
        while not self.stopping:
            self._reap()
            self._cancel()
            free = self.slots - len(self.running)
            change = self.queue.last_change()
            if free > 0 and change != seen:
                seen = change
                for job, idx, argv, spec in self.queue.claim(free):
                    self._start(job, idx, argv, spec)
            if self.running:
                idle_since = time.monotonic()
            elif self.idle_exit is not None and time.monotonic() - idle_since > self.idle_exit:
                if self._release_if_idle():
                    break
                idle_since = time.monotonic()
                seen = None
            self._wait(0.05)
            if self.on_idle is not None:
                self.on_idle()
        # stopped (SIGTERM, Ctrl-C): the running tasks end and wait for the next worker
        for (job, idx), (process, log, _cancelled, pidfd) in list(self.running.items()):
            _end_processes([process.pid])
            process.wait()
            log.write(b"== interrupted: the worker stopped; queued again ==\n")
            log.close()
            if pidfd is not None:
                os.close(pidfd)
            self.queue.interrupted(job, idx)
        self.running.clear()
        self.unlock()
        return True


def worker_running(folder):
    """Whether a worker holds the queue's lock."""
    path = os.path.join(folder, "local.lock")
    if not os.path.exists(path):
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


class LocalFarm(FarmAdapter):
    """The local runner as a farm adapter: the queue in
    ``DATA_DIR/farm/``; ``start_worker`` (set by the addon) starts a
    worker process when jobs wait and none runs."""
    name = "local"
    label = "The local runner: a queue in Qi's data folder, run on this machine"

    def __init__(self, data_dir, settings, start_worker=None):
        super().__init__(data_dir, settings)
        self.queue = LocalQueue(os.path.join(data_dir, "farm"))
        self.start_worker = start_worker

    def ensure_worker(self):
        if self.start_worker is not None and not worker_running(self.queue.folder):
            try:
                self.start_worker()
            except OSError as error:  # the job is queued: it runs when a worker starts
                sys.stderr.write("qi farm: no worker could start for %s (%s): run qi --headless farm worker\n"
                                 % (self.queue.folder, error.strerror or error))

    def submit(self, job):
        job_id = self.queue.submit(job)
        self.ensure_worker()
        return self.queue.record(job_id)

    def get(self, job_id):
        return self.queue.record(job_id)

    def list(self, user=None, active_only=False, limit=200):
        return self.queue.list(user, active_only, limit)

    def cancel(self, job_id):
        return self.queue.cancel(job_id)

    def retry(self, job_id):
        record = self.queue.retry(job_id)
        self.ensure_worker()
        return record

    def logs(self, job_id, task=None):
        record = self.queue.record(job_id)
        tasks = [t for t in record["tasks"] if task is None or t["index"] == task]
        if task is not None and not tasks:
            raise FarmError("job %s has no task %d" % (job_id, task))
        return [{"task": t["index"], "path": t["log"], "text": read_log(t["log"])} for t in tasks]


def main(argv=None):
    """``python3 -m qi.farm.local FOLDER [--slots N] [--idle-exit S]``: a
    worker outside qi (the tests, a machine without Qi's shell)."""
    import argparse

    parser = argparse.ArgumentParser(prog="qi.farm.local")
    parser.add_argument("folder")
    parser.add_argument("--slots", type=int, default=0)
    parser.add_argument("--idle-exit", type=float, default=None)
    options = parser.parse_args(argv)
    worker = LocalWorker(LocalQueue(options.folder), options.slots, options.idle_exit,
                         log=lambda text: sys.stderr.write("qi farm worker: %s\n" % text))
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    if not worker.run():
        sys.stderr.write("qi farm worker: another worker runs the queue in %s\n" % options.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
