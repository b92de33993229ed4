"""The publish of a farm render: the metadata file a DCC writes beside the
render's outputs when it submits, and what the publish job
(``qi --headless publish --from-farm FILE``) reads from it.

The file (``qi:farm-publish-1.0``, JSON)::

    {"schema": "qi:farm-publish-1.0",
     "project": "demo", "context": "/sq010/sh010", "task": "lighting",
     "user": "ada", "comment": "first light", "host": "blender",
     "source_workfile": "{root[work]}/demo/sq010/sh010/work/lighting/sh010_lighting_v003.blend",
     "instances": [{"product_type": "render", "variant": "Main", "product_name": "renderMain",
                    "representations": [{"name": "png", "ext": "png",
                                         "pattern": "{root[work]}/demo/…/renders/renderMain/v001/renderMain.####.png",
                                         "frames": [1, 8]}]}]}

Paths are rootless: a path under one of the project's roots is written
``{root[NAME]}/rest``, so that a worker whose mounts differ resolves it
with its own platform's roots (``templates.list``); a path under none is
kept as it is. Before anything is published every expected frame must be
there and complete (not empty; a PNG with its end chunk, an EXR with its
magic number), else the publish is refused naming the frames.

Standard library only."""
import json
import os
import re

from qi import sequences

from .adapter import write_json

SCHEMA = "qi:farm-publish-1.0"
_ROOT = re.compile(r"^\{root\[([A-Za-z0-9_-]+)\]\}")


class MetadataError(ValueError):
    """A metadata file that cannot be published from; the message names
    the file and what is wrong."""


def rootless(path, roots):
    """``path`` with the longest root it is under as ``{root[NAME]}``."""
    path = os.path.normpath(os.path.abspath(path))
    best = None
    for name, root in (roots or {}).items():
        if not root:
            continue
        root = os.path.normpath(root)
        if path == root or path.startswith(root.rstrip("/") + "/"):
            if best is None or len(root) > len(best[1]):
                best = (name, root)
    if best is None:
        return path
    return "{root[%s]}%s" % (best[0], path[len(best[1]):])


def resolve(text, roots, where="path"):
    """A rootless path → this platform's path. Raises MetadataError for a
    root this platform does not have."""
    match = _ROOT.match(text)
    if not match:
        return text
    root = (roots or {}).get(match.group(1))
    if not root:
        raise MetadataError("%s: the root “%s” has no folder on this platform (anatomy.roots)" % (
            where, match.group(1)))
    return root.rstrip("/") + text[match.end():]


def write(path, document):
    """Writes the file whole or not at all (a temporary name, then renamed)."""
    write_json(path, document, indent=2)


def _text(document, key, where, required=True):
    value = document.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise MetadataError("%s: “%s” must be a non-empty string" % (where, key))
    return value


def _objects(document, key, where):
    """The non-empty list of objects ``document[key]``, each with where it is."""
    items = document.get(key)
    if not isinstance(items, list) or not items:
        raise MetadataError("%s: “%s” must be a non-empty list" % (where, key))
    spots = []
    for i, item in enumerate(items):
        spot = "%s%s%s[%d]" % (where, "." if where.endswith("]") else ": ", key, i)
        if not isinstance(item, dict):
            raise MetadataError("%s is not an object" % spot)
        spots.append((spot, item))
    return spots


