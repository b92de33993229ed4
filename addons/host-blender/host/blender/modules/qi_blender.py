"""Qi inside Blender: the hub session, the File → Qi menu, the studio's scripts.

Qi's start-up module (startup/qi_startup.py) calls :func:`register` when
Blender starts:

- the studio's scripts folder, whose place BLENDER_USER_SCRIPTS took
  (QI_BLENDER_STUDIO_SCRIPTS; without it the user's own scripts folder),
  has its modules/ and addons/ put on sys.path, its addons listed among
  Blender's, and its startup modules imported and registered, as Blender
  would have done;
- with an interface, the session connects (qi.host.Session), a timer of
  bpy.app.timers runs the hub's requests on Blender's main thread (bpy is
  not thread-safe), and File → Qi holds the menu.

In the background (``blender --background``) Blender has no event loop and
exits once its arguments are done; the host addon then adds
``--python-expr "import qi_blender; qi_blender.serve_background()"``,
which serves the hub on the main thread until host.quit or the end of the
session, then returns and Blender exits.
"""

import importlib
import os
import sys
import traceback

try:
    import bpy
except ImportError:  # outside Blender: compiled and tested without it
    bpy = None


def _warn(text):
    print(text, file=sys.stderr, flush=True)


def _load_qi():
    """qi.host, from QI_HOST_PYTHONPATH when Blender's Python ignores
    PYTHONPATH (official builds do, without --python-use-system-env)."""
    for entry in reversed(os.environ.get("QI_HOST_PYTHONPATH", "").split(os.pathsep)):
        if entry and entry not in sys.path:
            sys.path.insert(0, entry)
    try:
        import qi.host
    except ImportError as e:
        if os.environ.get("QI_SERVER_URL"):
            _warn("Qi: cannot import Qi's Python package ({}); Blender runs on without Qi".format(e))
        return None
    return qi.host


qi_host = _load_qi()
_session = None
_items = []


def _base():
    """The pipeline's host where Blender and Qi's package are there."""
    if qi_host is None:
        return object
    if bpy is not None:
        try:
            from qi_blender_pipeline import BlenderPipelineHost
            return BlenderPipelineHost
        except ImportError as e:
            _warn("Qi: the pipeline cannot load in Blender ({}); the session runs without it".format(e))
    return qi_host.Host


def _session_class():
    try:
        from qi.pipeline.session import PipelineSession
        return PipelineSession
    except ImportError:
        return qi_host.Session


class BlenderHost(_base()):
    name = "blender"
    label = "Blender"

    def version(self):
        return bpy.app.version_string

    def current_file(self):
        return bpy.data.filepath or None

    def save(self, path):
        if "FINISHED" not in bpy.ops.wm.save_as_mainfile(filepath=path):
            raise RuntimeError("Blender did not save “{}”".format(path))

    def open(self, path):
        if "FINISHED" not in bpy.ops.wm.open_mainfile(filepath=path):
            raise RuntimeError("Blender did not open “{}”".format(path))

    def quit(self):
        if not bpy.app.background:
            bpy.ops.wm.quit_blender()

    def show_menu(self, items):
        global _items
        _items = list(items)


# -- the studio's scripts --------------------------------------------------


