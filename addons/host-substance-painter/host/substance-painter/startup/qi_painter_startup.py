"""Qi's start-up plugin for Substance 3D Painter: Painter starts the
startup/ plugins of each folder of SUBSTANCE_PAINTER_PLUGINS_PATH with
start_plugin() and stops them with close_plugin().
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
    import qi_substance_painter
except ImportError as _error:
    if os.environ.get("QI_SERVER_URL"):
        print("Qi: cannot load Qi's Substance 3D Painter layer ({}); Substance 3D Painter runs on without Qi".format(_error),
              file=sys.stderr)


def start_plugin():
    import qi_substance_painter

    qi_substance_painter.start()


def close_plugin():
    import qi_substance_painter

    qi_substance_painter.stop()
