"""The members of each Blender instance, and where its files are made."""
import tempfile

import bpy
import pyblish.api
from mathutils import Matrix

from qi.pipeline import publish_values


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


class RepairScale(pyblish.api.Action):
    """Applies the scale of the failed instances' meshes."""

    label = "Apply the scale"
    icon = "wrench"
    on = "failed"

    def process(self, context, plugin):
        failed = {id(result["instance"]) for result in context.data.get("results", [])
                  if result["plugin"].__name__ == plugin.__name__ and result["error"] is not None}
        objects = [obj for instance in context if id(instance) in failed for obj in instance if obj.type == "MESH"]
        for obj in objects:
            # the data of a mesh another object shares: a copy of its own first
            if obj.data.users > 1:
                obj.data = obj.data.copy()
            obj.data.transform(Matrix.Diagonal(tuple(obj.scale) + (1.0,)))
            obj.scale = (1.0, 1.0, 1.0)
        self.log.info("applied the scale of %s", ", ".join(o.name for o in objects) or "nothing")


class ValidateBlenderScale(pyblish.api.InstancePlugin):
    """The objects' scale is applied (1, 1, 1), so that other DCCs read
    them at their size. Optional: an artist may turn it off for one
    instance (its publish attribute ``active``)."""

    label = "Applied scale"
    order = pyblish.api.ValidatorOrder + 0.1
    hosts = ["blender"]
    families = ["model"]
    optional = True
    actions = [RepairScale]

    def process(self, instance):
        if not publish_values(type(self), instance)["active"]:
            self.log.info("turned off for %s", instance.data["productName"])
            return
        wrong = [o.name for o in instance if o.type == "MESH" and any(abs(v - 1.0) > 1e-6 for v in o.scale)]
        if wrong:
            raise ValueError("%s: the scale of “%s” is not applied (Object → Apply → Scale), or turn this check "
                             "off for the instance" % (instance.data["productName"], wrong[0]))
