"""A studio's collector of the scene being published. This standalone host
has no scene of its own: the launcher names it in STUDIO_SCENE."""
import os

import pyblish.api


class CollectCurrentFile(pyblish.api.ContextPlugin):
    """Record the scene being published"""

    order = pyblish.api.CollectorOrder - 0.4
    label = "Current File"

    def process(self, context):
        context.data["currentFile"] = os.path.normpath(os.environ["STUDIO_SCENE"])
        self.log.info("Publishing %s", context.data["currentFile"])
