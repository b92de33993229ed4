"""Qi's farm: one interface for every farm (:mod:`.adapter`), the job
model (:mod:`.jobs`), the adapters Qi brings — the local runner
(:mod:`.local`), Slurm (:mod:`.slurm`), Deadline's Web Service
(:mod:`.deadline`) — and the publish of a render once it succeeded
(:mod:`.metadata`). Standard library only (docs/farm.md)."""
from .adapter import FarmAdapter, FarmError, adapter_class, adapter_names, register_adapter, unregister_adapter
from .jobs import FINAL, STATES, JobError, normalize, parse_frames

__all__ = ["FarmAdapter", "FarmError", "JobError", "STATES", "FINAL", "normalize", "parse_frames",
           "register_adapter", "unregister_adapter", "adapter_class", "adapter_names"]
