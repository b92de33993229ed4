"""Qi's pipeline in Blender: the scene's records and members.

Each instance and each container is a collection linked under the scene's
collection (so Blender saves it) holding a custom property with its record
as JSON: ``qi_instance`` (schema ``qi:instance-1.0``) or ``qi_container``
(``qi:container-1.0``). An instance's members are the objects linked into
its collection (they stay in their own collections too); a container's are
what its loader put in it: a linked or appended collection, or imported
objects. A workfile template's placeholders are collections too
(``qi_placeholder``, ``qi:placeholder-1.0``), holding the objects a create
placeholder makes its instance of.
"""
import json
import re

import bpy

from qi.pipeline import PipelineHost

INSTANCE_KEY = "qi_instance"
CONTAINER_KEY = "qi_container"
PLACEHOLDER_KEY = "qi_placeholder"


def _scene_root():
    return bpy.context.scene.collection


def _holders(key):
    return [c for c in bpy.data.collections if c.library is None and key in c.keys()]


def _record_of(collection, key):
    try:
        return json.loads(collection[key])
    except (TypeError, ValueError) as error:
        raise ValueError("the collection “%s” holds a malformed Qi record (%s): %s" % (collection.name, key, error))


def _holder(key, record_id):
    for collection in _holders(key):
        record = _record_of(collection, key)
        if record.get("id") == record_id:
            return collection
    return None


def _id_name(thing):
    return thing.name if thing.library is None else "%s [%s]" % (thing.name, thing.library.filepath)


def _resolve(member):
    """An object or collection from a member: the ID itself, or a name."""
    if isinstance(member, (bpy.types.Object, bpy.types.Collection)):
        return member
    if isinstance(member, str):
        return bpy.data.objects.get(member) or bpy.data.collections.get(member)
    return None


