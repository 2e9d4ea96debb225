"""Spatial Transformer Networks: Jaderberg, Simonyan, Zisserman and Kavukcuoglu,
"Spatial Transformer Networks", NIPS 2015 (https://arxiv.org/abs/1506.02025).

The distorted-MNIST models of Sec. 4.1: ``STN`` (ST-CNN, affine) and the plain
baseline ``CNN`` with the same classifier; ``transformer(model)`` is the
image -> transformed-image sub-model of an ST-CNN.

    >>> from zoo.models.stn import STN, CNN, transformer
    >>> model = STN(input_size=42)          # logits for 10 classes

``STN``, ``CNN``, ``build`` and ``transformer`` load Keras on first use, so that
listing presets stays fast.
"""

from zoo.family import Demo, Family
from zoo.models.stn.presets import PRESETS

FAMILY = Family(
    name="stn",
    papers=("Jaderberg, Simonyan, Zisserman, Kavukcuoglu, \"Spatial Transformer Networks\", "
            "NIPS 2015",),
    builders={"STN": "zoo.models.stn.stn:build", "CNN": "zoo.models.stn.stn:CNN"},
    presets=PRESETS,
    recipe="zoo.training.stn",
    recipe_help="ST-CNN (or the CNN baseline) on distorted MNIST",
    demo=Demo("stn", "zoo.models.stn.demo:stn_section"),
    custom_objects=("zoo.models.stn.stn",),
)

_LAZY = ("STN", "CNN", "build", "transformer", "AffineGrid", "copy_classifier", "parameter_counts")


def __getattr__(name):
    if name in _LAZY:
        from zoo.models.stn import stn

        return getattr(stn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_LAZY, "FAMILY", "PRESETS"]
