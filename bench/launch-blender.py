#!/usr/bin/python3
"""The time from a launch request to Blender answering on the hub, against
Blender doing nothing, measured in the same run.

    launch-blender.py QI_EXE RUNS

Starts `qi --headless serve` on a scratch demo tracker (the build's
addons: applications, anatomy, the Blender host), then RUNS times each,
interleaved:

  baseline  `blender --background --python-expr pass`: start to exit;
  qi        `launcher.launch {"app": "blender/3.4", …, "args":
            ["--background"]}` to the first answer of Blender's own
            `dcc.blender.PID.host.info` (the launch's plan: tracker,
            templates, environment, host; Blender's start; Qi's start-up
            code in it, its hub session), then `host.quit` to the
            `launcher.exited` event: the whole cycle, start to exit, as
            the baseline.

Prints the medians and what Qi adds: the whole cycle less the baseline.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.environ.get("QI_PYTHON_PATH", os.path.join(os.path.dirname(__file__), "..", "python")))
import qi.hub  # noqa: E402
from qi.hub import HubError  # noqa: E402

BLENDER = shutil.which("blender") or "/usr/bin/blender"
T = 30


def scratch_env(root):
    keep = ("QI_PYTHON_PATH", "QI_ADDON_DIR", "QI_LOADER_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QI_", "BLENDER_")) or k in keep}
    env["HOME"] = os.path.join(root, "home")
    os.mkdir(env["HOME"])
    for var in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[var] = os.path.join(root, var.lower())
        os.mkdir(env[var], 0o700)
    return env


def serve(qi_exe, env, root):
    subprocess.run([qi_exe, "--headless", "db", "seed-demo"], env=env, check=True, capture_output=True)
    info_path = os.path.join(root, "server.json")
    log = open(os.path.join(root, "serve.log"), "wb")
    proc = subprocess.Popen([qi_exe, "--headless", "serve", "--port", "0", "--info-file", info_path], env=env,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        try:
            with open(info_path) as f:
                info = json.load(f)
            if info.get("url") and info.get("token"):
                return proc, info
        except (OSError, ValueError):
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    sys.exit("qi serve did not start; see " + os.path.join(root, "serve.log"))


def baseline(env):
    start = time.perf_counter()
    subprocess.run([BLENDER, "--background", "--python-expr", "pass"], env=env, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000.0


class Launches:
    def __init__(self, hub):
        self.hub = hub
        self.lock = threading.Condition()
        self.exited = {}
        hub.subscribe("launcher.exited", self.on_exited)

    def on_exited(self, topic, payload, envelope):
        with self.lock:
            self.exited[payload["launch"]] = payload
            self.lock.notify_all()

    def once(self):
        start = time.perf_counter()
        launch = self.hub.request("launcher.launch", {"app": "blender/3.4", "project": "demo",
                                                       "context": "/sq010/sh010", "task": "anim",
                                                       "args": ["--background"]}, timeout=T)
        planned = time.perf_counter()
        prefix = "dcc.blender.{}.".format(launch["pid"])
        end = time.monotonic() + 60
        while True:
            try:
                self.hub.request(prefix + "host.info", {}, timeout=T)
                break
            except HubError as e:
                if e.code != "no_handler" or time.monotonic() > end:
                    raise
                time.sleep(0.001)
        answered = time.perf_counter()
        self.hub.request(prefix + "host.quit", {}, timeout=T)
        with self.lock:
            if not self.lock.wait_for(lambda: launch["launch"] in self.exited, timeout=60):
                sys.exit("Blender did not exit; its log: " + launch["log"])
            status = self.exited[launch["launch"]]["status"]
        ended = time.perf_counter()
        if status != 0:
            sys.exit("Blender exited {}; its log: {}".format(status, launch["log"]))
        return ((planned - start) * 1000.0, (answered - start) * 1000.0, (ended - start) * 1000.0)


def main(argv):
    qi_exe = argv[1]
    runs = int(argv[2]) if len(argv) > 2 else 10
    if not os.access(BLENDER, os.X_OK):
        sys.exit("blender is not installed (tools/deps.sh installs Debian's)")
    root = tempfile.mkdtemp(prefix="qi-bench-launch-")
    env = scratch_env(root)
    proc, info = serve(qi_exe, env, root)
    base, plan, answer, cycle = [], [], [], []
    try:
        with qi.hub.connect(info["url"], info["token"], name="bench/launch", timeout=T) as hub:
            launches = Launches(hub)
            # one of each first, not counted: the disk cache
            baseline(env)
            launches.once()
            for _ in range(runs):
                base.append(baseline(env))
                p, a, c = launches.once()
                plan.append(p)
                answer.append(a)
                cycle.append(c)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)
    m = statistics.median
    print("blender --background --python-expr pass, start to exit:   median %7.1f ms  (min %.1f, max %.1f)"
          % (m(base), min(base), max(base)))
    print("qi: launch request to its reply (plan and spawn):          median %7.1f ms" % m(plan))
    print("qi: launch request to Blender answering host.info:         median %7.1f ms" % m(answer))
    print("qi: launch request, answer, host.quit, to the exit event:  median %7.1f ms  (min %.1f, max %.1f)"
          % (m(cycle), min(cycle), max(cycle)))
    print("qi adds to Blender's own start and exit: %.1f ms (goal < 50 ms); ratio %.2f"
          % (m(cycle) - m(base), m(cycle) / m(base)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
