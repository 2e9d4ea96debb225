"""Deep Image Prior: Ulyanov, Vedaldi and Lempitsky, "Deep Image Prior", CVPR 2018
(https://arxiv.org/abs/1711.10925; official code: github.com/DmitryUlyanov/deep-image-prior).

A randomly initialised encoder-decoder ``f_theta`` is fitted to one corrupted
image ``x0`` by ``min_theta E(f_theta(z); x0)``; its structure is the prior. There
are no pretrained weights: every image is its own fit (``zoo dip ...``).

    >>> from zoo.models.dip import skip, TASKS
    >>> net = skip(**TASKS["denoising"].network, image_shape=(512, 512))
"""

from zoo.family import Demo, Family
from zoo.models.dip.tasks import TASKS, DIPTask

PRESETS: dict = {}  # fitted per image: nothing to download
NO_WEIGHTS = "fitted to each image by `zoo dip` (Deep Image Prior has no pretrained weights)"

FAMILY = Family(
    name="dip",
    papers=("Ulyanov, Vedaldi, Lempitsky, \"Deep Image Prior\", CVPR 2018",),
    builders={"build": "zoo.models.dip.architectures:build",
              "skip": "zoo.models.dip.architectures:skip",
              "hourglass": "zoo.models.dip.architectures:hourglass",
              "unet": "zoo.models.dip.architectures:unet"},
    presets=PRESETS,
    no_weights=NO_WEIGHTS,
    card="dip.md",
    demo=Demo("dip", "zoo.models.dip.demo:dip_section"),
    commands=("zoo.cli.dip",),
)

ARCHITECTURES = ("skip", "hourglass", "unet")


def __getattr__(name):
    if name in ARCHITECTURES + ("build",):
        from zoo.models.dip import architectures

        return getattr(architectures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ARCHITECTURES", "DIPTask", "FAMILY", "NO_WEIGHTS", "PRESETS", "TASKS", "build", "hourglass",
           "skip", "unet"]
