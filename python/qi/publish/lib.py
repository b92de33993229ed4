"""Helpers the rest of the engine shares: the version of the pyblish API it
follows and plugins' ``requires`` against it, the names a function takes,
and the capture of a logger's records during one step.

``__version__`` and ``version_info`` say which pyblish API this engine
follows (pyblish-base 1.8's documented one), so that a plugin's
``requires = "pyblish>=1.4"`` reads as it would with pyblish-base.
"""
import contextlib
import inspect
import logging
import re

__version__ = "1.8.0"
version_info = (1, 8, 0)

_REQUIREMENT = re.compile(r"^\s*([A-Za-z][\w.-]*)\s*(.*?)\s*$")
_SPECIFIER = re.compile(r"^(==|!=|>=|<=|>|<|=)?\s*(\d+(?:\.\d+)*)$")
_COMPARE = {
    "==": lambda a, b: a == b, "=": lambda a, b: a == b, "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
}


def _padded(numbers, width):
    return tuple(numbers) + (0,) * (width - len(numbers))


def requirement_met(requires, version=version_info):
    """Whether ``requires`` (``"pyblish"``, ``"pyblish>=1.1"``,
    ``"pyblish>=1,<2"``, or a list of such) holds for ``version``.

    A requirement on anything but pyblish, or one that does not parse,
    raises ValueError: the engine cannot tell whether it holds."""
    if isinstance(requires, (list, tuple)):
        return all(requirement_met(r, version) for r in requires)
    match = _REQUIREMENT.match(requires or "")
    if not match or match.group(1).lower() != "pyblish":
        raise ValueError("not a requirement on pyblish: {!r}".format(requires))
    for specifier in filter(None, (s.strip() for s in match.group(2).split(","))):
        parsed = _SPECIFIER.match(specifier)
        if not parsed:
            raise ValueError("cannot read {!r} in {!r}".format(specifier, requires))
        wanted = tuple(int(n) for n in parsed.group(2).split("."))
        width = max(len(wanted), len(version))
        if not _COMPARE[parsed.group(1) or "=="](_padded(version, width), _padded(wanted, width)):
            return False
    return True


def argument_names(function):
    """The names of the parameters ``function`` takes, ``self`` of a bound
    method left out."""
    return list(inspect.signature(function).parameters)


class _Recorder(logging.Handler):
    """Keeps every record, and hands on those that the logger would have
    let through to the handlers that would have had them."""

    def __init__(self, threshold, own_handlers, parent):
        super().__init__(logging.DEBUG)
        self.records = []
        self.threshold = threshold
        self.own_handlers = own_handlers
        self.parent = parent

    def emit(self, record):
        self.records.append(record)
        if record.levelno < self.threshold:
            return
        found = 0
        for handler in self.own_handlers:
            found += 1
            if record.levelno >= handler.level:
                handler.handle(record)
        logger = self.parent
        while logger is not None:
            for handler in logger.handlers:
                found += 1
                if record.levelno >= handler.level:
                    handler.handle(record)
            logger = logger.parent if logger.propagate else None
        if not found and logging.lastResort is not None and record.levelno >= logging.lastResort.level:
            logging.lastResort.handle(record)


@contextlib.contextmanager
def capture_records(logger):
    """Within the block, every record of ``logger`` from DEBUG up goes into
    the list this yields. What reaches the console and the other handlers
    does not change: records below the logger's own effective level still
    go nowhere else."""
    saved = (logger.level, logger.propagate, logger.handlers)
    recorder = _Recorder(logger.getEffectiveLevel(), list(logger.handlers),
                         logger.parent if logger.propagate else None)
    logger.handlers = [recorder]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        yield recorder.records
    finally:
        logger.handlers = saved[2]
        logger.propagate = saved[1]
        logger.setLevel(saved[0])
