"""A render of the scene: its frames (Cycles or whatever the scene uses,
PNG) rendered on the farm and published there once every frame is done —
or rendered here, and published at once, when the artist turns the
publish attribute ``farm`` off.

On the farm: the scene is saved as a copy beside the outputs (so that the
artist's later changes do not reach the render), the metadata of the
publish is written there (``qi.farm.metadata``: rootless paths, the
context, the user, the comment, the source workfile), and the hub's
``farm.submit`` sends the render job (the frames in tasks of
``chunk_size``) and the publish job that depends on it
(``qi --headless publish --from-farm``). The outputs go to
``renders/PRODUCT/vNNN/`` beside the workfile, NNN the version the
publish will make (a folder of that name that is there already is never
written into: ``vNNN.2``, …)."""
import os
import shutil

import bpy
import pyblish.api

from qi.farm import metadata
from qi.hub import HubError
from qi.pipeline import BoolDef, NumberDef, publish_values

DRIVER = os.path.join(os.environ.get("QI_HOST_PLUGIN_FOLDER") or "", "modules", "qi_blender_render.py")


def _driver():
    if os.path.isfile(DRIVER):
        return DRIVER
    import qi_blender_render

    return qi_blender_render.__file__


class CollectBlenderRender(pyblish.api.InstancePlugin):
    """The frames of a render instance: the scene's range."""

    label = "Blender render frames"
    order = pyblish.api.CollectorOrder + 0.2
    hosts = ["blender"]
    families = ["render"]

    def process(self, instance):
        scene = bpy.context.scene
        instance.data["frameStart"] = scene.frame_start
        instance.data["frameEnd"] = scene.frame_end
        self.log.info("%s: frames %d-%d of %s, %d × %d", instance.data["productName"], scene.frame_start,
                      scene.frame_end, scene.name, scene.render.resolution_x, scene.render.resolution_y)


class ValidateBlenderRender(pyblish.api.InstancePlugin):
    """The scene can be rendered: a camera, a range, a saved workfile."""

    label = "Blender render"
    order = pyblish.api.ValidatorOrder
    hosts = ["blender"]
    families = ["render"]

    def process(self, instance):
        scene = bpy.context.scene
        name = instance.data["productName"]
        if scene.camera is None:
            raise ValueError("%s: the scene “%s” has no camera to render with" % (name, scene.name))
        if instance.data["frameEnd"] < instance.data["frameStart"]:
            raise ValueError("%s: the scene's frames end (%d) before they start (%d)" % (
                name, instance.data["frameEnd"], instance.data["frameStart"]))
        if not bpy.data.filepath:
            raise ValueError("%s: save the workfile first: the render is made from it" % name)


def _next_number(hub, context_data, product_name):
    answer = hub.request("db_service.version.latest", {"project": context_data.get("project"),
                                                        "context": context_data.get("context"),
                                                        "include_pending": True}, timeout=30)
    numbers = [v["number"] for v in answer.get("versions") or [] if v.get("product_name") == product_name]
    return (max(numbers) if numbers else 0) + 1


def _output_folder(base, number):
    folder = os.path.join(base, "v%03d" % number)
    again = 2
    while os.path.exists(folder):
        folder = os.path.join(base, "v%03d.%d" % (number, again))
        again += 1
    os.makedirs(folder)
    return folder


