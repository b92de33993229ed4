"""The context and its instances: what a publish is about.

A :class:`Context` is the world of one publish (the scene, the user, the
task) and a list of :class:`Instance`; an instance is one thing to publish
and a list of its members (nodes, file names, whatever the host deals in).
Both carry ``data``, a plain dict, and an ``id`` unique to them::

    context = Context()
    model = context.create_instance("chairMain", family="model", families=["review"])
    model.append("chair_GEO")
    context.data["comment"] = "first pass"
    assert context[0] is model and context.get(model.id) is model
    assert model.context is context and model.data["name"] == "chairMain"

An instance's families are ``data["family"]`` followed by the list
``data["families"]``. An instance is published unless ``data["publish"]``
or ``data["active"]`` is false; :func:`toggle_instance` changes that and
emits ``instanceToggled``.

Entities compare by identity (two instances with the same members are not
the same instance), so ``context.remove(instance)`` removes that one.
"""
import uuid

from . import events

__all__ = ["AbstractEntity", "Context", "Instance", "is_active", "toggle_instance"]


class AbstractEntity(list):
    """What Context and Instance share: a list of members, ``data``, a
    unique ``id``, a ``name`` and a ``parent``."""

    def __init__(self, name=None, parent=None):
        super().__init__()
        self._id = str(uuid.uuid4())
        self._name = name
        self._parent = parent
        self.data = {}

    @property
    def id(self):
        return self._id

    @property
    def name(self):
        return self._name

    @property
    def parent(self):
        return self._parent

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __hash__(self):
        return hash(self._id)


class Context(AbstractEntity):
    """The world of one publish: its instances, in the order they were
    made, and ``data`` shared by every plugin (``data["results"]`` holds
    the result of each step)."""

    def create_instance(self, name, **kwargs):
        """A new instance in this context, its data ``kwargs`` (with
        ``name``)."""
        instance = Instance(name, parent=self)
        instance.data.update(kwargs)
        return instance

    def get(self, id, default=None):
        """The instance with this ``id``, or ``default``."""
        for instance in self:
            if instance.id == id:
                return instance
        return default

    def __getitem__(self, item):
        """``context[0]``, ``context[1:]`` as a list; ``context[id]`` the
        instance with that id (KeyError if none)."""
        if isinstance(item, str):
            instance = self.get(item)
            if instance is None:
                raise KeyError(item)
            return instance
        return super().__getitem__(item)

    def __contains__(self, item):
        if isinstance(item, str):
            return self.get(item) is not None
        return super().__contains__(item)


class Instance(AbstractEntity):
    """One thing to publish: a list of its members and its ``data``. Made
    with a ``parent`` context, it is appended to it."""

    def __init__(self, name, parent=None):
        super().__init__(name, parent)
        self.data["name"] = name
        if parent is not None:
            parent.append(self)

    @property
    def context(self):
        """The context this instance belongs to, or None."""
        parent = self.parent
        while parent is not None and not isinstance(parent, Context):
            parent = parent.parent
        return parent

    def __str__(self):
        return str(self.name)

    def __repr__(self):
        return "Instance({!r})".format(self.name)


def is_active(instance):
    """Whether ``instance`` is to be published: neither ``data["publish"]``
    nor ``data["active"]`` is false (both default to true)."""
    return bool(instance.data.get("publish", True)) and bool(instance.data.get("active", True))


def toggle_instance(instance, new_value):
    """Sets whether ``instance`` is published (``data["publish"]``, and
    ``data["active"]`` where it has one) and, if that changed, emits
    ``instanceToggled(instance, new_value, old_value)``."""
    new_value = bool(new_value)
    old_value = is_active(instance)
    instance.data["publish"] = new_value
    if "active" in instance.data:
        instance.data["active"] = new_value
    if new_value != old_value:
        events.emit("instanceToggled", instance=instance, new_value=new_value, old_value=old_value)
