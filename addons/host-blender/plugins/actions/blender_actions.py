"""Blender's actions on containers, run in Blender (``hosts``): ``bpy`` is
imported where they run, so that Qi's side can read this file."""
from qi.actions import Action, ActionError


def _holder(container):
    """The container's collection, as the Blender host finds it."""
    from qi_blender_pipeline import BlenderPipelineHost

    collection = BlenderPipelineHost().container_collection(container.get("id"))
    if collection is None:
        raise ActionError("the container %s is not in the scene" % container.get("namespace"))
    return collection


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
