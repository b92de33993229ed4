import os
import shutil

import pyblish.api


class IntegrateModel(pyblish.api.InstancePlugin):
    """Copy the extracted files to the publish root, version 1"""

    order = pyblish.api.IntegratorOrder
    families = ["model"]
    label = "Integrate Model"

    def process(self, instance):
        publish_dir = os.path.join(os.environ["STUDIO_PUBLISH_ROOT"], instance.name, "v001")
        if not os.path.isdir(publish_dir):
            os.makedirs(publish_dir)

        for representation in instance.data["representations"]:
            source = os.path.join(representation["stagingDir"], representation["files"])
            shutil.copy(source, publish_dir)
            self.log.info("Copied %s to %s", source, publish_dir)

        instance.data["publishDir"] = publish_dir
