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
