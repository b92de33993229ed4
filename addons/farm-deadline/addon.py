"""Deadline's Web Service as a farm adapter (qi.farm.deadline), chosen by
a project's ``farm.adapter = "deadline"`` with ``farm.deadline_url``."""
from gi.repository import Qi

from qi.farm import register_adapter, unregister_adapter
from qi.farm.deadline import DeadlineFarm


class FarmDeadline(Qi.Addon):
    def do_register_addon(self):
        register_adapter(DeadlineFarm)
        return True

    def do_close(self):
        unregister_adapter(DeadlineFarm.name)
