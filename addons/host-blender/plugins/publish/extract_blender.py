"""Blender's extractors: the product's data-blocks as a .blend, glTF and
FBX (Alembic and USD where this Blender is built with them), the
workfile, and a thumbnail rendered with Cycles on the CPU."""
import math
import os

import bpy
import pyblish.api
from mathutils import Vector

from qi.pipeline import NumberDef, publish_values


def _add(instance, name, ext, filename, tags=()):
    instance.data.setdefault("representations", []).append(
        {"name": name, "ext": ext, "files": filename, "stagingDir": instance.data["stagingDir"], "tags": list(tags)})


def _wanted(instance, name):
    formats = (instance.data.get("creatorAttributes") or {}).get("formats")
    return formats is None or name in formats


class _Selection(object):
    """Selects only ``objects`` while it lasts."""

    def __init__(self, objects):
        self.objects = list(objects)

    def __enter__(self):
        self.before = [o for o in bpy.context.scene.objects if o.select_get()]
        self.active = bpy.context.view_layer.objects.active
        for obj in bpy.context.scene.objects:
            obj.select_set(False)
        for obj in self.objects:
            if obj.name in bpy.context.view_layer.objects:
                obj.select_set(True)
        if self.objects:
            bpy.context.view_layer.objects.active = self.objects[0]
        return self

    def __exit__(self, *exc):
        for obj in bpy.context.scene.objects:
            obj.select_set(obj in self.before)
        bpy.context.view_layer.objects.active = self.active
        return False


class ExtractBlend(pyblish.api.InstancePlugin):
    """The product as a .blend: one collection named after the product,
    holding its objects (and, for a look, its materials)."""

    label = "Extract .blend"
    order = pyblish.api.ExtractorOrder
    hosts = ["blender"]
    families = ["model", "camera", "rig", "layout", "look"]

    def process(self, instance):
        if not _wanted(instance, "blend"):
            return
        name = instance.data["productName"]
        filename = "%s.blend" % name
        path = os.path.join(instance.data["stagingDir"], filename)
        collection = bpy.data.collections.new(name)
        try:
            for obj in instance:
                collection.objects.link(obj)
            if instance.data["productType"] == "layout":
                # the containers' collections (linked models, cameras) go with the layout
                for holder in bpy.data.collections:
                    if holder.library is None and "qi_container" in holder.keys():
                        # by the data-block, not the name: two products' collections may share one
                        for child in holder.children:
                            if not any(c == child for c in collection.children):
                                collection.children.link(child)
                        for obj in holder.objects:
                            if not any(o == obj for o in collection.objects):
                                collection.objects.link(obj)
            blocks = {collection}
            if instance.data["productType"] == "look":
                blocks |= {slot.material for obj in instance for slot in obj.material_slots if slot.material}
            bpy.data.libraries.write(path, blocks, fake_user=True, compress=False)
        finally:
            bpy.data.collections.remove(collection)
        _add(instance, "blend", "blend", filename)
        self.log.info("%s: %s", name, path)


class _ExtractSelection(object):
    """An export of the product's objects, selected, to one file: the
    representation ``representation`` with extension ``ext``. A mixin,
    not a plugin, so that discovery does not take it for one."""

    hosts = ["blender"]
    representation = None
    ext = None

    def export(self, path):
        raise NotImplementedError

    def process(self, instance):
        if not _wanted(instance, self.representation):
            return
        filename = "%s.%s" % (instance.data["productName"], self.ext)
        path = os.path.join(instance.data["stagingDir"], filename)
        with _Selection(instance):
            result = self.export(path)
        if "FINISHED" not in result or not os.path.isfile(path):
            raise RuntimeError("Blender did not export “%s”" % path)
        _add(instance, self.representation, self.ext, filename)


class ExtractGLTF(_ExtractSelection, pyblish.api.InstancePlugin):
    """The product as binary glTF (.glb)."""

    label = "Extract glTF"
    order = pyblish.api.ExtractorOrder + 0.01
    families = ["model"]
    representation, ext = "gltf", "glb"

    def export(self, path):
        return bpy.ops.export_scene.gltf(filepath=path, export_format="GLB", use_selection=True)


class ExtractFBX(_ExtractSelection, pyblish.api.InstancePlugin):
    """The product as FBX."""

    label = "Extract FBX"
    order = pyblish.api.ExtractorOrder + 0.02
    families = ["model", "camera"]
    representation, ext = "fbx", "fbx"

    def export(self, path):
        return bpy.ops.export_scene.fbx(filepath=path, use_selection=True)


