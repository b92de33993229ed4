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

Runs alternate (Qi, then the baselines, then Qi again…), the outputs of
each run are removed and synced away before the next, and each figure is
the median. Usage: publish.py QI_EXE SCRATCH [RUNS] [FRAMES]"""
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
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
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

        figures = {k: [] for k in ("qi_copy", "qi_transfer", "cp", "cp_sync", "cp_sha", "qi_hardlink", "cp_al")}
        for k in range(runs):
            took, report = integrate("copy", k)
            figures["qi_copy"].append(took)
            figures["qi_transfer"].append(report["transfer_ms"] / 1000)
            settle(os.path.join(root, "demo"))

            figures["cp"].append(timed(["cp", "-r", src, os.path.join(scratch, "cp")]))
            settle(os.path.join(scratch, "cp"))

            start = time.perf_counter()
            run(["cp", "-r", src, os.path.join(scratch, "cp")])
            os.sync()
            figures["cp_sync"].append(time.perf_counter() - start)
            settle(os.path.join(scratch, "cp"))

            start = time.perf_counter()
            run(["cp", "-r", src, os.path.join(scratch, "cp")])
            run(["sh", "-c", "cd '%s' && sha256sum * > /dev/null" % os.path.join(scratch, "cp")])
            figures["cp_sha"].append(time.perf_counter() - start)
            settle(os.path.join(scratch, "cp"))

            took, _ = integrate("hardlink", k)
            figures["qi_hardlink"].append(took)
            settle(os.path.join(root, "demo"))
            figures["cp_al"].append(timed(["cp", "-al", src, os.path.join(scratch, "cpal")]))
            settle(os.path.join(scratch, "cpal"))
        client.close()
    finally:
        server.terminate()
        server.wait(10)

    med = {k: statistics.median(v) for k, v in figures.items()}

    def rate(seconds):
        return total / MiB / seconds

    print("%d frames of 1 MiB (%d MiB), median of %d runs each" % (n, total // MiB, runs))
    print("  qi publish.integrate, copy + SHA-256   %7.3f s  %7.0f MiB/s  (transfer alone %.3f s)"
          % (med["qi_copy"], rate(med["qi_copy"]), med["qi_transfer"]))
    print("  cp -r                                  %7.3f s  %7.0f MiB/s" % (med["cp"], rate(med["cp"])))
    print("  cp -r && sync                          %7.3f s  %7.0f MiB/s" % (med["cp_sync"], rate(med["cp_sync"])))
    print("  cp -r && sha256sum                     %7.3f s  %7.0f MiB/s" % (med["cp_sha"], rate(med["cp_sha"])))
    print("  qi publish.integrate, hardlink         %7.3f s" % med["qi_hardlink"])
    print("  cp -al                                 %7.3f s" % med["cp_al"])
    print("ratio of throughput, qi copy / cp -r:            %.2f" % (med["cp"] / med["qi_copy"]))
    print("ratio of throughput, qi copy / cp -r && sync:    %.2f  (goal >= 0.9: both end with the bytes on disk)"
          % (med["cp_sync"] / med["qi_copy"]))
    print("ratio of throughput, qi copy / cp -r && sha256sum: %.2f" % (med["cp_sha"] / med["qi_copy"]))
    print("ratio of time, qi hardlink / cp -al:             %.2f  (goal <= 2)" % (med["qi_hardlink"] / med["cp_al"]))


if __name__ == "__main__":
    main()
