"""The pipeline in a DCC's hub session (standard library only).

:class:`PipelineSession` is a :class:`qi.host.Session` that also answers
the pipeline's topics, each on the DCC's main thread, as plain topics
(the first DCC's) and as ``dcc.HOST.PID.TOPIC`` (docs/protocol.md,
“The pipeline inside a DCC”):

- ``pipeline.creators``, ``pipeline.instances``, ``pipeline.create``,
  ``pipeline.update``, ``pipeline.remove``: the create context;
- ``pipeline.publish``: the publish plugins on the scene's instances, the
  report of each product; ``pipeline.repair``: an action of a plugin of
  the last publish (a validator's repair);
- ``pipeline.loaders``, ``pipeline.load``: what loads a representation,
  and loading it as a container;
- ``inventory.list``, ``inventory.update``, ``inventory.switch``,
  ``inventory.remove``, ``inventory.lock``, ``inventory.select``.

It listens to ``db_service.version.changed``: a version published while
the DCC runs changes the state of the containers of its product, and the
session sends ``inventory.changed`` with the rows that changed.
"""
import threading

import qi.host
from qi.hub import HubError

from . import install
from .build import BuildFailure, Builder
from .create import CreateError
from .inventory import InventoryError
from .load import LoadError
from .records import RecordError

__all__ = ["PipelineSession"]

PUBLISH_TIMEOUT = 86400.0

#: The pipeline's windows in the Qi menu: (label, route of pipeline-ui).
WINDOWS = (("Publish…", "/publisher"), ("Load…", "/loader"), ("Manage…", "/inventory"))
#: The Qi menu's builds (docs/building.md): (label, pipeline.build's payload).
BUILDS = (("Build workfile", {}), ("Update from template", {"update": True}))


def _fails(error):
    return HubError("handler_failed", str(error))


