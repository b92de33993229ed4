"""A real ``qi --headless serve`` for a bench, on the demo tracker of the
bench's scratch folder (its environment: bench/inventory, bench/build)."""
import contextlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import qi.hub  # noqa: E402


@contextlib.contextmanager
def serving(qi_exe, scratch, name, seed=True):
    """Seeds the demo (unless the bench did), serves it; yields a
    connected hub client."""
    if seed:
        subprocess.run([qi_exe, "--headless", "db", "seed-demo"], check=True, capture_output=True)
    info_file = os.path.join(scratch, "server.json")
    server = subprocess.Popen([qi_exe, "--headless", "serve", "--port", "0", "--info-file", info_file],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                with open(info_file) as f:
                    info = json.load(f)
                break
            except (OSError, ValueError):
                time.sleep(0.05)
        else:
            raise RuntimeError("qi --headless serve wrote no %s" % info_file)
        client = qi.hub.connect(info["url"], info["token"], name=name, timeout=60)
        try:
            yield client
        finally:
            client.close()
    finally:
        server.terminate()
        server.wait()
