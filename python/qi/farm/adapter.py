"""The one interface of every farm, and the registry of its adapters.

An adapter (the local runner, Slurm, Deadline, a studio's) subclasses
:class:`FarmAdapter` and registers its class under a name with
:func:`register_adapter`; the project's setting ``farm.adapter`` chooses
which one a project's jobs go to. Its methods block (they run a farm's
commands or talk HTTP): the hub calls them in threads.

Every method answers with job records of one shape (``docs/farm.md``)::

    {"id", "farm", "name", "kind", "state", "user", "project", "priority",
     "pool", "group", "dependencies", "frames", "chunk_size", "outputs",
     "submitted", "finished", "reason", "metadata",
     "tasks": [{"index", "frames": [first, last] or null, "state",
                "attempts", "exit_code", "log"}]}
"""
import contextlib
import json
import os
import threading

from .jobs import JobError

_adapters = {}
_lock = threading.Lock()


class FarmError(Exception):
    """A farm that refused or failed: the message says which and why."""


class FarmAdapter(object):
    #: the name projects choose it by (``farm.adapter``)
    name = None
    #: what the adapter is, for ``qi --headless farm adapters``
    label = None

    def __init__(self, data_dir, settings):
        """``data_dir``: Qi's data folder for the adapter's own records;
        ``settings``: the ``farm`` settings resolved for the project."""
        self.data_dir = data_dir
        self.settings = settings or {}

    def submit(self, job):
        """A normalized job (:func:`qi.farm.jobs.normalize`) → its record."""
        raise NotImplementedError

    def get(self, job_id):
        """The job's record, with its tasks; FarmError if there is none."""
        raise NotImplementedError

    def list(self, user=None, active_only=False, limit=200):
        """The records of the jobs Qi submitted here, the newest first."""
        raise NotImplementedError

    def cancel(self, job_id):
        """Stops the job's running tasks and cancels the others."""
        raise NotImplementedError

    def retry(self, job_id):
        """Queues the job's failed and cancelled tasks again."""
        raise NotImplementedError

    def logs(self, job_id, task=None):
        """``[{"task", "path", "text"}]``: each task's log (or one's)."""
        raise NotImplementedError

    def close(self):
        pass


def register_adapter(cls):
    """Makes ``cls`` (a FarmAdapter subclass with a ``name``) the adapter
    of that name."""
    if not isinstance(cls, type) or not issubclass(cls, FarmAdapter) or not cls.name:
        raise TypeError("a farm adapter is a FarmAdapter subclass with a name")
    with _lock:
        _adapters[cls.name] = cls
    return cls


def unregister_adapter(name):
    with _lock:
        _adapters.pop(name, None)


def adapter_names():
    with _lock:
        return sorted(_adapters)


def adapter_class(name):
    with _lock:
        cls = _adapters.get(name)
    if cls is None:
        raise JobError("there is no farm adapter “%s” (there are: %s); enable its addon or set farm.adapter"
                       % (name, ", ".join(adapter_names()) or "none"))
    return cls


def read_log(path, limit=1 << 20):
    """The end of a log file (``limit`` bytes), as text; "" if none."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def write_json(path, document, indent=1):
    """Writes ``path`` whole or not at all: a temporary name of this
    process beside it, flushed, then renamed; nothing stays of a write that
    failed."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = "%s.tmp-%d-%d" % (path, os.getpid(), threading.get_ident())
    try:
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=indent, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_json(path, missing=None):
    """The JSON of ``path``; ``missing`` when there is no such file; a file
    that cannot be read or is not JSON raises FarmError naming it (it is
    never taken for an empty one, and so never written over)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return missing
    except OSError as error:
        raise FarmError("%s cannot be read: %s" % (path, error.strerror))
    except ValueError as error:
        raise FarmError("%s is not JSON (%s): fix or remove it" % (path, error))


@contextlib.contextmanager
def locked(path):
    """Holds an exclusive lock on ``path``'s ``.lock`` file: a read, change
    and write of ``path`` by one process at a time (the hub, a CLI)."""
    import fcntl  # POSIX: the farm's own files live on its machines

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
