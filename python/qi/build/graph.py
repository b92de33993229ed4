"""The build graph of a recursive build: nodes are (context, task)
builds, each from its profile's template; an edge goes from a build to
the build that makes an input it lacks — a load placeholder's product
type with no published version in a context, made by the task of that
context whose profile ``produces`` it. Cycles are found and named (“a
cycle in the builds: /sq010/sh010 layout → /sq010/sh020 layout →
/sq010/sh010 layout”), the walk stops at a depth limit, and the order
says which builds run first and which may run side by side
(``qi --headless build graph [--json|--dot]``). Standard library only."""
from .plan import BuildError
from .profiles import choose


def node_id(context, task):
    return "%s %s" % (context, task)


class BuildGraph(object):
    def __init__(self, planner, profiles, placeholders_of, max_depth=4):
        """``placeholders_of(profile)``: the placeholders of its template."""
        self.planner = planner
        self.profiles = profiles
        self.placeholders_of = placeholders_of
        self.max_depth = max_depth
        self.nodes = {}
        self.edges = []
        self.cycles = []
        self.problems = []

    def profile_for(self, context_path, task_name):
        context = self.planner.context(context_path)
        task = self.planner.task(context, task_name)
        return choose(self.profiles, context_path, context.get("kind"), task_name, task.get("type"))

    def producer(self, context_path, product_type):
        """The task of ``context_path`` whose profile produces
        ``product_type``, or None."""
        context = self.planner.context(context_path)
        for task in self.planner.tasks(context):
            profile = choose(self.profiles, context_path, context.get("kind"), task["name"], task.get("type"))
            if profile is not None and product_type in profile["produces"]:
                return task["name"]
        return None

    def walk(self, context_path, task_name):
        self._visit(context_path, task_name, [], 0)
        return self

    def _visit(self, context_path, task_name, stack, depth):
        key = node_id(context_path, task_name)
        if key in stack:
            path = stack[stack.index(key):] + [key]
            self.cycles.append(path)
            return
        if key in self.nodes:
            return
        profile = self.profile_for(context_path, task_name)
        node = {"id": key, "context": context_path, "task": task_name,
                "profile": profile["name"] if profile else None,
                "template": profile["template"] if profile else None,
                "produces": list(profile["produces"]) if profile else [],
                "publish": bool(profile and profile["publish"]), "missing": [], "plan": None}
        self.nodes[key] = node
        if profile is None:
            self.problems.append("%s: no build profile takes this task (build.profiles)" % key)
            return
        plan = self.planner.plan(context_path, task_name, self.placeholders_of(profile), profile["template"], profile)
        node["plan"] = plan
        for gap in plan["missing"]:
            if gap.get("context") is None or not gap.get("product_type"):
                node["missing"].append(gap["reason"])
                continue
            producer = self.producer(gap["context"], gap["product_type"])
            if producer is None:
                node["missing"].append(gap["reason"] + " (and no build makes it)")
                continue
            upstream = node_id(gap["context"], producer)
            if depth + 1 > self.max_depth:
                # not a node of the graph: what it would make stays missing
                self.problems.append("%s: the build of %s is deeper than the limit (%d)" % (key, upstream,
                                                                                          self.max_depth))
                node["missing"].append(gap["reason"] + " (its build is deeper than the limit)")
                continue
            self.edges.append({"from": key, "to": upstream, "product_type": gap["product_type"]})
            self._visit(gap["context"], producer, stack + [key], depth + 1)

    def order(self):
        """The builds in rounds: each round's builds need only earlier
        rounds', so they may run side by side. Raises BuildError for a
        cycle."""
        if self.cycles:
            raise BuildError("a cycle in the builds: %s" % " → ".join(self.cycles[0]))
        needs = {key: set() for key in self.nodes}
        for edge in self.edges:
            needs[edge["from"]].add(edge["to"])
        rounds, done = [], set()
        while len(done) < len(needs):
            ready = sorted(key for key, wanted in needs.items() if key not in done and wanted <= done)
            if not ready:
                raise BuildError("a cycle in the builds among %s" % ", ".join(sorted(set(needs) - done)))
            rounds.append(ready)
            done.update(ready)
        return rounds

    def to_dict(self):
        rounds = None
        error = None
        try:
            rounds = self.order()
        except BuildError as failure:
            error = str(failure)
        return {"nodes": [{k: v for k, v in node.items() if k != "plan"} for node in self.nodes.values()],
                "edges": self.edges, "cycles": self.cycles, "problems": self.problems, "order": rounds,
                "error": error}

    def to_dot(self):
        lines = ["digraph build {", "  rankdir=RL;"]
        for node in self.nodes.values():
            label = "%s\\n%s" % (node["context"], node["task"])
            style = "" if node["profile"] else ", style=dashed"
            lines.append('  "%s" [label="%s"%s];' % (node["id"], label, style))
        cyclic = {(path[i], path[i + 1]) for path in self.cycles for i in range(len(path) - 1)}
        for edge in self.edges:
            colour = ", color=red" if (edge["from"], edge["to"]) in cyclic else ""
            lines.append('  "%s" -> "%s" [label="%s"%s];' % (edge["from"], edge["to"], edge["product_type"], colour))
        lines.append("}")
        return "\n".join(lines) + "\n"
