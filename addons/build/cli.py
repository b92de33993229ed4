"""``qi --headless build plan|graph``: a build's plan and a recursive
build's graph without a DCC, through the same service as ``build.*``."""
import json

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
              ("dot", Qi.CliOptionKind.FLAG, None, "Print Graphviz's dot")])):
        verb = Qi.CliVerb.new(name, summary, func)
        for option in common + extra:
            verb.add_option(*option)
        addon.add_verb(verb)
    return commands
