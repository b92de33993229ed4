"""Qi's record of what a published scene uses: each version loaded in the
scene (its containers) becomes a “uses” link of each version the publish
made (``db_service.version.link``), so that the tracker knows that a
layout uses these models and a lighting scene that layout — the “uses /
used in” links recursive builds and the loader's side panel read."""
import pyblish.api


def _containers(context):
    create_context = context.data.get("create_context")
    host = getattr(create_context, "host", None)
    containers = getattr(host, "containers", None)
    if not callable(containers):
        return []  # the standalone host: no scene
    return [record for record, _members in containers()]


class CollectQiLoaded(pyblish.api.ContextPlugin):
    """The versions the scene's containers hold."""

    label = "Qi loaded versions"
    order = pyblish.api.CollectorOrder + 0.45
    hosts = ["*"]

    def process(self, context):
        versions = []
        for record in _containers(context):
            version = record.get("version")
            if version and version not in versions:
                versions.append(str(version))
        context.data["qiLoadedVersions"] = versions
        if versions:
            self.log.info("The scene uses %d published versions", len(versions))


class IntegrateQiLinks(pyblish.api.InstancePlugin):
    """Each version published uses the versions the scene loaded."""

    label = "Qi links"
    order = pyblish.api.IntegratorOrder + 0.1
    hosts = ["*"]
    families = ["qi.product"]

    def process(self, instance):
        report = instance.data.get("qiReport")
        uses = instance.context.data.get("qiLoadedVersions") or []
        if not report or not uses or instance.context.data.get("dry_run"):
            return
        hub = instance.context.data["hub"]
        version = report["version"]["id"]
        for used in uses:
            if str(used) == str(version):
                continue
            hub.request("db_service.version.link", {"version": version, "uses": used}, timeout=60)
        self.log.info("%s v%03d uses %d versions", report["product"]["name"], report["number"], len(uses))
