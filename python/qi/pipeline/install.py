"""``install_host``: the pipeline of one DCC session (standard library
only)."""
import os

from .create import CreateContext
from .inventory import Inventory
from .load import find_loaders

__all__ = ["Pipeline", "install_host", "registered_host", "KINDS"]

#: The plugin folders a host registers, from the bundle's addons.
KINDS = ("create", "load", "publish", "actions")

_installed = None


class Pipeline(object):
    """What :func:`install_host` sets up: ``host``, ``hub``, the plugin
    folders by kind, the ``create_context``, the ``inventory``."""

    def __init__(self, host, hub, folders, project, context, task):
        self.host = host
        self.hub = hub
        self.folders = folders
        self.project, self.context, self.task = project, context, task
        self.create_context = CreateContext(host, folders.get("create", []), project, context, task)
        loaders, self.loader_errors = find_loaders(folders.get("load", []), host.name)
        self.inventory = Inventory(host, hub, loaders, project)
        from qi import actions

        #: the actions that run in this DCC (``hosts`` naming it)
        self.actions, self.action_errors = actions.find_actions(folders.get("actions", []), host.name)
        self.actions = [cls for cls in self.actions if host.name in cls.hosts]
        #: the last publish's context, for its plugins' actions (repair)
        self.last_context = None
        self._register_publish()

    def _register_publish(self):
        import qi.publish

        self.pyblish = qi.publish.install_fallback()
        import pyblish.api

        pyblish.api.register_host(self.host.name)
        for folder in self.folders.get("publish", []):
            pyblish.api.register_plugin_path(folder)

    @staticmethod
    def _actions_of(plugin, context):
        from qi.publish import available_actions

        try:
            return [_action_entry(a) for a in available_actions(plugin, context)]
        except (ValueError, AttributeError):
            return []

    def run_action(self, plugin_name, action_name):
        """Runs an action of a plugin of the last publish (a validator's
        repair): ``{"success", "error", "records"}``."""
        from qi.publish import run_action

        if self.last_context is None:
            raise ValueError("nothing was published in this session yet")
        plugins = {r["plugin"].__name__: r["plugin"] for r in self.last_context.data.get("results", [])}
        plugin = plugins.get(plugin_name)
        if plugin is None:
            raise ValueError("the last publish ran no plugin “%s”" % plugin_name)
        actions = {a.__name__: a for a in getattr(plugin, "actions", [])}
        if action_name not in actions:
            raise ValueError("%s has no action “%s” (it has %s)" % (plugin_name, action_name,
                                                                    ", ".join(actions) or "none"))
        result = run_action(actions[action_name], plugin, self.last_context)
        return {"success": result["success"], "error": str(result["error"]) if result["error"] else None,
                "records": [record.getMessage() for record in result["records"]]}

    def publish(self, instance_ids=None, comment=None, dry_run=False):
        """Runs the publish plugins on the scene's active instances (or those
        of ``instance_ids``): ``{"success", "products": [REPORT…], "farm":
        [{"product", "job", "publish_job"}…] (the products sent to the farm,
        which publishes them once rendered), "errors", "results"}``."""
        import pyblish.api
        import pyblish.util

        self.create_context.reset()
        if instance_ids is not None:
            for instance in self.create_context.instances.values():
                if instance.id not in instance_ids:
                    instance.record["active"] = False
        context = pyblish.api.Context()
        context.data.update({"host": self.host.name, "create_context": self.create_context, "hub": self.hub,
                             "project": self.project, "context": self.context, "task": self.task,
                             "comment": comment or "", "dry_run": dry_run,
                             "currentFile": self.host.current_file()})
        results = list(pyblish.util.publish_iter(context))
        self.last_context = context
        products = [i for i in context if "qi.product" in (i.data.get("families") or [])]
        reports = [i.data.get("qiDryRun" if dry_run else "qiReport") for i in products]
        errors = [{"plugin": r["plugin"].__name__, "instance": r["instance"].data.get("productName")
                   if r["instance"] is not None else None, "error": str(r["error"]),
                   "traceback": getattr(r["error"], "formatted_traceback", None),
                   "actions": self._actions_of(r["plugin"], context)} for r in results if not r["success"]]
        self.create_context.reset()
        farm = [dict(i.data["qiFarm"], product=i.data.get("productName")) for i in products if i.data.get("qiFarm")]
        return {"success": bool(products) and not errors, "products": [r for r in reports if r is not None],
                "farm": farm, "errors": errors,
                "results": [{"plugin": r["plugin"].__name__, "label": getattr(r["plugin"], "label", None),
                             "instance": r["instance"].data.get("productName") if r["instance"] is not None else None,
                             "success": r["success"], "duration_ms": round(r["duration"], 3),
                             "records": [rec.getMessage() for rec in r["records"]]} for r in results]}


def _action_entry(action):
    return {"name": action.__name__, "label": getattr(action, "label", None) or action.__name__,
            "icon": getattr(action, "icon", None)}


def install_host(host, client, project=None, context=None, task=None, folders=None):
    """Registers ``host`` for this process: the plugin folders of the
    bundle's addons (``addons.plugin_dirs`` over the hub ``client``, unless
    ``folders`` gives them), the creators, loaders and publish plugins for
    the host's name; returns the :class:`Pipeline`."""
    global _installed
    # a qi.hub client is what the publish plugins call the hub with
    hub = client
    if folders is None:
        folders = {}
        for kind in KINDS:
            dirs = hub.request("addons.plugin_dirs", {"kind": kind}, timeout=10)["dirs"]
            folders[kind] = [entry["path"] for entry in dirs if os.path.isdir(entry["path"])]
    _installed = Pipeline(host, hub, folders, project, context, task)
    return _installed


def registered_host():
    """The :class:`Pipeline` of this process, or None."""
    return _installed
