"""Attribute definitions: what a creator or a publish plugin lets the
artist set, for the UIs (standard library only).

Each definition has a ``key``, a ``label``, a ``default`` and a
``tooltip``; :meth:`AttributeDef.schema` gives its JSON Schema, and
:func:`to_schema` an object schema of a list of them, which the windows
turn into a form. :func:`defaults` and :func:`apply` fill and check
values.
"""
import numbers

__all__ = ["AttributeDef", "BoolDef", "NumberDef", "TextDef", "EnumDef", "FileDef", "HiddenDef", "LabelDef",
           "SeparatorDef", "AttributeError_", "to_schema", "defaults", "apply"]


class AttributeError_(ValueError):
    """A value an attribute does not take."""


class AttributeDef(object):
    kind = None
    #: whether it holds a value (a label or a separator does not)
    has_value = True

    def __init__(self, key, label=None, default=None, tooltip=None, hidden=False):
        self.key = key
        self.label = label or key
        self.default = default
        self.tooltip = tooltip
        self.hidden = hidden

    def schema(self):
        schema = {"title": self.label, "x-qi-kind": self.kind}
        if self.default is not None:
            schema["default"] = self.default
        if self.tooltip:
            schema["description"] = self.tooltip
        if self.hidden:
            schema["x-qi-hidden"] = True
        return schema

    def convert(self, value):
        return value


class BoolDef(AttributeDef):
    kind = "boolean"

    def __init__(self, key, label=None, default=False, tooltip=None, hidden=False):
        super().__init__(key, label, bool(default), tooltip, hidden)

    def schema(self):
        return dict(super().schema(), type="boolean")

    def convert(self, value):
        if not isinstance(value, bool):
            raise AttributeError_("“%s” is true or false, not %r" % (self.key, value))
        return value


class NumberDef(AttributeDef):
    kind = "number"

    def __init__(self, key, label=None, default=0, minimum=None, maximum=None, decimals=0, tooltip=None,
                 hidden=False):
        super().__init__(key, label, default, tooltip, hidden)
        self.minimum, self.maximum, self.decimals = minimum, maximum, decimals

    def schema(self):
        schema = dict(super().schema(), type="integer" if self.decimals == 0 else "number")
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.decimals:
            schema["multipleOf"] = 10 ** -self.decimals
            schema["x-qi-decimals"] = self.decimals
        return schema

    def convert(self, value):
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise AttributeError_("“%s” is a number, not %r" % (self.key, value))
        if self.decimals == 0 and value != int(value):
            raise AttributeError_("“%s” is a whole number, not %r" % (self.key, value))
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise AttributeError_("“%s” is from %s to %s, not %r" % (self.key, self.minimum, self.maximum, value))
        return int(value) if self.decimals == 0 else round(float(value), self.decimals)


class TextDef(AttributeDef):
    kind = "text"

    def __init__(self, key, label=None, default="", multiline=False, placeholder=None, tooltip=None, hidden=False):
        super().__init__(key, label, default, tooltip, hidden)
        self.multiline, self.placeholder = multiline, placeholder

    def schema(self):
        schema = dict(super().schema(), type="string")
        if self.multiline:
            schema["x-qi-multiline"] = True
        if self.placeholder:
            schema["x-qi-placeholder"] = self.placeholder
        return schema

    def convert(self, value):
        if not isinstance(value, str):
            raise AttributeError_("“%s” is text, not %r" % (self.key, value))
        return value


class EnumDef(AttributeDef):
    kind = "enum"

    def __init__(self, key, items, label=None, default=None, multiselection=False, tooltip=None, hidden=False):
        # items: values, or (value, label) pairs
        self.items = [item if isinstance(item, tuple) else (item, str(item)) for item in items]
        if not self.items:
            raise ValueError("the enum “%s” has no item" % key)
        values = [value for value, _label in self.items]
        if default is None:
            default = [] if multiselection else values[0]
        super().__init__(key, label, default, tooltip, hidden)
        self.multiselection = multiselection

    def schema(self):
        one = {"enum": [value for value, _ in self.items], "x-qi-labels": [label for _, label in self.items]}
        schema = super().schema()
        if self.multiselection:
            schema.update(type="array", items=one, uniqueItems=True)
        else:
            schema.update(one)
        return schema

    def convert(self, value):
        values = [v for v, _ in self.items]
        chosen = value if self.multiselection else [value]
        if self.multiselection and not isinstance(value, list):
            raise AttributeError_("“%s” is a list of %s" % (self.key, values))
        for item in chosen:
            if item not in values:
                raise AttributeError_("“%s” is one of %s, not %r" % (self.key, ", ".join(map(str, values)), item))
        return value


class FileDef(AttributeDef):
    kind = "file"

    def __init__(self, key, label=None, default="", extensions=(), folders=False, tooltip=None, hidden=False):
        super().__init__(key, label, default, tooltip, hidden)
        self.extensions, self.folders = list(extensions), folders

    def schema(self):
        return dict(super().schema(), type="string", format="x-qi-path", **{"x-qi-extensions": self.extensions,
                                                                           "x-qi-folders": self.folders})

    def convert(self, value):
        if not isinstance(value, str):
            raise AttributeError_("“%s” is a path, not %r" % (self.key, value))
        if value and self.extensions and not value.lower().endswith(tuple(e.lower() for e in self.extensions)):
            raise AttributeError_("“%s” is a file ending in %s" % (self.key, ", ".join(self.extensions)))
        return value


class HiddenDef(AttributeDef):
    kind = "hidden"

    def __init__(self, key, default=None):
        super().__init__(key, key, default, None, True)


class LabelDef(AttributeDef):
    kind = "label"
    has_value = False

    def __init__(self, text, key=None):
        super().__init__(key or "label:" + text, text)

    def schema(self):
        return {"title": self.label, "x-qi-kind": "label", "readOnly": True}


class SeparatorDef(AttributeDef):
    kind = "separator"
    has_value = False

    def __init__(self, key="separator"):
        super().__init__(key, "")

    def schema(self):
        return {"x-qi-kind": "separator", "readOnly": True}


def to_schema(definitions, title=None):
    """The JSON Schema (draft 2020-12) of an object holding the values of
    ``definitions``; ``x-qi-order`` keeps their order, labels and
    separators included."""
    properties = {}
    order = []
    for definition in definitions:
        if definition.key in properties:
            raise ValueError("two attributes are named “%s”" % definition.key)
        properties[definition.key] = definition.schema()
        order.append(definition.key)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": properties, "x-qi-order": order, "additionalProperties": False}
    if title:
        schema["title"] = title
    return schema


def defaults(definitions):
    return {d.key: d.default for d in definitions if d.has_value}


def apply(definitions, values, current=None):
    """``current`` (or the defaults) with ``values`` set, each checked; an
    unknown key or a wrong value raises :class:`AttributeError_`."""
    result = dict(defaults(definitions) if current is None else current)
    known = {d.key: d for d in definitions if d.has_value}
    for key, value in (values or {}).items():
        if key not in known:
            raise AttributeError_("there is no attribute “%s” (the attributes are %s)" % (
                key, ", ".join(known) or "none"))
        result[key] = known[key].convert(value)
    return result
