"""Actions: entry points that run code on what a window shows (standard
library only).

An action is a class in an addon's ``plugins/actions`` folder, written
the same way for Qi's own and a studio's::

    class OpenFolder(qi.actions.Action):
        label = "Open the folder"
        icon = "folder-open"
        targets = ["version"]        # task, version, representation, container
        order = 10

        def is_compatible(self, selection):
            return len(selection) == 1

        def process(self, selection):
            ...
            return {"message": "…", "path": folder}

``selection`` is a list of what the window shows, by target:

- ``task``: ``{"project", "context" (a path), "task" (a name)}``;
- ``version``: the tracker's VERSION (``id``, ``product``, ``number``…);
- ``representation``: ``{"version" (an id), "representation" (a name)}``;
- ``container``: a scene's ``qi:container-1.0`` record.

An action whose ``hosts`` names DCCs (``["blender"]``) runs in that DCC,
on its main thread (the session's ``pipeline.actions`` and
``pipeline.action``); one of ``hosts = ["*"]`` (the default) runs in Qi's
embedded Python (``actions.list``, ``actions.run``). An in-DCC action
imports its DCC's modules inside ``process``, so that Qi can read the file.

``self.hub`` asks the hub (``request(topic, payload, timeout)``). What
``process`` returns becomes the result the window shows as a toast:
``{"message", "path"?, "copy"? (text for the clipboard)}``; a string is the
message; what it raises is the error, one sentence.
"""
from qi.pipeline.discovery import discover

__all__ = ["Action", "ActionError", "TARGETS", "find_actions", "describe", "result_of", "compatible", "run"]

TARGETS = ("task", "version", "representation", "container")


class ActionError(ValueError):
    """An action that cannot run on the selection, in one sentence."""


class Action(object):
    abstract = True
    label = None
    icon = None
    order = 100
    targets = ["version"]
    hosts = ["*"]

    def __init__(self, hub):
        self.hub = hub

    @classmethod
    def name(cls):
        return cls.__name__

    def is_compatible(self, selection):
        """Whether the action applies to ``selection`` (not empty by
        default)."""
        return bool(selection)

    def process(self, selection):
        raise NotImplementedError


def find_actions(folders, host=None):
    """``(classes, errors)`` of the actions in ``folders``: those of
    ``host`` (a DCC's name) and of every host, or, with ``host`` None,
    those of every host only (Qi's side)."""
    classes, errors = discover(Action, folders, host)
    if host is None:
        classes = [cls for cls in classes if "*" in cls.hosts]
    return classes, errors


def compatible(classes, hub, target, selection, errors=None):
    """The descriptions of ``classes`` that take ``selection`` of
    ``target``, by order; a test that raises leaves its action out (and
    goes to ``errors``)."""
    fitting = []
    for cls in classes:
        if target not in cls.targets:
            continue
        try:
            if cls(hub).is_compatible(selection):
                fitting.append(describe(cls))
        except Exception as error:
            if errors is not None:
                errors["%s.is_compatible" % cls.name()] = str(error)
    fitting.sort(key=lambda a: (a["order"], a["label"]))
    return fitting


def run(classes, hub, name, target, selection):
    """Runs the action ``name`` of ``classes`` on ``selection``: its result
    (:func:`result_of`); :class:`ActionError` if there is none of that name
    for ``target`` or it does not take the selection."""
    chosen = [cls for cls in classes if cls.name() == name and target in cls.targets]
    if not chosen:
        raise ActionError("no action “%s” for a %s (the actions: %s)" % (
            name, target, ", ".join(sorted(c.name() for c in classes if target in c.targets)) or "none"))
    action = chosen[0](hub)
    if not action.is_compatible(selection):
        raise ActionError("“%s” does not apply to this selection" % (action.label or name))
    return result_of(action.process(selection))


def describe(cls):
    return {"name": cls.name(), "label": cls.label or cls.name(), "icon": cls.icon, "order": cls.order,
            "targets": list(cls.targets)}


def result_of(value):
    """What ``process`` returned as the window's result."""
    if value is None:
        return {"message": "done"}
    if isinstance(value, str):
        return {"message": value}
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        return dict(value)
    raise ActionError("the action returned %r, not a message or {\"message\", …}" % (value,))
