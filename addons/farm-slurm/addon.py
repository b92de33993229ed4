"""Slurm as a farm adapter (qi.farm.slurm), chosen by a project's
``farm.adapter = "slurm"``."""
from gi.repository import Qi

from qi.farm import register_adapter, unregister_adapter
from qi.farm.slurm import SlurmFarm


class FarmSlurm(Qi.Addon):
    def do_register_addon(self):
        register_adapter(SlurmFarm)
        return True

    def do_close(self):
        unregister_adapter(SlurmFarm.name)
