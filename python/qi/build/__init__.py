"""Scene building (docs/building.md): workfile template profiles
(:mod:`.profiles`), placeholders (:mod:`.placeholders`), a build's plan
without a DCC (:mod:`.plan`), the build graph of a recursive build
(:mod:`.graph`). Standard library only."""
from .graph import BuildGraph
from .placeholders import PlaceholderError, placeholder
from .plan import BuildError, Planner
from .profiles import ProfileError, check_profiles, choose

__all__ = ["BuildGraph", "BuildError", "Planner", "PlaceholderError", "ProfileError", "placeholder",
           "check_profiles", "choose"]
