import os

import pyblish.api


class ValidateSceneExists(pyblish.api.Validator):
    """The scene is saved to disk"""

    def process(self, context):
        assert os.path.exists(context.data["currentFile"]), "Save the scene first"
