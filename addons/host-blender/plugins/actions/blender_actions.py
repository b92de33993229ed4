"""Blender's actions on containers, run in Blender (``hosts``): ``bpy`` is
imported where they run, so that Qi's side can read this file."""
from qi.actions import Action, ActionError


def _holder(container):
    import bpy

    for collection in bpy.data.collections:
        if collection.library is None and "qi_container" in collection.keys() and \
                container["id"] in collection["qi_container"]:
            return collection
    raise ActionError("the container %s is not in the scene" % container.get("namespace"))


class ReloadLibrary(Action):
    """Reads the linked .blend of a container again (its file changed on
    disk, or it was missing when the scene opened)."""

    label = "Reload the linked file"
    icon = "refresh"
    targets = ["container"]
    hosts = ["blender"]
    order = 20

    def is_compatible(self, selection):
        return bool(selection) and all(c.get("loader") == "LinkBlend" for c in selection)

    def process(self, selection):
        libraries = {}
        for container in selection:
            for child in _holder(container).children:
                if child.library is not None:
                    libraries[child.library.filepath] = child.library
        if not libraries:
            raise ActionError("nothing linked to reload")
        # a reload replaces the library's data-blocks: no reference to them
        # is used after it
        for library in libraries.values():
            library.reload()
        return {"message": "reloaded %s" % ", ".join(sorted(libraries))}
