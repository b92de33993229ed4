import pyblish.api


class CollectMayaSelection(pyblish.api.ContextPlugin):
    """Only where Maya is the host"""

    order = pyblish.api.CollectorOrder + 0.1
    hosts = ["maya"]

    def process(self, context):
        from maya import cmds

        context.data["selection"] = cmds.ls(selection=True)
