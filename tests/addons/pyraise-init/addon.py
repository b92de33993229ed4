from gi.repository import Qi


def read_config():
    with open("/nonexistent/studio/qi.conf") as f:
        return f.read()


class RaiseInit(Qi.Addon):
    def __init__(self, **properties):
        super().__init__(**properties)
        try:
            read_config()
        except OSError as e:
            raise RuntimeError("no studio configuration") from e
