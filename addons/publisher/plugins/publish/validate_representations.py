"""Qi's validator of the files a product publishes: each representation
well formed, its files there, its sequence without a gap."""
import pyblish.api

from qi.instances import check_representation


class ValidateQiRepresentations(pyblish.api.InstancePlugin):
    """Every representation's files exist and a sequence has each frame of
    its range; at least one representation, each name once."""

    label = "Qi representations"
    order = pyblish.api.ValidatorOrder - 0.3
    hosts = ["*"]
    families = ["qi.product"]

    def process(self, instance):
        if instance.data.get("qiCollectError"):
            return  # ValidateQiProduct says what it is
        name = instance.data.get("productName") or instance.name
        representations = instance.data.get("representations")
        if not isinstance(representations, list) or not representations:
            raise ValueError("%s: nothing to publish (no representation)" % name)
        seen = set()
        for index, representation in enumerate(representations):
            check_representation(representation, index)
            if representation["name"] in seen:
                raise ValueError("%s: two representations are named “%s”" % (name, representation["name"]))
            seen.add(representation["name"])
            files = representation["files"]
            self.log.info("%s: %s, %d file%s", name, representation["name"],
                          len(files) if isinstance(files, list) else 1,
                          "s" if isinstance(files, list) and len(files) != 1 else "")
