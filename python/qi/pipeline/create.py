"""Creators and the create context (standard library only).

A **creator** makes publishable content known to Qi: it writes an
instance record (:mod:`qi.pipeline.records`) into the scene through the
host, with the product type, the product name and the artist's
attributes.

- :class:`Creator`: instances an artist makes, from the selection or new
  content: ``create(variant, members, attributes)``;
- :class:`AutoCreator`: one instance that is always there (the workfile),
  made by :meth:`CreateContext.reset` when it is missing;
- :class:`HiddenCreator`: instances made by code, not shown in the
  creator list.

Each has ``identifier``, ``label``, ``product_type``, ``default_variants``,
``product_name_template`` (``{productType}{Variant}``: ``model`` and
``main`` make ``modelMain``), ``hosts``, and ``attributes()`` (attribute
definitions, :mod:`qi.pipeline.attributes`). ``collect_instances``,
``update_instances`` and ``remove_instances`` go through the host's
records by default; a creator may change them.

The :class:`CreateContext` holds the creators found in the plugin folders
and the scene's instances, records the changes of each, saves them, and
gives the publish its products (:meth:`CreateContext.products`).
"""
import re

from . import attributes as attrs
from . import records
from .discovery import discover

__all__ = ["BaseCreator", "Creator", "AutoCreator", "HiddenCreator", "CreatedInstance", "CreateContext",
           "CreateError", "product_name", "publish_attribute_definitions", "publish_values"]


def publish_attribute_definitions(plugin):
    """The attribute definitions a publish plugin adds to each instance it
    processes: its ``get_attribute_defs()`` (a classmethod), and, for an
    ``optional`` plugin, ``active`` (the artist may turn it off for one
    instance)."""
    definitions = []
    if getattr(plugin, "optional", False):
        definitions.append(attrs.BoolDef("active", getattr(plugin, "label", None) or plugin.__name__,
                                         bool(getattr(plugin, "active", True))))
    get = getattr(plugin, "get_attribute_defs", None)
    if callable(get):
        definitions.extend(get())
    return definitions


def publish_values(plugin, instance):
    """The values of ``plugin``'s attributes for a pyblish ``instance``:
    the artist's (``publishAttributes``) over the defaults."""
    values = attrs.defaults(publish_attribute_definitions(plugin))
    values.update((instance.data.get("publishAttributes") or {}).get(plugin.__name__) or {})
    return values


class CreateError(ValueError):
    """What cannot be created, in one sentence."""


def product_name(template, product_type, variant, task=None):
    """``{productType}{Variant}`` solved: ``{Variant}`` is the variant with
    a capital first letter, ``{variant}`` as written, ``{task}`` the
    task's name."""
    variant = variant or ""
    fields = {"productType": product_type, "producttype": product_type, "variant": variant,
              "Variant": variant[:1].upper() + variant[1:], "task": task or "", "Task": (task or "").capitalize()}

    def field(match):
        key = match.group(1)
        if key not in fields:
            raise CreateError("the product name template %r has {%s}, which is none of %s" % (
                template, key, ", ".join(sorted(fields))))
        return fields[key]

    return re.sub(r"\{([A-Za-z]+)\}", field, template)


class CreatedInstance(object):
    """An instance of the scene: its record, its members (what the host
    keeps with it: object names) and whether it changed since the last
    save."""

    def __init__(self, record, members=(), creator=None):
        self.record = records.check(dict(record), records.INSTANCE_SCHEMA, "instance")
        # names: a host may hand its own objects, which have one
        self.members = [getattr(member, "name", member) for member in members]
        self.creator = creator
        self.changed = False
        self.removed = False

    @property
    def id(self):
        return self.record["id"]

    def __getitem__(self, key):
        return self.record[key]

    def set(self, key, value):
        if key in ("id", "schema", "creator"):
            raise CreateError("the instance's “%s” cannot change" % key)
        if self.record.get(key) != value:
            self.record[key] = value
            self.changed = True

    def to_dict(self):
        data = dict(self.record)
        data["members"] = list(self.members)
        return data


