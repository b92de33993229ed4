#
# 3DE4.script.name: Qi
# 3DE4.script.startup: true
# 3DE4.script.hide: true
#
"""Qi's start-up script for 3DEqualizer4 (PYTHON_CUSTOM_SCRIPTS_3DE4).
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
    import qi_3de
except ImportError as _error:
    if os.environ.get("QI_SERVER_URL"):
        print("Qi: cannot load Qi's 3DEqualizer4 layer ({}); 3DEqualizer4 runs on without Qi".format(_error),
              file=sys.stderr)
else:
    qi_3de.start()
