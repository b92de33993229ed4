"""The actions of every loaded addon's ``plugins/actions`` on the hub
(docs/pipeline.md, “Actions”): ``actions.list`` says which apply to a
window's selection, ``actions.run`` runs one in a thread of the serving
Qi's Python, so the hub answers others meanwhile. Qi's own actions are in
this addon's ``plugins/actions``, written as a studio's are.
"""
import threading

from gi.repository import Qi

from qi import actions
from qi.addon import EndpointHub, call_in_main


def _checked(payload, topic):
    target, selection = payload.get("target"), payload.get("selection")
    if target not in actions.TARGETS:
        raise ValueError("%s: “target” is %s, not %r" % (topic, ", ".join(actions.TARGETS), target))
    if not isinstance(selection, list) or not all(isinstance(item, dict) for item in selection):
        raise ValueError("%s: “selection” must be a list of objects" % topic)
    return target, selection


class Actions(Qi.Addon):
    def do_register_addon(self):
        endpoint = self.get_endpoint()
        endpoint.add_handler("actions.list", self.on_list)
        endpoint.add_handler("actions.run", self.on_run)
        return True

    def classes(self):
        dirs = self.get_endpoint().request("addons.plugin_dirs", {"kind": "actions"}, 10000)["dirs"]
        classes, errors = actions.find_actions([entry["path"] for entry in dirs])
        return classes, errors

    def on_list(self, request, payload):
        try:
            target, selection = _checked(payload, "actions.list")
        except ValueError as error:
            request.fail(Qi.HubError.BAD_MESSAGE, str(error))
            return None
        classes, errors = self.classes()
        return {"actions": actions.compatible(classes, EndpointHub(self.get_endpoint()), target, selection, errors),
                "errors": errors}

    def on_run(self, request, payload):
        try:
            target, selection = _checked(payload, "actions.run")
        except ValueError as error:
            request.fail(Qi.HubError.BAD_MESSAGE, str(error))
            return None
        name = payload.get("action")
        classes, _errors = self.classes()
        if not any(cls.name() == name and target in cls.targets for cls in classes):
            request.fail(Qi.HubError.HANDLER_FAILED, "actions.run: no action “%s” for a %s (the actions: %s)" % (
                name, target, ", ".join(sorted(c.name() for c in classes if target in c.targets)) or "none"))
            return None
        hub = EndpointHub(self.get_endpoint())

        def work():
            try:
                call_in_main(request.reply, actions.run(classes, hub, name, target, selection))
            except Exception as error:
                call_in_main(request.fail, Qi.HubError.HANDLER_FAILED, "actions.run: %s: %s" % (name, error))

        threading.Thread(target=work, name="qi-action", daemon=True).start()
        return None
