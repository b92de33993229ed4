"""The scene inventory over a real ``qi --headless serve``: a scene of N
containers (a host whose scene is a list, so that only Qi's part is
timed) over N/10 products of the demo tracker, each container holding the
first of its product's ten published versions, so every one is outdated.

- ``inventory.list``: ``qi.pipeline.Inventory.list()``, the records read,
  checked, the one ``db_service.version.inventory`` request, the states;
- the bare request: that ``db_service.version.inventory`` alone, from the
  same client;
- one by one: what a pipeline without the batched request does,
  ``db_service.version.get`` of each container's version and
  ``db_service.version.list`` (limit 1) of each product.

Each figure is the median of RUNS, runs alternating.
Usage: inventory.py QI_EXE SCRATCH [RUNS] [CONTAINERS]"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serving import serving  # noqa: E402
from qi import pipeline  # noqa: E402
from qi.pipeline import records  # noqa: E402


class SceneHost(pipeline.PipelineHost):
    name = "bench"

    def __init__(self, containers):
        self.records = containers

    def containers(self):
        return [(dict(r), []) for r in self.records]


def main():
    qi_exe, scratch = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    with serving(qi_exe, scratch, "bench/inventory", seed=True) as client:
        context = client.request("db_service.context.lookup", {"project": "demo", "path": "/assets/env_forest"})
        scene = []
        for p in range(max(1, n // 10)):
            product = client.request("db_service.product.create", {"context": context["id"],
                                                                   "name": "prop%04d" % p, "type": "model"})
            versions = []
            for _ in range(10):
                version = client.request("db_service.version.create", {"product": product["id"], "components": [
                    {"name": "blend", "files": [{"path": "prop%04d.blend" % p, "size": 1}]}]})
                versions.append(client.request("db_service.version.publish", {"id": version["id"]}))
            for c in range(10):
                if len(scene) < n:
                    scene.append(records.container(product["name"], "%s_%02d" % (product["name"], c), "LinkBlend",
                                                   {"id": "1", "name": "blend"}, versions[0], product, "demo"))
        inventory = pipeline.Inventory(SceneHost(scene), client, [], "demo")
        ids = sorted({c["version"] for c in scene})

        def listed():
            rows = inventory.list()
            assert len(rows) == n and all(row["state"] == "outdated" for row in rows)

        def bare():
            reply = client.request("db_service.version.inventory", {"versions": ids})
            assert len(reply["versions"]) == len(ids)

        def one_by_one():
            latest = {}
            for container in scene:
                client.request("db_service.version.get", {"id": container["version"]})
                if container["product"] not in latest:
                    latest[container["product"]] = client.request(
                        "db_service.version.list", {"product": container["product"], "limit": 1})
        figures = {"list": [], "bare": [], "each": []}
        for k in range(runs):
            for name, func in (("list", listed), ("bare", bare)) + ((("each", one_by_one),) if k < 5 else ()):
                start = time.perf_counter()
                func()
                figures[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) * 1000 for k, v in figures.items()}
    print("a scene of %d containers over %d products, median of %d runs (5 for one by one)" % (n, len(ids), runs))
    print("  inventory.list                         %8.1f ms" % med["list"])
    print("  db_service.version.inventory, bare     %8.1f ms" % med["bare"])
    print("  one request per container and product  %8.1f ms" % med["each"])
    print("ratio inventory.list / bare request:     %.2f  (goal <= 2)" % (med["list"] / med["bare"]))
    print("ratio one by one / inventory.list:       %.1f" % (med["each"] / med["list"]))


if __name__ == "__main__":
    main()
