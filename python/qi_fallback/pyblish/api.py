"""``pyblish.api``: Qi's publish engine (``qi.publish.api``)."""
from qi.publish.api import *  # noqa: F401,F403
from qi.publish.api import __all__  # noqa: F401
