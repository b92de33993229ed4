"""``qi --headless publish``: products from the command line (or a batch
file, :mod:`qi.standalone`) published through the publish plugins with
host ``standalone``; the progress of the transfer on stderr (a bar on a
terminal, lines otherwise), what was published or would be, ``--json``'s
outcome. Exit status: 0 published, 1 not, 2 a wrong command line, 130
interrupted (the publish undone)."""
import json
import logging
import os
import signal
import uuid

from gi.repository import GLib, Qi

from qi import standalone
from qi.addon import EndpointHub, from_node, to_node

MODES = ("copy", "hardlink", "reflink")

DESCRIPTION = """\
Each FILE is a file, a
sequence (sh010.####.exr, sh010.%04d.exr, or sh010.1001-1100#.exr for a
range each frame of which must be there), UDIM tiles (tex.<UDIM>.exr) or
a folder, whose files and sequences are taken; each becomes one
representation, named after its extension. The files go to the studio's
folders under the studio's names (the anatomy's publish template) and
the version to the tracker, through the same publish plugins as a DCC's
publish (host “standalone”). --batch FILE.json publishes many products
(docs/publishing.md). Exit status: 0 published, 1 not published (why on
stderr), 2 a wrong command line."""


def _size(count):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return ("%d %s" % (count, unit)) if unit == "B" else ("%.1f %s" % (count, unit))
        count /= 1024.0


class Progress(object):
    """The transfer's progress from ``publish.progress`` events: a bar
    redrawn on a terminal, else a line each time a file is done."""

    def __init__(self, invocation, terminal):
        self.invocation = invocation
        self.terminal = terminal
        self.files = 0
        self.drawn = False

    def started(self, payload):
        self.files = 0
        if not self.terminal:
            product = payload.get("product")
            self.invocation.write_error("publishing %s v%03d: %d files, %s\n" % (
                product.get("name") if isinstance(product, dict) else product, payload.get("number", 0), payload.get("files_total", 0),
                _size(payload.get("bytes_total", 0))))

    def progress(self, payload):
        files, total = payload.get("files", 0), payload.get("files_total", 0)
        current = os.path.basename(payload.get("current") or "")
        if self.terminal:
            done = payload.get("bytes", 0) / float(payload.get("bytes_total") or 1)
            width = 30
            bar = "#" * int(done * width) + "-" * (width - int(done * width))
            self.invocation.write_error("\r[%s] %3d%% %d/%d %s %-40.40s" % (bar, int(done * 100), files, total,
                                                                        _size(payload.get("bytes", 0)), current))
            self.drawn = True
        elif files != self.files:
            self.invocation.write_error("[%d/%d] %s\n" % (files, total, current))
        self.files = files

    def finish(self):
        if self.drawn:
            self.invocation.write_error("\n")
            self.drawn = False


class _ToInvocation(logging.Handler):
    """The engine's own messages (“Stopped due to: failed validation”, a
    plugin file that does not load) on the command's stderr."""

    def __init__(self, invocation):
        super().__init__(logging.WARNING)
        self.invocation = invocation

    def emit(self, record):
        self.invocation.write_error("qi publish: %s\n" % record.getMessage())


