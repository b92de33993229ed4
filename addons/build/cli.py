"""``qi --headless build plan|graph|run``: a build's plan and a recursive
build's graph without a DCC, through the same service as ``build.*``;
``run`` asks the running Qi (its info file), whose launcher starts the
DCCs."""
import json
import os

from gi.repository import Qi

from qi.build import BuildError, PlaceholderError, ProfileError
from qi.build.plan import describe


class BuildCommands(object):
    def __init__(self, service):
        self.service = service

    def _payload(self, invocation):
        return {"project": invocation.get_string("project"), "context": invocation.get_string("context"),
                "task": invocation.get_string("task"), "template": invocation.get_string("template")}

    def _run(self, invocation, func):
        try:
            return func()
        except (BuildError, PlaceholderError, ProfileError) as error:
            invocation.write_error("qi build: %s\n" % error)
            return 1
        except Exception as error:
            if getattr(error, "code", None):  # the hub's
                invocation.write_error("qi build: %s\n" % getattr(error, "message", error))
                return 1
            raise

    def plan(self, invocation):
        def work():
            plan = self.service.plan(self._payload(invocation))
            if invocation.get_flag("json"):
                invocation.write(json.dumps(plan, indent=2, ensure_ascii=False) + "\n")
            else:
                invocation.write(describe(plan))
            return 0
        return self._run(invocation, work)

    def graph(self, invocation):
        def work():
            graph = self.service.graph(self._payload(invocation))
            if invocation.get_flag("dot"):
                invocation.write(graph["dot"])
            elif invocation.get_flag("json"):
                invocation.write(json.dumps({k: v for k, v in graph.items() if k != "dot"}, indent=2,
                                            ensure_ascii=False) + "\n")
            else:
                for number, round_ in enumerate(graph["order"] or [], 1):
                    invocation.write("%d. %s\n" % (number, ", ".join(round_)))
                for edge in graph["edges"]:
                    invocation.write("%s needs %s (%s)\n" % (edge["from"], edge["to"], edge["product_type"]))
                for problem in graph["problems"]:
                    invocation.write_error("qi build: %s\n" % problem)
            if graph["error"]:
                invocation.write_error("qi build: %s\n" % graph["error"])
                return 1
            return 0
        return self._run(invocation, work)


    def run(self, invocation):
        import qi.hub

        # the running Qi's info file where `qi serve` writes it (the same
        # fallbacks as GLib's runtime folder), or the one given
        info_file = invocation.get_string("info-file") or qi.hub.default_info_path()
        payload = {k: v for k, v in self._payload(invocation).items() if k != "template"}
        payload["project"] = payload["project"] or os.environ.get("QI_PROJECT")
        try:
            with qi.hub.connect_from_info(info_file, name="cli/build", timeout=30) as hub:
                report = hub.request("build.run", payload, timeout=86400)
        except qi.hub.HubError as error:
            if error.code in ("no_server", "bad_server_info", "connect_failed"):
                invocation.write_error("qi build: no Qi is running (%s): start qi, or qi --headless serve\n"
                                       % error.message)
            else:
                invocation.write_error("qi build: %s\n" % error.message)
            return 1
        except OSError as error:
            invocation.write_error("qi build: the Qi of %s does not answer: %s\n" % (info_file, error))
            return 1
        if invocation.get_flag("json"):
            invocation.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        else:
            for build in report["builds"]:
                invocation.write("%s: %s%s\n" % (build["node"], "failed: " + build["error"] if build["error"] else
                                                  "built %s" % ((build["build"] or {}).get("workfile") or ""),
                                                  "".join(", published %s v%03d" % (p["product"], p["number"])
                                                          for p in build["published"])))
        if not report["success"]:
            invocation.write_error("qi build: %s\n" % report.get("error"))
            return 1
        return 0


def add_verbs(addon, service):
    commands = BuildCommands(service)
    common = [("project", Qi.CliOptionKind.STRING, "NAME", "The project (default: QI_PROJECT)"),
              ("context", Qi.CliOptionKind.STRING, "PATH", "The context built, /sq010/sh010"),
              ("task", Qi.CliOptionKind.STRING, "NAME", "The task whose workfile is built")]
    for name, summary, func, extra in (
            ("build plan", "Print what building a task's workfile from its template would do", commands.plan,
             [("template", Qi.CliOptionKind.STRING, "FILE", "This template rather than the profile's"),
              ("json", Qi.CliOptionKind.FLAG, None, "Print JSON")]),
            ("build graph", "Print the builds a recursive build of a task runs, in order", commands.graph,
             [("json", Qi.CliOptionKind.FLAG, None, "Print JSON"),
              ("dot", Qi.CliOptionKind.FLAG, None, "Print Graphviz's dot")]),
            ("build run", "Build a task's workfile, building and publishing first the upstream scenes it lacks "
             "(through the running Qi)", commands.run,
             [("json", Qi.CliOptionKind.FLAG, None, "Print JSON"),
              ("info-file", Qi.CliOptionKind.STRING, "FILE", "The running Qi's info file")])):
        verb = Qi.CliVerb.new(name, summary, func)
        for option in common + extra:
            verb.add_option(*option)
        addon.add_verb(verb)
    return commands
