"""Qi inside Autodesk Maya: the hub session on Maya's main thread and the Qi menu."""

import qi.host

try:
    import maya.cmds as cmds
    import maya.utils
except ImportError:  # outside Maya
    cmds = None

_session = None


class MayaHost(qi.host.Host):
    name = "maya"
    label = "Maya"

    def version(self):
        return cmds.about(version=True)

    def current_file(self):
        return cmds.file(query=True, sceneName=True) or None

    def save(self, path):
        kind = "mayaBinary" if path.lower().endswith(".mb") else "mayaAscii"
        cmds.file(rename=path)
        cmds.file(save=True, type=kind, force=True)

    def open(self, path):
        cmds.file(path, open=True, force=True)

    def quit(self):
        cmds.quit(force=True)

    def show_menu(self, items):
        if cmds.about(batch=True):
            return
        if cmds.menu("QiMenu", exists=True):
            cmds.deleteUI("QiMenu")
        cmds.menu("QiMenu", label="Qi", parent="MayaWindow", tearOff=True)
        for item in items:
            cmds.menuItem(label=item.label, parent="QiMenu", command=lambda *_, item=item: item.action())


def start():
    global _session
    if cmds is None:
        return None
    _session = qi.host.start_session(MayaHost(), executor=maya.utils.executeInMainThreadWithResult)
    return _session


def start_deferred():
    """From userSetup.py: once Maya is idle, its window built."""
    if cmds is not None:
        maya.utils.executeDeferred(start)
