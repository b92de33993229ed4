"""Qi inside Nuke: the hub session on Nuke's main thread and the Qi menu."""

import qi.host

try:
    import nuke
except ImportError:  # outside Nuke
    nuke = None

_session = None


class NukeHost(qi.host.Host):
    name = "nuke"
    label = "Nuke"

    def version(self):
        return nuke.NUKE_VERSION_STRING

    def current_file(self):
        name = nuke.root().name()
        return None if name in ("", "Root") else name

    def save(self, path):
        nuke.scriptSaveAs(path, overwrite=1)

    def open(self, path):
        nuke.scriptClear()
        nuke.scriptOpen(path)

    def quit(self):
        nuke.scriptExit()

    def show_menu(self, items):
        menu = nuke.menu("Nuke").addMenu("Qi")
        menu.clearMenu()
        for item in items:
            menu.addCommand(item.label, item.action)


def init():
    """From init.py, in every mode: nothing before the interface."""


def start():
    global _session
    if nuke is None or not nuke.GUI:
        return None
    _session = qi.host.start_session(NukeHost(), executor=nuke.executeInMainThreadWithResult)
    return _session