class CommandLinePublish(object):
    """One run of ``qi --headless publish``."""

    def __init__(self, addon, invocation):
        self.addon = addon
        self.invocation = invocation
        self.endpoint = addon.get_endpoint()
        self.publish_id = "cli-" + uuid.uuid4().hex[:12]
        self.progress = Progress(invocation, os.isatty(2))
        self.interrupted = False
        #: what a farm render's metadata says of the publish (--from-farm)
        self.farm = {}

    def option(self, name):
        return self.invocation.get_string(name)

    def products(self):
        """The products of the command line, or raises InputError."""
        arguments = list(self.invocation.get_arguments() or [])
        fields = {"project": self.option("project"), "context": self.option("context"),
                  "task": self.option("task"), "variant": self.option("variant"),
                  "comment": self.option("comment"), "product_type": self.option("product-type")}
        from_farm = self.option("from-farm")
        if from_farm:
            if arguments or self.option("batch"):
                raise UsageError("--from-farm publishes what its file names: give no files and no --batch")
            return self.farm_products(from_farm)
        batch = self.option("batch")
        if batch:
            if arguments:
                raise UsageError("give files or --batch, not both")
            defaults = {key: value for key, value in fields.items() if value is not None}
            if self.option("product-name") or self.option("thumbnail"):
                raise UsageError("--product-name and --thumbnail are per product: put them in the batch file")
            return standalone.read_batch(batch, defaults)
        if not arguments:
            raise UsageError("name the files, sequences or folders to publish, or --batch FILE.json")
        if not fields["product_type"]:
            raise UsageError("--product-type is missing (render, plate, model…)")
        return [standalone.product(fields["product_type"], arguments, fields["project"], fields["context"],
                                   fields["task"], fields["variant"], self.option("product-name"),
                                   fields["comment"], self.option("thumbnail"))]

    def farm_products(self, path):
        """The products of a farm render's metadata file, once every frame
        it expects is there and complete (docs/farm.md)."""
        from qi.farm import metadata

        try:
            document = metadata.read(path)
            roots = EndpointHub(self.endpoint).request("templates.list", {"project": document["project"]},
                                                       timeout=30).get("roots") or {}
            problems = metadata.check(document, roots)
            if problems:
                raise standalone.InputError("the render is not complete, nothing is published:\n  " +
                                            "\n  ".join(problems[:20]) +
                                            ("\n  … and %d more" % (len(problems) - 20) if len(problems) > 20 else ""))
            self.farm = {"user": document.get("user"), "comment": document.get("comment"),
                         "currentFile": metadata.resolve(document["source_workfile"], roots, "source_workfile")
                         if document.get("source_workfile") else None,
                         "project": document["project"], "context": document["context"],
                         "task": document.get("task")}
            return metadata.products(document, roots)
        except metadata.MetadataError as error:
            raise standalone.InputError(str(error))

    def on_event(self, topic, payload, message):
        if not str(payload.get("publish", "")).startswith(self.publish_id):
            return
        if topic == "publish.started":
            self.progress.started(payload)
        elif topic == "publish.progress":
            self.progress.progress(payload)
        elif topic == "publish.finished":
            self.progress.finish()

    def on_signal(self):
        """Ctrl-C or SIGTERM: cancel the publishes of this run, which undo
        what they wrote; the command then exits 130."""
        self.interrupted = True
        self.invocation.write_error("\nqi publish: interrupted, undoing the publish\n")

        def cancel_each(endpoint, result, _data=None):
            try:
                running = Qi.HubEndpoint.request_finish(endpoint, result)
            except GLib.Error:
                return
            for entry in from_node(running).get("publishes", []):
                if str(entry.get("publish", "")).startswith(self.publish_id):
                    Qi.HubEndpoint.request_async(endpoint, "publish.cancel", to_node({"publish": entry["publish"]}),
                                                 10000, None, None, None)

        Qi.HubEndpoint.request_async(self.endpoint, "publish.running", to_node({}), 10000, None, cancel_each, None)
        return GLib.SOURCE_CONTINUE

    def run(self):
        invocation = self.invocation
        mode = self.option("mode")
        try:
            if mode is not None and mode not in MODES:
                raise UsageError("--mode must be %s, not “%s”" % (", ".join(MODES), mode))
            products = self.products()
        except UsageError as error:
            invocation.write_error("qi publish: %s\n" % error)
            return 2
        except standalone.InputError as error:
            invocation.write_error("qi publish: %s\n" % error)
            return 1

        data = {"dry_run": invocation.get_flag("dry-run"), "publish": self.publish_id,
                "project": self.option("project"), "context": self.option("context"), "task": self.option("task"),
                "comment": self.option("comment"), "transfer_mode": mode}
        for key, value in self.farm.items():
            if value is not None and data.get(key) is None:
                data[key] = value
        subscription = self.endpoint.subscribe("publish.*", self.on_event)
        sources = [GLib.unix_signal_add(GLib.PRIORITY_HIGH, number, self.on_signal)
                   for number in (signal.SIGINT, signal.SIGTERM)]
        engine_log = logging.getLogger("qi.publish")
        handler = _ToInvocation(invocation)
        engine_log.addHandler(handler)
        propagate, engine_log.propagate = engine_log.propagate, False

        def said(result):
            if not result["success"]:
                self.progress.finish()
                where = result["instance"].data.get("productName") if result["instance"] is not None else None
                invocation.write_error("qi publish: %s%s: %s\n" % (standalone.label_of(result),
                                                                    " (%s)" % where if where else "", result["error"]))

        try:
            context, results, seconds = standalone.publish(EndpointHub(self.endpoint), products, data, said)
        finally:
            for source in sources:
                GLib.source_remove(source)
            Qi.HubEndpoint.unsubscribe(self.endpoint, subscription)
            engine_log.removeHandler(handler)
            engine_log.propagate = propagate
            self.progress.finish()
        return self.finish(context, results, seconds)

    def finish(self, context, results, seconds):
        invocation = self.invocation
        outcome = standalone.document(context, results, seconds)
        dry_run = outcome["dry_run"]
        if not standalone.products_of(context):
            invocation.write_error("qi publish: no product was collected: are Qi's publish plugins there "
                                   "(addons.plugin_dirs)?\n")
        if invocation.get_flag("json"):
            invocation.write(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
        else:
            for report in outcome["products"]:
                invocation.write("%s %s v%03d in %s %s%s: %d files, %s%s\n" % (
                    "would publish" if dry_run else "published", report["product"]["name"], report["number"],
                    report["project"], report["context"], " (%s)" % report["task"] if report.get("task") else "",
                    len(report["files"]), _size(report["bytes"]),
                    "" if dry_run else ", version %s, in %.2f s" % (report["version"]["id"],
                                                                   report["duration_ms"] / 1000.0)))
                for entry in report["files"]:
                    invocation.write("  %s -> %s\n" % (entry["source"], entry["path"]))
                for warning in report.get("warnings") or []:
                    invocation.write_error("qi publish: warning: %s\n" % warning)
        if self.interrupted:
            return 130
        return 0 if outcome["success"] else 1


class UsageError(ValueError):
    """A command line that does not say what to publish."""


def add_verb(addon):
    """Adds ``publish`` to ``addon``'s commands."""
    verb = Qi.CliVerb.new("publish", "Publish files as a new version of a product",
                          lambda invocation: CommandLinePublish(addon, invocation).run())
    verb.set_description(DESCRIPTION)
    verb.set_arguments("FILE|SEQUENCE|FOLDER…", 0, GLib.MAXUINT)
    for name, kind, argument, summary in (
            ("project", Qi.CliOptionKind.STRING, "NAME", "The project (default: QI_PROJECT)"),
            ("context", Qi.CliOptionKind.STRING, "PATH", "The context, /sq010/sh010 (default: QI_CONTEXT)"),
            ("task", Qi.CliOptionKind.STRING, "NAME", "The task the product comes from"),
            ("product-type", Qi.CliOptionKind.STRING, "TYPE", "The product's type: render, plate, model…"),
            ("variant", Qi.CliOptionKind.STRING, "NAME", "The variant (default: main)"),
            ("product-name", Qi.CliOptionKind.STRING, "NAME", "The product's name (default: TYPE + Variant)"),
            ("comment", Qi.CliOptionKind.STRING, "TEXT", "The version's comment"),
            ("thumbnail", Qi.CliOptionKind.STRING, "FILE", "An image to show the version by"),
            ("mode", Qi.CliOptionKind.STRING, "MODE", "copy, hardlink or reflink (default: the setting)"),
            ("batch", Qi.CliOptionKind.STRING, "FILE", "Publish the products of a JSON file"),
            ("from-farm", Qi.CliOptionKind.STRING, "METADATA.json",
             "Publish a farm render from its metadata (the publish job of a render)"),
            ("dry-run", Qi.CliOptionKind.FLAG, None, "Print the version and destinations; write nothing"),
            ("json", Qi.CliOptionKind.FLAG, None, "Print the reports as JSON")):
        verb.add_option(name, kind, argument, summary)
    addon.add_verb(verb)
