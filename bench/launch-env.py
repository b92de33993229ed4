#!/usr/bin/python3
"""The inputs of bench/launch's environment figures, and their baseline.

    launch-env.py input DEFAULTS.json INPUT.json
        writes what qi-bench-launch-env resolves: Qi's default catalog of
        applications (DEFAULTS.json: `applications.groups` as `qi settings
        get applications --json` prints it) with an environment for each
        group and variant as a studio writes them, the studio's and the
        project's layers, two tools and the user's own variables.

    launch-env.py baseline INPUT.json QI_OUTPUT.json [RUNS]
        resolves the same layers for every application the way a Python
        pipeline does it (AYON's applications addon: each layer's
        `{VAR}` references formatted in dependency order with `re`, path
        lists joined and de-duplicated, over a copy of `os.environ`),
        prints its median, p10 and p90 for the whole catalog, and checks
        that its environments are Qi's (QI_OUTPUT.json), variable by
        variable: the two must agree for the figures to mean anything.
"""
import json
import re
import statistics
import sys
import time

REF = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
SEP = ":"
PLATFORM = "linux"


def studio_input(defaults):
    groups = json.loads(json.dumps(defaults))
    for name, group in groups.items():
        upper = re.sub(r"[^A-Z0-9]", "_", name.upper())
        upper = "_" + upper if upper[0].isdigit() else upper  # 3dequalizer
        group["environment"] = {
            upper + "_ROOT": "/studio/apps/" + name,
            upper + "_SCRIPTS": ["{STUDIO_ROOT}/pipeline/" + name, "{%s_ROOT}/scripts" % upper],
            "PYTHONPATH": ["{STUDIO_ROOT}/pipeline/" + name + "/python", "{PYTHONPATH}"],
            "QI_STUDIO_" + upper: {"linux": "1", "windows": "1"},
        }
        for variant, spec in group["variants"].items():
            spec["environment"] = {
                upper + "_VERSION": variant,
                upper + "_LOCATION": "{%s_ROOT}/{%s_VERSION}" % (upper, upper),
                "PATH": ["{%s_LOCATION}/bin" % upper, "{PATH}"],
                "LD_LIBRARY_PATH": ["{%s_LOCATION}/lib" % upper, "{LD_LIBRARY_PATH}"],
            }
    return {
        "groups": groups,
        "studio": {
            "STUDIO_ROOT": "/mnt/studio",
            "STUDIO_PYTHON": "{STUDIO_ROOT}/python",
            "PYTHONPATH": ["{STUDIO_PYTHON}", "{PYTHONPATH}"],
            "PATH": ["{STUDIO_ROOT}/bin", "{PATH}"],
            "OCIO": "{STUDIO_ROOT}/ocio/aces_1.2/config.ocio",
            "TMPDIR": {"linux": "/var/tmp/studio", "windows": "D:/tmp"},
            "LD_PRELOAD": None,
        },
        "project": {
            "PROJECT_ROOT": "/mnt/work/demo",
            "OCIO": "{PROJECT_ROOT}/config/ocio/config.ocio",
            "PYTHONPATH": ["{PROJECT_ROOT}/python", "{PYTHONPATH}", "{STUDIO_PYTHON}"],
            "SHOW_FPS": "24",
        },
        "tools": {
            "ocio": {"2.1": {"OCIO_VERSION": "2.1", "LD_LIBRARY_PATH": ["/mnt/studio/tools/ocio/{OCIO_VERSION}/lib",
                                                                        "{LD_LIBRARY_PATH}"]}},
            "studiotools": {"1.4": {"STUDIOTOOLS": "/mnt/studio/tools/studiotools/1.4",
                                    "PYTHONPATH": ["{STUDIOTOOLS}/python", "{PYTHONPATH}"],
                                    "PATH": ["{STUDIOTOOLS}/bin", "{PATH}"]}},
        },
        "tools_enabled": ["ocio/2.1", "studiotools/1.4"],
        # an artist's shell: 40 variables, with the lists the layers extend
        "base": dict({"HOME": "/home/ada", "USER": "ada", "SHELL": "/bin/bash", "LANG": "en_GB.UTF-8",
                      "PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": "/home/ada/python",
                      "LD_LIBRARY_PATH": "/usr/local/lib", "DISPLAY": ":0", "TERM": "xterm-256color"},
                     **{"ARTIST_VAR_%02d" % i: "value %d" % i for i in range(31)}),
    }


