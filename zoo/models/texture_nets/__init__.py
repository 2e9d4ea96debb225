"""Texture Networks: Ulyanov, Lebedev, Vedaldi and Lempitsky, "Texture Networks:
Feed-forward Synthesis of Textures and Stylized Images", ICML 2016
(https://arxiv.org/abs/1603.03417), with the instance normalization of "Improved
Texture Networks" (Ulyanov, Vedaldi, Lempitsky, CVPR 2017, arXiv:1701.02096).

    >>> from zoo.models.texture_nets import TextureNetwork, make_noise
    >>> g = TextureNetwork(scales=5, mode="texture", normalization="instance")
    >>> images = g(make_noise(256, batch=4, seed=0))        # (4, 256, 256, 3) in [0, 1]

Training: :mod:`zoo.training.texture_nets`. ``TextureNetwork``, ``build``,
``make_noise`` and the rest load Keras on first use, so that listing presets
stays fast.
"""

from zoo.family import Demo, ExportSpec, Family
from zoo.models.texture_nets.presets import PRESETS

FAMILY = Family(
    name="texture_nets",
    papers=("Gatys, Ecker, Bethge, \"Texture Synthesis Using Convolutional Neural Networks\", "
            "NIPS 2015",
            "Gatys, Ecker, Bethge, \"Image Style Transfer Using Convolutional Neural Networks\", "
            "CVPR 2016",
            "Ulyanov, Lebedev, Vedaldi, Lempitsky, \"Texture Networks: Feed-forward Synthesis of "
            "Textures and Stylized Images\", ICML 2016",
            "Ulyanov, Vedaldi, Lempitsky, \"Improved Texture Networks\", CVPR 2017"),
    builders={"TextureNetwork": "zoo.models.texture_nets.generator:build"},
    presets=PRESETS,
    recipe="zoo.training.texture_nets",
    recipe_help="a Texture Network for one texture, or one style (with --content): a generator for phones",
    export=ExportSpec(
        calibration="zoo.models.texture_nets.export:calibration_batches",
        validation="zoo.models.texture_nets.export:validation_inputs",
        calibration_images="stylization: content images for calibration and validation",
        uses_images="zoo.models.texture_nets.export:is_stylization",
    ),
    demo=Demo("texture", "zoo.models.texture_nets.demo:texture_section"),
    commands=("zoo.cli.texture", "zoo.cli.style"),
    custom_objects=("zoo.models.texture_nets.generator",),
)

_LAZY = ("TextureNetwork", "build", "make_noise", "generator_inputs", "noise_scales",
         "size_multiple", "NearestUpsampling2D", "CircularPadding2D", "PAPER_SCALES", "MODES",
         "NORMALIZATIONS", "PADDINGS", "sample")


def __getattr__(name):
    if name in _LAZY:
        from zoo.models.texture_nets import generator

        return getattr(generator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_LAZY, "FAMILY", "PRESETS"]
