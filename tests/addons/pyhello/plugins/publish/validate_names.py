"""A publish plugin of the Python test addon: its folder is what
addons.plugin_dirs lists; the publish engine comes later."""


def validate(instance):
    return bool(instance.get("name"))
