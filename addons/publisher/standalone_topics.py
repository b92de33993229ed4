"""The standalone publisher's topics on the hub, answered in Python
threads of the serving Qi so that the hub answers others meanwhile:
``publisher.inspect`` (what paths hold), ``publisher.publish`` (the
engine of ``qi --headless publish``), ``publisher.open`` (the tray's
“Publish files…”: the window)."""
import threading
import uuid

from gi.repository import Qi

from qi import standalone
from qi.addon import EndpointHub, call_in_main

from .cli import MODES


class StandaloneTopics(object):
    """The handlers, over ``addon``'s endpoint."""

    def __init__(self, addon):
        self.addon = addon

    def get_endpoint(self):
        return self.addon.get_endpoint()

    def register(self):
        endpoint = self.get_endpoint()
        endpoint.add_handler("publisher.inspect", self.on_inspect)
        endpoint.add_handler("publisher.publish", self.on_publish)
        endpoint.add_handler("publisher.open", self.on_open)
        self.addon.add_tray_item("standalone", "Publish files…", "publisher.open")

    def on_open(self, request, payload):
        """The tray's “Publish files…”: the standalone publisher window."""
        endpoint = self.get_endpoint()

        def work():
            try:
                reply = endpoint.request("gui.window.open", {
                    "id": "standalone-publisher", "addon": "pipeline-ui", "route": "/standalone",
                    "title": "Publish files", "width": 1100, "height": 700}, 10000)
                call_in_main(request.reply, {"window": reply["id"]})
            except Exception as error:
                call_in_main(request.fail, Qi.HubError.HANDLER_FAILED, "publisher.open: %s" % getattr(
                    error, "message", error))

        threading.Thread(target=work, name="qi-open-window", daemon=True).start()
        return None

    def on_inspect(self, request, payload):
        paths = payload.get("paths")
        if not isinstance(paths, list):
            request.fail(Qi.HubError.BAD_MESSAGE, "publisher.inspect: the payload needs “paths”, a list of paths")
            return None
        return {"paths": standalone.inspect(paths)}

    def on_publish(self, request, payload):
        """``{"project", "context", "task"?, "product_type", "variant"?,
        "product_name"?, "comment"?, "files": [PATH…], "thumbnail"?,
        "dry_run"?, "mode"?, "publish"? (an id for the events)}`` → the
        publish's outcome (``qi --headless publish --json``'s)."""
        try:
            files = payload.get("files")
            if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
                raise standalone.InputError("“files” must be a list of paths")
            products = [standalone.product(payload.get("product_type"), files, payload.get("project"),
                                           payload.get("context"), payload.get("task"), payload.get("variant"),
                                           payload.get("product_name"), payload.get("comment"),
                                           payload.get("thumbnail"))]
        except standalone.InputError as error:
            request.fail(Qi.HubError.HANDLER_FAILED, "publisher.publish: %s" % error)
            return None
        mode = payload.get("mode")
        if mode is not None and mode not in MODES:
            request.fail(Qi.HubError.BAD_MESSAGE, "publisher.publish: “mode” is %s" % ", ".join(MODES))
            return None
        data = {key: payload.get(key) for key in ("project", "context", "task", "comment")}
        data.update(dry_run=bool(payload.get("dry_run")), transfer_mode=mode,
                    publish=str(payload.get("publish") or "ui-" + uuid.uuid4().hex[:12]))
        hub = EndpointHub(self.get_endpoint())

        def work():
            try:
                outcome = standalone.document(*standalone.publish(hub, products, data))
                call_in_main(request.reply, outcome)
            except Exception as error:  # the plugins' failures are in the outcome; this is Qi's own
                call_in_main(request.fail, Qi.HubError.HANDLER_FAILED, "publisher.publish: %s" % error)

        threading.Thread(target=work, name="qi-standalone-publish", daemon=True).start()
        return None
