"""Qi's own actions, written as a studio's are (qi.actions): on a task,
the work folder; on a version, its folder; on a representation, its path
and a delivered copy."""
import os
import shutil
import subprocess

from qi.actions import Action, ActionError
from qi.pipeline.load import LoadError, version_files


def _show(folder):
    """Opens ``folder`` in the desktop's file manager where there is a
    desktop; the result names it in every case."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        try:
            subprocess.Popen(["xdg-open", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return {"message": "opened %s" % folder, "path": folder}
        except OSError:
            pass
    return {"message": folder, "path": folder, "copy": folder}


def _one(selection, what):
    if len(selection) != 1:
        raise ActionError("choose one %s" % what)
    return selection[0]


class _TaskAction(Action):
    abstract = True
    targets = ["task"]

    def is_compatible(self, selection):
        return len(selection) == 1 and all(selection[0].get(k) for k in ("project", "context", "task"))

    def solve(self, item, name, **fields):
        return self.hub.request("templates.solve", {"name": name, "project": item["project"],
                                                    "context": item["context"], "task": item["task"],
                                                    "fields": fields}, timeout=30)["path"]


class OpenWorkFolder(_TaskAction):
    label = "Open the work folder"
    icon = "folder-open"
    order = 10

    def process(self, selection):
        folder = self.solve(_one(selection, "task"), "work.directory")
        if not os.path.isdir(folder):
            raise ActionError("“%s” is not made yet: make the work folder first" % folder)
        return _show(folder)


class MakeWorkFolder(_TaskAction):
    label = "Make the work folder"
    icon = "folder-plus"
    order = 20

    def process(self, selection):
        folder = self.solve(_one(selection, "task"), "work.directory")
        made = not os.path.isdir(folder)
        os.makedirs(folder, exist_ok=True)
        return {"message": "%s %s" % ("made" if made else "there already:", folder), "path": folder}


class CopyWorkfilePath(_TaskAction):
    label = "Copy the first workfile's path"
    icon = "copy"
    order = 30

    def process(self, selection):
        path = self.solve(_one(selection, "task"), "work.path", version=1, ext=".blend")
        return {"message": path, "path": path, "copy": path}


def _files(hub, version_id, representation=None):
    """The version and the absolute paths of its files (of one
    representation)."""
    version = hub.request("db_service.version.get", {"id": version_id}, timeout=30)
    try:
        found = [path for _component, paths in version_files(hub, version, None if representation is None
                                                             else [representation]) for path in paths]
    except LoadError as error:
        raise ActionError(str(error)) from None
    if not found:
        raise ActionError("version %s has no %s" % (version.get("number"), "representation “%s”" % representation
                                                    if representation else "file"))
    return version, found


class OpenVersionFolder(Action):
    label = "Open the version's folder"
    icon = "folder-open"
    targets = ["version"]
    order = 10

    def is_compatible(self, selection):
        return len(selection) == 1 and bool(selection[0].get("id"))

    def process(self, selection):
        _version, files = _files(self.hub, _one(selection, "version")["id"])
        return _show(os.path.dirname(files[0]))


class CopyRepresentationPath(Action):
    label = "Copy the path"
    icon = "copy"
    targets = ["representation"]
    order = 10

    def is_compatible(self, selection):
        return len(selection) == 1 and bool(selection[0].get("version")) and bool(selection[0].get("representation"))

    def process(self, selection):
        item = _one(selection, "representation")
        _version, files = _files(self.hub, item["version"], item["representation"])
        path = files[0] if len(files) == 1 else os.path.dirname(files[0])
        return {"message": path, "path": path, "copy": path}


class DeliverCopy(Action):
    """Copies the representations chosen to the delivery folder
    (``QI_DELIVERY_DIR``, else ``$XDG_DATA_HOME/qi/deliveries``), one folder
    a product's version; a file there already is never replaced."""

    label = "Deliver a copy"
    icon = "send"
    targets = ["representation"]
    order = 50

    def is_compatible(self, selection):
        return bool(selection) and all(item.get("version") and item.get("representation") for item in selection)

    def process(self, selection):
        base = os.environ.get("QI_DELIVERY_DIR") or os.path.join(
            os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "qi", "deliveries")
        copied, folders = 0, []
        for item in selection:
            version, files = _files(self.hub, item["version"], item["representation"])
            folder = os.path.join(base, "%s_v%03d" % (version["product_name"], version["number"]))
            os.makedirs(folder, exist_ok=True)
            for path in files:
                target = os.path.join(folder, os.path.basename(path))
                if os.path.exists(target):
                    raise ActionError("“%s” is there already: a delivery is never overwritten" % target)
                # beside it under another name, then linked into place: a
                # failed copy leaves nothing, and a file that appeared
                # meanwhile is not replaced
                partial = os.path.join(folder, ".%s.qi-part" % os.path.basename(path))
                try:
                    shutil.copyfile(path, partial)
                    os.link(partial, target)
                except FileExistsError:
                    raise ActionError("“%s” is there already: a delivery is never overwritten" % target) from None
                except OSError as error:
                    raise ActionError("delivering “%s” to “%s”: %s" % (path, target, error.strerror)) from None
                finally:
                    if os.path.lexists(partial):
                        os.unlink(partial)
                copied += 1
            folders.append(folder)
        return {"message": "delivered %d file%s to %s" % (copied, "" if copied == 1 else "s", ", ".join(folders)),
                "path": folders[0]}


class OpenContainerFolder(Action):
    label = "Open the loaded version's folder"
    icon = "folder-open"
    targets = ["container"]
    order = 10

    def is_compatible(self, selection):
        return len(selection) == 1 and bool(selection[0].get("version"))

    def process(self, selection):
        container = _one(selection, "container")
        _version, files = _files(self.hub, container["version"], container.get("representation_name"))
        return _show(os.path.dirname(files[0]))
