"""Building a workfile from its template in a DCC (docs/building.md):
the template opened, its placeholders (``qi:placeholder-1.0`` records in
the scene) resolved by the hub's ``build.plan`` — the plan ``qi
--headless build plan`` prints — and built in their order: load
placeholders load each version through the host's loaders (as containers),
create placeholders make their instance (of the objects the placeholder
holds, or of the whole scene), script placeholders run their code,
context placeholders set the frame range, fps and resolution. A
placeholder is removed once built unless the profile keeps them;
placeholders that arrive inside loaded content are built in a later
pass, up to 4 passes. What could not be found is reported and the
build goes on. An update (from the scene's own placeholders) does not load
again a product's representation the scene holds already. Standard
library only: the host does the DCC's part
(:class:`qi.pipeline.PipelineHost`'s placeholder methods)."""
import os

__all__ = ["Builder", "BuildFailure"]


class BuildFailure(ValueError):
    """A build that cannot start (no template, a bad placeholder)."""


class Builder(object):
    def __init__(self, pipeline, hub, project, context, task, max_passes=4):
        self.pipeline = pipeline
        self.host = pipeline.host
        self.hub = hub
        self.project = project
        self.context = context
        self.task = task
        self.max_passes = max_passes
        self._held = {}  # an update's: the containers the scene holds, by product and representation

    def profile(self):
        answer = self.hub.request("build.template", {"project": self.project, "context": self.context,
                                                     "task": self.task}, timeout=60)
        if answer.get("profile") is None:
            raise BuildFailure("no build profile takes %s %s (the build addon's profiles)" % (self.context, self.task))
        return answer["profile"], answer["template"]

    def build(self, template=None, keep_placeholders=None, workfile=None, from_template=True, profile=None):
        """Builds; returns the report: ``{"template", "workfile" (where a
        build from the template was saved: ``workfile``, else the launch's
        ``QI_WORKFILE``, or its next version when that file exists; an
        update is left for the artist to save), "passes",
        "built": [{"placeholder", "kind", "label", "loaded"|"created"|…}],
        "missing": [TEXT], "failed": [{"placeholder", "error"}]}``.
        ``profile``, the profile ``template`` comes from, gives its flags;
        without either, the task's profile is asked for."""
        if template is None and from_template:
            profile, template = self.profile()
        if keep_placeholders is None:
            # an update builds the placeholders that were kept for it: they stay
            keep_placeholders = not from_template or bool(profile and profile.get("keep_placeholders"))
        if from_template:
            if not template or not os.path.isfile(template):
                raise BuildFailure("the template “%s” is not there" % template)
            self.host.open_template(template)
            self.pipeline.create_context.reset()
        report = {"template": template, "profile": profile.get("name") if profile else None, "workfile": None,
                  "passes": 0, "built": [], "missing": [], "failed": [], "warnings": []}
        from .host import PipelineHost

        if type(self.host).placeholders is PipelineHost.placeholders:
            # the host has no placeholders of its own: say so, rather than a
            # build that did nothing
            report["warnings"].append("%s keeps no placeholders: %s" % (
                self.host.label or self.host.name,
                "the template “%s” was opened as it is, nothing built in it" % template if from_template
                else "there is nothing to update"))
        if from_template:
            report["warnings"] += self._compare_sidecar(template)
            current = self.host.current_file()
            if current and os.path.realpath(current) == os.path.realpath(template):
                report["warnings"].append("the scene's file is the template “%s”: save it under another name, "
                                          "never over the template" % template)
        # an update loads what the scene lacks, not again what it holds
        self._held = {} if from_template else {(c["product"], c["representation_name"]): c
                                               for c in self.pipeline.inventory.containers()}
        done = set()
        for _ in range(self.max_passes):
            records = [(r, m) for r, m in self.host.placeholders() if r["id"] not in done]
            if not records:
                break
            report["passes"] += 1
            plan = self.hub.request("build.plan", {"project": self.project, "context": self.context,
                                                   "task": self.task, "template": template or "(scene)",
                                                   "placeholders": [r for r, _ in records]}, timeout=300)
            members = {r["id"]: m for r, m in records}
            for step in plan["placeholders"]:
                done.add(step["id"])
                report["missing"] += [gap["reason"] for gap in step.get("missing") or []]
                try:
                    outcome = self._build_step(step, members.get(step["id"]) or [], report)
                except Exception as error:  # reported; the build goes on
                    report["failed"].append({"placeholder": step["label"], "error": str(error)})
                    continue
                report["built"].append(dict(outcome, placeholder=step["id"], kind=step["kind"], label=step["label"]))
                if not keep_placeholders:
                    self.host.remove_placeholder(step["id"])
        else:
            if [r for r, _ in self.host.placeholders() if r["id"] not in done]:
                report["missing"].append("placeholders still arrive after %d passes: the rest is not built"
                                         % self.max_passes)
        target = workfile or os.environ.get("QI_WORKFILE")
        if from_template and target and (profile is None or profile.get("create_first_version", True)):
            if os.path.exists(target):
                # an artist's workfile is never written over: the build is its next version
                target = self.hub.request("addons.workfile.next_version", {"path": target}, timeout=30)["path"]
            os.makedirs(os.path.dirname(target), exist_ok=True)
            self.host.save(target)
            report["workfile"] = target
        return report

    def _compare_sidecar(self, template):
        """What the template's placeholders file says otherwise than the
        scene (a template saved without Qi's tools since)."""
        from qi.build.placeholders import PlaceholderError, read_sidecar

        try:
            written = {r["id"]: r for r in read_sidecar(template)}
        except PlaceholderError as error:
            return [str(error)]
        scene = {r["id"]: r for r, _members in self.host.placeholders()}
        warnings = []
        for record_id in sorted(set(scene) - set(written)):
            warnings.append("the placeholder “%s” of the template is not in its placeholders file: build plan "
                            "does not show it" % scene[record_id]["label"])
        for record_id in sorted(set(written) - set(scene)):
            warnings.append("the placeholders file has “%s”, which the template has not" % written[record_id]["label"])
        return warnings

    def _build_step(self, step, members, report):
        kind, options = step["kind"], step["options"]
        if kind == "load":
            loaded = []
            for entry in step.get("loads") or []:
                held = self._held.get((entry.get("product_id"), entry["representation"]))
                if held is not None:
                    # kept as it is, at its version: the inventory updates it
                    loaded.append({"container": held["id"], "context": entry["context"], "product": entry["product"],
                                   "number": held["version_number"], "representation": entry["representation"],
                                   "held": True})
                    continue
                record = self.pipeline.inventory.load(entry["version"], entry["representation"], entry.get("loader"),
                                                      None, entry.get("loader_options") or {})
                loaded.append({"container": record["id"], "context": entry["context"], "product": entry["product"],
                               "number": entry["number"], "representation": entry["representation"]})
            return {"loaded": loaded}
        if kind == "create":
            creator = options["creator"]
            targets = members if options.get("members", "placeholder") == "placeholder" else None
            instance = self.pipeline.create_context.create(creator, options["variant"],
                                                           self.host.release_members(step["id"], targets))
            if options.get("active") is False:
                self.pipeline.create_context.update(instance.id, {"active": False})
            return {"created": {"id": instance.id, "product_name": instance.record.get("product_name")}}
        if kind == "script":
            build = {"project": self.project, "context": self.context, "task": self.task, "report": report,
                     "host": self.host, "placeholder": step}
            self.host.run_script(options["code"], build)
            return {"ran": True}
        if kind == "context":
            self.host.apply_context(step.get("values") or {})
            return {"set": step.get("values") or {}}
        raise BuildFailure("a placeholder of kind %r" % kind)
