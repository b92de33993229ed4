"""Instance data, the shape Qi's publish plugins share (standard library
only): reading a representation's files and frames, checking them, and
the integrator's request (``publish.integrate``) for an instance.

The shape is docs/publishing.md's (“Instance data”). A representation's
``files`` is one file name (a single file) or a list of them (a frame
sequence, or UDIM tiles when ``udim`` is true), relative to
``stagingDir`` unless absolute; a sequence covers ``frameStart`` to
``frameEnd`` (its first and last frame by default).
"""
import os
import re

from qi import sequences

__all__ = ["PRODUCT_NAME", "RepresentationError", "files_of", "check_representation", "check_representations",
           "failed_steps", "integrate_payload"]

#: What a product name may be: a letter, then letters, digits, ``_``, ``-``.
PRODUCT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")


class RepresentationError(ValueError):
    """A representation that cannot be published, one sentence naming it
    and the file or field."""


def _label(index, representation):
    name = representation.get("name") if isinstance(representation, dict) else None
    return "representations[%d]%s" % (index, " (“%s”)" % name if isinstance(name, str) else "")


def files_of(representation, index=0):
    """``[(path, frame, udim)]``: each file of ``representation`` with its
    absolute path and its frame (or UDIM tile), None for a single file.
    Raises :class:`RepresentationError` for a malformed one."""
    label = _label(index, representation)
    if not isinstance(representation, dict):
        raise RepresentationError("%s: a representation is an object" % label)
    for key in ("name", "ext"):
        if not isinstance(representation.get(key), str):
            raise RepresentationError("%s: “%s” must be a string" % (label, key))
    if not representation["name"]:
        raise RepresentationError("%s: “name” is empty" % label)
    files = representation.get("files")
    staging = representation.get("stagingDir") or ""
    if not isinstance(staging, str):
        raise RepresentationError("%s: “stagingDir” must be a folder's path" % label)

    def absolute(name):
        path = name if os.path.isabs(name) else os.path.join(staging, name)
        if not os.path.isabs(path):
            raise RepresentationError("%s: “%s” is relative, and the representation has no stagingDir" % (label, name))
        return os.path.normpath(path)

    if isinstance(files, str) and files:
        return [(absolute(files), None, None)]
    if not isinstance(files, list) or not files or not all(isinstance(f, str) and f for f in files):
        raise RepresentationError("%s: “files” must be a file name or a list of them" % label)
    names = [os.path.basename(f) for f in files]
    if len(files) == 1 and sequences.split_frame(names[0]) is None:
        return [(absolute(files[0]), None, None)]
    try:
        sequence = sequences.frames_of(names)
    except sequences.SequenceError as error:
        raise RepresentationError("%s: %s" % (label, error))
    udim = bool(representation.get("udim"))
    by_name = {sequence.name(frame): frame for frame in sequence.frames}
    return [(absolute(f), None if udim else by_name[os.path.basename(f)], by_name[os.path.basename(f)] if udim else None)
            for f in files]


def check_representation(representation, index=0, exists=os.path.isfile):
    """Raises :class:`RepresentationError` unless every file of
    ``representation`` is there and a sequence has every frame from
    ``frameStart`` to ``frameEnd``."""
    label = _label(index, representation)
    entries = files_of(representation, index)
    missing = [path for path, _frame, _udim in entries if not exists(path)]
    if missing:
        more = " (and %d more)" % (len(missing) - 1) if len(missing) > 1 else ""
        raise RepresentationError("%s: “%s” does not exist%s" % (label, missing[0], more))
    frames = [frame for _path, frame, _udim in entries if frame is not None]
    if not frames:
        return
    start = representation.get("frameStart", min(frames))
    end = representation.get("frameEnd", max(frames))
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        raise RepresentationError("%s: “frameStart” and “frameEnd” must be whole numbers" % label)
    if end < start:
        raise RepresentationError("%s: the frame range %d-%d ends before it starts" % (label, start, end))
    outside = [frame for frame in frames if not start <= frame <= end]
    if outside:
        raise RepresentationError("%s: frame %d is outside the range %d-%d" % (label, outside[0], start, end))
    gaps = sequences.missing_frames(frames, start, end)
    if gaps:
        sequence = sequences.frames_of([os.path.basename(path) for path, _frame, _udim in entries])
        example = os.path.join(os.path.dirname(entries[0][0]), sequence.name(gaps[0]))
        raise RepresentationError("%s: the sequence misses frame%s %s of %d-%d (“%s” does not exist)" % (
            label, "s" if len(gaps) > 1 else "", sequences.format_frames(gaps), start, end, example))


def check_representations(data, name=None):
    """Raises :class:`RepresentationError` unless the instance ``data`` has
    representations, each of one name and each publishable
    (:func:`check_representation`); returns them."""
    name = name or data.get("productName")
    representations = data.get("representations")
    if not isinstance(representations, list) or not representations:
        raise RepresentationError("%s: nothing to publish (no representation)" % name)
    seen = set()
    for index, representation in enumerate(representations):
        check_representation(representation, index)
        if representation["name"] in seen:
            raise RepresentationError("%s: two representations are named “%s”" % (name, representation["name"]))
        seen.add(representation["name"])
    return representations


def failed_steps(instance):
    """The results of a publish's steps that failed on ``instance``."""
    return [result for result in instance.context.data.get("results", [])
            if result["instance"] is instance and not result["success"]]


def integrate_payload(data, context_data, dry_run=False):
    """The ``publish.integrate`` request of an instance's ``data``, in a
    context whose ``context_data`` gives the publish's ``host``, ``user``,
    ``currentFile`` (the source workfile), ``transfer_mode`` and
    ``publish`` (an id)."""
    representations = []
    frame_range = None
    for index, representation in enumerate(data.get("representations") or []):
        entries = files_of(representation, index)
        files = []
        for path, frame, udim in entries:
            if frame is None and udim is None:
                files.append(path)
            elif udim is not None:
                files.append({"path": path, "udim": udim})
            else:
                files.append({"path": path, "frame": frame})
        item = {"name": representation["name"], "ext": representation["ext"], "files": files,
                "tags": list(representation.get("tags") or [])}
        frames = [frame for _p, frame, _u in entries if frame is not None]
        if frames:
            item["frame_start"] = representation.get("frameStart", min(frames))
            item["frame_end"] = representation.get("frameEnd", max(frames))
            if frame_range is None:
                frame_range = [item["frame_start"], item["frame_end"]]
        if isinstance(representation.get("metadata"), dict):
            item["metadata"] = representation["metadata"]
        representations.append(item)
    metadata = {"host": context_data.get("host"), "user": context_data.get("user")}
    if context_data.get("currentFile"):
        metadata["source_workfile"] = context_data["currentFile"]
    if frame_range is not None:
        metadata["frame_range"] = frame_range
    if isinstance(data.get("metadata"), dict):
        metadata.update(data["metadata"])
    payload = {"project": data.get("project"), "context": data.get("context"),
               "product_type": data.get("productType"), "product_name": data.get("productName"),
               "comment": data.get("comment") or "", "representations": representations,
               "metadata": metadata, "dry_run": bool(dry_run)}
    for key, value in (("task", data.get("task")), ("variant", data.get("variant")),
                       ("mode", context_data.get("transfer_mode"))):
        if value:
            payload[key] = value
    if context_data.get("publish") and not dry_run:
        payload["publish"] = "%s-%s" % (context_data["publish"], data.get("productName"))
    return payload
