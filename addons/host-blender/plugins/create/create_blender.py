"""Blender's creators: a model, a camera or a look from the selection (or
the objects named), a render of the scene, and the workfile, always
there."""
import bpy

from qi.pipeline import AutoCreator, BoolDef, CreateError, Creator, EnumDef


def _objects(names):
    found = []
    for name in names:
        obj = bpy.data.objects.get(name)
        if obj is None:
            raise CreateError("there is no object “%s” in the scene" % name)
        found.append(obj)
    return found


class BlenderCreator(Creator):
    abstract = True
    hosts = ["blender"]
    #: the object types an instance of this creator may hold
    object_types = None

    def prepare_members(self, members, record):
        objects = _objects(members)
        if not objects:
            raise CreateError("select the objects of the %s first (or name them)" % self.product_type)
        if self.object_types:
            wrong = [o.name for o in objects if o.type not in self.object_types]
            if wrong:
                raise CreateError("a %s holds %s objects; “%s” is a %s" % (
                    self.product_type, " or ".join(t.lower() for t in self.object_types), wrong[0],
                    bpy.data.objects[wrong[0]].type.lower()))
        return objects


class CreateModel(BlenderCreator):
    identifier = "blender.model"
    label = "Model"
    product_type = "model"
    icon = "cube"
    description = "Meshes to publish as a model: .blend, glTF and FBX, with a thumbnail"
    default_variants = ["Main", "Proxy"]
    object_types = ("MESH", "EMPTY", "CURVE")
    order = 10

    def attributes(self):
        return [BoolDef("thumbnail", "Render a thumbnail", True),
                EnumDef("formats", [("blend", ".blend"), ("gltf", "glTF"), ("fbx", "FBX")], "Formats",
                        default=["blend", "gltf", "fbx"], multiselection=True)]


class CreateCamera(BlenderCreator):
    identifier = "blender.camera"
    label = "Camera"
    product_type = "camera"
    icon = "video"
    description = "A shot camera: .blend and FBX"
    object_types = ("CAMERA",)
    order = 20


class CreateLook(BlenderCreator):
    identifier = "blender.look"
    label = "Look"
    product_type = "look"
    icon = "palette"
    description = "The materials of the selected objects, as a .blend"
    object_types = ("MESH",)
    order = 30


class CreateLayout(Creator):
    """A shot's layout: its objects and every loaded container (the linked
    models and cameras), as a .blend a lighting scene links."""
    identifier = "blender.layout"
    label = "Layout"
    product_type = "layout"
    icon = "layout"
    description = "The scene's layout: its objects and the containers it loaded, as a .blend"
    default_variants = ["Main"]
    hosts = ["blender"]
    order = 35

    def prepare_members(self, members, record):
        return [o.name for o in _objects(members) if o.library is None]


class CreateRender(Creator):
    """The scene's frames, rendered (on the farm unless the artist says
    otherwise: the publish attribute ``farm`` of “Render (farm)”)."""
    identifier = "blender.render"
    label = "Render"
    product_type = "render"
    icon = "film"
    description = "The scene's frames through its camera, rendered on the farm and published when they are done"
    default_variants = ["Main"]
    hosts = ["blender"]
    order = 40

    def prepare_members(self, members, record):
        if bpy.context.scene.camera is None:
            raise CreateError("the scene “%s” has no camera to render with" % bpy.context.scene.name)
        return []


class CreateWorkfile(AutoCreator):
    identifier = "blender.workfile"
    label = "Workfile"
    product_type = "workfile"
    hosts = ["blender"]
    default_variants = ["Main"]
    order = 90
