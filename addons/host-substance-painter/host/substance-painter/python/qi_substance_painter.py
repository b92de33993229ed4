"""Qi inside Substance 3D Painter: the hub session on the Qt main thread
and the Qi menu."""

import qi.host

try:
    import substance_painter.application
    import substance_painter.project
    import substance_painter.ui
except ImportError:  # outside Painter
    substance_painter = None

_session = None
_timer = None
_menu = None


class PainterHost(qi.host.Host):
    name = "substance-painter"
    label = "Substance 3D Painter"

    def version(self):
        return substance_painter.application.version()

    def current_file(self):
        if not substance_painter.project.is_open():
            return None
        return substance_painter.project.file_path() or None

    def save(self, path):
        substance_painter.project.save_as(path)

    def open(self, path):
        if substance_painter.project.is_open():
            substance_painter.project.close()
        substance_painter.project.open(path)

    def quit(self):
        qi.host._qt("QtWidgets").QApplication.instance().quit()

    def show_menu(self, items):
        global _menu
        _menu = qi.host._qt("QtWidgets").QMenu("Qi")
        qi.host.fill_qt_menu(_menu, items)
        substance_painter.ui.add_menu(_menu)


def start():
    global _session, _timer
    if substance_painter is None:
        return None
    _session = qi.host.start_session(PainterHost())
    if _session is not None:
        _timer = qi.host.start_qt_pump(_session)
    return _session


def stop():
    global _session, _timer, _menu
    if _menu is not None:
        substance_painter.ui.delete_ui_element(_menu)
    if _session is not None:
        _session.close()
    _session = _timer = _menu = None
