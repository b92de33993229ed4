"""Qi inside Hiero: the hub session on the Qt main thread and the Qi menu."""

import qi.host

try:
    import hiero.core
    import hiero.ui
except ImportError:  # outside Hiero
    hiero = None

_session = None
_timer = None


class HieroHost(qi.host.Host):
    name = "hiero"
    label = "Hiero"

    def _project(self):
        projects = hiero.core.projects()
        return projects[-1] if projects else None

    def version(self):
        return hiero.core.env["VersionString"]

    def current_file(self):
        project = self._project()
        return project.path() if project is not None and project.path() else None

    def save(self, path):
        project = self._project() or hiero.core.newProject()
        project.saveAs(path)

    def open(self, path):
        hiero.core.openProject(path)

    def quit(self):
        hiero.core.quit()

    def show_menu(self, items):
        menu = hiero.ui.menuBar().addMenu("Qi")
        qi.host.fill_qt_menu(menu, items)


def start():
    global _session, _timer
    if hiero is None:
        return None
    _session = qi.host.start_session(HieroHost())
    if _session is not None:
        _timer = qi.host.start_qt_pump(_session)
    return _session
