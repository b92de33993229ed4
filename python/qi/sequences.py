"""File sequences: frames written into file names (standard library only).

A **sequence** is the files of one folder whose names differ only by a
frame number, ``sh010.1001.exr`` … ``sh010.1100.exr``: a ``head``
(``sh010.``), the number written with a ``padding`` (4: at least four
digits, zeros in front, as ``printf``'s ``%04d`` writes it; 1: as the
number is, no zeros), and a ``tail`` (``.exr``). A frame may be negative
(``sh010.-001.exr``, padding 4 as ``%04d`` writes -1).

A user names one with a **pattern**, which :func:`parse` reads:

- ``sh010.####.exr``: the frames on disk, padding 4 (one ``#`` a digit);
- ``sh010.%04d.exr``, ``sh010.%d.exr`` (padding 1);
- ``sh010.1001-1100#.exr``: the frames 1001 to 1100, each of which must
  be there; with one ``#`` the padding is the width of the first number
  as written (``0001-0100#``: 4, ``1-100#``: 1), with more, their count
  (``1001-1100####``);
- ``tex.<UDIM>.exr``: UDIM tiles (1001 and up, four digits), which are
  not expected to be contiguous.

:func:`expand` finds a pattern's files on disk; :func:`group` sorts file
names into sequences and single files (what a folder holds, :func:`scan`);
:func:`frames_of` reads the frames back from a list of a sequence's
names; :func:`format_frames` writes frames for people, ``1001-1003,
1007``. ::

    found = expand("/shots/sh010.####.exr")
    found.frames                  # [1001, 1002, 1004]
    found.missing()               # [1003]
    found.path(1003)              # "/shots/sh010.1003.exr"
    group(["a.1.exr", "a.2.exr", "notes.txt"])
    # [Sequence("", "a.", ".exr", padding=1, frames=[1, 2]), "notes.txt"]
"""
import os
import re

__all__ = ["Sequence", "Pattern", "SequenceError", "parse", "expand", "group", "scan", "frames_of",
           "format_frames", "missing_frames", "format_frame", "split_frame"]

UDIM_FIRST = 1001


class SequenceError(ValueError):
    """A pattern that matches nothing, or names that are not one sequence;
    its message is one sentence naming the pattern or the file."""


def format_frame(frame, padding):
    """``frame`` written with ``padding`` as ``%0Nd`` writes it."""
    return "%0*d" % (max(1, padding), frame)


def _fits(text, padding):
    """Whether the digits ``text`` (a sign allowed) are a frame written with
    ``padding``."""
    return format_frame(int(text), padding) == text


def format_frames(frames):
    """``[1001, 1002, 1003, 1007]`` → ``"1001-1003, 1007"``."""
    frames = sorted(set(frames))
    runs = []
    for frame in frames:
        if runs and frame == runs[-1][1] + 1:
            runs[-1][1] = frame
        else:
            runs.append([frame, frame])
    return ", ".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in runs)


def missing_frames(frames, start=None, end=None):
    """The frames from ``start`` to ``end`` (the first and last of
    ``frames`` by default) that ``frames`` lacks, in order."""
    have = set(frames)
    if not have and (start is None or end is None):
        return []
    start = min(have) if start is None else start
    end = max(have) if end is None else end
    return [frame for frame in range(start, end + 1) if frame not in have]


class Sequence(object):
    """Files of one folder that differ by a frame number (or a UDIM tile):
    ``directory``, ``head``, ``tail``, ``padding``, ``frames`` (sorted),
    and the range they should cover, ``start`` and ``end`` (the first and
    last frame found, unless a pattern gave them). ``udim`` sequences are
    tiles, for which a hole is no gap."""

    def __init__(self, directory, head, tail, padding, frames, start=None, end=None, udim=False):
        self.directory = directory
        self.head = head
        self.tail = tail
        self.padding = padding
        self.frames = sorted(set(frames))
        self.udim = udim
        self.start = start if start is not None else (self.frames[0] if self.frames else None)
        self.end = end if end is not None else (self.frames[-1] if self.frames else None)

    def name(self, frame):
        """The file name of ``frame``."""
        return self.head + format_frame(frame, self.padding) + self.tail

    def path(self, frame):
        """The path of ``frame``'s file."""
        return os.path.join(self.directory, self.name(frame))

    def names(self):
        """The file names of the frames there are, in order."""
        return [self.name(frame) for frame in self.frames]

    def paths(self):
        return [self.path(frame) for frame in self.frames]

    def missing(self):
        """The frames from ``start`` to ``end`` that are not there (none
        for UDIM tiles)."""
        if self.udim or self.start is None:
            return []
        return missing_frames(self.frames, self.start, self.end)

    @property
    def ext(self):
        """The files' extension without its dot (``exr``), or ``""``."""
        # "x" first: splitext(".exr") is a hidden file's name, no extension
        return os.path.splitext("x" + self.tail)[1][1:]

    def pattern(self):
        """The sequence written as a pattern: ``sh010.####.exr``,
        ``tex.<UDIM>.exr``; ``%d`` for padding 1."""
        token = "<UDIM>" if self.udim else ("#" * self.padding if self.padding > 1 else "%d")
        return self.head + token + self.tail

    def __len__(self):
        return len(self.frames)

    def __eq__(self, other):
        return isinstance(other, Sequence) and self._key() == other._key()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._key())

    def _key(self):
        return (self.directory, self.head, self.tail, self.padding, tuple(self.frames), self.start, self.end,
                self.udim)

    def __repr__(self):
        return "Sequence(%r, %r, %r, padding=%d, frames=%s%s)" % (
            self.directory, self.head, self.tail, self.padding,
            "[" + format_frames(self.frames) + "]", ", udim=True" if self.udim else "")


