"""Qi's userSetup.py for Maya: Maya runs every userSetup.py on its Python
path at start (Qi's first on PYTHONPATH, the studio's after it); Qi
starts once Maya is idle, with its interface built.
"""
import os
import sys

# Qi's Python package and this host's layer (python/ of the plugin folder),
# also where the DCC's Python ignores PYTHONPATH.
for _entry in [os.path.join(os.environ.get("QI_HOST_PLUGIN_FOLDER", ""), "python")] + \
        os.environ.get("QI_HOST_PYTHONPATH", "").split(os.pathsep):
    if _entry and os.path.isdir(_entry) and _entry not in sys.path:
        sys.path.insert(0, _entry)

try:
    import qi_maya
except ImportError as _error:
    if os.environ.get("QI_SERVER_URL"):
        print("Qi: cannot load Qi's Maya layer ({}); Maya runs on without Qi".format(_error),
              file=sys.stderr)
else:
    qi_maya.start_deferred()
