"""The integrator's throughput: 1,000 frames of 1 MiB published through a
real ``qi --headless serve`` (``publish.integrate``, the whole request:
the tracker's two transactions, the destinations from the anatomy, the
transfer with SHA-256, the report), against what a TD would run instead,
in the same run, on the same file system:

- copy mode against ``cp -r`` of the same frames, and against ``cp -r``
  followed by ``sync`` (Qi flushes every file before it renames it into
  place, so its bytes are on the disk when it answers; cp's are not until
  the sync), and ``cp -r`` + ``sha256sum`` of the copies (checksums the
  way a shell does it);
- hardlink mode against ``cp -al``.

Runs alternate (Qi, then the baselines; the next round in the reverse
order), the outputs of each run are removed and synced away before the
next, and each figure is the median, with the best run beside it
(``QI_BENCH_RAW=1`` prints every run). Usage: publish.py QI_EXE SCRATCH [RUNS] [FRAMES]"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import qi.hub  # noqa: E402

MiB = 1 << 20


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, **kw)


def timed(argv):
    start = time.perf_counter()
    run(argv)
    return time.perf_counter() - start


def settle(*paths):
    for p in paths:
        shutil.rmtree(p, ignore_errors=True)
    os.sync()


def main():
    qi_exe, scratch = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    env = dict(os.environ)
    src = os.path.join(scratch, "frames")
    os.makedirs(src, exist_ok=True)
    paths = []
    with open("/dev/urandom", "rb") as rnd:
        block = rnd.read(MiB)
    for f in range(1001, 1001 + n):
        path = os.path.join(src, "sh010.%04d.exr" % f)
        with open(path, "wb") as out:
            # a different first 8 bytes each: no two frames alike
            out.write(f.to_bytes(8, "little") + block[8:])
        paths.append(path)
    os.sync()
    total = n * MiB

    run([qi_exe, "--headless", "db", "seed-demo"], env=env)
    info_file = os.path.join(scratch, "server.json")
    server = subprocess.Popen([qi_exe, "--headless", "serve", "--port", "0", "--info-file", info_file], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(info_file):
                try:
                    info = json.load(open(info_file))
                    break
                except ValueError:
                    pass
            time.sleep(0.05)
        client = qi.hub.connect(info["url"], info["token"], name="bench/publish", timeout=30)
        root = os.path.join(env["XDG_DATA_HOME"], "qi", "projects")

        def integrate(mode, k):
            payload = {"project": "demo", "context": "/sq010/sh010", "task": "comp", "product_type": "render",
                       "product_name": "bench%s%d" % (mode.capitalize(), k), "mode": mode,
                       "representations": [{"name": "exr", "ext": "exr", "frame_start": 1001,
                                             "frame_end": 1000 + n,
                                             "files": [{"path": p, "frame": 1001 + i} for i, p in enumerate(paths)]}]}
            start = time.perf_counter()
            report = client.request("publish.integrate", payload, timeout=600)
            took = time.perf_counter() - start
            assert report["bytes"] == total and len(report["files"]) == n
            if mode == "copy":
                assert all(f["sha256"] for f in report["files"])
            return took, report

        figures = {k: [] for k in ("qi_copy", "qi_transfer", "cp", "cp_sync", "cp_sha", "qi_hardlink",
                                   "qi_link_transfer", "cp_al")}
        # cp writes where the publish does, beside its products: the same
        # folder of the same file system
        demo = os.path.join(root, "demo")
        products = os.path.join(demo, "sq010", "sh010", "publish", "render")
        cp_dir = os.path.join(products, "cp")

        def cp_parent():
            os.makedirs(products, exist_ok=True)

        steps = {"copy": [], "hardlink": []}

        def qi_publish(mode, whole, transfer):
            def measure(k):
                took, report = integrate(mode, k)
                figures[whole].append(took)
                figures[transfer].append(report["transfer_ms"] / 1000)
                steps[mode].append(report["durations_us"])
                settle(demo)
            return measure

        qi_copy = qi_publish("copy", "qi_copy", "qi_transfer")
        qi_hardlink = qi_publish("hardlink", "qi_hardlink", "qi_link_transfer")

        def cp(k):
            cp_parent()
            figures["cp"].append(timed(["cp", "-r", src, cp_dir]))
            settle(demo)

        def cp_sync(k):
            cp_parent()
            start = time.perf_counter()
            run(["cp", "-r", src, cp_dir])
            os.sync()
            figures["cp_sync"].append(time.perf_counter() - start)
            settle(demo)

        def cp_sha(k):
            cp_parent()
            start = time.perf_counter()
            run(["cp", "-r", src, cp_dir])
            run(["sh", "-c", "cd '%s' && sha256sum * > /dev/null" % cp_dir])
            figures["cp_sha"].append(time.perf_counter() - start)
            settle(demo)

        def cp_al(k):
            cp_parent()
            figures["cp_al"].append(timed(["cp", "-al", src, cp_dir]))
            settle(demo)

        # The disk of a shared machine is faster or slower from one minute
        # to the next, and what ran just before matters: every other round
        # runs in the reverse order, so that neither Qi nor its baselines
        # always come first.
        order = [qi_copy, cp_sync, cp, cp_sha, qi_hardlink, cp_al]
        for k in range(runs):
            for measure in (order if k % 2 == 0 else order[::-1]):
                measure(k)
        client.close()
    finally:
        server.terminate()
        server.wait(10)

    med = {k: statistics.median(v) for k, v in figures.items()}
    best = {k: min(v) for k, v in figures.items()}

    def rate(seconds):
        return total / MiB / seconds

    # The median says what to expect; the best what the machine can do
    # when its shared disk is not slowed by others (each run of each
    # command has the same chances of that).
    print("%d frames of 1 MiB (%d MiB), %d runs each: median (best)" % (n, total // MiB, runs))
    for key, label in (("qi_copy", "qi publish.integrate, copy + SHA-256"), ("qi_transfer", "  its transfer alone"),
                       ("cp", "cp -r"), ("cp_sync", "cp -r && sync"), ("cp_sha", "cp -r && sha256sum")):
        print("  %-38s %7.3f s (%6.3f s)  %6.0f MiB/s (%6.0f)"
              % (label, med[key], best[key], rate(med[key]), rate(best[key])))
    for key, label in (("qi_hardlink", "qi publish.integrate, hardlink"), ("qi_link_transfer", "  its transfer alone"),
                       ("cp_al", "cp -al")):
        print("  %-38s %7.3f s (%6.3f s)" % (label, med[key], best[key]))

    # where a hard-link publish spends its time, as the hub's report says
    # (the rest of the whole: the request and its answer between this
    # client and the hub, and the report written)
    names = list(steps["hardlink"][0])
    print("  hardlink publish, each step's median: " +
          ", ".join("%s %.1f ms" % (name, statistics.median(s[name] for s in steps["hardlink"]) / 1000)
                    for name in names))

    if os.environ.get("QI_BENCH_RAW"):
        for key, values in figures.items():
            print("  raw %-18s %s" % (key, " ".join("%.3f" % v for v in values)))

    def ratio(label, numerator, denominator, note=""):
        print("%-52s %5.2f (%5.2f)%s" % (label, med[numerator] / med[denominator],
                                           best[numerator] / best[denominator], note))

    ratio("ratio of throughput, qi copy / cp -r:", "cp", "qi_copy")
    ratio("ratio of throughput, qi copy / cp -r && sync:", "cp_sync", "qi_copy",
          "  (goal >= 0.9: both end with the bytes on disk)")
    ratio("ratio of throughput, qi copy / cp -r && sha256sum:", "cp_sha", "qi_copy")
    ratio("ratio of time, qi hardlink / cp -al:", "qi_hardlink", "cp_al", "  (goal <= 2)")
    ratio("ratio of time, qi hardlink's transfer / cp -al:", "qi_link_transfer", "cp_al",
          "  (the links alone, without the tracker's transactions and the report)")

if __name__ == "__main__":
    main()