if bpy.app.build_options.alembic:
    class ExtractAlembic(_ExtractSelection, pyblish.api.InstancePlugin):
        label = "Extract Alembic"
        order = pyblish.api.ExtractorOrder + 0.03
        families = ["model", "pointcache", "animation"]
        representation, ext = "abc", "abc"

        def export(self, path):
            return bpy.ops.wm.alembic_export(filepath=path, selected=True, as_background_job=False)


if bpy.app.build_options.usd:
    class ExtractUSD(_ExtractSelection, pyblish.api.InstancePlugin):
        label = "Extract USD"
        order = pyblish.api.ExtractorOrder + 0.04
        families = ["model", "layout"]
        representation, ext = "usd", "usd"

        def export(self, path):
            return bpy.ops.wm.usd_export(filepath=path, selected_objects_only=True)


class ExtractWorkfile(pyblish.api.InstancePlugin):
    """A copy of the scene as it is saved."""

    label = "Extract workfile"
    order = pyblish.api.ExtractorOrder
    hosts = ["blender"]
    families = ["workfile"]

    def process(self, instance):
        if not bpy.data.filepath:
            raise RuntimeError("save the scene first: the workfile is published from its file")
        filename = "%s.blend" % instance.data["productName"]
        path = os.path.join(instance.data["stagingDir"], filename)
        bpy.ops.wm.save_as_mainfile(filepath=path, copy=True)
        _add(instance, "blend", "blend", filename)


class ExtractThumbnail(pyblish.api.InstancePlugin):
    """A small picture of the product: its objects framed by a camera of
    its own, rendered with Cycles on the CPU (96 × 96, 8 samples: the
    publish attributes ``size`` and ``samples``)."""

    label = "Extract thumbnail"
    order = pyblish.api.ExtractorOrder + 0.1
    hosts = ["blender"]
    families = ["model"]

    @classmethod
    def get_attribute_defs(cls):
        return [NumberDef("size", "Size (pixels)", 96, minimum=16, maximum=512),
                NumberDef("samples", "Samples", 8, minimum=1, maximum=256)]

    def process(self, instance):
        if (instance.data.get("creatorAttributes") or {}).get("thumbnail") is False:
            return
        values = publish_values(type(self), instance)
        scene = bpy.context.scene
        corners = [obj.matrix_world @ Vector(corner) for obj in instance for corner in obj.bound_box]
        if not corners:
            raise ValueError("%s has nothing to render" % instance.data["productName"])
        low = Vector([min(c[i] for c in corners) for i in range(3)])
        high = Vector([max(c[i] for c in corners) for i in range(3)])
        centre = (low + high) / 2
        radius = max((high - low).length / 2, 0.01)
        data = bpy.data.cameras.new("qi_thumbnail")
        data.lens = 50
        camera = bpy.data.objects.new("qi_thumbnail", data)
        scene.collection.objects.link(camera)
        distance = radius / math.tan(data.angle / 2) * 1.2
        direction = Vector((1.0, -1.0, 0.8)).normalized()
        camera.location = centre + direction * distance
        camera.rotation_euler = (centre - camera.location).to_track_quat("-Z", "Y").to_euler()
        light_data = bpy.data.lights.new("qi_thumbnail", "SUN")
        light = bpy.data.objects.new("qi_thumbnail_light", light_data)
        scene.collection.objects.link(light)
        light.rotation_euler = camera.rotation_euler
        render = scene.render
        saved = (scene.camera, render.engine, render.resolution_x, render.resolution_y,
                 render.resolution_percentage, render.filepath, render.image_settings.file_format,
                 render.film_transparent, scene.cycles.device, scene.cycles.samples, scene.cycles.use_denoising)
        filename = "%s_thumbnail.png" % instance.data["productName"]
        path = os.path.join(instance.data["stagingDir"], filename)
        try:
            scene.camera = camera
            render.engine = "CYCLES"
            scene.cycles.device = "CPU"
            scene.cycles.samples = values["samples"]
            # Debian's Blender has no OpenImageDenoise; eight samples need none
            scene.cycles.use_denoising = False
            render.resolution_x = render.resolution_y = values["size"]
            render.resolution_percentage = 100
            render.film_transparent = True
            render.image_settings.file_format = "PNG"
            render.filepath = path
            bpy.ops.render.render(write_still=True)
        finally:
            (scene.camera, render.engine, render.resolution_x, render.resolution_y, render.resolution_percentage,
             render.filepath, render.image_settings.file_format, render.film_transparent, scene.cycles.device,
             scene.cycles.samples, scene.cycles.use_denoising) = saved
            bpy.data.objects.remove(camera)
            bpy.data.cameras.remove(data)
            bpy.data.objects.remove(light)
            bpy.data.lights.remove(light_data)
        if not os.path.isfile(path):
            raise RuntimeError("Cycles did not render “%s”" % path)
        _add(instance, "thumbnail", "png", filename, tags=["thumbnail"])
