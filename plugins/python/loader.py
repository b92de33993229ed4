"""The Python side of Qi's Python loader (plugins/python).

qi-python-loader.c compiles this file from its GResource under the name
``qi-python-loader/loader.py`` and calls ``setup()`` once, then ``load()``
for each Python addon. Nothing here runs unless a Python addon loads.
"""
import importlib.util
import os
import sys


def setup(python_dirs, typelib_dir):
    """Puts Qi's Python folders first on sys.path, lets gi find libqi's
    typelib, and imports ``gi.repository.Qi`` with Qi's overrides — also
    when an embedding Python imported gi, or Qi itself, first."""
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
    from gi.repository import Qi
    import qi.addon  # noqa: F401

    if "gi.overrides.Qi" not in sys.modules:
        # gi.repository.Qi was imported before our folders were on the
        # path, without the overrides: apply them now, everywhere.
        import gi.repository
        from gi.module import get_introspection_module
        from gi.overrides import load_overrides
        Qi = load_overrides(get_introspection_module("Qi"))
        sys.modules["gi.repository.Qi"] = Qi
        gi.repository.Qi = Qi
    if "gi.overrides.Qi" not in sys.modules:
        raise ImportError("Qi's PyGObject overrides (gi/overrides/Qi.py) are not in {}".format(python_dirs))


def _find_vfunc(cls, name):
    """The function implementing vfunc ``name`` for ``cls`` (its own or a
    Python base class's), and the vfunc's info; (None, None) if Qi's."""
    from gi._gi import VFuncInfo

    function = None
    for base in cls.__mro__:
        value = base.__dict__.get(name)
        if isinstance(value, VFuncInfo):
            return function, value
        if function is None and callable(value):
            function = value
    return None, None


def _error(text):
    from gi.repository import GLib, Qi

    return GLib.Error(text, "qi-addon-error-quark", int(Qi.AddonError.FAILED))


def _wrap_vfuncs(cls):
    """Hooks wrappers of the addon's vfuncs into its class: an exception
    (any, SystemExit and KeyboardInterrupt too: they are the addon's
    failure, not the process's) becomes ``GLib.Error`` with the trimmed
    traceback, which PyGObject hands to libqi as the vfunc's GError; an
    exception in ``__init__`` fails register. ``do_close`` returns
    nothing: its exception is logged."""
    from gi._gi import hook_up_vfunc_implementation
    from gi.repository import GLib
    from qi.addon import format_exception, log_exception

    init = cls.__init__

    def __init__(self, *args, **kwargs):
        try:
            init(self, *args, **kwargs)
        except BaseException as e:
            self._qi_init_error = format_exception(e)

    cls.__init__ = __init__

    def wrap(name, step):
        original, info = _find_vfunc(cls, name)
        if info is None:
            return

        def wrapped(self, *args):
            failed = getattr(self, "_qi_init_error", None)
            if failed is not None and name != "do_close":
                raise _error("the addon's __init__ failed: " + failed)
            if original is None:
                return None if name == "do_close" else True
            try:
                result = original(self, *args)
            except GLib.Error:
                raise
            except BaseException as e:
                if name == "do_close":
                    log_exception("close", e)
                    return None
                raise _error(format_exception(e)) from None
            if name == "do_close":
                return None
            if result is None or result is True:
                return True
            if not result:
                raise _error("{} returned False without saying why".format(step))
            return True

        wrapped.__name__ = name
        setattr(cls, name, wrapped)
        # PyGObject hooked the original into the class's vtable when the
        # class was made; hook the wrapper in its place.
        hook_up_vfunc_implementation(info, cls.__gtype__, wrapped)

    wrap("do_register_addon", "register")
    wrap("do_install", "install")
    wrap("do_close", "close")


_loaded = {}  # (name, folder) → the GType: a module is imported once per process


def _forget(module_name):
    for key in [k for k in sys.modules if k == module_name or k.startswith(module_name + ".")]:
        del sys.modules[key]


def load(name, folder):
    """Imports ``folder/addon.py`` as the module ``qi_addons.NAME`` (the
    name as it is: ``my-tool`` and ``my_tool`` stay apart) and returns the
    GType of the one subclass of ``Qi.Addon`` it defines. An addon loaded
    again (after it closed) gets the same type, as a native module's types
    stay registered."""
    from gi.repository import Qi

    if (name, folder) in _loaded:
        return _loaded[(name, folder)]

    path = os.path.join(folder, "addon.py")
    module_name = "qi_addons." + name
    if "qi_addons" not in sys.modules:
        import types
        package = types.ModuleType("qi_addons")
        package.__path__ = []
        sys.modules["qi_addons"] = package
    # Another folder's addon of this name (a dev bundle's checkout, say):
    # its submodules must not stand in for this one's.
    _forget(module_name)
    spec = importlib.util.spec_from_file_location(module_name, path, submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
        found = [value for value in vars(module).values()
                 if isinstance(value, type) and issubclass(value, Qi.Addon) and value is not Qi.Addon
                 and value.__module__ == module_name]
        if len(found) != 1:
            names = ", ".join(sorted(c.__name__ for c in found)) or "none"
            raise ImportError("{} must define exactly one subclass of Qi.Addon; it defines {}: {}".format(
                path, len(found), names))
    except BaseException:
        _forget(module_name)
        raise
    cls = found[0]
    _wrap_vfuncs(cls)
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
