"""Qi's start-up module for Blender.

BLENDER_USER_SCRIPTS is Qi's plugin folder when Qi launches Blender, and
Blender imports the modules of its startup/ folder and calls their
register(). The work is in modules/qi_blender.py, which Blender puts on
sys.path only after the startup modules ran: it is put there here.
"""

import os
import sys

_MODULES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "modules")
if _MODULES not in sys.path:
    sys.path.append(_MODULES)


def register():
    import qi_blender

    qi_blender.register()


def unregister():
    import qi_blender

    qi_blender.unregister()
