import json

import pyblish.api


class CollectModels(pyblish.api.ContextPlugin):
    """Make one instance per asset of the scene"""

    order = pyblish.api.CollectorOrder
    label = "Models"

    def process(self, context):
        with open(context.data["currentFile"]) as f:
            scene = json.load(f)

        for asset in scene["assets"]:
            families = ["review"] if asset.get("review") else []
            instance = context.create_instance(asset["name"], family="model", families=families)
            instance[:] = asset["nodes"]
            instance.data["frameStart"] = scene["frameStart"]
            instance.data["frameEnd"] = scene["frameEnd"]
            instance.data["publish"] = asset.get("publish", True)
            self.log.debug("Collected %s: %s", instance, list(instance))
