"""``pyblish.util``: publishing in one call (``qi.publish.util``)."""
from qi.publish.util import *  # noqa: F401,F403
from qi.publish.util import __all__  # noqa: F401
