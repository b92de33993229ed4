"""The launcher's pre- and post-launch hooks, run by ``qi`` in a process
of their own: ``python3 -m qi.launch_hooks`` reads what is launched on
stdin and writes back the command line and the environment the hooks
left. A hook is a Python file of an addon's ``plugins/hooks/`` folder::

    order = 10                      # lower runs first (default 50)
    app_groups = ["maya", "nuke"]   # the applications it is for (default: all)
    platforms = ["linux"]           # default: all
    launch_kinds = ["local"]        # default: all

    def pre_launch(launch):
        launch.env["OCIO"] = "/studio/ocio/config.ocio"
        launch.argv.append("-nosplash")

    def post_launch(launch):
        print("started", launch.pid)

``launch`` has ``app`` (``maya/2025``), ``group``, ``variant``, ``host``,
``project``, ``context``, ``task``, ``task_type``, ``workdir``,
``workfile``, ``kind``, ``platform``, ``pid`` (after the start), and the
mutable ``env`` (a dict) and ``argv`` (a list). A pre-launch hook that
raises stops the launch with its message; a post-launch one is reported.

Standard library only."""
import importlib.util
import json
import os
import sys
import traceback
import types

STAGES = {"pre": "pre_launch", "post": "post_launch"}


class HookError(Exception):
    """A hook that failed: the file and what it said, one line."""


def load(path):
    """The module of a hook file."""
    name = "qi_hook_" + "".join(c if c.isalnum() else "_" for c in os.path.abspath(path))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise HookError("{}: not a Python file".format(path))
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # a hook that does not even load
        raise HookError("{}: {}".format(path, _sentence(e))) from None
    return module


def _sentence(error):
    text = str(error).strip().splitlines()
    return "{}: {}".format(type(error).__name__, text[0]) if text else type(error).__name__


def _applies(module, launch):
    for attribute, value in (("app_groups", launch.group), ("platforms", launch.platform),
                             ("launch_kinds", launch.kind)):
        wanted = getattr(module, attribute, None)
        if wanted and value not in wanted:
            return False
    return True


def run(stage, paths, launch):
    """Runs the hooks of ``stage`` in order on ``launch``; returns the
    files that ran. Raises HookError for the first that fails."""
    function = STAGES[stage]
    modules = []
    for path in paths:
        module = load(path)
        order = getattr(module, "order", 50)
        if not isinstance(order, (int, float)):
            raise HookError("{}: “order” is {!r}, not a number".format(path, order))
        modules.append((order, os.path.basename(path), path, module))
    ran = []
    for _, _, path, module in sorted(modules, key=lambda m: (m[0], m[1])):
        hook = getattr(module, function, None)
        if hook is None or not _applies(module, launch):
            continue
        try:
            hook(launch)
        except Exception as e:
            frames = traceback.extract_tb(e.__traceback__)
            where = next((f for f in reversed(frames) if f.filename == path), None)
            line = ":{}".format(where.lineno) if where is not None else ""
            raise HookError("{}{}: {}".format(path, line, _sentence(e))) from None
        if not isinstance(launch.argv, list) or not all(isinstance(a, str) for a in launch.argv) or not launch.argv:
            raise HookError("{}: left launch.argv that is not a non-empty list of strings".format(path))
        if not isinstance(launch.env, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                       for k, v in launch.env.items()):
            raise HookError("{}: left launch.env that is not a dict of strings".format(path))
        ran.append(path)
    return ran


def main(stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr):
    try:
        request = json.load(stdin)
        stage = request["stage"]
        if stage not in STAGES:
            raise ValueError("stage is {!r}, not pre or post".format(stage))
        data = dict(request["launch"])
        data["env"] = dict(data.pop("environment", {}))
        data["argv"] = list(data.get("argv", []))
        launch = types.SimpleNamespace(**data)
        ran = run(stage, request.get("hooks", []), launch)
    except HookError as e:
        print(str(e), file=stderr)
        return 1
    except (ValueError, KeyError, TypeError) as e:
        print("qi.launch_hooks: the request is not a launch: {}".format(_sentence(e)), file=stderr)
        return 2
    json.dump({"argv": launch.argv, "environment": launch.env, "ran": ran}, stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
