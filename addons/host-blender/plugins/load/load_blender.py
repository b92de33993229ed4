"""Blender's loaders: link or append a published .blend's collection,
import glTF and FBX (and Alembic or USD where this Blender has them)."""
import os

import bpy

from qi.pipeline import LoaderPlugin


def _library_collection(path, product_name, link):
    """The product's collection of the .blend ``path``, linked or appended."""
    if not os.path.isfile(path):
        raise FileNotFoundError("the published file “%s” is not there" % path)
    with bpy.data.libraries.load(path, link=link, relative=False) as (data_from, data_to):
        names = [n for n in data_from.collections if n == product_name] or list(data_from.collections[:1])
        if not names:
            raise ValueError("“%s” holds no collection to load" % path)
        data_to.collections = names
    return data_to.collections[0]


def _drop_libraries(libraries):
    """Removes the libraries no local collection holds a collection of
    any more (another container of the same version keeps its own)."""
    for library in libraries:
        if library is None or library.name not in bpy.data.libraries:
            continue
        used = any(child.library == library for c in bpy.data.collections if c.library is None
                   for child in c.children)
        used = used or any(child.library == library for child in bpy.context.scene.collection.children)
        if not used:
            bpy.data.libraries.remove(library)


class _BlendLoader(LoaderPlugin):
    abstract = True
    hosts = ["blender"]
    product_types = ["model", "rig", "camera", "look", "layout", "animation", "workfile"]
    representations = ["blend"]
    extensions = ["blend"]
    link = True

    def load(self, context, name, namespace, options):
        return [_library_collection(context["path"], context["product"]["name"], self.link)]

    def _clear(self, container):
        holder = self.host.container_collection(container["id"])
        libraries = []
        if holder is not None:
            for child in list(holder.children):
                libraries.append(child.library)
                holder.children.unlink(child)
                if child.library is None and child.users == 0:
                    bpy.data.collections.remove(child)
            for obj in list(holder.objects):
                holder.objects.unlink(obj)
                if obj.users == 0:
                    bpy.data.objects.remove(obj)
        _drop_libraries(libraries)

    def update(self, container, context):
        self._clear(container)
        return self.load(context, container["name"], container["namespace"], {})

    def remove(self, container):
        self._clear(container)


class LinkBlend(_BlendLoader):
    """The product's collection, linked from the published .blend."""
    label = "Link"
    icon = "link"
    order = 0
    link = True


class AppendBlend(_BlendLoader):
    """A local copy of the product's collection."""
    label = "Append"
    icon = "download"
    order = 10
    link = False


def _numpy_bool_alias():
    """Blender 3.4's glTF importer writes ``np.bool``, which NumPy 1.24
    (Debian 12's) removed: it is the built-in ``bool``, as NumPy said when
    it deprecated it."""
    try:
        import numpy
    except ImportError:
        return
    if "bool" not in vars(numpy):
        numpy.bool = bool


class _ImportLoader(LoaderPlugin):
    abstract = True
    hosts = ["blender"]
    product_types = ["model", "camera", "animation", "pointcache", "layout"]

    def run_import(self, path):
        raise NotImplementedError

    def load(self, context, name, namespace, options):
        if not os.path.isfile(context["path"]):
            raise FileNotFoundError("the published file “%s” is not there" % context["path"])
        before = set(bpy.data.objects)
        self.run_import(context["path"])
        made = [o for o in bpy.data.objects if o not in before]
        if not made:
            raise ValueError("importing “%s” made no object" % context["path"])
        return made

    def _clear(self, container):
        holder = self.host.container_collection(container["id"])
        if holder is None:
            return
        for obj in list(holder.objects):
            data = obj.data
            bpy.data.objects.remove(obj)
            if data is not None and data.users == 0:
                for kind in (bpy.data.meshes, bpy.data.cameras, bpy.data.curves, bpy.data.lights):
                    if data.name in kind and kind[data.name] == data:
                        kind.remove(data)
                        break
        for child in list(holder.children):
            holder.children.unlink(child)

    def update(self, container, context):
        self._clear(container)
        return self.load(context, container["name"], container["namespace"], {})

    def remove(self, container):
        self._clear(container)


class ImportGLTF(_ImportLoader):
    label = "Import glTF"
    icon = "file-import"
    representations = ["gltf", "glb"]
    extensions = ["glb", "gltf"]
    order = 20

    def run_import(self, path):
        _numpy_bool_alias()
        bpy.ops.import_scene.gltf(filepath=path)


class ImportFBX(_ImportLoader):
    label = "Import FBX"
    icon = "file-import"
    representations = ["fbx"]
    extensions = ["fbx"]
    order = 30

    def run_import(self, path):
        bpy.ops.import_scene.fbx(filepath=path)


if bpy.app.build_options.alembic:
    class ImportAlembic(_ImportLoader):
        label = "Import Alembic"
        representations = ["abc"]
        extensions = ["abc"]
        order = 40

        def run_import(self, path):
            bpy.ops.wm.alembic_import(filepath=path, as_background_job=False)


if bpy.app.build_options.usd:
    class ImportUSD(_ImportLoader):
        label = "Import USD"
        representations = ["usd"]
        extensions = ["usd", "usda", "usdc"]
        order = 50

        def run_import(self, path):
            bpy.ops.wm.usd_import(filepath=path)
