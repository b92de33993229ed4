"""The Python side of Qi's Python loader (plugins/python).

qi-python-loader.c compiles this file from its GResource under the name
``qi-python-loader/loader.py`` and calls ``setup()`` once, then ``load()``
for each Python addon. Nothing here runs unless a Python addon loads.
"""
import importlib.util
import os
import sys


def setup(python_dirs, typelib_dir):
    """Puts Qi's Python folders first on sys.path (before ``gi`` is first
    imported, so that Qi's overrides are found), lets gi find libqi's
    typelib, and imports ``gi.repository.Qi``."""
    for folder in reversed([d for d in python_dirs if d]):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    import gi
    # gi may have come first (pygobject_init() imports it, and so may an
    # embedding Python): extend its packages' paths as gi does on import,
    # so that gi.overrides finds Qi's overrides in our folders.
    from pkgutil import extend_path
    gi.__path__ = extend_path(gi.__path__, "gi")
    if "gi.overrides" in sys.modules:
        sys.modules["gi.overrides"].__path__ = extend_path(sys.modules["gi.overrides"].__path__, "gi.overrides")
    gi.require_version("GIRepository", "2.0")
    from gi.repository import GIRepository
    if typelib_dir and os.path.isdir(typelib_dir):
        GIRepository.Repository.prepend_search_path(typelib_dir)
    gi.require_version("Qi", "1.0")
    gi.require_version("Json", "1.0")
    from gi.repository import Qi  # noqa: F401  (applies the overrides)
    import qi.addon  # noqa: F401


def _wrap_vfunc(cls, name, step):
    """Makes ``cls.<name>`` turn a Python exception into ``GLib.Error``
    carrying the trimmed traceback, which PyGObject hands to libqi as the
    vfunc's GError."""
    original = cls.__dict__.get(name)
    if original is None:
        return
    from gi.repository import GLib, Qi
    from qi.addon import format_exception

    def wrapped(self, *args):
        try:
            result = original(self, *args)
        except GLib.Error:
            raise
        except Exception as e:
            raise GLib.Error(format_exception(e), "qi-addon-error-quark", int(Qi.AddonError.FAILED))
        if name == "do_close":
            return result
        if result is None:
            return True
        if not result:
            raise GLib.Error("{} returned False without saying why".format(step),
                             "qi-addon-error-quark", int(Qi.AddonError.FAILED))
        return True

    wrapped.__name__ = name
    wrapped.__qualname__ = original.__qualname__
    setattr(cls, name, wrapped)
    # PyGObject hooked the original function into the class's vtable when
    # the class was made; hook the wrapper in its place.
    from gi._gi import VFuncInfo, hook_up_vfunc_implementation
    for base in cls.__mro__[1:]:
        info = getattr(base, name, None)
        if isinstance(info, VFuncInfo):
            hook_up_vfunc_implementation(info, cls.__gtype__, wrapped)
            break


_loaded = {}  # (name, folder) → the GType: a module is imported once per process


def load(name, folder):
    """Imports ``folder/addon.py`` as the module ``qi_addons.NAME`` and
    returns the GType of the one subclass of ``Qi.Addon`` it defines. An
    addon loaded again (after it closed) gets the same type, as a native
    module's types stay registered."""
    from gi.repository import Qi

    if (name, folder) in _loaded:
        return _loaded[(name, folder)]

    path = os.path.join(folder, "addon.py")
    module_name = "qi_addons." + name.replace("-", "_")
    if "qi_addons" not in sys.modules:
        import types
        package = types.ModuleType("qi_addons")
        package.__path__ = []
        sys.modules["qi_addons"] = package
    spec = importlib.util.spec_from_file_location(module_name, path, submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise

    found = [value for value in vars(module).values()
             if isinstance(value, type) and issubclass(value, Qi.Addon) and value is not Qi.Addon
             and value.__module__ == module_name]
    if len(found) != 1:
        names = ", ".join(sorted(c.__name__ for c in found)) or "none"
        raise ImportError("{} must define exactly one subclass of Qi.Addon; it defines {}: {}".format(
            path, len(found), names))
    cls = found[0]
    _wrap_vfunc(cls, "do_register_addon", "register")
    _wrap_vfunc(cls, "do_install", "install")
    _wrap_vfunc(cls, "do_close", "close")
    _loaded[(name, folder)] = cls.__gtype__
    return cls.__gtype__


def format_exception(exc):
    """The traceback of ``exc`` without the loader's frames."""
    try:
        from qi.addon import format_exception as trimmed
        return trimmed(exc)
    except Exception:
        import traceback
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip("\n")
