"""A version's thumbnail over HTTP, for the windows' ``<img>``:
``GET /api/publish/thumbnails/{version}`` (docs/protocol.md, “The local
server”), read in a Python thread."""
import os
import threading

from gi.repository import GLib

from qi.addon import EndpointHub, call_in_main
from qi.hub import HubError
from qi.pipeline.load import LoadError, version_files


class ThumbnailRoute(object):
    def __init__(self, addon):
        self.addon = addon

    def get_endpoint(self):
        return self.addon.get_endpoint()

    def register(self):
        self.addon.add_route("GET", "/api/publish/thumbnails/{version}", self.thumbnail_route)

    def thumbnail_route(self, request):
        """A version's thumbnail (its representation ``thumbnail``) as the
        image it is, for the windows' <img>; 404 when it has none."""
        version_id = request.get_param("version")
        hub = EndpointHub(self.get_endpoint())

        def work():
            try:
                version = hub.request("db_service.version.get", {"id": version_id}, timeout=30)
                found = [c for c in version.get("components") or [] if c["name"] == "thumbnail" or
                         "thumbnail" in ((c.get("metadata") or {}).get("tags") or [])]
                if not found or not found[0].get("files"):
                    call_in_main(request.reply_error, 404, "not_found",
                                 "version %s has no thumbnail" % version_id)
                    return
                [(_component, paths)] = version_files(hub, version, [found[0]["name"]])
                path = paths[0]
                with open(path, "rb") as f:
                    data = f.read(16 << 20)
                kind = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}.get(
                    os.path.splitext(path)[1][1:].lower(), "application/octet-stream")
                call_in_main(request.reply_bytes, 200, kind, GLib.Bytes.new(data))
            except HubError as error:
                call_in_main(request.reply_error, 404 if "no version" in error.message else 502, "not_found"
                             if "no version" in error.message else "tracker_failed", error.message)
            except LoadError as error:
                call_in_main(request.reply_error, 404, "not_found", "the thumbnail of version %s: %s" % (
                    version_id, error))
            except OSError as error:
                call_in_main(request.reply_error, 404, "not_found", "the thumbnail of version %s: %s" % (
                    version_id, error.strerror))

        threading.Thread(target=work, name="qi-thumbnail", daemon=True).start()
        return None