class Undefined(Exception):
    pass


def apply_layer(env, layer):
    """One layer over env: its values' {VAR} resolved in the order their
    references need; a list joined, its empty entries and repeats dropped."""
    defs = {}
    for name, value in layer.items():
        if isinstance(value, dict):
            if PLATFORM not in value:
                continue
            value = value[PLATFORM]
        defs[name] = value
    done = {}

    def expand(owner, text, stack):
        def one(match):
            whole = match.group(0)
            if whole in ("{{", "}}"):
                return whole[0]
            ref = match.group(1)
            if ref == owner:
                return env.get(ref, "")
            if ref in defs:
                return resolve(ref, stack) or ""
            if ref not in env:
                raise Undefined(ref)
            return env[ref]
        return REF.sub(one, text)

    def resolve(name, stack):
        if name in done:
            return done[name]
        if name in stack:
            raise ValueError("a circle: " + " → ".join(stack + [name]))
        value = defs[name]
        if value is None:
            done[name] = None
            return None
        if isinstance(value, list):
            seen, parts = set(), []
            for entry in value:
                for part in expand(name, entry, stack + [name]).split(SEP):
                    if part and part not in seen:
                        seen.add(part)
                        parts.append(part)
            result = SEP.join(parts)
        else:
            result = expand(name, value, stack + [name])
        done[name] = result
        return result

    for name in defs:
        resolve(name, [])
    for name, value in done.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value


def resolve_app(data, group, variant, name):
    env = dict(data["base"])
    apply_layer(env, data["studio"])
    apply_layer(env, data["project"])
    spec = data["groups"][group]
    apply_layer(env, spec.get("environment") or {})
    apply_layer(env, spec["variants"][variant].get("environment") or {})
    for tool in data["tools_enabled"]:
        tool_name, version = tool.split("/", 1)
        apply_layer(env, data["tools"][tool_name][version])
    env.update(QI_PROJECT="demo", QI_CONTEXT="/sq010/sh010", QI_TASK="anim", QI_TASK_TYPE="animation",
               QI_APP=name, QI_WORKDIR="/mnt/work/demo/sq010/sh010/work/anim")
    return env


def baseline(input_path, qi_path, runs):
    with open(input_path) as f:
        data = json.load(f)
    with open(qi_path) as f:
        qi = json.load(f)
    apps = [(g, v, g + "/" + v) for g, spec in data["groups"].items() for v in spec["variants"]]
    samples = []
    result = {}
    for run in range(-(runs // 10) - 1, runs):
        start = time.perf_counter()
        result = {name: resolve_app(data, g, v, name) for g, v, name in apps}
        if run >= 0:
            samples.append((time.perf_counter() - start) * 1000.0)
    samples.sort()
    median = statistics.median(samples)
    print("python: whole catalog  median %.3f ms  p10 %.3f  p90 %.3f   (%.1f µs per application)" % (
        median, samples[int(0.1 * (len(samples) - 1) + 0.5)], samples[int(0.9 * (len(samples) - 1) + 0.5)],
        median * 1000.0 / len(apps)))
    differ = []
    if sorted(result) != sorted(qi):
        differ.append("applications: python {} qi {}".format(sorted(result), sorted(qi)))
    for name in result:
        for var in sorted(set(result[name]) | set(qi.get(name, {}))):
            if result[name].get(var) != qi.get(name, {}).get(var):
                differ.append("{} {}: python {!r}, qi {!r}".format(name, var, result[name].get(var),
                                                                   qi.get(name, {}).get(var)))
    if differ:
        print("the environments differ:\n  " + "\n  ".join(differ[:20]), file=sys.stderr)
        sys.exit(1)
    print("python: the same {} environments as qi, variable by variable".format(len(result)))
    return median


def main(argv):
    if len(argv) >= 4 and argv[1] == "input":
        with open(argv[2]) as f:
            defaults = json.load(f)
        with open(argv[3], "w") as f:
            json.dump(studio_input(defaults), f, indent=1)
        return 0
    if len(argv) >= 4 and argv[1] == "baseline":
        baseline(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 200)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
