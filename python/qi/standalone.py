"""The standalone host's products: files, sequences and folders made into
what Qi's publish plugins publish (standard library only).

``qi --headless publish`` (and the standalone publisher) hands the publish
a list of products, each a dict in the shape of docs/publishing.md
(“Instance data”): ``productType``, ``variant``, ``productName`` (when
given), ``project``, ``context``, ``task``, ``comment`` and
``representations``. This module makes them:

- :func:`representations` from what a user names: a file
  (``/shots/plate.mov``), a sequence written ``sh010.####.exr``,
  ``sh010.%04d.exr`` or ``sh010.1001-1100#.exr`` (:mod:`qi.sequences`),
  UDIM tiles (``tex.<UDIM>.exr``), or a folder, whose files and sequences
  each become one; a representation is named after its extension, and a
  thumbnail is the representation ``thumbnail``;
- :func:`product` from the command line's fields;
- :func:`read_batch` from a batch file, many products at once::

      {"project": "demo", "task": "comp",
       "products": [{"context": "/sq010/sh010", "product_type": "render", "variant": "main",
                     "files": ["/renders/sh010.####.exr"], "thumbnail": "/renders/sh010.png"},
                    {"context": "/sq010/sh020", "product_type": "plate", "files": ["/plates/sh020"]}]}

  where a product's missing ``project``, ``context``, ``task``,
  ``comment`` and ``variant`` come from the top of the file (the file may
  also be a bare list of products).

What cannot be read raises :class:`InputError`, one sentence naming the
argument, file or field. Whether the files are there and a sequence has
all its frames is left to the validators, which say so for every host.

:func:`inspect` says what paths hold, for a window to show before the
publish (a sequence as one item, its frame range and missing frames);
:func:`publish` runs the publish plugins on products with host
``standalone`` (``qi --headless publish`` and the standalone publisher
window), and :func:`document` is its outcome as JSON.
"""
import json
import os
import threading
import time

from qi import sequences

__all__ = ["InputError", "representations", "product", "read_batch", "PRODUCT_KEYS", "inspect", "publish",
           "document"]

#: The keys of a product in a batch file.
PRODUCT_KEYS = ("project", "context", "task", "product_type", "product_name", "variant", "comment", "files",
                "thumbnail")


class InputError(ValueError):
    """What the user gave cannot be made into products."""


def _representation_of_file(path):
    folder, name = os.path.split(os.path.abspath(path))
    ext = os.path.splitext(name)[1][1:]
    return {"name": ext or "file", "ext": ext, "files": name, "stagingDir": folder, "tags": []}


def _representation_of_sequence(sequence, pattern=None):
    representation = {"name": sequence.ext or "file", "ext": sequence.ext, "files": sequence.names(),
                      "stagingDir": os.path.abspath(sequence.directory or os.curdir), "tags": []}
    if sequence.udim:
        representation["udim"] = True
    else:
        representation["frameStart"] = sequence.start
        representation["frameEnd"] = sequence.end
    if pattern is not None:
        representation["pattern"] = pattern
    return representation


def _items_of(path):
    """The representations that the argument ``path`` names."""
    if os.path.isdir(path):
        try:
            found = sequences.scan(path)
        except OSError as error:
            raise InputError("“%s”: cannot read the folder: %s" % (path, error.strerror))
        if not found:
            raise InputError("“%s”: the folder holds no file to publish" % path)
        return [_representation_of_sequence(item) if isinstance(item, sequences.Sequence)
                else _representation_of_file(item) for item in found]
    try:
        pattern = sequences.parse(path)
        if pattern is None:
            return [_representation_of_file(path)]
        return [_representation_of_sequence(sequences.expand(pattern), path)]
    except sequences.SequenceError as error:
        raise InputError(str(error))


def representations(paths, thumbnail=None):
    """The representations of the files, sequences and folders ``paths``
    (and of the image ``thumbnail``), in order. Two of one name (two
    ``.exr`` files or sequences) raise :class:`InputError`: one version
    holds one representation of each name."""
    found = []
    named = {}
    for path in paths:
        if not isinstance(path, str) or not path:
            raise InputError("a file must be a path, not %s" % json.dumps(path))
        for representation in _items_of(path):
            found.append((path, representation))
    if thumbnail is not None:
        if not isinstance(thumbnail, str) or not thumbnail:
            raise InputError("the thumbnail must be a path, not %s" % json.dumps(thumbnail))
        representation = _representation_of_file(thumbnail)
        representation.update(name="thumbnail", tags=["thumbnail"])
        found.append((thumbnail, representation))
    for path, representation in found:
        name = representation["name"]
        if name in named:
            first = named[name]
            raise InputError("“%s” and “%s” would both be the representation “%s”: a version has one of each "
                             "name; publish them as two products (--batch)" % (_shown(first), _shown((path, representation)),
                                                                            name))
        named[name] = (path, representation)
    return [representation for _path, representation in found]


