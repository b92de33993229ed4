"""Workfile templates in Blender, for the TD who makes them
(docs/building.md): a placeholder is a collection holding a
``qi:placeholder-1.0`` record (and, for a create placeholder, the objects
its instance will hold); :func:`save_template` writes the .blend and the
placeholders beside it (``TEMPLATE.placeholders.json``), which
``qi --headless build plan`` reads without Blender::

    import qi_blender_build as b
    b.add_placeholder("create", {"creator": "blender.camera", "variant": "Main"}, order=10,
                      label="shot camera", objects=["Camera"])
    b.add_placeholder("load", {"builder": "linked", "product_type": "model", "representation": "blend"},
                      order=20, label="cast models")
    b.save_template("/studio/templates/layout.blend")
"""
import bpy

from qi.build.placeholders import placeholder, write_sidecar
from qi_blender_pipeline import BlenderPipelineHost


def add_placeholder(kind, options, order=0, label=None, objects=()):
    """A new placeholder in the open scene; returns its record."""
    record = placeholder(kind, options, order, label)
    BlenderPipelineHost().write_placeholder(record, list(objects))
    return record


def save_template(path):
    """Saves the scene as the template ``path`` and its placeholders beside it."""
    if "FINISHED" not in bpy.ops.wm.save_as_mainfile(filepath=path):
        raise RuntimeError("Blender did not save the template “%s”" % path)
    records = [record for record, _members in BlenderPipelineHost().placeholders()]
    return write_sidecar(path, records, host="blender")
