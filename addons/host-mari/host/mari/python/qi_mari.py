"""Qi inside Mari: the hub session on the Qt main thread and the Qi menu.
Mari keeps its projects in its cache; the workfile is the project's
archive (.mra), and the project remembers it in its metadata."""

import os

import qi.host

try:
    import mari
except ImportError:  # outside Mari
    mari = None

_session = None
_timer = None
_WORKFILE = "QiWorkfile"


class MariHost(qi.host.Host):
    name = "mari"
    label = "Mari"

    def version(self):
        return mari.app.version().string()

    def current_file(self):
        project = mari.projects.current()
        if project is None or not project.hasMetadata(_WORKFILE):
            return None
        return project.metadata(_WORKFILE) or None

    def save(self, path):
        project = mari.projects.current()
        if project is None:
            raise RuntimeError("Mari has no project open to save")
        project.setMetadata(_WORKFILE, path)
        project.save(force_save=True)
        mari.projects.archive(project.name(), path)

    def open(self, path):
        name = mari.projects.extract(path).name()
        mari.projects.open(name)
        mari.projects.current().setMetadata(_WORKFILE, path)

    def quit(self):
        mari.app.quit()

    def show_menu(self, items):
        for item in items:
            action = mari.actions.create("Qi/" + item.label, item.action)
            mari.menus.addAction(action, "MainWindow/Qi")


def start():
    global _session, _timer
    if mari is None or os.environ.get("QI_MARI_STARTED"):
        return None
    os.environ["QI_MARI_STARTED"] = "1"
    _session = qi.host.start_session(MariHost())
    if _session is not None:
        _timer = qi.host.start_qt_pump(_session)
    return _session
