"""Loaders: what puts a published representation into a scene (standard
library only).

A :class:`LoaderPlugin` says what it loads — ``product_types``,
``representations`` (names) and ``extensions``, each a list where ``*``
takes everything — with its ``label``, ``order`` (lower first), ``icon``
and ``options`` (attribute definitions). ``load(context, name,
namespace, options)`` returns the members it made, which the host keeps
in a container; ``update(container, context)`` changes a container to
another version or representation, ``remove(container)`` takes it out;
``switch`` is ``update`` to another product's representation.

A load **context** is what the tracker says of one representation:
``{"project", "product", "version", "representation", "files", "path"}``
— its files resolved against this platform's roots (:func:`resolve`).
"""
import os

from .discovery import discover

__all__ = ["LoaderPlugin", "LoadError", "compatible_loaders", "is_compatible", "resolve", "representation_ext",
           "project_of", "version_files"]


class LoadError(ValueError):
    """What cannot be loaded, in one sentence."""


class LoaderPlugin(object):
    abstract = True
    label = None
    product_types = ["*"]
    representations = ["*"]
    extensions = ["*"]
    hosts = ["*"]
    order = 0
    icon = None
    is_multiple_contexts_compatible = False

    def __init__(self, host):
        self.host = host

    @classmethod
    def name(cls):
        return cls.__name__

    @classmethod
    def options(cls):
        return []

    def load(self, context, name, namespace, options):
        raise NotImplementedError

    def update(self, container, context):
        raise NotImplementedError

    def switch(self, container, context):
        return self.update(container, context)

    def remove(self, container):
        raise NotImplementedError


def representation_ext(representation):
    ext = (representation.get("metadata") or {}).get("ext")
    if ext:
        return ext
    files = representation.get("files") or []
    return os.path.splitext(files[0]["path"])[1][1:] if files else ""


def _takes(values, value):
    return "*" in values or value in values


def is_compatible(loader, product_type, representation):
    """Whether ``loader`` loads ``representation`` (a version's component)
    of a product of ``product_type``: its product type, name and extension
    all match."""
    return (_takes(loader.product_types, product_type) and _takes(loader.representations, representation["name"])
            and _takes(loader.extensions, representation_ext(representation)))


def compatible_loaders(loaders, product_type, representation):
    """The loaders of ``loaders`` that load ``representation``, best first:
    by ``order``, then those naming the representation or extension
    before those taking ``*``, then by name."""
    def rank(loader):
        exact = int("*" in loader.representations) + int("*" in loader.extensions) + int("*" in loader.product_types)
        return (loader.order, exact, loader.name())

    return sorted([l for l in loaders if is_compatible(l, product_type, representation)], key=rank)


def find_loaders(folders, host):
    """``(classes, errors)`` of the loaders in ``folders`` for ``host``."""
    return discover(LoaderPlugin, folders, host)


def resolve(representation, roots):
    """The absolute paths of a representation's files: each relative to
    the root its metadata names (``publish``, the integrator's), from
    ``roots`` (``templates.list``'s for this platform), or to the
    location's own root."""
    root_name = (representation.get("metadata") or {}).get("root")
    root = roots.get(root_name) if root_name else None
    if root is None:
        root = representation.get("location_root")
    if not root:
        raise LoadError("the representation “%s” (%s) has no root on this platform (%s)" % (
            representation.get("name"), representation.get("id"), root_name or "no root named"))
    return [os.path.join(root, f["path"]) for f in representation.get("files") or []]


def project_of(version, fallback=None):
    """The project a version was published in (its ``publish`` metadata)."""
    return ((version.get("metadata") or {}).get("publish") or {}).get("project") or fallback


def version_files(hub, version, names=None, roots=None):
    """``[(component, [PATH…])]`` of a version's components (those named in
    ``names``, or all), their files resolved for this platform's roots
    (``templates.list`` of the version's project through ``hub`` unless
    ``roots`` gives them)."""
    if roots is None:
        project = project_of(version)
        roots = hub.request("templates.list", {"project": project} if project else {}, timeout=30).get("roots") or {}
    return [(component, resolve(component, roots)) for component in version.get("components") or []
            if names is None or component["name"] in names]
