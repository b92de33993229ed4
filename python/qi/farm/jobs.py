"""What a farm job is, the same for every farm: the submission a caller
sends (``farm.submit``, ``qi --headless farm submit``), checked here once
with errors that name the field, its frames cut into tasks, and the
record every adapter answers with (``job_record``).

Standard library only."""
import re

#: a job's and a task's states, for every farm
STATES = ("queued", "running", "done", "failed", "cancelled")
#: the states a job or a task does not leave by itself
FINAL = ("done", "failed", "cancelled")

#: a variable of this name is a secret: it never goes into a job, whose
#: files and submissions others read; workers log in with a service token
#: from their own environment
_SECRET = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|APIKEY|CREDENTIALS?|(^|_)(KEY|PASS)(_|$))", re.I)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{(start|end|frames|task|job)\}")

MAX_TASKS = 100000


class JobError(ValueError):
    """A submission that is not a job; the message names the field."""


def is_secret(name):
    """Whether an environment variable's name says it holds a secret."""
    return bool(_SECRET.search(name))


def parse_frames(text):
    """``"1001-1100"``, ``"1-8"``, ``"1,3,5-7"``, ``"1-100x5"`` (every
    fifth), ``"12"`` → the sorted frames, each once. Raises JobError."""
    if isinstance(text, int) and not isinstance(text, bool):
        return [text]
    if not isinstance(text, str) or not text.strip():
        raise JobError("“frames” must be a frame list such as 1-8 or 1,3,5-7, not %r" % (text,))
    frames = set()
    for part in text.replace(" ", "").split(","):
        match = re.match(r"^(-?\d+)(?:-(-?\d+)(?:x(\d+))?)?$", part)
        if not match:
            raise JobError("“frames”: “%s” is not a frame or a range (1-8, 1-100x5) in “%s”" % (part, text))
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        step = int(match.group(3)) if match.group(3) else 1
        if last < first:
            raise JobError("“frames”: the range “%s” ends before it starts" % part)
        if step < 1:
            raise JobError("“frames”: the step of “%s” must be 1 or more" % part)
        if (last - first) // step + 1 + len(frames) > MAX_TASKS * 10:
            raise JobError("“frames”: “%s” has more frames than a job may (%d)" % (text, MAX_TASKS * 10))
        frames.update(range(first, last + 1, step))
    return sorted(frames)


def chunk(frames, size):
    """The frames cut into tasks of ``size`` consecutive entries: a list of
    lists (no frames: one task of none)."""
    if not frames:
        return [[]]
    return [frames[i:i + size] for i in range(0, len(frames), size)]


def frames_text(frames):
    """``[1, 2, 3, 5]`` → ``"1-3,5"`` (what Blender's ``-f`` and Deadline's
    ``Frames`` read)."""
    parts = []
    for frame in frames:
        if parts and parts[-1][1] == frame - 1:
            parts[-1][1] = frame
        else:
            parts.append([frame, frame])
    return ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in parts)


def _string(spec, key, required=False, default=None):
    value = spec.get(key)
    if value is None:
        if required:
            raise JobError("the job needs “%s”, a string" % key)
        return default
    if not isinstance(value, str) or (required and not value.strip()):
        raise JobError("“%s” must be a%s string, not %r" % (key, " non-empty" if required else "", value))
    return value


def _integer(spec, key, default, low, high):
    value = spec.get(key)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise JobError("“%s” must be an integer from %d to %d, not %r" % (key, low, high, value))
    return value