class BaseCreator(object):
    abstract = True
    identifier = None
    label = None
    product_type = None
    hosts = ["*"]
    default_variants = ["Main"]
    default_variant = None
    product_name_template = "{productType}{Variant}"
    icon = None
    description = ""
    order = 100
    kind = "creator"

    def __init__(self, context):
        self.create_context = context
        self.host = context.host

    # what the UIs show
    def attributes(self):
        """The creator's attribute definitions (per instance)."""
        return []

    def describe(self):
        return {"identifier": self.identifier, "label": self.label or self.identifier, "kind": self.kind,
                "product_type": self.product_type, "default_variants": list(self.default_variants),
                "default_variant": self.default_variant or (self.default_variants[0] if self.default_variants else ""),
                "icon": self.icon, "description": self.description,
                "attributes": attrs.to_schema(self.attributes(), self.label)}

    def get_product_name(self, variant, task=None):
        return product_name(self.product_name_template, self.product_type, variant, task)

    def new_record(self, variant, attributes=None):
        context = self.create_context
        return records.instance(self.identifier, self.product_type,
                                self.get_product_name(variant, context.task), variant, context.context,
                                context.task, attrs.apply(self.attributes(), attributes))

    # the scene
    def collect_instances(self):
        """The scene's instances of this creator."""
        return [CreatedInstance(record, members, self) for record, members in self.host.instances()
                if record.get("creator") == self.identifier]

    def update_instances(self, instances):
        for instance in instances:
            self.host.write_instance(instance.record, instance.members)

    def remove_instances(self, instances):
        for instance in instances:
            self.host.remove_instance(instance.id)


class Creator(BaseCreator):
    abstract = True
    kind = "creator"

    def create(self, variant, members=None, attributes=None):
        """A new instance of ``variant`` holding ``members`` (the selection
        when None, through the host)."""
        if not variant or not re.match(r"^[A-Za-z0-9_-]+$", variant):
            raise CreateError("the variant %r is not one: letters, digits, _ or -" % (variant,))
        record = self.new_record(variant, attributes)
        members = self.host.selection() if members is None else list(members)
        members = self.prepare_members(members, record)
        self.host.write_instance(record, members)
        return CreatedInstance(record, members, self)

    def prepare_members(self, members, record):
        """What the instance holds; a creator may refuse (an empty model)."""
        return members


class AutoCreator(BaseCreator):
    abstract = True
    kind = "auto"

    def ensure(self):
        """The instance, made if the scene has none of this creator."""
        existing = self.collect_instances()
        if existing:
            return existing[0]
        variant = self.default_variant or self.default_variants[0]
        record = self.new_record(variant)
        self.host.write_instance(record, [])
        return CreatedInstance(record, [], self)


class HiddenCreator(BaseCreator):
    abstract = True
    kind = "hidden"

    def create(self, variant, members=None, attributes=None):
        record = self.new_record(variant, attributes)
        self.host.write_instance(record, list(members or []))
        return CreatedInstance(record, list(members or []), self)


