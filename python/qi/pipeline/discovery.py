"""Plugin classes from plugin folders (standard library only): every
``.py`` file of a folder not starting with ``_``, in name order, gives
the subclasses of a base class that it defines and that are made for the
host (``hosts``, ``*`` for every host). A file that fails to load is
kept in the errors and the others still count."""
import importlib.util
import inspect
import os
import traceback

__all__ = ["discover"]


def _load(path, index):
    name = "qi_plugin_%d_%s" % (index, os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def discover(base, folders, host=None):
    """``(classes, errors)``: the concrete subclasses of ``base`` in the
    files of ``folders`` whose ``hosts`` hold ``host`` or ``*``, and
    ``{path: traceback}`` of the files that did not load."""
    found, errors = [], {}
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        for filename in sorted(os.listdir(folder)):
            path = os.path.join(folder, filename)
            if not filename.endswith(".py") or filename.startswith("_") or not os.path.isfile(path):
                continue
            try:
                module = _load(path, len(found) + len(errors))
            except Exception as error:
                errors[path] = "".join(traceback.format_exception(type(error), error, error.__traceback__))
                continue
            for value in vars(module).values():
                if (inspect.isclass(value) and issubclass(value, base) and value.__module__ == module.__name__
                        and not vars(value).get("abstract", False) and not inspect.isabstract(value)):
                    hosts = getattr(value, "hosts", ["*"])
                    if host is None or "*" in hosts or host in hosts:
                        found.append(value)
    return found, errors
