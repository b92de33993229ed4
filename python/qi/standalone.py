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
"""
import json
import os

from qi import sequences

__all__ = ["InputError", "representations", "product", "read_batch", "PRODUCT_KEYS"]

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
