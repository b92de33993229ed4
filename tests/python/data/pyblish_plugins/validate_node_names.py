import json
import re

import pyblish.api


class RenameNodes(pyblish.api.Action):
    """Rename the nodes of every asset to lower_case_GEO, in the scene"""

    label = "Rename nodes"
    icon = "wrench"
    on = "failed"

    def process(self, context, plugin):
        path = context.data["currentFile"]
        with open(path) as f:
            scene = json.load(f)
        for asset in scene["assets"]:
            asset["nodes"] = [plugin.fixed(node) for node in asset["nodes"]]
        with open(path, "w") as f:
            json.dump(scene, f)
        self.log.info("Renamed the nodes of %s", path)


class ValidateNodeNames(pyblish.api.InstancePlugin):
    """Every node is named lower_case_GEO"""

    order = pyblish.api.ValidatorOrder
    families = ["model"]
    label = "Node Names"
    actions = [RenameNodes]

    pattern = re.compile(r"^[a-z][a-z0-9_]*_GEO$")

    @classmethod
    def fixed(cls, node):
        return re.sub(r"_geo$", "", node, flags=re.IGNORECASE).lower() + "_GEO"

    def process(self, instance):
        invalid = [node for node in instance if not self.pattern.match(node)]
        for node in invalid:
            self.log.error("Invalid name: %s (should be %s)", node, self.fixed(node))
        if invalid:
            raise ValueError("%s: %d node(s) not named lower_case_GEO" % (instance, len(invalid)))