class BlenderPipelineHost(PipelineHost):
    """The records of the pipeline in the open .blend file."""

    # -- instances -----------------------------------------------------------

    def instances(self):
        found = []
        for collection in _holders(INSTANCE_KEY):
            found.append((_record_of(collection, INSTANCE_KEY), [o.name for o in collection.objects]))
        return found

    def _holder_for(self, key, record, prefix):
        collection = _holder(key, record["id"])
        if collection is None:
            name = "%s_%s" % (prefix, re.sub(r"[^A-Za-z0-9_]", "_", record.get("namespace") or record.get("product_name")
                                                                       or record["id"]))
            collection = bpy.data.collections.new(name)
            _scene_root().children.link(collection)
            collection.color_tag = "COLOR_05" if key == INSTANCE_KEY else "COLOR_04"
        collection[key] = json.dumps(record, sort_keys=True)
        return collection

    def write_instance(self, record, members):
        collection = self._holder_for(INSTANCE_KEY, record, "QI")
        wanted = [m for m in (_resolve(member) for member in members or []) if isinstance(m, bpy.types.Object)]
        for obj in list(collection.objects):
            if obj not in wanted:
                collection.objects.unlink(obj)
        for obj in wanted:
            if obj.name not in collection.objects:
                collection.objects.link(obj)

    def remove_instance(self, instance_id):
        collection = _holder(INSTANCE_KEY, instance_id)
        if collection is not None:
            bpy.data.collections.remove(collection)  # its objects stay where else they are

    # -- containers ------------------------------------------------------------

    def containers(self):
        found = []
        for collection in _holders(CONTAINER_KEY):
            members = [_id_name(c) for c in collection.children] + [_id_name(o) for o in collection.objects]
            found.append((_record_of(collection, CONTAINER_KEY), members))
        return found

    def container_collection(self, container_id):
        return _holder(CONTAINER_KEY, container_id)

    def write_container(self, record, members):
        collection = self._holder_for(CONTAINER_KEY, record, "QI_LOADED")
        if members is None:
            return
        wanted = [m for m in (_resolve(member) for member in members) if m is not None]
        root = _scene_root()
        for child in list(collection.children):
            if child not in wanted:
                collection.children.unlink(child)
        for obj in list(collection.objects):
            if obj not in wanted:
                collection.objects.unlink(obj)
        for thing in wanted:
            if isinstance(thing, bpy.types.Collection):
                if thing.name not in collection.children or collection.children[thing.name] != thing:
                    collection.children.link(thing)
                if thing in root.children.values():
                    root.children.unlink(thing)
            else:
                if thing not in collection.objects.values():
                    collection.objects.link(thing)
                if thing in root.objects.values():
                    root.objects.unlink(thing)
                for other in list(thing.users_collection):
                    if other != collection and other.library is None and CONTAINER_KEY not in other.keys() \
                            and other != root and INSTANCE_KEY not in other.keys():
                        other.objects.unlink(thing)

    def remove_container(self, container_id):
        collection = _holder(CONTAINER_KEY, container_id)
        if collection is not None:
            bpy.data.collections.remove(collection)

    # -- selection ---------------------------------------------------------------

    def selection(self):
        return [o.name for o in bpy.context.scene.objects if o.select_get()]

    def select(self, members):
        names = set(members)
        for obj in bpy.context.scene.objects:
            obj.select_set(obj.name in names or any(c.name in names for c in obj.users_collection))

    # -- placeholders (docs/building.md) ------------------------------------------

    def placeholders(self):
        found = []
        for collection in _holders(PLACEHOLDER_KEY):
            found.append((_record_of(collection, PLACEHOLDER_KEY), [o.name for o in collection.objects]))
        return found

    def write_placeholder(self, record, members=None):
        collection = _holder(PLACEHOLDER_KEY, record["id"])
        if collection is None:
            collection = bpy.data.collections.new("QI_PH_%s" % re.sub(r"[^A-Za-z0-9_]", "_", record.get("label")
                                                                       or record["id"]))
            _scene_root().children.link(collection)
            collection.color_tag = "COLOR_02"
        collection[PLACEHOLDER_KEY] = json.dumps(record, sort_keys=True)
        for member in members or []:
            obj = _resolve(member)
            if isinstance(obj, bpy.types.Object) and obj.name not in collection.objects:
                collection.objects.link(obj)
        return collection

    def remove_placeholder(self, placeholder_id):
        collection = _holder(PLACEHOLDER_KEY, placeholder_id)
        if collection is None:
            return
        root = _scene_root()
        for obj in list(collection.objects):
            # what the placeholder held stays in the scene
            if len(obj.users_collection) == 1:
                root.objects.link(obj)
            collection.objects.unlink(obj)
        bpy.data.collections.remove(collection)

    def release_members(self, placeholder_id, members=None):
        if members is not None:
            return list(members)
        held = {o.name for c in _holders(PLACEHOLDER_KEY) for o in c.objects}
        return [o.name for o in bpy.context.scene.objects if o.name not in held and o.library is None
                and o.instance_collection is None]

    def open_template(self, path):
        # as a new, untitled scene (Blender's “load as startup file”): what
        # the artist saves next never goes over the studio's template
        if "FINISHED" not in bpy.ops.wm.read_homefile(filepath=path, load_ui=False):
            raise RuntimeError("Blender did not open the template “%s”" % path)

    def run_script(self, code, build):
        exec(compile(code, "<placeholder %s>" % build["placeholder"]["label"], "exec"), {"build": build, "bpy": bpy})

    def apply_context(self, values):
        scene = bpy.context.scene
        if values.get("frame_range"):
            scene.frame_start, scene.frame_end = int(values["frame_range"][0]), int(values["frame_range"][1])
        if values.get("fps"):
            fps = float(values["fps"])
            scene.render.fps = max(1, round(fps))
            scene.render.fps_base = scene.render.fps / fps
        if values.get("resolution"):
            scene.render.resolution_x, scene.render.resolution_y = (int(v) for v in values["resolution"])
