"""The local runner's overhead, against the physical limit of the same
work in the same run.

- submit: ``qi --headless farm submit --frames 1-N --chunk-size C --
  /bin/true`` (the process, the job checked, cut into tasks and written
  to the queue in one transaction), against ``qi --headless farm
  adapters`` (the same process, Python bridge and addon, no job) and
  ``qi --headless version`` (qi alone) — what a submission adds;
- run: a worker (``qi --headless farm worker --idle-exit 0``) running the
  job's tasks, as many at once as the cores, from the first claim to the
  last end recorded, against the same argv run directly by a bare pool of
  as many threads with ``subprocess`` (spawn and wait only); the
  difference over the tasks is the scheduling overhead per task.

Each figure is the median of RUNS, the two kinds alternating.
Usage: farm.py QI_EXE SCRATCH [RUNS] [FRAMES] [CHUNK]"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from qi.farm.local import LocalQueue  # noqa: E402


def direct(argvs, slots):
    """The tasks run by a bare pool of ``slots`` threads."""
    pending = list(argvs)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not pending:
                    return
                argv = pending.pop()
            subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    threads = [threading.Thread(target=work) for _ in range(slots)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def main():
    qi_exe, scratch = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    frames = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    slots = os.cpu_count() or 1
    queue_dir = os.path.join(scratch, "data", "qi", "farm")
    env = dict(os.environ)
    submit_s, version_s, adapters_s, worker_s, direct_s = [], [], [], [], []
    tasks = None
    for run in range(runs):
        shutil.rmtree(queue_dir, ignore_errors=True)
        os.makedirs(queue_dir)
        # a worker must not start by itself: the bench runs it, timed
        lock = open(os.path.join(queue_dir, "local.lock"), "a+")
        import fcntl
        fcntl.flock(lock, fcntl.LOCK_EX)
        start = time.perf_counter()
        subprocess.run([qi_exe, "--headless", "version"], check=True, capture_output=True, env=env)
        version_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([qi_exe, "--headless", "farm", "adapters"], check=True, capture_output=True, env=env)
        adapters_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        done = subprocess.run([qi_exe, "--headless", "farm", "submit", "--json", "--name", "bench",
                               "--frames", "1-%d" % frames, "--chunk-size", str(chunk), "--", "/bin/true",
                               "{start}", "{end}"], capture_output=True, text=True, env=env)
        submit_s.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit("qi farm submit failed: %s" % done.stderr)
        job = json.loads(done.stdout)["job"]
        tasks = len(job["tasks"])
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()

        start = time.perf_counter()
        subprocess.run([qi_exe, "--headless", "farm", "worker", "--queue", queue_dir, "--idle-exit", "0",
                        "--slots", str(slots)], check=True, capture_output=True, env=env)
        whole = time.perf_counter() - start
        queue = LocalQueue(queue_dir)
        record = queue.record(job["id"])
        assert record["state"] == "done" and all(t["attempts"] == 1 for t in record["tasks"]), record
        first = min(t["started"] for t in record["tasks"])
        last = max(t["finished"] for t in record["tasks"])
        worker_s.append(last - first)
        if run == 0:
            print("worker process, start to exit: %.3f s (qi start-up and idle check included)" % whole)
        direct_s.append(direct([["/bin/true", str(t["frames"][0]), str(t["frames"][1])] for t in record["tasks"]],
                               slots))
    med = statistics.median
    print("local runner, %d frames in chunks of %d: %d tasks, %d at once, median of %d" % (
        frames, chunk, tasks, slots, runs))
    print("  submit (qi farm submit)  %8.1f ms   qi farm adapters %6.1f ms   qi version %5.1f ms" % (
        med(submit_s) * 1000, med(adapters_s) * 1000, med(version_s) * 1000))
    print("  the job itself (checked, %d tasks written in one transaction): +%.1f ms, %.3f ms a task" % (
        tasks, (med(submit_s) - med(adapters_s)) * 1000, (med(submit_s) - med(adapters_s)) * 1000 / tasks))
    print("  run the tasks: worker    %8.1f ms   bare pool        %6.1f ms   ratio %.2fx" % (
        med(worker_s) * 1000, med(direct_s) * 1000, med(worker_s) / med(direct_s)))
    print("  scheduling overhead per task: %.2f ms (worker %.2f ms a task, bare pool %.2f ms)" % (
        (med(worker_s) - med(direct_s)) * 1000 / tasks, med(worker_s) * 1000 / tasks, med(direct_s) * 1000 / tasks))


if __name__ == "__main__":
    main()
