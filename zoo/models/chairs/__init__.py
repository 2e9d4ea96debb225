"""Chairs: generating images of chairs from a chair's identity and a view with an
up-convolutional network. Dosovitskiy, Springenberg, Brox, "Learning to Generate Chairs
with Convolutional Neural Networks", CVPR 2015 (arXiv:1411.5928); PAMI 2017 with
Tatarchenko, "Learning to Generate Chairs, Tables and Cars with Convolutional Networks".

    >>> from zoo.models.chairs import ChairsGenerator, generate, morph, turntable
    >>> net = ChairsGenerator()                  # the paper's 128x128 net, 809 chairs
    >>> image = generate(net, chair=3, azimuth=30, elevation=20)

The network (:mod:`zoo.models.chairs.generator`): class, view and transformation inputs,
fully connected layers, then 2x unpooling + 5x5 convolutions to an RGB image and a
segmentation mask. Data: Aubry et al.'s ``rendered_chairs`` or procedural chairs rendered
with pyrender (:mod:`zoo.training.chair_data`); training ``zoo train chairs --data
procedural|PATH``; drawing ``zoo chairs``. The builders load Keras on first use.
"""

from zoo.family import Demo, ExportSpec, Family
from zoo.models.chairs.presets import PRESETS

FAMILY = Family(
    name="chairs",
    papers=("Dosovitskiy, Springenberg, Brox, \"Learning to Generate Chairs with "
            "Convolutional Neural Networks\", CVPR 2015",
            "Dosovitskiy, Springenberg, Tatarchenko, Brox, \"Learning to Generate Chairs, "
            "Tables and Cars with Convolutional Networks\", IEEE TPAMI 2017"),
    builders={"ChairsGenerator": "zoo.models.chairs.generator:build"},
    presets=PRESETS,
    no_weights=None if PRESETS else "none trained yet: zoo train chairs --data procedural",
    recipe="zoo.training.chairs",
    recipe_help=("Dosovitskiy et al.'s chair generator (class + view -> image + mask) on "
                 "Aubry et al.'s rendered chairs or procedural ones"),
    export=ExportSpec(
        phone_model="zoo.models.chairs.export:phone_model",
        calibration="zoo.models.chairs.export:calibration_batches",
        validation="zoo.models.chairs.export:validation_inputs",
        metadata="zoo.models.chairs.export:metadata",
    ),
    demo=Demo("chairs", "zoo.models.chairs.demo:chairs_section"),
    commands=("zoo.cli.chairs",),
    custom_objects=("zoo.models.chairs.generator",),
)

_NET = ("ChairsGenerator", "Unpool2D", "build", "config_of", "NUM_CHAIRS", "PAPER",
        "TRANSFORMS", "widths")
_INFERENCE = ("generate", "morph", "turntable", "view_vector", "class_vectors")


def __getattr__(name):
    if name in _NET:
        from zoo.models.chairs import generator

        return getattr(generator, name)
    if name in _INFERENCE:
        from zoo.models.chairs import inference

        return getattr(inference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_NET, *_INFERENCE, "FAMILY", "PRESETS"]
