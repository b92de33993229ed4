"""Qi's stand-in for pyblish-base: ``pyblish.api``, ``pyblish.util``,
``pyblish.plugin`` and ``pyblish.logic`` give Qi's publish engine
(``qi.publish``). Qi appends this folder's parent to the end of
``sys.path`` only where no other pyblish can be imported
(``qi.publish.install_fallback``), so a studio's own pyblish, earlier on
the path, is the one used."""
from qi.publish.lib import __version__, version_info

version = __version__
