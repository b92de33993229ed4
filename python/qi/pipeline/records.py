"""The records Qi keeps in a scene (standard library only).

A **container** marks what a loader put in the scene; an **instance**
marks publishable content. Each is a dict stored in the scene itself (a
host decides how: Blender keeps it as a custom property of a collection),
so a saved and reopened scene keeps them:

- ``qi:container-1.0``: ``id``, ``name``, ``namespace``, ``loader``,
  ``representation`` (id) and ``representation_name``, ``version`` (id)
  and ``version_number``, ``product`` (id), ``product_name``,
  ``product_type``, ``project``, ``locked``;
- ``qi:instance-1.0``: ``id``, ``creator``, ``product_type``,
  ``product_name``, ``variant``, ``context``, ``task``, ``active``,
  ``creator_attributes``, ``publish_attributes``.

:func:`check` says in one sentence what a stored record lacks, so that a
scene edited by hand or by an old version fails clearly.
"""
import uuid

__all__ = ["CONTAINER_SCHEMA", "INSTANCE_SCHEMA", "RecordError", "new_id", "container", "instance", "check"]

CONTAINER_SCHEMA = "qi:container-1.0"
INSTANCE_SCHEMA = "qi:instance-1.0"

_FIELDS = {
    CONTAINER_SCHEMA: (("id", str), ("name", str), ("namespace", str), ("loader", str), ("representation", str),
                       ("representation_name", str), ("version", str), ("version_number", int), ("product", str),
                       ("product_name", str), ("product_type", str), ("project", str), ("locked", bool)),
    INSTANCE_SCHEMA: (("id", str), ("creator", str), ("product_type", str), ("product_name", str),
                      ("variant", str), ("context", str), ("task", (str, type(None))), ("active", bool),
                      ("creator_attributes", dict), ("publish_attributes", dict)),
}


class RecordError(ValueError):
    """A record that is not one of Qi's."""


def new_id():
    return uuid.uuid4().hex


def container(name, namespace, loader, representation, version, product, project, locked=False):
    """A container record; ``representation``, ``version`` and ``product``
    are the tracker's dicts (REPRESENTATION is a version's component)."""
    return {"schema": CONTAINER_SCHEMA, "id": new_id(), "name": name, "namespace": namespace, "loader": loader,
            "representation": str(representation["id"]), "representation_name": representation["name"],
            "version": str(version["id"]), "version_number": int(version["number"]),
            "product": str(product["id"]), "product_name": product["name"], "product_type": product["type"],
            "project": project, "locked": bool(locked)}


def instance(creator, product_type, product_name, variant, context, task, creator_attributes=None,
             publish_attributes=None, active=True):
    return {"schema": INSTANCE_SCHEMA, "id": new_id(), "creator": creator, "product_type": product_type,
            "product_name": product_name, "variant": variant, "context": context, "task": task,
            "active": bool(active), "creator_attributes": dict(creator_attributes or {}),
            "publish_attributes": dict(publish_attributes or {})}


def check(record, schema, where="the record"):
    """``record`` if it is a valid record of ``schema``; else raises
    :class:`RecordError` naming ``where`` and the field."""
    if not isinstance(record, dict):
        raise RecordError("%s is not a record (an object)" % where)
    if record.get("schema") != schema:
        raise RecordError("%s is not a %s record (its schema is %r)" % (where, schema, record.get("schema")))
    for key, kind in _FIELDS[schema]:
        if key not in record:
            raise RecordError("%s lacks “%s”" % (where, key))
        value = record[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise RecordError("%s: “%s” is %r, not %s" % (where, key, value, getattr(kind, "__name__", "a string")))
    return record
