"""The farm: one interface for every farm (python/qi/farm), on the hub
(:mod:`.service`: ``farm.*``) and the command line (:mod:`.cli`:
``qi --headless farm``), with the local runner, the embedded default;
Slurm and Deadline are the addons ``farm-slurm`` and ``farm-deadline``."""
from gi.repository import Qi

from qi.farm import register_adapter
from qi.farm.local import LocalFarm

from . import cli
from .service import FarmService


class Farm(Qi.Addon):
    def do_register_addon(self):
        register_adapter(LocalFarm)
        self.service = FarmService(self)
        self.service.register()
        cli.add_verbs(self, self.service)
        return True


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