class CreateContext(object):
    """The creators of the host and the scene's instances (see the
    module). ``publish_attributes`` maps a plugin's name to its attribute
    definitions, added by publish plugins per instance."""

    def __init__(self, host, folders, project=None, context=None, task=None):
        self.host = host
        self.project, self.context, self.task = project, context, task
        classes, self.errors = discover(BaseCreator, folders, host.name)
        self.creators = {}
        for cls in sorted(classes, key=lambda c: (c.order, c.identifier or "")):
            if not cls.identifier or not cls.product_type:
                self.errors[cls.__name__] = "a creator needs an identifier and a product type"
                continue
            self.creators[cls.identifier] = cls(self)
        self.instances = {}

    def reset(self):
        """Reads the instances of the scene again; makes the auto
        creators' instances that are missing."""
        self.instances = {}
        for creator in self.creators.values():
            if isinstance(creator, AutoCreator):
                creator.ensure()
            for instance in creator.collect_instances():
                self.instances[instance.id] = instance
        return list(self.instances.values())

    def creator(self, identifier):
        try:
            return self.creators[identifier]
        except KeyError:
            raise CreateError("no creator “%s” in %s (the creators: %s)" % (
                identifier, self.host.name, ", ".join(sorted(self.creators)) or "none")) from None

    def create(self, identifier, variant, members=None, attributes=None):
        creator = self.creator(identifier)
        if not isinstance(creator, Creator):
            raise CreateError("“%s” makes its instances itself; an artist cannot create one" % identifier)
        instance = creator.create(variant, members, attributes)
        self.instances[instance.id] = instance
        return instance

    def get(self, instance_id):
        try:
            return self.instances[instance_id]
        except KeyError:
            raise CreateError("no instance “%s” in the scene" % instance_id) from None

    def update(self, instance_id, changes):
        """Sets ``changes`` (``variant``, ``active``, ``creator_attributes``,
        ``publish_attributes``) on an instance; the product name follows
        the variant. Saved by :meth:`save_changes`."""
        instance = self.get(instance_id)
        creator = self.creator(instance["creator"])
        for key, value in changes.items():
            if key == "variant":
                instance.set("variant", value)
                instance.set("product_name", creator.get_product_name(value, instance["task"]))
            elif key == "active":
                if not isinstance(value, bool):
                    raise CreateError("“active” is true or false")
                instance.set("active", value)
            elif key == "creator_attributes":
                instance.set(key, attrs.apply(creator.attributes(), value, instance[key]))
            elif key == "publish_attributes":
                if not isinstance(value, dict):
                    raise CreateError("“publish_attributes” is an object of each plugin's values")
                known = self.publish_plugins(instance["product_type"])
                merged = dict(instance[key])
                for plugin, values in value.items():
                    if plugin not in known:
                        raise CreateError("no publish plugin “%s” has attributes for a %s (these do: %s)" % (
                            plugin, instance["product_type"], ", ".join(sorted(known)) or "none"))
                    merged[plugin] = attrs.apply(known[plugin], values, merged.get(plugin))
                instance.set(key, merged)
            else:
                raise CreateError("an instance's “%s” cannot change (variant, active, creator_attributes, "
                                  "publish_attributes can)" % key)
        return instance

    def publish_plugins(self, product_type):
        """``{plugin name: definitions}`` of the publish plugins (those of
        the host, discovered as a publish discovers them) that add
        attributes to an instance of ``product_type``."""
        try:
            import pyblish.api
        except ImportError:
            return {}
        found = {}
        for plugin in pyblish.api.discover():
            families = getattr(plugin, "families", ["*"])
            if "*" not in families and product_type not in families and "qi.product" not in families:
                continue
            definitions = publish_attribute_definitions(plugin)
            if definitions:
                found[plugin.__name__] = definitions
        return found

    def publish_schemas(self, instance):
        """The JSON Schema of each publish plugin's attributes for an
        instance."""
        return {name: attrs.to_schema(definitions, name)
                for name, definitions in self.publish_plugins(instance["product_type"]).items()}

    def save_changes(self):
        """Writes the changed instances into the scene; how many."""
        by_creator = {}
        for instance in self.instances.values():
            if instance.changed:
                by_creator.setdefault(instance["creator"], []).append(instance)
        for identifier, changed in by_creator.items():
            self.creator(identifier).update_instances(changed)
            for instance in changed:
                instance.changed = False
        return sum(len(v) for v in by_creator.values())

    def remove(self, instance_ids):
        by_creator = {}
        for instance_id in instance_ids:
            instance = self.get(instance_id)
            by_creator.setdefault(instance["creator"], []).append(instance)
        for identifier, removed in by_creator.items():
            self.creator(identifier).remove_instances(removed)
            for instance in removed:
                del self.instances[instance.id]

    def products(self):
        """The active instances as the publish's products (docs/publishing.md,
        “Instance data”): ``productType``, ``productName``, ``variant``,
        ``project``, ``context``, ``task``, and the instance's ``instanceId``,
        ``creator``, ``members``, attributes; representations come from the
        host's extractors."""
        found = []
        for instance in self.instances.values():
            record = instance.record
            if not record["active"]:
                continue
            found.append({"productType": record["product_type"], "productName": record["product_name"],
                          "variant": record["variant"], "project": self.project, "context": record["context"],
                          "task": record["task"], "instanceId": record["id"], "creator": record["creator"],
                          "members": list(instance.members), "creatorAttributes": dict(record["creator_attributes"]),
                          "publishAttributes": dict(record["publish_attributes"]), "representations": []})
        return found
