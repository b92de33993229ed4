import pyblish.api


class ValidateFrameRange(pyblish.api.InstancePlugin):
    """Models for review have a frame range that starts before it ends"""

    order = pyblish.api.ValidatorOrder + 0.1
    families = ["model", "review"]
    match = pyblish.api.Subset
    optional = True
    label = "Frame Range"

    def process(self, instance):
        start, end = instance.data["frameStart"], instance.data["frameEnd"]
        assert start <= end, "frameStart %d is after frameEnd %d" % (start, end)
