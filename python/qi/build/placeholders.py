"""Placeholders: the records a workfile template holds where building
puts something (``qi:placeholder-1.0``), like containers and instances.

A record::

    {"schema": "qi:placeholder-1.0", "id": "…", "kind": "load", "order": 10, "label": "cast models",
     "options": {"builder": "linked", "product_type": "model", "product_name": "^model",
                 "representation": "blend", "context_kind": "asset_build", "loader": "LinkBlend"}}

Kinds and their options:

- ``load``: ``builder`` — ``context`` (the context built), ``linked`` (the
  contexts it uses: its casting), ``all`` (every context of the project
  matching the filters) —, ``product_type``, ``product_name`` (a regular
  expression), ``representation`` (a name), ``context_path`` (a regular
  expression over the contexts' paths), ``context_kind`` (``asset_build``,
  ``shot``, …), ``loader`` (a loader's name; else the first compatible),
  ``loader_options``, ``version`` (a number: pinned; else the latest
  published);
- ``create``: ``creator`` (an identifier), ``variant``, ``active`` (True),
  ``members`` (``placeholder``: what the placeholder holds, the default;
  ``scene``: the scene's content);
- ``script``: ``code``, Python the host runs with ``build`` (the build's
  context, task and what was loaded) in its globals;
- ``context``: ``apply``, some of ``frame_range``, ``fps``,
  ``resolution``, set from the context's values (the ``build`` addon's
  ``context_values`` setting).

A template's placeholders are also written beside it,
``TEMPLATE.placeholders.json``, so that a plan can be made without its
DCC (``qi --headless build plan``); the DCC's scene is the truth when it
builds, and a sidecar that says otherwise is reported.

Standard library only."""
import json
import os
import re
import uuid

SCHEMA = "qi:placeholder-1.0"
KINDS = ("load", "create", "script", "context")
BUILDERS = ("context", "linked", "all")
CONTEXT_VALUES = ("frame_range", "fps", "resolution")

_OPTIONS = {
    "load": {"builder": str, "product_type": str, "product_name": str, "representation": str,
             "context_path": str, "context_kind": str, "loader": str, "loader_options": dict, "version": int},
    "create": {"creator": str, "variant": str, "active": bool, "members": str},
    "script": {"code": str},
    "context": {"apply": list},
}
_REQUIRED = {"load": ("builder",), "create": ("creator", "variant"), "script": ("code",), "context": ("apply",)}


class PlaceholderError(ValueError):
    """A placeholder that is not one; the message names it and the field."""


def check(record, where="placeholder"):
    """The record, checked and with its defaults; raises PlaceholderError."""
    if not isinstance(record, dict):
        raise PlaceholderError("%s is not an object" % where)
    if record.get("schema") != SCHEMA:
        raise PlaceholderError("%s: “schema” is %r, not “%s”" % (where, record.get("schema"), SCHEMA))
    kind = record.get("kind")
    if kind not in KINDS:
        raise PlaceholderError("%s: “kind” is %r, not one of %s" % (where, kind, ", ".join(KINDS)))
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise PlaceholderError("%s: “id” must be a non-empty string" % where)
    order = record.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        raise PlaceholderError("%s: “order” must be an integer, not %r" % (where, order))
    options = record.get("options") or {}
    if not isinstance(options, dict):
        raise PlaceholderError("%s: “options” must be an object" % where)
    label = record.get("label") or kind
    where = "%s “%s”" % (where, label)
    for key, value in options.items():
        wanted = _OPTIONS[kind].get(key)
        if wanted is None:
            raise PlaceholderError("%s: a %s placeholder has no option “%s” (it has %s)" % (
                where, kind, key, ", ".join(sorted(_OPTIONS[kind]))))
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            raise PlaceholderError("%s: the option “%s” must be a%s %s, not %r" % (
                where, key, "n" if wanted.__name__[0] in "aeiou" else "", {"str": "string", "dict": "object",
                                                                            "int": "integer", "bool": "boolean",
                                                                            "list": "list"}[wanted.__name__], value))
    for key in _REQUIRED[kind]:
        if options.get(key) in (None, ""):
            raise PlaceholderError("%s: a %s placeholder needs the option “%s”" % (where, kind, key))
    if kind == "load":
        if options["builder"] not in BUILDERS:
            raise PlaceholderError("%s: “builder” is %r, not one of %s" % (where, options["builder"],
                                                                         ", ".join(BUILDERS)))
        for key in ("product_name", "context_path"):
            if options.get(key):
                try:
                    re.compile(options[key])
                except re.error as error:
                    raise PlaceholderError("%s: the option “%s” is not a regular expression (%s)" % (
                        where, key, error))
        if "version" in options and options["version"] < 1:
            raise PlaceholderError("%s: a pinned “version” is a number from 1" % where)
    if kind == "context":
        wrong = [value for value in options["apply"] if value not in CONTEXT_VALUES]
        if wrong:
            raise PlaceholderError("%s: “apply” takes %s, not %r" % (where, ", ".join(CONTEXT_VALUES), wrong[0]))
    if kind == "create":
        options.setdefault("active", True)
        options.setdefault("members", "placeholder")
        if options["members"] not in ("placeholder", "scene"):
            raise PlaceholderError("%s: “members” is placeholder or scene, not %r" % (where, options["members"]))
    return {"schema": SCHEMA, "id": record["id"], "kind": kind, "order": order, "label": label,
            "options": options}


def placeholder(kind, options=None, order=0, label=None, record_id=None):
    """A new placeholder record (checked)."""
    return check({"schema": SCHEMA, "id": record_id or uuid.uuid4().hex, "kind": kind, "order": order,
                  "label": label or kind, "options": dict(options or {})})


def ordered(records):
    """By order, then label: the order a build follows."""
    return sorted(records, key=lambda r: (r["order"], r["label"], r["id"]))


def sidecar_path(template):
    return template + ".placeholders.json"


def read_sidecar(template):
    """The placeholders written beside ``template``; raises
    PlaceholderError naming the file and the record."""
    path = sidecar_path(template)
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except FileNotFoundError:
        raise PlaceholderError("the template %s has no placeholders file (%s): save the template from its DCC "
                               "with Qi's placeholders" % (template, path))
    except OSError as error:
        raise PlaceholderError("%s: %s" % (path, error.strerror))
    except ValueError as error:
        raise PlaceholderError("%s is not JSON: %s" % (path, error))
    records = document.get("placeholders") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise PlaceholderError("%s: “placeholders” must be a list" % path)
    return ordered([check(record, "%s: placeholders[%d]" % (path, i)) for i, record in enumerate(records)])


def write_sidecar(template, records, host=None):
    path = sidecar_path(template)
    temporary = "%s.tmp-%d" % (path, os.getpid())
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump({"template": os.path.basename(template), "host": host,
                   "placeholders": ordered([check(r) for r in records])}, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(temporary, path)
    return path
