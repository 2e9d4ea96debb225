"""The one exception type the command line turns into a one-line message."""


class ZooError(Exception):
    """A problem with the user's input or environment, explained in one line.

    The CLI prints ``zoo: error: <message>`` and exits with status 2; library
    users can catch it like any exception.
    """


class ImageError(ZooError, ValueError):
    """An image file that is missing, corrupt, unsupported or of the wrong shape."""


class WeightsError(ZooError):
    """Pretrained weights that are unknown, unavailable offline or fail their checksum."""