class SubmitBlenderRender(pyblish.api.InstancePlugin):
    """Sends the render to the farm with its publish job, or renders it
    here (publish attribute ``farm`` off)."""

    label = "Render (farm)"
    order = pyblish.api.ExtractorOrder + 0.3
    hosts = ["blender"]
    families = ["render"]

    @classmethod
    def get_attribute_defs(cls):
        return [BoolDef("farm", "Render on the farm", True,
                        tooltip="Off: render here and publish at once"),
                NumberDef("chunk_size", "Frames a task", 4, minimum=1, maximum=1000),
                NumberDef("priority", "Priority", 50, minimum=0, maximum=100)]

    def process(self, instance):
        context = instance.context
        values = publish_values(type(self), instance)
        hub = context.data["hub"]
        name = instance.data["productName"]
        start, end = instance.data["frameStart"], instance.data["frameEnd"]
        number = _next_number(hub, instance.data, name)
        work = os.path.dirname(bpy.data.filepath)
        if context.data.get("dry_run"):
            self.log.info("dry run: %s would render frames %d-%d %s into %s", name, start, end,
                          "on the farm" if values["farm"] else "here",
                          os.path.join(work, "renders", name, "v%03d" % number))
            return
        folder = _output_folder(os.path.join(work, "renders", name), number)
        pattern = os.path.join(folder, "%s.####.png" % name)
        if not values["farm"]:
            import qi_blender_render

            paths = qi_blender_render.render(start, end, pattern, log=self.log.info)
            instance.data.setdefault("representations", []).append({
                "name": "png", "ext": "png", "files": [os.path.basename(p) for p in paths], "stagingDir": folder,
                "frameStart": start, "frameEnd": end, "tags": ["render"]})
            return
        # The folder is this submission's own and new (the scene's copy, the
        # metadata): what fails before the farm has the job, or a job the
        # farm refused, leaves none of it. Once the farm may have it (an
        # answer that did not come in time), it stays for the job.
        try:
            job = self._job(instance, values, hub, name, start, end, number, folder, pattern)
            answer = hub.request("farm.submit", job, timeout=120)
        except HubError as error:
            if error.code != "timeout":
                shutil.rmtree(folder, ignore_errors=True)
            raise
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        instance.data["qiFarm"] = {"job": answer["job"], "publish_job": answer["publish_job"],
                                   "metadata": job["publish"]["metadata"], "output": pattern, "number": number}
        self.log.info("%s: frames %d-%d sent to the farm (%s): render job %s, publish job %s; the frames go to %s",
                      name, start, end, answer["job"]["farm"], answer["job"]["id"], answer["publish_job"]["id"],
                      folder)

    def _job(self, instance, values, hub, name, start, end, number, folder, pattern):
        """The render job, once the scene's copy and the metadata are
        written in ``folder``."""
        context = instance.context
        scene_copy = os.path.join(folder, "_scene", os.path.basename(bpy.data.filepath))
        os.makedirs(os.path.dirname(scene_copy))
        bpy.ops.wm.save_as_mainfile(filepath=scene_copy, copy=True)
        project = instance.data.get("project")
        roots = hub.request("templates.list", {"project": project}, timeout=30).get("roots") or {}
        document = {
            "schema": metadata.SCHEMA, "project": project, "context": instance.data.get("context"),
            "task": instance.data.get("task"), "user": context.data.get("user"),
            "comment": instance.data.get("comment") or context.data.get("comment") or "",
            "host": "blender", "source_workfile": metadata.rootless(bpy.data.filepath, roots),
            "instances": [{"product_type": instance.data["productType"], "variant": instance.data.get("variant"),
                           "product_name": name,
                           "representations": [{"name": "png", "ext": "png",
                                                "pattern": metadata.rootless(pattern, roots),
                                                "frames": [start, end]}]}]}
        metadata_path = os.path.join(folder, "publish.json")
        metadata.write(metadata_path, document)
        job = {"name": "%s %s" % (instance.data.get("context"), name), "kind": "render", "project": project,
               "user": context.data.get("user"),
               "command": [bpy.app.binary_path, "--background", scene_copy, "--factory-startup",
                           "--python-exit-code", "1", "--python", _driver(), "--",
                           "--start", "{start}", "--end", "{end}", "--output", pattern],
               "frames": "%d-%d" % (start, end), "chunk_size": int(values["chunk_size"]),
               "priority": int(values["priority"]), "outputs": [pattern],
               "metadata": {"comment": document["comment"], "product": name, "version": number},
               "publish": {"metadata": metadata_path, "name": "publish %s v%03d" % (name, number)}}
        return job
