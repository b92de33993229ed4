"""Qi inside Houdini: the hub session on Houdini's main thread, the Qi
menu (MainMenuCommon.xml) and the chaining of 123.py and 456.py, of which
Houdini runs only the first found."""

import os

import qi.host

try:
    import hou
except ImportError:  # outside Houdini
    hou = None

_session = None


class HoudiniHost(qi.host.Host):
    name = "houdini"
    label = "Houdini"

    def version(self):
        return hou.applicationVersionString()

    def current_file(self):
        return None if hou.hipFile.isNewFile() else hou.hipFile.path()

    def save(self, path):
        hou.hipFile.save(file_name=path)

    def open(self, path):
        hou.hipFile.load(path, suppress_save_prompt=True)

    def quit(self):
        hou.exit(exit_code=0, suppress_save_prompt=True)


def pythonrc():
    """From pythonrc.py: the session, in a Houdini with an interface."""
    global _session
    if hou is None or not hou.isUIAvailable() or _session is not None:
        return None
    import hdefereval

    _session = qi.host.start_session(HoudiniHost(), executor=hdefereval.executeInMainThreadWithResult)
    return _session


def chain(relative, namespace, environ=None):
    """Runs the studio's ``relative`` script (scripts/123.py) that comes
    after Qi's plugin folder on HOUDINI_PATH, in ``namespace``."""
    environ = os.environ if environ is None else environ
    entries = environ.get("HOUDINI_PATH", "").replace(";", os.pathsep).split(os.pathsep)
    script = qi.host.next_in_search_path(entries, relative, environ.get("QI_HOST_PLUGIN_FOLDER", ""))
    if script is not None:
        with open(script) as f:
            exec(compile(f.read(), script, "exec"), namespace)
    return script


def run(label):
    """A menu entry by its label (MainMenuCommon.xml)."""
    for item in (_session.menu_items if _session is not None else []):
        if item.label == label:
            return item.action()
    hou.ui.displayMessage("Qi is not connected to the hub")
    return None


def choose():
    """The host's own menu items, in a list to choose from."""
    items = [i for i in (_session.menu_items if _session is not None else []) if i.topic]
    if not items:
        hou.ui.displayMessage("Qi has no actions here")
        return
    chosen = hou.ui.selectFromList([i.label for i in items], exclusive=True, title="Qi")
    if chosen:
        items[chosen[0]].action()
