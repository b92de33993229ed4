import json
import os
import tempfile

import pyblish.api


class ExtractModel(pyblish.api.InstancePlugin):
    """Write the model's nodes to a JSON file in a staging folder"""

    order = pyblish.api.ExtractorOrder
    families = ["model"]
    label = "Model (JSON)"

    def process(self, instance):
        staging_dir = instance.data.get("stagingDir") or tempfile.mkdtemp(prefix="pyblish_")
        instance.data["stagingDir"] = staging_dir
        filename = "%s.json" % instance.name
        with open(os.path.join(staging_dir, filename), "w") as f:
            json.dump({"nodes": list(instance), "source": instance.context.data["currentFile"]}, f)

        instance.data.setdefault("representations", []).append({
            "name": "json",
            "ext": "json",
            "files": filename,
            "stagingDir": staging_dir,
        })
        self.log.info("Extracted %s to %s", instance, staging_dir)
