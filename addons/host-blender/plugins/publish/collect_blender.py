"""The members of each Blender instance, and where its files are made."""
import tempfile

import bpy
import pyblish.api


class CollectBlenderMembers(pyblish.api.InstancePlugin):
    """The instance's objects (the members of its collection) and a staging
    folder for its extracted files."""

    label = "Blender members"
    order = pyblish.api.CollectorOrder + 0.1
    hosts = ["blender"]
    families = ["qi.product"]

    def process(self, instance):
        names = instance.data.get("members") or []
        missing = [n for n in names if n not in bpy.data.objects]
        if missing:
            raise ValueError("%s: the object “%s” is gone from the scene" % (instance.data["productName"], missing[0]))
        instance[:] = [bpy.data.objects[n] for n in names]
        instance.data["stagingDir"] = tempfile.mkdtemp(prefix="qi-%s-" % instance.data["productName"])
        self.log.info("%s: %d objects", instance.data["productName"], len(instance))


class ValidateBlenderMembers(pyblish.api.InstancePlugin):
    """A model, camera or look has objects to publish."""

    label = "Blender members"
    order = pyblish.api.ValidatorOrder
    hosts = ["blender"]
    families = ["model", "camera", "look", "rig"]

    def process(self, instance):
        if not len(instance):
            raise ValueError("%s holds no object: add objects to its collection or create it again from a "
                             "selection" % instance.data["productName"])