def _shown(pair):
    path, representation = pair
    if isinstance(representation["files"], list) and os.path.isdir(path):
        first = representation["files"][0]
        return os.path.join(path, first) + (" …" if len(representation["files"]) > 1 else "")
    if isinstance(representation["files"], str) and os.path.isdir(path):
        return os.path.join(path, representation["files"])
    return path


def product(product_type, files, project=None, context=None, task=None, variant=None, product_name=None,
            comment=None, thumbnail=None):
    """One product of the files, sequences and folders ``files``."""
    if not files:
        raise InputError("no file to publish: name files, sequences (sh010.####.exr) or folders")
    data = {"productType": product_type, "representations": representations(files, thumbnail)}
    for key, value in (("project", project), ("context", context), ("task", task), ("variant", variant),
                       ("productName", product_name), ("comment", comment)):
        if value is not None:
            data[key] = value
    return data


def _check_text(where, key, value, required=False):
    if value is None:
        if required:
            raise InputError("%s: “%s” is missing" % (where, key))
        return None
    if not isinstance(value, str) or not value:
        raise InputError("%s: “%s” must be a non-empty string, not %s" % (where, key, json.dumps(value)))
    return value


def read_batch(path, defaults=None):
    """The products of the batch file ``path`` (see the module), each
    missing field taken from the file's top, then from ``defaults`` (the
    command line's ``project``, ``context``, ``task``, ``comment``,
    ``variant``, ``product_type``)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as error:
        raise InputError("“%s”: cannot read the batch file: %s" % (path, error.strerror))
    except UnicodeDecodeError as error:
        raise InputError("“%s”: not UTF-8 text (byte %d)" % (path, error.start))
    try:
        document = json.loads(text)
    except ValueError as error:
        raise InputError("“%s”: not JSON: %s" % (path, error))
    top = dict(defaults or {})
    if isinstance(document, dict):
        unknown = sorted(set(document) - set(PRODUCT_KEYS) - {"products"})
        if unknown:
            raise InputError("“%s”: unknown key “%s” (the keys are %s, products)" % (
                path, unknown[0], ", ".join(PRODUCT_KEYS)))
        for key, value in document.items():
            if key != "products" and value is not None:
                top[key] = value
        entries = document.get("products")
        if not isinstance(entries, list):
            raise InputError("“%s”: “products” must be a list of products" % path)
    elif isinstance(document, list):
        entries = document
    else:
        raise InputError("“%s”: a batch file is an object with “products”, or a list of products" % path)
    if not entries:
        raise InputError("“%s”: no product in the batch" % path)
    products = []
    for index, entry in enumerate(entries):
        where = "“%s”: products[%d]" % (path, index)
        if not isinstance(entry, dict):
            raise InputError("%s: a product is an object, not %s" % (where, json.dumps(entry)))
        unknown = sorted(set(entry) - set(PRODUCT_KEYS))
        if unknown:
            raise InputError("%s: unknown key “%s” (the keys are %s)" % (where, unknown[0], ", ".join(PRODUCT_KEYS)))
        merged = dict(top)
        merged.update({key: value for key, value in entry.items() if value is not None})
        fields = {key: _check_text(where, key, merged.get(key), required=key in ("context", "product_type"))
                  for key in ("project", "context", "task", "product_type", "product_name", "variant", "comment")}
        files = merged.get("files")
        if isinstance(files, str):
            files = [files]
        if not isinstance(files, list) or not files:
            raise InputError("%s: “files” must be a list of files, sequences or folders" % where)
        # a relative path in a batch file is relative to the file
        base = os.path.dirname(os.path.abspath(path))
        files = [os.path.join(base, f) if isinstance(f, str) and f and not os.path.isabs(f) else f for f in files]
        thumbnail = merged.get("thumbnail")
        if isinstance(thumbnail, str) and thumbnail and not os.path.isabs(thumbnail):
            thumbnail = os.path.join(base, thumbnail)
        try:
            products.append(product(fields["product_type"], files, fields["project"], fields["context"],
                                    fields["task"], fields["variant"], fields["product_name"], fields["comment"],
                                    thumbnail))
        except InputError as error:
            raise InputError("%s: %s" % (where, error))
    return products


def _described(item, pattern=None):
    if isinstance(item, sequences.Sequence):
        missing = item.missing()
        return {"kind": "udim" if item.udim else "sequence", "path": pattern or os.path.join(item.directory,
                                                                                            item.pattern()),
                "folder": os.path.abspath(item.directory or os.curdir), "name": item.pattern(), "ext": item.ext,
                "start": item.start, "end": item.end, "count": len(item.frames),
                "frames": sequences.format_frames(item.frames), "missing": missing,
                "missing_text": sequences.format_frames(missing)}
    folder, name = os.path.split(os.path.abspath(item))
    return {"kind": "file", "path": os.path.abspath(item), "folder": folder, "name": name,
            "ext": os.path.splitext(name)[1][1:], "exists": os.path.isfile(item)}


def inspect(paths):
    """What each of ``paths`` (files, patterns, folders) holds: ``[{"path",
    "items": [ITEM…], "error"}]``; an ITEM is a ``file`` (``exists``) or a
    ``sequence`` (``start``, ``end``, ``count``, ``frames``, ``missing``
    and ``missing_text``, the frames the range lacks)."""
    found = []
    for path in paths:
        entry = {"path": path, "items": [], "error": None}
        try:
            if not isinstance(path, str) or not path:
                raise InputError("a path is a non-empty string, not %s" % json.dumps(path))
            if os.path.isdir(path):
                entry["items"] = [_described(item) for item in sequences.scan(path)]
                if not entry["items"]:
                    raise InputError("“%s”: the folder holds no file to publish" % path)
            else:
                pattern = sequences.parse(path)
                entry["items"] = [_described(sequences.expand(pattern), path) if pattern else _described(path)]
        except (InputError, sequences.SequenceError, OSError) as error:
            entry["error"] = str(error)
        found.append(entry)
    return found


# pyblish's registry is the process's: one standalone publish at a time
_publishing = threading.Lock()


def publish(hub, products, data=None, on_result=None):
    """Runs the publish plugins of every loaded addon (``addons.plugin_dirs``
    through ``hub``) and of ``PYBLISHPLUGINPATH`` with host ``standalone``
    on ``products``; ``data`` goes into ``context.data`` (``project``,
    ``context``, ``task``, ``comment``, ``dry_run``, ``publish``,
    ``transfer_mode``). ``on_result(result)`` is called after each step.
    Returns ``(context, results, seconds)``."""
    import qi.publish

    with _publishing:
        which = qi.publish.install_fallback()
        import pyblish.api
        import pyblish.util

        dirs = [entry["path"] for entry in hub.request("addons.plugin_dirs", {"kind": "publish"}, timeout=10)["dirs"]]
        pyblish.api.register_host("standalone")
        for folder in dirs:
            pyblish.api.register_plugin_path(folder)
        context = pyblish.api.Context()
        context.data.update({"host": "standalone", "create_context": products, "hub": hub, "pyblish": which})
        context.data.update({key: value for key, value in (data or {}).items() if value is not None})
        context.data.setdefault("dry_run", False)
        results = []
        start = time.monotonic()
        try:
            for result in pyblish.util.publish_iter(context):
                results.append(result)
                if on_result is not None:
                    on_result(result)
        finally:
            for folder in dirs:
                pyblish.api.deregister_plugin_path(folder)
            pyblish.api.deregister_host("standalone")
        return context, results, time.monotonic() - start


def label_of(result):
    return getattr(result["plugin"], "label", None) or result["plugin"].__name__


def products_of(context):
    """The instances of Qi's products in a publish's context."""
    return [instance for instance in context if "qi.product" in (instance.data.get("families") or [])]


def document(context, results, seconds):
    """A publish's outcome: ``{"success", "dry_run", "duration_ms",
    "pyblish", "products": [REPORT…], "errors", "results"}``
    (docs/publishing.md)."""
    dry_run = bool(context.data.get("dry_run"))
    products = products_of(context)
    reports = [instance.data.get("qiDryRun" if dry_run else "qiReport") for instance in products]
    return {"success": bool(products) and all(result["success"] for result in results), "dry_run": dry_run,
            "duration_ms": round(seconds * 1000.0, 3), "pyblish": context.data.get("pyblish"),
            "products": [r for r in reports if r is not None],
            "errors": [str(result["error"]) for result in results if not result["success"]],
            "results": [_result_entry(result) for result in results]}


def _result_entry(result):
    error = result["error"]
    return {"plugin": result["plugin"].__name__, "label": label_of(result),
            "instance": result["instance"].data.get("productName") if result["instance"] is not None else None,
            "success": result["success"], "duration_ms": round(result["duration"], 3),
            "error": str(error) if error is not None else None,
            "traceback": getattr(error, "formatted_traceback", None) if error is not None else None,
            "records": [{"level": record.levelname.lower(), "message": record.getMessage()}
                        for record in result["records"]]}
