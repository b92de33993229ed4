"""The pipeline inside a DCC (standard library only): the host API
(:func:`install_host`, :class:`PipelineHost`), the scene's records,
creators and the create context, loaders, and the scene inventory; the
hub session that serves them (:class:`PipelineSession`).

Each host's thin layer (Blender's in ``addons/host-blender``) subclasses
:class:`PipelineHost` with the DCC's calls; its creators, loaders and
publish plugins sit in its addon's ``plugins/create``, ``plugins/load``
and ``plugins/publish``. docs/pipeline.md tells the whole story.
"""
from .attributes import (AttributeDef, BoolDef, EnumDef, FileDef, HiddenDef, LabelDef, NumberDef, SeparatorDef,
                         TextDef, to_schema)
from .create import (AutoCreator, CreateContext, CreatedInstance, CreateError, Creator, HiddenCreator, product_name,
                     publish_attribute_definitions, publish_values)
from .host import PipelineHost
from .install import Pipeline, install_host, registered_host
from .inventory import LATEST, LOCKED, NOT_FOUND, OUTDATED, Inventory, InventoryError, states
from .load import LoaderPlugin, LoadError, compatible_loaders, is_compatible, resolve
from .records import CONTAINER_SCHEMA, INSTANCE_SCHEMA, RecordError

__all__ = ["AttributeDef", "BoolDef", "EnumDef", "FileDef", "HiddenDef", "LabelDef", "NumberDef", "SeparatorDef",
           "TextDef", "to_schema", "AutoCreator", "CreateContext", "CreatedInstance", "CreateError", "Creator",
           "HiddenCreator", "product_name", "publish_attribute_definitions", "publish_values", "PipelineHost", "Pipeline", "install_host", "registered_host",
           "LATEST", "LOCKED", "NOT_FOUND", "OUTDATED", "Inventory", "InventoryError", "states", "LoaderPlugin",
           "LoadError", "compatible_loaders", "is_compatible", "resolve", "CONTAINER_SCHEMA", "INSTANCE_SCHEMA",
           "RecordError"]
