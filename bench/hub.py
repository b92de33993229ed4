"""Runs the hub benchmark and prints the table; see bench/hub."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from qi import hub as qihub  # noqa: E402

PAYLOAD = {"data": "0123456789abcdef" * 7 + "01234567"}


def parse(output):
    """Lines "LABEL rate p50 p99" → {label: (rate, p50, p99)}."""
    rows = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] in ("sequential", "pipelined"):
            rows[parts[0]] = (float(parts[1]), float(parts[2]), float(parts[3]))
    return rows


def run(cmd):
    return parse(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def start_serve(build, tmp):
    info = os.path.join(tmp, "server.json")
    # The tracker is an addon: this build's, on a scratch data folder, as
    # the tests run it (tests/meson.build), so no user's tracker is opened.
    env = dict(os.environ, QI_CONFIG_DIR=tmp, QI_DATA_DIR=tmp, XDG_RUNTIME_DIR=tmp,
               QI_ADDON_DIR=os.path.join(build, "addons"))
    qi = os.path.join(build, "qi-shell", "qi")
    proc = subprocess.Popen([qi, "--headless", "serve", "--port", "0", "--info-file", info],
                            env=env, stdout=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(info):
            break
        time.sleep(0.05)
    with open(info, encoding="utf-8") as f:
        return proc, json.load(f)


def python_client(url, token, n):
    client = qihub.Client().connect(url, token, name="bench/python")
    try:
        for _ in range(min(n, 2000)):
            client.request("hub.ping", PAYLOAD)
        rows = {}
        lat = []
        begin = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            client.request("hub.ping", PAYLOAD)
            lat.append(time.perf_counter() - t)
        rows["sequential"] = summarise(n, time.perf_counter() - begin, lat)

        lat = []
        lock = threading.Lock()
        done = threading.Event()
        state = {"sent": 0, "done": 0}

        def send_one():
            t = time.perf_counter()
            fut = client.request_async("hub.ping", PAYLOAD)
            fut.add_done_callback(lambda f, t=t: finished(f, t))

        def finished(fut, t):
            fut.result()
            with lock:
                lat.append(time.perf_counter() - t)
                state["done"] += 1
                more = state["sent"] < n
                if more:
                    state["sent"] += 1
                if state["done"] == n:
                    done.set()
            if more:
                send_one()

        begin = time.perf_counter()
        with lock:
            state["sent"] = min(64, n)
        for _ in range(min(64, n)):
            send_one()
        done.wait(300)
        rows["pipelined"] = summarise(n, time.perf_counter() - begin, lat)
        return rows
    finally:
        client.close()


def summarise(n, seconds, latencies):
    latencies = sorted(latencies)
    return (n / seconds, latencies[len(latencies) // 2] * 1e6, latencies[int(len(latencies) * 0.99)] * 1e6)


ASYNCIO_ECHO = r"""
import asyncio, sys, websockets
async def echo(ws, path=None):
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, compression=None, max_size=2**24) as s:
        print("ws://127.0.0.1:%d/" % s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
"""


def start_echo(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    return proc, url


def main():
    build, n = sys.argv[1], int(sys.argv[2])
    bench = os.path.join(build, "bench", "qi-bench-hub")
    results = {}

    results["in process (QiHub)"] = run([bench, "inproc", str(n)])

    echo, url = start_echo([bench, "echo-server"])
    try:
        results["raw libsoup echo (limit)"] = run([bench, "echo-client", url, str(n)])
    finally:
        echo.terminate(); echo.wait()

    echo, url = start_echo(["/usr/bin/python3", "-c", ASYNCIO_ECHO])
    try:
        results["Python asyncio websockets echo (anchor)"] = run([bench, "echo-client", url, str(n)])
    finally:
        echo.terminate(); echo.wait()

    with tempfile.TemporaryDirectory() as tmp:
        serve, info = start_serve(build, tmp)
        try:
            results["C client ↔ qi serve"] = run([bench, "client", info["url"], info["token"], str(n)])
            results["Python client ↔ qi serve"] = python_client(info["url"], info["token"], max(n // 4, 1000))
        finally:
            serve.send_signal(signal.SIGTERM); serve.wait()

    limit = results["raw libsoup echo (limit)"]
    anchor = results["Python asyncio websockets echo (anchor)"]
    print(f"hub round trips, ~200-byte payloads ({n} each; Python client {max(n // 4, 1000)}), {os.cpu_count()} cores")
    print(f"{'':42} {'sequential':>34}   {'pipelined (64 in flight)':>34}")
    head = f"{'msg/s':>8} {'p50 µs':>7} {'p99 µs':>7} {'×raw':>5} {'×py':>5}"
    print(f"{'':42} {head}   {head}")
    for name, rows in results.items():
        cells = []
        for kind in ("sequential", "pipelined"):
            rate, p50, p99 = rows[kind]
            cells.append(f"{rate:8.0f} {p50:7.0f} {p99:7.0f} {rate / limit[kind][0]:5.2f} {rate / anchor[kind][0]:5.2f}")
        print(f"{name:42} {cells[0]}   {cells[1]}")


if __name__ == "__main__":
    main()