def read(path):
    """The metadata file, checked; raises MetadataError naming the file and
    the member."""
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except FileNotFoundError:
        raise MetadataError("%s: no such file (the render job's metadata is written when it is submitted)" % path)
    except OSError as error:
        raise MetadataError("%s: %s" % (path, error.strerror))
    except ValueError as error:
        raise MetadataError("%s is not JSON: %s" % (path, error))
    if not isinstance(document, dict):
        raise MetadataError("%s: the metadata is an object" % path)
    if document.get("schema") != SCHEMA:
        raise MetadataError("%s: “schema” is %r, not “%s”" % (path, document.get("schema"), SCHEMA))
    for key in ("project", "context"):
        _text(document, key, path)
    for key in ("task", "user", "comment", "host", "source_workfile"):
        _text(document, key, path, required=False)
    for where, instance in _objects(document, "instances", path):
        _text(instance, "product_type", where)
        _text(instance, "variant", where, required=False)
        _text(instance, "product_name", where, required=False)
        for spot, representation in _objects(instance, "representations", where):
            _text(representation, "name", spot)
            _text(representation, "pattern", spot)
            frames = representation.get("frames")
            if frames is not None and (not isinstance(frames, list) or len(frames) != 2 or
                                       not all(isinstance(f, int) and not isinstance(f, bool) for f in frames)
                                       or frames[0] > frames[1]):
                raise MetadataError("%s: “frames” must be [first, last]" % spot)
    return document


def expected_files(representation, roots, where="representation"):
    """The files a representation expects, resolved for this platform."""
    pattern = resolve(representation["pattern"], roots, where)
    frames = representation.get("frames")
    if frames is None:
        return [pattern]
    sequence = _pattern(pattern, where)
    folder = os.path.dirname(pattern)
    return [os.path.join(folder, sequence.head + sequences.format_frame(frame, sequence.padding) + sequence.tail)
            for frame in range(frames[0], frames[1] + 1)]


def _pattern(path, where):
    try:
        sequence = sequences.parse(os.path.basename(path))
    except sequences.SequenceError as error:
        raise MetadataError("%s: %s" % (where, error))
    if sequence is None or sequence.udim:
        raise MetadataError("%s: “%s” has no frame number (####)" % (where, os.path.basename(path)))
    return sequence


def incomplete(path):
    """Why a rendered file is not complete, or None."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return "missing"
    except OSError as error:
        return error.strerror
    if not os.path.isfile(path):
        return "not a file"
    if size == 0:
        return "empty"
    lower = path.lower()
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if lower.endswith(".png"):
                f.seek(max(0, size - 12))
                if head != b"\x89PNG\r\n\x1a\n" or f.read(12)[4:8] != b"IEND":
                    return "cut short (no PNG end)"
            elif lower.endswith(".exr") and head[:4] != b"\x76\x2f\x31\x01":
                return "not an OpenEXR file"
            elif lower.endswith((".jpg", ".jpeg")):
                f.seek(max(0, size - 2))
                if head[:2] != b"\xff\xd8" or f.read(2) != b"\xff\xd9":
                    return "cut short (no JPEG end)"
    except OSError as error:
        return error.strerror
    return None


def check(document, roots):
    """``[sentence]``: each expected file that is missing or incomplete."""
    problems = []
    for instance in document["instances"]:
        name = instance.get("product_name") or instance["product_type"]
        for representation in instance["representations"]:
            where = "%s %s" % (name, representation["name"])
            for path in expected_files(representation, roots, where):
                why = incomplete(path)
                if why:
                    problems.append("%s: %s is %s" % (where, path, why))
    return problems


def products(document, roots):
    """The products to publish (:mod:`qi.standalone`'s shape), each frame
    of each sequence required."""
    from qi import standalone

    found = []
    for instance in document["instances"]:
        name = instance.get("product_name") or instance["product_type"]
        paths = []
        for representation in instance["representations"]:
            where = "%s %s" % (name, representation["name"])
            pattern = resolve(representation["pattern"], roots, where)
            frames = representation.get("frames")
            if frames is not None:
                sequence = _pattern(pattern, where)
                # the range form: each frame of it must be there
                pattern = os.path.join(os.path.dirname(pattern), "%s%d-%d%s%s" % (
                    sequence.head, frames[0], frames[1], "#" * sequence.padding, sequence.tail))
            paths.append(pattern)
        found.append(standalone.product(instance["product_type"], paths, document["project"], document["context"],
                                        document.get("task"), instance.get("variant"), instance.get("product_name"),
                                        document.get("comment")))
    return found
