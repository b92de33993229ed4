"""Qi's publish engine, compatible with pyblish (standard library only).

Plugins written for pyblish-base run on it unchanged: where pyblish-base
is not installed, :func:`install_fallback` puts Qi's ``pyblish`` package
(``python/qi_fallback/pyblish``, which re-exports this engine) at the end
of ``sys.path``, so that ``import pyblish.api`` and ``pyblish.util.publish()``
work; where a studio has its own pyblish on the path, that one is
imported, as it comes first. ``docs/publishing.md`` tells the whole story.

Everything of :mod:`qi.publish.api` is here too::

    import qi.publish

    class CollectChair(qi.publish.ContextPlugin):
        order = qi.publish.CollectorOrder

        def process(self, context):
            context.create_instance("chairMain", productType="model")

    qi.publish.register_plugin(CollectChair)
    context = qi.publish.publish()
    assert all(result["success"] for result in context.data["results"])

The modules, one job each: ``entities`` (Context, Instance), ``plugin``
(plugins, actions, orders), ``matching`` (families, hosts, targets,
order), ``registry`` (what is registered), ``discovery`` (plugin files),
``step`` (one plugin run, its result), ``logic`` (the order of a publish
and where it stops), ``util`` (a publish in one call), ``actions``,
``events`` (callbacks), ``lib`` (shared helpers).
"""
import importlib
import importlib.util
import os
import sys

from . import api
from .api import *  # noqa: F401,F403

__all__ = api.__all__ + ["install_fallback", "FALLBACK_DIR"]

_PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FALLBACK_DIR = os.path.join(_PYTHON_DIR, "qi_fallback")


def _pyblish_location():
    module = sys.modules.get("pyblish")
    if module is not None:
        return getattr(module, "__file__", None) or ""
    spec = importlib.util.find_spec("pyblish")
    if spec is None:
        return None
    return spec.origin or ""


def install_fallback():
    """Appends :data:`FALLBACK_DIR` to ``sys.path`` if no ``pyblish`` can be
    imported, and says which one ``import pyblish`` gives: ``"qi"`` (this
    engine, through the fallback) or ``"studio"`` (another one, earlier on
    the path, left as it is)."""
    if _pyblish_location() is None:
        if FALLBACK_DIR not in sys.path:
            sys.path.append(FALLBACK_DIR)
        importlib.invalidate_caches()
    location = os.path.realpath(_pyblish_location() or "")
    return "qi" if location.startswith(os.path.realpath(FALLBACK_DIR) + os.sep) else "studio"
