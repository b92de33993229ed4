import pyblish.api


class SubmitToFarm(pyblish.api.ContextPlugin):
    """Only when publishing for the farm"""

    order = pyblish.api.IntegratorOrder + 0.1
    targets = ["farm"]

    def process(self, context):
        context.data["farmJob"] = {
            "scene": context.data["currentFile"],
            "instances": [instance.name for instance in context if instance.data.get("publish", True)],
        }