class Pattern(object):
    """A sequence as a user writes it (:func:`parse`): ``directory``,
    ``head``, ``tail``, ``padding``, the range ``start`` and ``end``
    (None unless written), ``udim``, and the ``text`` it was read from."""

    def __init__(self, text, directory, head, tail, padding, start=None, end=None, udim=False):
        self.text = text
        self.directory = directory
        self.head = head
        self.tail = tail
        self.padding = padding
        self.start = start
        self.end = end
        self.udim = udim

    def matches(self, name):
        """The frame of the file name ``name``, or None if it is not one of
        this pattern's."""
        if not (name.startswith(self.head) and name.endswith(self.tail)):
            return None
        digits = name[len(self.head):len(name) - len(self.tail)]
        if self.udim:
            if len(digits) == 4 and digits.isdigit() and int(digits) >= UDIM_FIRST:
                return int(digits)
            return None
        if not re.match(r"^-?[0-9]+$", digits) or not _fits(digits, self.padding):
            return None
        return int(digits)

    def __repr__(self):
        return "Pattern(%r)" % self.text


_PRINTF = re.compile(r"%(0?)([0-9]*)d")
_RANGE = re.compile(r"^(?P<head>.*?)(?P<start>-?[0-9]+)-(?P<end>-?[0-9]+)(?P<hashes>#+)(?P<tail>[^#]*)$")
_HASHES = re.compile(r"^(?P<head>[^#]*?)(?P<hashes>#+)(?P<tail>[^#]*)$")
_UDIM = re.compile(r"<udim>", re.IGNORECASE)


def parse(text):
    """The :class:`Pattern` that ``text`` writes, or None when its file name
    holds no frame token (``#``, ``%d``, ``<UDIM>``). A name with two
    tokens raises :class:`SequenceError`."""
    directory, name = os.path.split(text)
    tokens = len(_PRINTF.findall(name)) + len(_UDIM.findall(name)) + len(re.findall(r"#+", name))
    if tokens == 0:
        return None
    if tokens > 1:
        raise SequenceError("“%s” has more than one frame token (#, %%d, <UDIM>): write one" % text)
    udim = _UDIM.search(name)
    if udim:
        return Pattern(text, directory, name[:udim.start()], name[udim.end():], 4, udim=True)
    printf = _PRINTF.search(name)
    if printf:
        width = printf.group(2)
        if width and not printf.group(1) and width != "1":
            raise SequenceError("“%s”: write %%0%sd for frames padded to %s digits" % (text, width, width))
        padding = int(width) if width else 1
        return Pattern(text, directory, name[:printf.start()], name[printf.end():], max(1, padding))
    ranged = _RANGE.match(name)
    if ranged:
        head, start_text, end_text = ranged.group("head"), ranged.group("start"), ranged.group("end")
        if start_text.startswith("-") and head and head[-1].isalnum():
            # "sh010-1001-1100#": that "-" parts the name from the frames.
            head, start_text = head + "-", start_text[1:]
        start, end = int(start_text), int(end_text)
        if end < start:
            raise SequenceError("“%s”: the range %d-%d ends before it starts" % (text, start, end))
        hashes = len(ranged.group("hashes"))
        padding = len(start_text) if hashes == 1 else hashes
        return Pattern(text, directory, head, ranged.group("tail"), padding, start, end)
    hashes = _HASHES.match(name)
    return Pattern(text, directory, hashes.group("head"), hashes.group("tail"), len(hashes.group("hashes")))


def expand(pattern, listdir=os.listdir):
    """The :class:`Sequence` of the files on disk that ``pattern`` (a
    :class:`Pattern` or its text) names, its ``start`` and ``end`` the
    pattern's range if it has one. No folder, or no file at all, raises
    :class:`SequenceError`; missing frames do not (``missing()`` lists
    them)."""
    if not isinstance(pattern, Pattern):
        text = pattern
        pattern = parse(text)
        if pattern is None:
            raise SequenceError("“%s” is not a sequence: write its frames as ####, %%04d or 1001-1100#" % text)
    folder = pattern.directory or os.curdir
    try:
        names = listdir(folder)
    except OSError as error:
        raise SequenceError("“%s”: cannot read the folder “%s”: %s" % (pattern.text, folder, error.strerror))
    frames = []
    for name in names:
        frame = pattern.matches(name)
        if frame is not None and (pattern.start is None or pattern.start <= frame <= pattern.end):
            frames.append(frame)
    if not frames:
        if pattern.start is not None:
            first = os.path.join(pattern.directory, pattern.head + format_frame(pattern.start, pattern.padding)
                                 + pattern.tail)
            raise SequenceError("“%s”: none of its frames %s is there (“%s” does not exist)" % (
                pattern.text, format_frames(range(pattern.start, pattern.end + 1)), first))
        raise SequenceError("“%s”: no file matches in “%s”" % (pattern.text, folder))
    return Sequence(pattern.directory, pattern.head, pattern.tail, pattern.padding, frames,
                    pattern.start, pattern.end, pattern.udim)


