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

``self.hub`` asks the hub (``request(topic, payload, timeout)``). What
``process`` returns becomes the result the window shows as a toast:
``{"message", "path"?, "copy"? (text for the clipboard)}``; a string is the
message; what it raises is the error, one sentence.
"""
from qi.pipeline.discovery import discover

__all__ = ["Action", "ActionError", "TARGETS", "find_actions", "describe", "result_of"]

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


def find_actions(folders):
    """``(classes, errors)`` of the actions in ``folders``."""
    return discover(Action, folders)


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
