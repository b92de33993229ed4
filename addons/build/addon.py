"""Scene building (docs/building.md): which template builds a task's
workfile (the ``profiles`` setting), the plan of its placeholders without a
DCC, the build graph of a recursive build (:mod:`.service`: ``build.*``;
:mod:`.cli`: ``qi --headless build plan|graph|run``)."""
from gi.repository import Qi

from qi.addon import to_node

from . import cli
from .service import BuildService


class Build(Qi.Addon):
    def do_register_addon(self):
        self.service = BuildService(self)
        self.service.register()
        cli.add_verbs(self, self.service)
        return True


settings = Qi.SettingsSchema.new("Scene building")
settings.add_json("profiles", "Template profiles", "Which workfile template builds which task (docs/building.md): "
                  "task types and names, context kinds and paths, the template, what it produces, its flags",
                  to_node([]))
settings.add_json("context_values", "Context values", "The frame range, fps and resolution a context placeholder "
                  "sets, by context path (\"*\" for every context): {\"*\": {\"fps\": 24}, \"/sq010/sh010\": "
                  "{\"frame_range\": [1001, 1100]}}", to_node({}))
settings.add_int("max_depth", "Depth limit", "How deep a recursive build goes for inputs that do not exist yet",
                 0, 32, 4)
settings.add_int("parallel", "Builds at once", "Independent builds of a recursive build that run side by side",
                 1, 32, 2)
settings.attach(Build.__gtype__)
