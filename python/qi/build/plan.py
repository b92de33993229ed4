"""A build's plan, made without a DCC: each placeholder of a template
and what it resolves to in the tracker — the contexts, products, versions
and representations a load placeholder loads, what it could not find —
in the order the build follows (``qi --headless build plan``,
``build.plan``; the DCC's build follows the same plan).

The tracker is asked through any hub client with ``request(topic,
payload, timeout)``: the context tree once, then for the contexts a
placeholder names, their links and latest versions, then the versions'
components, each round's requests in flight together (an addon's
``request_many``, a client's ``request_async``). Standard library only."""
import re

from .placeholders import ordered

TIMEOUT = 60


class BuildError(Exception):
    """What a build cannot do, in one sentence."""


class Planner(object):
    def __init__(self, hub, project, workers=8, context_values=None):
        """``workers`` 1: one request at a time; more: each round's
        requests together."""
        self.hub = hub
        self.project = project
        self.workers = workers
        self.context_values = context_values or {}
        self._contexts = None
        self._links = {}
        self._latest = {}
        self._versions = {}
        self._tasks = {}

    def ask(self, topic, payload):
        return self.hub.request(topic, payload, timeout=TIMEOUT)

    def _many(self, topic, payloads):
        """The replies to ``payloads`` of one topic, asked together: through
        the hub's ``request_many`` (an addon's endpoint) or ``request_async``
        (a client), else one at a time; a failure raises."""
        if self.workers > 1 and hasattr(self.hub, "request_many"):
            replies = self.hub.request_many([(topic, p) for p in payloads], TIMEOUT)
        elif self.workers > 1 and hasattr(self.hub, "request_async"):
            futures = [self.hub.request_async(topic, p, timeout=TIMEOUT) for p in payloads]
            replies = []
            for future in futures:
                try:
                    replies.append(future.result())
                except Exception as error:
                    replies.append(error)
        else:
            replies = []
            for payload in payloads:
                try:
                    replies.append(self.ask(topic, payload))
                except Exception as error:
                    replies.append(error)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    def fetch_latest(self, contexts):
        wanted = [c for c in contexts if c["id"] not in self._latest]
        for context, reply in zip(wanted, self._many("db_service.version.latest",
                                                     [{"context": c["id"]} for c in wanted])):
            self._latest[context["id"]] = reply["versions"]

    def fetch_versions(self, ids):
        wanted = [i for i in dict.fromkeys(ids) if i not in self._versions]
        for version_id, reply in zip(wanted, self._many("db_service.version.get", [{"id": i} for i in wanted])):
            self._versions[version_id] = reply

    # the tracker, cached for the plan

    def contexts(self):
        if self._contexts is None:
            listed = self.ask("db_service.context.list", {"project": self.project})["contexts"]
            self._contexts = {c["path"]: c for c in listed}
        return self._contexts

    def context(self, path):
        found = self.contexts().get(path)
        if found is None:
            raise BuildError("there is no context “%s” in the project “%s”" % (path, self.project))
        return found

    def links(self, context):
        if context["id"] not in self._links:
            self._links[context["id"]] = self.ask("db_service.context.links", {"context": context["id"]})
        return self._links[context["id"]]

    def latest(self, context):
        if context["id"] not in self._latest:
            self._latest[context["id"]] = self.ask("db_service.version.latest",
                                                   {"context": context["id"]})["versions"]
        return self._latest[context["id"]]

    def version(self, version_id):
        if version_id not in self._versions:
            self._versions[version_id] = self.ask("db_service.version.get", {"id": version_id})
        return self._versions[version_id]

    def tasks(self, context):
        if context["id"] not in self._tasks:
            self._tasks[context["id"]] = self.ask("db_service.task.list", {"context": context["id"]})["tasks"]
        return self._tasks[context["id"]]

    def task(self, context, name):
        for task in self.tasks(context):
            if task["name"] == name:
                return task
        raise BuildError("there is no task “%s” in %s" % (name, context["path"]))

    # a load placeholder

    def sources(self, context, options):
        """The contexts a load placeholder takes its products from."""
        builder = options["builder"]
        if builder == "context":
            found = [context]
        elif builder == "linked":
            found = self.links(context)["uses"]
        else:
            found = sorted(self.contexts().values(), key=lambda c: c["path"])
        kind = options.get("context_kind")
        pattern = re.compile(options["context_path"]) if options.get("context_path") else None
        return [c for c in found if (not kind or c.get("kind") == kind) and (pattern is None or
                                                                            pattern.search(c["path"]))]

    def resolve_load(self, context, record):
        """``(entries, missing)``: what ``record`` loads, and what it wanted
        and did not find (``{"context", "product_type", "reason"}``)."""
        options = record["options"]
        sources = self.sources(context, options)
        entries, missing = [], []
        if not sources:
            what = {"context": "the context", "linked": "the contexts %s uses" % context["path"],
                    "all": "the project's contexts"}[options["builder"]]
            missing.append({"context": None, "product_type": options.get("product_type"),
                            "reason": "no context among %s matches%s%s" % (
                                what, " kind “%s”" % options["context_kind"] if options.get("context_kind") else "",
                                " path /%s/" % options["context_path"] if options.get("context_path") else "")})
            return entries, missing
        self.fetch_latest(sources)
        name_pattern = re.compile(options["product_name"]) if options.get("product_name") else None
        chosen = []
        for source in sources:
            versions = [v for v in self.latest(source)
                        if (not options.get("product_type") or v.get("product_type") == options["product_type"])
                        and (name_pattern is None or name_pattern.search(v.get("product_name") or ""))]
            if options.get("version"):
                pinned = []
                for latest in versions:
                    listed = self.ask("db_service.version.list", {"product": latest["product"], "limit": 10000})
                    pinned += [v for v in listed["versions"] if v["number"] == options["version"]]
                if not pinned:
                    missing.append({"context": source["path"], "product_type": options.get("product_type"),
                                    "reason": "no version %d of a %s in %s" % (
                                        options["version"], options.get("product_type") or "product", source["path"])})
                versions = pinned
            if not versions and not options.get("version"):
                missing.append({"context": source["path"], "product_type": options.get("product_type"),
                                "reason": "no published %s%s in %s" % (
                                    options.get("product_type") or "product",
                                    " named /%s/" % options["product_name"] if options.get("product_name") else "",
                                    source["path"])})
            chosen += [(source, v) for v in sorted(versions, key=lambda v: v.get("product_name") or "")]
        self.fetch_versions([v["id"] for _, v in chosen])
        for source, version in chosen:
            full = self.version(version["id"])
            names = [c["name"] for c in full.get("components") or []]
            wanted = options.get("representation")
            if wanted and wanted not in names:
                missing.append({"context": source["path"], "product_type": version.get("product_type"),
                                "reason": "%s v%03d of %s has no representation “%s” (it has %s)" % (
                                    version.get("product_name"), version["number"], source["path"], wanted,
                                    ", ".join(names) or "none")})
                continue
            entries.append({"context": source["path"], "product": version.get("product_name"),
                            "product_id": str(version.get("product")), "product_type": version.get("product_type"),
                            "version": version["id"],
                            "number": version["number"], "representation": wanted or (names[0] if names else None),
                            "loader": options.get("loader"), "loader_options": options.get("loader_options") or {}})
        return entries, missing

    # the plan

    def plan(self, context_path, task, placeholders, template=None, profile=None):
        """The plan of building ``task`` of ``context_path`` from
        ``placeholders``: ``{"project", "context", "task", "template",
        "profile", "placeholders": [{"id", "kind", "order", "label",
        "options", "loads"?, "missing"?, "values"?}], "missing"}``."""
        context = self.context(context_path)
        if task is not None:
            self.task(context, task)
        steps, missing = [], []
        for record in ordered(placeholders):
            step = {key: record[key] for key in ("id", "kind", "order", "label", "options")}
            if record["kind"] == "load":
                step["loads"], step["missing"] = self.resolve_load(context, record)
                missing += [dict(m, placeholder=record["label"]) for m in step["missing"]]
            elif record["kind"] == "context":
                values = dict(self.context_values.get("*") or {})
                values.update(self.context_values.get(context_path) or {})
                step["values"] = {key: values.get(key) for key in record["options"]["apply"]}
                absent = [key for key, value in step["values"].items() if value is None]
                if absent:
                    step["missing"] = [{"context": context_path, "product_type": None,
                                        "reason": "no %s for %s (build.context_values)" % (
                                            " or ".join(absent), context_path)}]
                    missing += [dict(m, placeholder=record["label"]) for m in step["missing"]]
            steps.append(step)
        return {"project": self.project, "context": context_path, "task": task, "template": template,
                "profile": profile.get("name") if profile else None, "placeholders": steps, "missing": missing}


def describe(plan):
    """The plan as lines for people."""
    lines = ["build of %s %s%s" % (plan["context"], plan["task"] or "", " from %s" % plan["template"]
                                    if plan.get("template") else "")]
    if plan.get("profile"):
        lines.append("  profile: %s" % plan["profile"])
    for step in plan["placeholders"]:
        lines.append("  %3d %-7s %s" % (step["order"], step["kind"], step["label"]))
        for entry in step.get("loads") or []:
            lines.append("        load %s %s v%03d (%s)%s" % (entry["context"], entry["product"], entry["number"],
                                                           entry["representation"],
                                                           " with %s" % entry["loader"] if entry["loader"] else ""))
        if step["kind"] == "create":
            lines.append("        create %s %s" % (step["options"]["creator"], step["options"]["variant"]))
        if step["kind"] == "context":
            lines.append("        set %s" % ", ".join("%s = %s" % (k, v) for k, v in step["values"].items()))
        for gap in step.get("missing") or []:
            lines.append("        missing: %s" % gap["reason"])
    return "\n".join(lines) + "\n"
