"""Qi inside DaVinci Resolve, through its scripting API
(Developer/Scripting/README.txt). A Resolve project lives in Resolve's
database; its workfile is the project exported as a .drp, which the
project remembers by name. The API is Resolve's own process, reached from
the script's: the hub's requests call it from the client's threads, as
the API allows."""

import os

import qi.host

try:
    import DaVinciResolveScript
except ImportError:  # outside Resolve, or RESOLVE_SCRIPT_API/Modules not on the path
    DaVinciResolveScript = None

_session = None
_files = {}  # project name → its workfile


class ResolveHost(qi.host.Host):
    name = "resolve"
    label = "DaVinci Resolve"

    def __init__(self, resolve):
        self.resolve = resolve

    def _manager(self):
        return self.resolve.GetProjectManager()

    def version(self):
        return self.resolve.GetVersionString()

    def current_file(self):
        project = self._manager().GetCurrentProject()
        return _files.get(project.GetName()) if project is not None else None

    def save(self, path):
        manager = self._manager()
        project = manager.GetCurrentProject()
        if project is None or not manager.SaveProject():
            raise RuntimeError("Resolve has no project open to save")
        if not manager.ExportProject(project.GetName(), path):
            raise RuntimeError("Resolve did not export the project to “{}”".format(path))
        _files[project.GetName()] = path

    def open(self, path):
        manager = self._manager()
        name = os.path.splitext(os.path.basename(path))[0]
        if not manager.LoadProject(name):
            if not manager.ImportProject(path) or not manager.LoadProject(name):
                raise RuntimeError("Resolve did not open “{}”".format(path))
        _files[name] = path

    def quit(self):
        self.resolve.Quit()


def start():
    global _session
    if DaVinciResolveScript is None or _session is not None:
        return _session
    resolve = DaVinciResolveScript.scriptapp("Resolve")
    if resolve is None:
        return None
    _session = qi.host.start_session(ResolveHost(resolve), executor=lambda fn, *args: fn(*args))
    return _session