class PipelineSession(qi.host.Session):
    def __init__(self, host, **kwargs):
        super().__init__(host, **kwargs)
        self.pipeline = None
        self._subscription = None
        #: set once the pipeline is installed, or failed to be: requests
        #: that come as soon as the session opens wait for it
        self.ready = threading.Event()
        # the build at start (docs/building.md): its payload until it runs,
        # then its report; both on the main thread once the pipeline is ready
        self._start_build = None
        self._start_report = None

    def connect(self, timeout=qi.host.CONNECT_TIMEOUT):
        if not super().connect(timeout):
            self.ready.set()
            return False
        try:
            self.pipeline = self.main.call(install.install_host, self.host, self.client, self.project,
                                           self.context, self.task, timeout=timeout * 3)
            # known before any request is answered: a pipeline.build with
            # `once` finds it
            try:
                self._start_build = self._start_build_payload()
            except Exception as error:
                self.host.warn("Qi: the build at start could not be looked up: {}".format(error))
        except Exception as error:  # the session runs on without its pipeline
            self.host.warn("Qi: the pipeline could not start in {}: {}".format(self.host.label, error))
            return True
        finally:
            self.ready.set()
        try:
            self._subscription = self.client.subscribe("db_service.version.changed", self._on_version_changed)
        except HubError as error:
            # the hub went away while the pipeline started (the session's
            # end has said so): the session ends as any other does
            if not self.finished.is_set():
                self.host.warn("Qi: {} cannot follow the tracker's new versions: {}".format(self.host.label, error))
            return True
        try:
            self.main.call(self._build_at_start, timeout=PUBLISH_TIMEOUT)
        except Exception as error:  # the session runs on; the artist builds from the menu
            self.host.warn("Qi: building the workfile at start failed: {}".format(error))
        return True

    def _build_at_start(self):
        """On the main thread: the build at start, unless a ``pipeline.build``
        with ``once`` made it already."""
        if self._start_build is None:
            return self._start_report
        payload, self._start_build = self._start_build, None
        self._start_report = self.build(payload)
        return self._start_report

    def _start_build_payload(self):
        """What to build at start when the workfile's profile says so: always
        (``build_at_launch``) or on a workfile not saved yet
        (``build_on_new_workfile``); None otherwise."""
        if not (self.project and self.context and self.task):
            return None
        try:
            found = self.client.request("build.template", {"project": self.project, "context": self.context,
                                                           "task": self.task}, timeout=30)
        except HubError:
            return None  # no build addon, or no such task: nothing to build
        profile = found.get("profile")
        if not profile:
            return None
        import os

        workfile = os.environ.get("QI_WORKFILE")
        new = bool(workfile) and not os.path.exists(workfile)
        if profile.get("build_at_launch") or (new and profile.get("build_on_new_workfile")):
            return {"template": found["template"], "profile": profile}
        return None

    # -- the Qi menu -------------------------------------------------------

    def menu(self):
        """The pipeline's windows, then the host's items, Save and Version up."""
        items = [qi.host.MenuItem(label, lambda route=route: self.open_window(route)) for label, route in WINDOWS]
        items += [qi.host.MenuItem(label, lambda payload=payload: self._report(lambda: self.build(payload)))
                  for label, payload in BUILDS]
        return items + list(super().menu())

    def open_window(self, route):
        """Asks the desktop shell for the pipeline window ``route`` bound to
        this session (``gui.window.open``); one warning line when it cannot."""
        if self.client is None:
            self.host.warn("Qi: not connected to the hub: no window")
            return None
        name = route.strip("/")
        payload = {"id": "{}-{}".format(name, self.session.replace("/", "-")), "addon": "pipeline-ui",
                   "params": {"dcc": self.session}, "route": route, "width": 1100, "height": 680,
                   "title": "{} — {}".format(dict((r, l) for l, r in WINDOWS)[route].rstrip("…"), self.host.label)}
        future = self.client.request_async("gui.window.open", payload, timeout=qi.host.HUB_TIMEOUT)

        def done(f):
            error = f.exception() if not f.cancelled() else None
            if error is not None:
                why = ("the desktop shell is not running (start qi without --headless)"
                       if getattr(error, "code", None) == "no_handler" else str(error))
                self.host.warn("Qi: cannot open the {} window: {}".format(name, why))
        future.add_done_callback(done)
        return future

    # -- the hub's requests --------------------------------------------------

    def _handlers(self):
        handlers = list(super()._handlers())
        for topic, method in (("pipeline.creators", self.creators), ("pipeline.instances", self.instances),
                              ("pipeline.create", self.create), ("pipeline.update", self.update),
                              ("pipeline.remove", self.remove), ("pipeline.publish", self.publish),
                              ("pipeline.repair", self.repair), ("pipeline.actions", self.dcc_actions),
                              ("pipeline.action", self.dcc_action),
                              ("pipeline.loaders", self.loaders), ("pipeline.load", self.load),
                              ("pipeline.build", self.build),
                              ("inventory.list", self.inventory_list), ("inventory.update", self.inventory_update),
                              ("inventory.switch", self.inventory_switch),
                              ("inventory.remove", self.inventory_remove), ("inventory.lock", self.inventory_lock),
                              ("inventory.select", self.inventory_select)):
            handlers.append((topic, self._on_main(topic, method)))
        return handlers

    def _on_main(self, topic, method):
        def handler(payload, message):
            self.ready.wait(self._deadline(message))
            if self.pipeline is None:
                raise HubError("handler_failed", "{}: the pipeline did not start in {}".format(topic, self.host.label))
            timeout = PUBLISH_TIMEOUT if topic in ("pipeline.publish", "pipeline.build") else self._deadline(message)
            try:
                return self.main.call(method, payload, timeout=timeout)
            except (CreateError, LoadError, InventoryError, RecordError, BuildFailure, ValueError) as error:
                # ActionError is a ValueError too
                raise HubError("handler_failed", "{}: {}".format(topic, error)) from None
        return handler

    # -- creating ------------------------------------------------------------

    def creators(self, payload):
        context = self.pipeline.create_context
        return {"creators": [c.describe() for c in context.creators.values() if c.kind != "hidden"],
                "errors": context.errors}

    def instances(self, payload):
        context = self.pipeline.create_context
        context.reset()
        listed = []
        for instance in context.instances.values():
            data = instance.to_dict()
            data["publish_attributes_schema"] = context.publish_schemas(instance)
            listed.append(data)
        return {"instances": listed}

    def create(self, payload):
        context = self.pipeline.create_context
        members = payload.get("members")
        if members is not None and (not isinstance(members, list) or not all(isinstance(m, str) for m in members)):
            raise HubError("bad_message", "pipeline.create: “members” must be a list of names")
        instance = context.create(payload.get("creator"), payload.get("variant"), members,
                                  payload.get("attributes"))
        return instance.to_dict()

    def update(self, payload):
        context = self.pipeline.create_context
        context.reset()
        instance = context.update(payload.get("id"), payload.get("changes") or {})
        context.save_changes()
        return instance.to_dict()

    def remove(self, payload):
        context = self.pipeline.create_context
        context.reset()
        ids = payload.get("ids") or []
        context.remove(ids)
        return {"removed": ids}

    def publish(self, payload):
        return self.pipeline.publish(payload.get("instances"), comment=payload.get("comment"),
                                     dry_run=bool(payload.get("dry_run")))

    def dcc_actions(self, payload):
        from qi import actions

        errors = dict(self.pipeline.action_errors)
        return {"actions": actions.compatible(self.pipeline.actions, self.client, payload.get("target"),
                                              payload.get("selection") or [], errors), "errors": errors}

    def dcc_action(self, payload):
        from qi import actions

        return actions.run(self.pipeline.actions, self.client, payload.get("action"), payload.get("target"),
                           payload.get("selection") or [])

    def repair(self, payload):
        return self.pipeline.run_action(payload.get("plugin"), payload.get("action"))

    # -- building from a template (docs/building.md) ------------------------

    def build(self, payload):
        """``{"template"?, "keep_placeholders"?, "workfile"?, "update"?,
        "once"?}``: the task's workfile built from its template (the
        profile's, unless given); with ``update``, the scene's own
        placeholders built again; with ``once``, the build at start when the
        profile makes one (made now if it has not run yet), not another."""
        if payload.get("once") and (self._start_build is not None or self._start_report is not None):
            return self._build_at_start()
        builder = Builder(self.pipeline, self.client, self.project, self.context, self.task)
        try:
            return builder.build(template=payload.get("template"), keep_placeholders=payload.get("keep_placeholders"),
                                 workfile=payload.get("workfile"), from_template=not payload.get("update"),
                                 profile=payload.get("profile"))
        finally:
            self.pipeline.create_context.reset()

    # -- loading and the inventory ------------------------------------------

    def loaders(self, payload):
        inventory = self.pipeline.inventory
        context = inventory.load_context(payload.get("version"), payload.get("representation"))
        return {"loaders": [{"name": l.name(), "label": l.label or l.name(), "order": l.order, "icon": l.icon}
                            for l in inventory.loaders_for(context)]}

    def load(self, payload):
        record = self.pipeline.inventory.load(payload.get("version"), payload.get("representation"),
                                              payload.get("loader"), payload.get("namespace"),
                                              payload.get("options"))
        return {"container": record}

    def inventory_list(self, payload):
        return {"containers": self.pipeline.inventory.list()}

    def inventory_update(self, payload):
        return {"container": self.pipeline.inventory.update(payload.get("container"),
                                                            payload.get("version", "latest"),
                                                            payload.get("representation"))}

    def inventory_switch(self, payload):
        return {"container": self.pipeline.inventory.switch(payload.get("container"), payload.get("representation"),
                                                            payload.get("product"), payload.get("version", "latest"))}

    def inventory_remove(self, payload):
        self.pipeline.inventory.remove(payload.get("container"))
        return {"removed": payload.get("container")}

    def inventory_lock(self, payload):
        return {"container": self.pipeline.inventory.lock(payload.get("container"), payload.get("locked", True))}

    def inventory_select(self, payload):
        members = self.host.container_members(payload.get("container"))
        self.host.select(members)
        return {"selected": members}

    # -- events --------------------------------------------------------------

    def _on_version_changed(self, topic, payload, message):
        # the client's thread: the rows belong to the main thread
        self.main.post(self._version_changed, payload)

    def _version_changed(self, payload):
        if self.pipeline is None:
            return
        changed = self.pipeline.inventory.on_version_changed(payload)
        if changed and self.client is not None:
            self.client.emit("inventory.changed", {"session": self.session, "host": self.name, "containers": changed})
