"""Workfile template profiles: which template a task's workfile is built
from, and how. The ``build`` addon's setting ``profiles`` is a list of::

    {"name": "shot layout", "task_types": ["layout"], "task_names": [], "context_kinds": ["shot"],
     "context_paths": ["^/sq010/"], "template": "{root[work]}/templates/layout.blend", "host": "blender",
     "produces": ["layout"], "build_on_new_workfile": false, "build_at_launch": false,
     "keep_placeholders": false, "create_first_version": true, "publish": true}

An empty list matches anything; ``context_paths`` are regular expressions
searched in the context's path. The first profile that matches wins.
``produces`` names the product types a build of it publishes, which is
how a recursive build finds the build that makes a missing input;
``publish`` says that such a build is published when a downstream build
needs it. ``build_on_new_workfile`` builds when the DCC starts on a
workfile that does not exist yet, ``build_at_launch`` whenever it starts
(both off by default: “Build workfile” in the Qi menu, ``pipeline.build``
or ``build run`` build on request). Standard library only."""
import re

_KEYS = {"name": str, "task_types": list, "task_names": list, "context_kinds": list, "context_paths": list,
         "template": str, "host": str, "produces": list, "build_on_new_workfile": bool, "build_at_launch": bool,
         "keep_placeholders": bool, "create_first_version": bool, "publish": bool}
_DEFAULTS = {"task_types": [], "task_names": [], "context_kinds": [], "context_paths": [], "host": "blender",
             "produces": [], "build_on_new_workfile": False, "build_at_launch": False, "keep_placeholders": False,
             "create_first_version": True, "publish": True}


class ProfileError(ValueError):
    """A profile that is not one; the message names it and the key."""


def check_profiles(profiles, where="build.profiles"):
    """The profiles with their defaults; raises ProfileError."""
    if not isinstance(profiles, list):
        raise ProfileError("%s must be a list of profiles" % where)
    checked = []
    for index, profile in enumerate(profiles):
        spot = "%s[%d]" % (where, index)
        if not isinstance(profile, dict):
            raise ProfileError("%s is not an object" % spot)
        for key, value in profile.items():
            if key not in _KEYS:
                raise ProfileError("%s: no key “%s” (a profile has %s)" % (spot, key, ", ".join(sorted(_KEYS))))
            if not isinstance(value, _KEYS[key]):
                raise ProfileError("%s: “%s” must be a %s" % (spot, key, "list" if _KEYS[key] is list else
                                                              _KEYS[key].__name__.replace("str", "string")))
            if _KEYS[key] is list and not all(isinstance(v, str) for v in value):
                raise ProfileError("%s: “%s” is a list of strings" % (spot, key))
        if not profile.get("template"):
            raise ProfileError("%s: a profile needs its “template”" % spot)
        for pattern in profile.get("context_paths") or []:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ProfileError("%s: “%s” in context_paths is not a regular expression (%s)" % (
                    spot, pattern, error))
        entry = dict(_DEFAULTS)
        entry.update(profile)
        entry.setdefault("name", "profile %d" % index)
        checked.append(entry)
    return checked


def matches(profile, context_path, context_kind, task_name, task_type):
    def takes(values, value):
        return not values or value in values
    return (takes(profile["task_types"], task_type) and takes(profile["task_names"], task_name)
            and takes(profile["context_kinds"], context_kind)
            and (not profile["context_paths"] or any(re.search(p, context_path) for p in profile["context_paths"])))


def choose(profiles, context_path, context_kind, task_name, task_type):
    """The first profile for that task, or None."""
    for profile in profiles:
        if matches(profile, context_path, context_kind, task_name, task_type):
            return profile
    return None