def _own_folder():
    return os.path.normpath(os.environ.get("QI_HOST_PLUGIN_FOLDER") or
                            os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def studio_scripts_folder():
    """The scripts folder Blender would have used without Qi's."""
    folder = os.environ.get("QI_BLENDER_STUDIO_SCRIPTS")
    if not folder and bpy is not None:
        folder = os.path.join(bpy.utils.resource_path("USER"), "scripts")
    if not folder or not os.path.isdir(folder) or os.path.normpath(folder) == _own_folder():
        return None
    return folder


def load_studio_scripts():
    """Loads the studio's folder as Blender loads a scripts folder; returns
    the names of the startup modules registered."""
    folder = studio_scripts_folder()
    if folder is None:
        return []
    for sub in ("modules", "startup", "addons"):
        path = os.path.join(folder, sub)
        if os.path.isdir(path) and path not in sys.path:
            sys.path.append(path)
    addons = os.path.join(folder, "addons")
    if os.path.isdir(addons):
        import addon_utils

        if not getattr(addon_utils.paths, "qi_studio", False):
            original = addon_utils.paths

            def paths():
                found = original()
                return found + [addons] if addons not in found else found
            paths.qi_studio = True
            addon_utils.paths = paths
    loaded = []
    startup = os.path.join(folder, "startup")
    names = sorted(os.listdir(startup)) if os.path.isdir(startup) else []
    for name in names:
        module = name[:-3] if name.endswith(".py") else name
        if name.startswith((".", "_")) or not (name.endswith(".py") or
                                               os.path.isfile(os.path.join(startup, name, "__init__.py"))):
            continue
        try:
            mod = importlib.import_module(module)
            if callable(getattr(mod, "register", None)):
                mod.register()
            loaded.append(module)
        except Exception:
            _warn("Qi: the studio's start-up module {} failed:\n{}".format(
                os.path.join(startup, name), traceback.format_exc()))
    return loaded


# -- the menu --------------------------------------------------------------

if bpy is not None:
    class QI_OT_menu_item(bpy.types.Operator):
        """Runs an entry of the Qi menu"""
        bl_idname = "qi.menu_item"
        bl_label = "Qi"
        bl_options = {"INTERNAL"}

        index: bpy.props.IntProperty()

        def execute(self, context):
            if 0 <= self.index < len(_items):
                _items[self.index].action()
            return {"FINISHED"}

    class QI_MT_menu(bpy.types.Menu):
        bl_idname = "QI_MT_menu"
        bl_label = "Qi"

        def draw(self, context):
            for index, item in enumerate(_items):
                self.layout.operator(QI_OT_menu_item.bl_idname, text=item.label).index = index

    def _draw_file_menu(self, context):
        self.layout.separator()
        self.layout.menu(QI_MT_menu.bl_idname)

    _CLASSES = (QI_OT_menu_item, QI_MT_menu)


def register_menu(items):
    """File → Qi with ``items`` (qi.host.MenuItem)."""
    BlenderHost.show_menu(None, items)
    if getattr(bpy.types, "QI_MT_menu", None) is None:
        for cls in _CLASSES:
            bpy.utils.register_class(cls)
        bpy.types.TOPBAR_MT_file.append(_draw_file_menu)


def unregister_menu():
    if getattr(bpy.types, "QI_MT_menu", None) is not None:
        bpy.types.TOPBAR_MT_file.remove(_draw_file_menu)
        for cls in reversed(_CLASSES):
            bpy.utils.unregister_class(cls)


# -- the session -------------------------------------------------------------


def _pump():
    if _session is None:
        return None
    _session.main.run_pending()
    return 0.1


def register():
    global _session
    load_studio_scripts()
    if bpy.app.background or qi_host is None:
        return  # serve_background() connects, when the host addon added it
    _session = _session_class()(BlenderHost())
    if _session.connect():
        bpy.app.timers.register(_pump, first_interval=0.1, persistent=True)
        register_menu(_session.menu_items)
    else:
        _session = None


def unregister():
    global _session
    session, _session = _session, None
    if session is not None:
        if bpy.app.timers.is_registered(_pump):
            bpy.app.timers.unregister(_pump)
        unregister_menu()
        session.close()


def serve_background():
    """Serves the hub's requests on this (the main) thread until host.quit
    or the end of the session, then returns, so that Blender exits."""
    if qi_host is None:
        return
    session = _session_class()(BlenderHost())
    if not session.connect():
        return
    print("Qi: {} serves the hub in the background".format(session.session), flush=True)
    try:
        session.main.serve(until=session.finished.is_set)
    finally:
        session.close()