_FRAME = re.compile(r"^(?P<head>.*?)(?P<frame>(?:(?<=^)|(?<=[._]))-[0-9]+|[0-9]+)(?P<rest>[^0-9]*)$")


def split_frame(name):
    """``(head, digits, tail)`` of a file name whose stem ends in a number
    (its last run of digits before the extension: ``sh010.1001.exr`` →
    ``("sh010.", "1001", ".exr")``; a ``-`` after ``.``, ``_`` or at the
    start is the frame's sign), or None."""
    stem, ext = os.path.splitext(name)
    match = _FRAME.match(stem)
    if not match:
        return None
    return match.group("head"), match.group("frame"), match.group("rest") + ext


def _paddings(numbers):
    """Sorts the digit strings of one head and tail into runs of one
    padding: ``{padding: [digits…]}``. A number written with zeros in
    front, or a sign and zeros, fixes the padding to its width; the others
    fit any padding up to their width, and join the smallest that they
    fit, else make their own (the smallest width among them)."""
    fixed = {}
    free = []
    for digits in numbers:
        bare = digits.lstrip("-")
        if len(bare) > 1 and bare.startswith("0"):
            fixed.setdefault(len(digits), []).append(digits)
        else:
            free.append(digits)
    runs = dict(fixed)
    leftover = []
    for digits in free:
        fits = [padding for padding in sorted(runs) if padding <= len(digits) and _fits(digits, padding)]
        if fits:
            runs[fits[0]].append(digits)
        else:
            leftover.append(digits)
    if leftover:
        runs.setdefault(min(len(d) for d in leftover), []).extend(leftover)
    return runs


def group(names, directory=""):
    """The file names ``names`` sorted into sequences (two files or more
    that differ by a frame number) and single names, in the order of their
    first name. Hidden names (``.x``) are kept as they are given."""
    keyed = {}
    order = []
    for name in names:
        parts = split_frame(name)
        key = (parts[0], parts[2]) if parts else None
        if key is None:
            order.append(("single", name))
            continue
        if key not in keyed:
            keyed[key] = []
            order.append(("key", key))
        keyed[key].append(parts[1])
    found = []
    for kind, item in order:
        if kind == "single":
            found.append((item, item))
            continue
        head, tail = item
        for padding, digits in sorted(_paddings(keyed[item]).items()):
            frames = sorted(set(int(d) for d in digits))
            if len(frames) == 1:
                found.append((head + digits[0] + tail, head + digits[0] + tail))
            else:
                sequence = Sequence(directory, head, tail, padding, frames)
                found.append((sequence.name(frames[0]), sequence))
    found.sort(key=lambda pair: _natural(pair[0]))
    return [thing for _first, thing in found]


def _natural(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"([0-9]+)", name)]


def scan(folder, listdir=os.listdir):
    """:func:`group` of the files of ``folder`` (not its subfolders, nor
    hidden files), each sequence's ``directory`` the folder."""
    names = [name for name in listdir(folder)
             if not name.startswith(".") and os.path.isfile(os.path.join(folder, name))]
    grouped = group(names, folder)
    return [thing if isinstance(thing, Sequence) else os.path.join(folder, thing) for thing in grouped]


def frames_of(names):
    """The :class:`Sequence` that the file names ``names`` (no folder) are,
    for a representation's ``files``; :class:`SequenceError` if they are
    not one sequence (or one file with a frame number)."""
    names = list(names)
    if not names:
        raise SequenceError("no files")
    grouped = group(names)
    if len(grouped) == 1 and isinstance(grouped[0], Sequence):
        if len(grouped[0].frames) != len(names):
            raise SequenceError("“%s” is there twice" % _first_repeated(names))
        return grouped[0]
    if len(names) == 1:
        parts = split_frame(names[0])
        if parts:
            return Sequence("", parts[0], parts[2], len(parts[1]) if parts[1].lstrip("-").startswith("0")
                            else 1, [int(parts[1])])
        raise SequenceError("“%s” has no frame number in its name" % names[0])
    singles = [thing if isinstance(thing, str) else thing.pattern() for thing in grouped]
    raise SequenceError("the files are not one sequence: %s" % ", ".join("“%s”" % s for s in singles))


def _first_repeated(names):
    seen = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return names[0]
