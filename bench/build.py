"""A build's plan over a real ``qi --headless serve`` on the demo tracker,
with /sq010/sh010 casting N generated assets, each with a published
``modelMain`` (a ``blend`` component), and a layout template whose one
load placeholder takes the shot's cast models:

- ``build.plan``: the plan as ``qi --headless build plan`` and a DCC's
  build get it — the context tree, the shot's links, each cast asset's
  latest versions and each chosen version's components, each round asked
  in parallel from the build addon's thread;
- the bare request: ``db_service.context.links`` of the shot alone, the
  least a plan of the casting can ask, from the same client;
- one at a time: the same plan made by a Planner in this process asking
  one request after another (what a build without the parallel rounds
  costs).

Each figure is the median of RUNS, alternating.
Usage: build.py QI_EXE SCRATCH [RUNS] [ASSETS]"""
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serving import serving  # noqa: E402
from qi.build import Planner, placeholder  # noqa: E402
from qi.build.placeholders import write_sidecar  # noqa: E402


def main():
    qi_exe, scratch = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 9
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    subprocess.run([qi_exe, "--headless", "db", "seed-demo"], check=True, capture_output=True)
    template = os.path.join(scratch, "layout.blend")
    open(template, "wb").close()
    records = [placeholder("load", {"builder": "linked", "product_type": "model", "context_kind": "asset_build",
                                    "representation": "blend"}, 10, "cast models")]
    write_sidecar(template, records)
    profiles = [{"name": "layout", "task_types": ["layout"], "template": template, "produces": ["layout"]}]
    subprocess.run([qi_exe, "--headless", "settings", "set", "build", "profiles", json.dumps(profiles),
                    "--layer", "project", "--project", "demo"], check=True, capture_output=True)
    with serving(qi_exe, scratch, "bench/build", seed=False) as client:
        shot = client.request("db_service.context.lookup", {"project": "demo", "path": "/sq010/sh010"})
        assets = client.request("db_service.context.lookup", {"project": "demo", "path": "/assets"})
        for a in range(n):
            context = client.request("db_service.context.create", {"project": "demo", "parent": assets["id"],
                                                                   "kind": "asset_build", "name": "cast%04d" % a})
            product = client.request("db_service.product.create", {"context": context["id"], "name": "modelMain",
                                                                   "type": "model"})
            version = client.request("db_service.version.create", {"product": product["id"], "components": [
                {"name": "blend", "files": [{"path": "cast%04d.blend" % a, "size": 1}]}]})
            client.request("db_service.version.publish", {"id": version["id"]})
            client.request("db_service.context.link", {"context": shot["id"], "uses": context["id"]})
        payload = {"project": "demo", "context": "/sq010/sh010", "task": "layout"}

        def plan():
            answer = client.request("build.plan", payload, timeout=120)
            loads = answer["placeholders"][0]["loads"]
            assert len(loads) >= n, (len(loads), answer["missing"][:3])

        def bare():
            assert len(client.request("db_service.context.links", {"context": shot["id"]})["uses"]) >= n

        def serial():
            planner = Planner(client, "demo", workers=1)
            answer = planner.plan("/sq010/sh010", "layout", records)
            assert len(answer["placeholders"][0]["loads"]) >= n

        figures = {"plan": [], "bare": [], "serial": []}
        for k in range(runs):
            for name, func in (("plan", plan), ("bare", bare)) + ((("serial", serial),) if k < 5 else ()):
                start = time.perf_counter()
                func()
                figures[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) * 1000 for k, v in figures.items()}
    requests = 2 + 2 * n
    print("the plan of /sq010/sh010 casting %d assets (one load placeholder), median of %d runs (5 one at a time)"
          % (n, runs))
    print("  build.plan (%d tracker requests, by rounds) %8.1f ms, %.3f ms a cast asset" % (
        requests, med["plan"], med["plan"] / n))
    print("  db_service.context.links, bare              %8.1f ms" % med["bare"])
    print("  the same plan one request at a time          %8.1f ms" % med["serial"])
    print("ratio build.plan / bare request:  %.1f" % (med["plan"] / med["bare"]))
    print("ratio one at a time / build.plan: %.2f" % (med["serial"] / med["plan"]))


if __name__ == "__main__":
    main()
