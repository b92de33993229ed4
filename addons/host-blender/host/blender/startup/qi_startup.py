"""Qi's start-up module for Blender.

BLENDER_USER_SCRIPTS is Qi's plugin folder when Qi launches Blender, and
Blender imports the modules of its startup/ folder and calls their
register(). The work is in modules/qi_blender.py (on Blender's sys.path
as the user scripts' modules/ folder).
"""


def register():
    import qi_blender

    qi_blender.register()


def unregister():
    import qi_blender

    qi_blender.unregister()
