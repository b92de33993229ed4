from gi.repository import Qi


def broken_configuration():
    raise RuntimeError("no studio configuration at /studio/qi.conf")


broken_configuration()
