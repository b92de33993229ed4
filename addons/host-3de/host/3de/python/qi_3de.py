"""Qi inside 3DEqualizer4: the hub session and the Qi menu. Its Python has
no event loop of its own to hand work to: with PySide (3DE4 r7 and later
bring it) a Qt timer runs the requests on the main thread; without, they
run where they arrive, and 3DE4's tde4 calls are then the script's risk."""

import qi.host

try:
    import tde4
except ImportError:  # outside 3DE4
    tde4 = None

_session = None
_timer = None


class TdeHost(qi.host.Host):
    name = "3de"
    label = "3DEqualizer4"

    def version(self):
        return tde4.get3DEVersion()

    def current_file(self):
        return tde4.getProjectPath() or None

    def save(self, path):
        tde4.setProjectPath(path)
        if not tde4.saveProject(path):
            raise RuntimeError("3DEqualizer4 did not save “{}”".format(path))

    def open(self, path):
        if not tde4.loadProject(path):
            raise RuntimeError("3DEqualizer4 did not open “{}”".format(path))

    def quit(self):
        raise qi.host.HubError("handler_failed", "3DEqualizer4 has no scripted quit")


def start():
    global _session, _timer
    if tde4 is None:
        return None
    try:
        qi.host._qt("QtCore")
    except ImportError:
        executor = lambda fn, *args: fn(*args)  # noqa: E731  (no Qt: where it arrives)
    else:
        executor = None
    _session = qi.host.start_session(TdeHost(), executor=executor)
    if _session is not None and executor is None:
        _timer = qi.host.start_qt_pump(_session)
    return _session
