"""Qi's validator of the files a product publishes: each representation
well formed, its files there, its sequence without a gap. Where the
representations are there at validation (files given to the standalone
publisher) it checks them; where a DCC's extractors make them later, the
integrator checks them before it integrates."""
import pyblish.api

from qi.instances import check_representations


class ValidateQiRepresentations(pyblish.api.InstancePlugin):
    """Every representation's files exist and a sequence has each frame of
    its range; each name once."""

    label = "Qi representations"
    order = pyblish.api.ValidatorOrder - 0.3
    hosts = ["*"]
    families = ["qi.product"]

    def process(self, instance):
        if instance.data.get("qiCollectError"):
            return  # ValidateQiProduct says what it is
        name = instance.data.get("productName") or instance.name
        if not instance.data.get("representations"):
            self.log.info("%s: the extractors make the representations", name)
            return
        for representation in check_representations(instance.data, name):
            files = representation["files"]
            self.log.info("%s: %s, %d file%s", name, representation["name"],
                          len(files) if isinstance(files, list) else 1,
                          "s" if isinstance(files, list) and len(files) != 1 else "")