def normalize(spec):
    """A submission → the job's spec with every default, or raises
    JobError naming what is wrong. The members:

    - ``name`` (required), ``command`` (required: the argument list, with
      ``{start}``, ``{end}``, ``{frames}`` (``1-4``), ``{task}`` and
      ``{job}`` filled per task),
    - ``frames`` (``1-8``; none: one task), ``chunk_size`` (1),
    - ``environment`` (names → strings; never a secret), ``cwd``,
    - ``priority`` (0–100, 50), ``pool``, ``group``,
    - ``dependencies`` (ids of jobs of the same farm that must end done
      first), ``outputs`` (paths the job writes), ``max_retries`` (1),
    - ``user``, ``project``, ``kind`` (``render``, ``publish``, …),
      ``metadata`` (an object kept with the job)."""
    if not isinstance(spec, dict):
        raise JobError("a job is an object, not %s" % type(spec).__name__)
    job = {"name": _string(spec, "name", required=True)}
    command = spec.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
        raise JobError("“command” must be a non-empty list of strings (the program and its arguments)")
    if not command[0].strip():
        raise JobError("“command” starts with an empty program name")
    for argument in command:
        if "\0" in argument:
            raise JobError("“command” has an argument with a NUL character")
    job["command"] = list(command)
    frames = spec.get("frames")
    job["frames"] = parse_frames(frames) if frames is not None else []
    job["chunk_size"] = _integer(spec, "chunk_size", 1, 1, 1000000)
    if len(job["frames"]) > MAX_TASKS * job["chunk_size"]:
        raise JobError("%d frames in chunks of %d make more than %d tasks: make the chunks larger" % (
            len(job["frames"]), job["chunk_size"], MAX_TASKS))
    environment = spec.get("environment") or {}
    if not isinstance(environment, dict):
        raise JobError("“environment” must be an object of names and strings")
    for name, value in environment.items():
        if not _NAME.match(name):
            raise JobError("“environment”: “%s” is not a variable name" % name)
        if not isinstance(value, str):
            raise JobError("“environment”: “%s” must be a string, not %r" % (name, value))
        if is_secret(name):
            raise JobError("“environment”: “%s” looks like a secret, which never goes into a job: a worker logs "
                           "in with a service token from its own environment" % name)
    job["environment"] = dict(environment)
    job["cwd"] = _string(spec, "cwd")
    job["priority"] = _integer(spec, "priority", 50, 0, 100)
    job["pool"] = _string(spec, "pool")
    job["group"] = _string(spec, "group")
    dependencies = spec.get("dependencies") or []
    if not isinstance(dependencies, list) or not all(isinstance(d, (str, int)) and not isinstance(d, bool)
                                                     for d in dependencies):
        raise JobError("“dependencies” must be a list of job ids")
    job["dependencies"] = [str(d) for d in dependencies]
    outputs = spec.get("outputs") or []
    if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
        raise JobError("“outputs” must be a list of paths")
    job["outputs"] = list(outputs)
    job["max_retries"] = _integer(spec, "max_retries", 1, 0, 100)
    job["user"] = _string(spec, "user")
    job["project"] = _string(spec, "project")
    job["kind"] = _string(spec, "kind", default="command")
    metadata = spec.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise JobError("“metadata” must be an object")
    job["metadata"] = metadata or {}
    return job


def tasks_of(job):
    """The job's tasks: ``[{"index", "frames": [first, last] or None,
    "argv"}]``, the command filled per task."""
    tasks = []
    for index, frames in enumerate(chunk(job["frames"], job["chunk_size"])):
        tasks.append({"index": index, "frames": [frames[0], frames[-1]] if frames else None,
                      "argv": task_argv(job["command"], index, frames, job.get("id"))})
    return tasks


def task_argv(command, index, frames, job_id=None):
    values = {"task": str(index), "job": str(job_id or ""),
              "start": str(frames[0]) if frames else "", "end": str(frames[-1]) if frames else "",
              "frames": frames_text(frames) if frames else ""}
    return [_PLACEHOLDER.sub(lambda m: values[m.group(1)], argument) for argument in command]


def job_state(task_states):
    """A job's state from its tasks': running while one runs, then failed
    if one failed, cancelled if one was, done when all are."""
    states = set(task_states)
    if not states:
        return "done"
    if "running" in states:
        return "running"
    if "queued" in states:
        return "running" if states - {"queued"} else "queued"
    if "failed" in states:
        return "failed"
    if "cancelled" in states:
        return "cancelled"
    return "done"
