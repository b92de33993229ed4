"""Scene building on the hub, answered in threads (the plan asks the
tracker many times): ``build.template`` (the profile and template of a
task, for a DCC that builds), ``build.plan``, ``build.graph``,
``build.run`` (a recursive build, through the launcher)."""
import os
import threading

from gi.repository import Qi

from qi.addon import EndpointHub, call_in_main
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
        return graph.walk(payload["context"], payload["task"]), settings

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

    def register(self):
        endpoint = self.addon.get_endpoint()
        for topic, method in (("build.template", self.template), ("build.plan", self.plan),
                              ("build.graph", self.graph)):
            endpoint.add_handler(topic, self._threaded(topic, method))

    def _threaded(self, topic, method):
        def handler(request, payload):
            if not isinstance(payload, dict):
                request.fail(Qi.HubError.BAD_MESSAGE, "%s: the payload must be an object" % topic)
                return None

            def work():
                try:
                    answer = method(payload)
                except (BuildError, PlaceholderError, ProfileError) as error:
                    call_in_main(request.fail, Qi.HubError.HANDLER_FAILED, "%s: %s" % (topic, error))
                except Exception as error:
                    code = getattr(error, "code", None)
                    call_in_main(request.fail, Qi.HubError.HANDLER_FAILED, "%s: %s%s" % (
                        topic, "" if code else type(error).__name__ + ": ", getattr(error, "message", None) or error))
                else:
                    call_in_main(request.reply, answer)

            threading.Thread(target=work, name="qi-" + topic, daemon=True).start()
            return None

        return handler
