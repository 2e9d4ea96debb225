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


class ModelArgumentError(ZooError, TypeError):
    """A builder argument the model does not have (``zoo.load("vdsr", weights=None, dept=3)``)."""


def summarize(err: BaseException, limit: int = 200) -> str:
    """``err``'s message on one line: its first line, and the next one where the first only
    announces it (Keras: "... Example error message for object <Conv2D ...>:")."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if not lines:
        return type(err).__name__
    text = lines[0] + (f" {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else "")
    return text if len(text) <= limit else text[:limit - 3] + "..."
