"""The farm: one interface for every farm (python/qi/farm), on the hub
(:mod:`.service`: ``farm.*``) and the command line (:mod:`.cli`:
``qi --headless farm``), with Qi's adapters: the local runner (the
embedded default), Slurm and Deadline's Web Service. A studio's adapter
registers itself from its own addon (``qi.farm.register_adapter``)."""
from gi.repository import Qi

from qi.farm import register_adapter, unregister_adapter
from qi.farm.deadline import DeadlineFarm
from qi.farm.local import LocalFarm
from qi.farm.slurm import SlurmFarm

from . import cli
from .service import FarmService


class Farm(Qi.Addon):
    def do_register_addon(self):
        for adapter in ADAPTERS:
            register_adapter(adapter)
        self.service = FarmService(self)
        self.service.register()
        cli.add_verbs(self, self.service)
        return True

    def do_close(self):
        for adapter in ADAPTERS:
            unregister_adapter(adapter.name)


ADAPTERS = (LocalFarm, SlurmFarm, DeadlineFarm)


settings = Qi.SettingsSchema.new("Farm")
settings.add_string("adapter", "Farm", "Where the project's jobs go: local (this machine's runner), slurm, "
                    "deadline, or a studio adapter's name", "local")
settings.add_int("local_slots", "Local tasks at once", "How many tasks the local runner runs at once; 0 for one "
                 "a core", 0, 1024, 0)
settings.add_string("slurm_partition", "Slurm partition", "The partition of jobs that name no pool "
                    "(empty: the cluster's default)", "")
settings.add_string("slurm_conf", "slurm.conf", "The cluster's slurm.conf (empty: $SLURM_CONF or Slurm's own)", "")
settings.add_string("slurm_bin", "Slurm's commands", "The folder of sbatch, scontrol and scancel (empty: PATH)",
                    "")
settings.add_string("deadline_url", "Deadline Web Service", "The Web Service's address, http://HOST:8081", "")
settings.add_string("deadline_pool", "Deadline pool", "The pool of jobs that name none", "")
settings.add_string("deadline_group", "Deadline group", "The group of jobs that name none", "")
settings.add_string("qi_command", "Qi on the workers", "The qi a worker runs publish jobs with (empty: this "
                    "qi's path)", "")
settings.attach(Farm.__gtype__)
