"""Qi's collector of products: one instance per product of the create
context.

``context.data["create_context"]`` holds what is to be published: for
the standalone host (``qi --headless publish``) the list of product dicts
the command built; a DCC's create context later is an object whose
``products()`` gives such dicts. Each product is in the shape of
docs/publishing.md (“Instance data”): ``productType``, ``productName``,
``variant``, ``context``, ``task``, ``representations``, ``comment``
(and ``project`` when it is not the context's). What it leaves out comes
from the context (project, context, task, comment), and ``productName``
from the type and the variant (``render`` + ``main``: ``renderMain``).
The instance's ``family`` is the product type.

A product that is not an object still makes an instance, holding
``qiCollectError``: ``ValidateQiProduct`` fails on it, so that nothing
is integrated.
"""
import copy

import pyblish.api


def product_name(product_type, variant):
    """``render`` and ``main`` → ``renderMain``."""
    variant = variant or ""
    return (product_type or "") + variant[:1].upper() + variant[1:]


def products_of(create_context):
    if create_context is None:
        return []
    products = getattr(create_context, "products", None)
    if callable(products):
        return list(products())
    return list(create_context)


class CollectQiInstances(pyblish.api.ContextPlugin):
    """An instance for each product of ``context.data["create_context"]``."""

    label = "Qi products"
    order = pyblish.api.CollectorOrder - 0.4
    hosts = ["*"]

    def process(self, context):
        products = products_of(context.data.get("create_context"))
        if not products:
            self.log.info("The create context has no product")
        for index, product in enumerate(products):
            if not isinstance(product, dict):
                context.create_instance("products[%d]" % index, qiCollectError="products[%d] is a %s, not a product "
                                        "(an object)" % (index, type(product).__name__), publish=True,
                                        families=["qi.product"])
                continue
            data = copy.deepcopy(product)
            data.setdefault("productType", None)
            data.setdefault("variant", "main" if not data.get("productName") else None)
            if not data.get("productName"):
                data["productName"] = product_name(data["productType"], data["variant"])
            for key in ("project", "context", "task"):
                if data.get(key) is None:
                    data[key] = context.data.get(key)
            if data.get("comment") is None:
                data["comment"] = context.data.get("comment") or ""
            data.setdefault("representations", [])
            for representation in data["representations"] if isinstance(data["representations"], list) else []:
                if isinstance(representation, dict):
                    representation.setdefault("tags", [])
            data["family"] = data["productType"]
            # Qi's plugins process the instances of this family only
            data["families"] = list(data.get("families") or []) + ["qi.product"]
            data.setdefault("label", "%s (%s)" % (data["productName"], data["context"]))
            name = data["productName"] if isinstance(data["productName"], str) else "products[%d]" % index
            context.create_instance(name, **data)
            self.log.info("Product %s of type %s in %s", data["productName"], data["productType"], data["context"])
