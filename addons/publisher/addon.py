"""The publisher: Qi's publish plugins (``plugins/publish``), the command
that runs them on files (``qi --headless publish``, :mod:`.cli`), the
standalone publisher's topics (:mod:`.standalone_topics`) and the route of
a version's thumbnail (:mod:`.thumbnails`)."""
from gi.repository import Qi

from . import cli
from .standalone_topics import StandaloneTopics
from .thumbnails import ThumbnailRoute


class Publisher(Qi.Addon):
    def do_register_addon(self):
        self.standalone_topics = StandaloneTopics(self)
        self.standalone_topics.register()
        self.thumbnails = ThumbnailRoute(self)
        self.thumbnails.register()
        cli.add_verb(self)
        return True
