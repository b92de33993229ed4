"""Scene building on the hub, answered in threads (the plan asks the
tracker many times): ``build.template`` (the profile and template of a
task, for a DCC that builds), ``build.plan``, ``build.graph``,
``build.run`` (a recursive build, through the launcher)."""
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor


from qi.addon import EndpointHub, threaded_handler
from qi.build import BuildError, BuildGraph, Planner, PlaceholderError, ProfileError, check_profiles, choose
from qi.build.placeholders import read_sidecar
from qi.farm import metadata


class BuildService(object):
    def __init__(self, addon):
        self.addon = addon
        self.hub = EndpointHub(addon.get_endpoint())

    def settings(self, project):
        reply = self.hub.request("config.get", {"addon": "build", "project": project}, timeout=10)
        values = reply.get("values") or {}
        return {"profiles": check_profiles(values.get("profiles") or []),
                "context_values": values.get("context_values") or {},
                "max_depth": values.get("max_depth", 4), "parallel": values.get("parallel", 2)}

    def roots(self, project):
        return self.hub.request("templates.list", {"project": project}, timeout=10).get("roots") or {}

    def template_path(self, profile, roots):
        try:
            return metadata.resolve(profile["template"], roots, "the template of the profile “%s”" % profile["name"])
        except metadata.MetadataError as error:
            raise BuildError(str(error))

    def _project(self, payload):
        project = payload.get("project") or os.environ.get("QI_PROJECT")
        if not project:
            raise BuildError("name the project (--project, or QI_PROJECT)")
        for key in ("context", "task"):
            if not isinstance(payload.get(key), str) or not payload[key]:
                raise BuildError("name the %s (--%s)" % (key, key))
        return project

    def planner(self, project, settings):
        return Planner(self.hub, project, context_values=settings["context_values"])

    def template(self, payload):
        """``{project, context, task}`` → ``{"profile", "template"}`` (the
        template's path on this platform), or ``{"profile": null}``."""
        project = self._project(payload)
        settings = self.settings(project)
        planner = self.planner(project, settings)
        context = planner.context(payload["context"])
        task = planner.task(context, payload["task"])
        profile = choose(settings["profiles"], context["path"], context.get("kind"), task["name"], task.get("type"))
        if profile is None:
            return {"profile": None, "template": None}
        return {"profile": profile, "template": self.template_path(profile, self.roots(project))}

    def _graph(self, payload):
        project = self._project(payload)
        settings = self.settings(project)
        planner = self.planner(project, settings)
        roots = self.roots(project)
        graph = BuildGraph(planner, settings["profiles"],
                           lambda profile: read_sidecar(self.template_path(profile, roots)), settings["max_depth"])
        graph.walk(payload["context"], payload["task"])
        for node in graph.nodes.values():
            node["project"] = project
        return graph, settings

    def plan(self, payload):
        """``{project, context, task, template?}`` → the plan (qi.build.plan)."""
        project = self._project(payload)
        settings = self.settings(project)
        planner = self.planner(project, settings)
        if payload.get("template"):
            template, profile = payload["template"], None
        else:
            found = self.template(payload)
            if found["profile"] is None:
                raise BuildError("no build profile takes %s %s (build.profiles)" % (payload["context"],
                                                                                 payload["task"]))
            template, profile = found["template"], found["profile"]
        placeholders = payload.get("placeholders")
        if placeholders is None:
            placeholders = read_sidecar(template)
        else:
            from qi.build.placeholders import check
            placeholders = [check(p, "placeholders[%d]" % i) for i, p in enumerate(placeholders)]
        return planner.plan(payload["context"], payload["task"], placeholders, template, profile)

    def graph(self, payload):
        graph, _ = self._graph(payload)
        answer = graph.to_dict()
        answer["dot"] = graph.to_dot()
        return answer

    # the recursive build

    def run(self, payload):
        """``{project, context, task}``: the builds of the graph in order,
        each in a DCC of its own started through the launcher (in the
        background), independent ones side by side (``parallel``); an
        upstream build whose profile says ``publish`` is published, the
        last one (the task asked for) is saved as its workfile. Returns
        ``{"order", "builds": [{"node", "pid", "build", "published",
        "error"}], "success"}``; a cycle or an earlier build that failed
        stops it, naming why."""
        graph, settings = self._graph(payload)
        rounds = graph.order()
        target = "%s %s" % (payload["context"], payload["task"])
        report = {"project": graph.nodes[target]["project"], "context": payload["context"], "task": payload["task"],
                  "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "order": rounds, "builds": [], "skipped": [],
                  "success": True, "problems": graph.problems}
        for number, round_ in enumerate(rounds):
            with ThreadPoolExecutor(max_workers=max(1, settings["parallel"])) as pool:
                outcomes = list(pool.map(lambda key: self._run_node(graph.nodes[key], key == target), round_))
            report["builds"] += outcomes
            failed = [o for o in outcomes if o.get("error")]
            if failed:
                report["success"] = False
                report["error"] = "the build of %s failed: %s" % (failed[0]["node"], failed[0]["error"])
                report["skipped"] = [key for later in rounds[number + 1:] for key in later]
                break
        report["report"] = self.keep(report)
        return report

    def keep(self, report):
        """Writes the report to ``DATA_DIR/builds/`` (whole, then renamed);
        returns its path."""
        folder = os.path.join(self.addon.get_data_dir(), "builds")
        os.makedirs(folder, exist_ok=True)
        name = "%s-%s-%s.json" % (time.strftime("%Y%m%d-%H%M%S"), re.sub(r"[^A-Za-z0-9]+", "_",
                                                                        report["context"]).strip("_"), report["task"])
        path = os.path.join(folder, name)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(dict(report, report=path), f, indent=2, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        return path

    def _run_node(self, node, is_target):
        outcome = {"node": node["id"], "pid": None, "build": None, "published": [], "error": None}
        if node["profile"] is None:
            outcome["error"] = "no build profile takes it"
            return outcome
        profile = next(p for p in self.settings(self._project_of(node))["profiles"] if p["name"] == node["profile"])
        host = profile.get("host") or "blender"
        prefix = None
        try:
            launch = self.hub.request("launcher.launch", {
                "app": host, "project": self._project_of(node), "context": node["context"], "task": node["task"],
                "args": ["--background"], "new_workfile": True}, timeout=180)
            outcome["pid"] = launch["pid"]
            prefix = "dcc.%s.%d." % (host, launch["pid"])
            end = time.monotonic() + 120
            while True:
                try:
                    self.hub.request(prefix + "pipeline.creators", {}, timeout=10)
                    break
                except Exception as error:
                    if getattr(error, "code", None) != "no_handler" or time.monotonic() > end:
                        raise
                    time.sleep(0.2)
            # the build the session made at start, when the profile makes one
            outcome["build"] = self.hub.request(prefix + "pipeline.build", {"once": True}, timeout=3600)
            failed = outcome["build"].get("failed") or []
            if not is_target and node["publish"] and failed:
                # a scene built without some of its steps is not what the
                # downstream builds are to load: nothing of it is published
                raise BuildError("%d of its placeholders failed (%s: %s), so it is not published" % (
                    len(failed), failed[0]["placeholder"], failed[0]["error"]))
            if not is_target and node["publish"]:
                published = self.hub.request(prefix + "pipeline.publish", {
                    "comment": "built by Qi for a downstream build"}, timeout=86400)
                if not published.get("success"):
                    errors = published.get("errors") or [{"error": "nothing was published"}]
                    raise BuildError("its publish failed: %s" % errors[0]["error"])
                outcome["published"] = [{"product": r["product"]["name"], "number": r["number"],
                                         "version": r["version"]["id"]} for r in published["products"]]
        except Exception as error:
            outcome["error"] = getattr(error, "message", None) or str(error)
        finally:
            if prefix is not None:
                try:
                    self.hub.request(prefix + "host.quit", {}, timeout=30)
                except Exception:
                    pass
        return outcome

    @staticmethod
    def _project_of(node):
        return node["project"]

    def register(self):
        endpoint = self.addon.get_endpoint()
        for topic, method in (("build.template", self.template), ("build.plan", self.plan),
                              ("build.graph", self.graph), ("build.run", self.run)):
            endpoint.add_handler(topic, threaded_handler(topic, method,
                                                         failed=(BuildError, PlaceholderError, ProfileError)))
