"""Qi's validator of what a publish is about: the project and context,
and each product's type and name (docs/publishing.md, “Instance data”).
Whether the tracker knows them is the integrator's dry run's to say
(``ValidateQiDestinations``)."""
import pyblish.api

from qi.instances import PRODUCT_NAME


class ValidateQiProduct(pyblish.api.InstancePlugin):
    """A product has a project, a context path, a type and a valid name,
    and no two products of the publish share a context and a name."""

    label = "Qi product"
    order = pyblish.api.ValidatorOrder - 0.4
    hosts = ["*"]
    families = ["qi.product"]

    def process(self, instance):
        data = instance.data
        if data.get("qiCollectError"):
            raise ValueError(data["qiCollectError"])
        name = data.get("productName")
        for key in ("project", "context", "productType"):
            value = data.get(key)
            if not isinstance(value, str) or not value:
                raise ValueError("%s: no %s: give one (%s)" % (
                    name if isinstance(name, str) else instance.name, key,
                    {"project": "--project, or QI_PROJECT", "context": "--context /sq010/sh010, or QI_CONTEXT",
                     "productType": "--product-type render"}[key]))
        if not data["context"].startswith("/"):
            raise ValueError("%s: the context “%s” is not a path: write it /sq010/sh010" % (name, data["context"]))
        if not isinstance(name, str) or not PRODUCT_NAME.match(name):
            raise ValueError("the product name %r is not one: a letter, then letters, digits, _ or -, at most "
                             "128 (the variant %r)" % (name, data.get("variant")))
        for other in instance.context:
            if other is instance:
                break
            if (other.data.get("productName") == name and other.data.get("context") == data["context"]
                    and other.data.get("project") == data["project"] and other.data.get("publish", True)):
                raise ValueError("%s in %s is published twice in this publish: give one of them another variant"
                                 % (name, data["context"]))
        self.log.debug("%s of type %s in %s %s", name, data["productType"], data["project"], data["context"])
