"""AdaIN: Huang and Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance
Normalization", ICCV 2017 (https://arxiv.org/abs/1703.06868): one feed-forward net for any
style, a fixed VGG19 encoder, AdaIN, a trained decoder.

    >>> from zoo.models.adain import build, stylize, style_statistics
    >>> net = build(backbone="random", decoder="light")   # "vgg19": ImageNet weights, cached
    >>> out = stylize(net, photo, [style_a, style_b], weights=[0.5, 0.5], alpha=0.8,
    ...               preserve_color=True)                # (H, W, 3) in [0, 1]
    >>> mean, std = style_statistics(net, style_a)        # (512,) each: the phone's input

Training: :mod:`zoo.training.adain` (``zoo train adain --content SRC --style SRC``). Phone
export in two parts (:mod:`zoo.models.adain.export`): ``style_encoder`` and ``stylizer``.
The names below load Keras on first use.
"""

from zoo.family import ExportSpec, Family
from zoo.models.adain.presets import PRESETS

_EXPORT = "zoo.models.adain.export"

FAMILY = Family(
    name="adain",
    papers=("Huang, Belongie, \"Arbitrary Style Transfer in Real-time with Adaptive Instance "
            "Normalization\", ICCV 2017",
            "Gatys, Ecker, Bethge, Hertzmann, Shechtman, \"Controlling Perceptual Factors in "
            "Neural Style Transfer\", CVPR 2017"),
    builders={"AdaIN": "zoo.models.adain.network:build"},
    presets=PRESETS,
    no_weights="no decoder trained on an ImageNet VGG19 yet: train one with `zoo train adain`",
    recipe="zoo.training.adain",
    recipe_help="AdaIN: one decoder for arbitrary styles (content and style image sources)",
    export=ExportSpec(
        calibration_images="AdaIN: images cropped for content and style calibration",
        metadata=f"{_EXPORT}:metadata",
        parts={
            "style_encoder": ExportSpec(
                phone_model=f"{_EXPORT}:style_encoder",
                calibration=f"{_EXPORT}:style_calibration_batches",
                validation=f"{_EXPORT}:style_validation_inputs",
                metadata=f"{_EXPORT}:style_encoder_metadata",
                calibration_images="style images to calibrate on"),
            "stylizer": ExportSpec(
                phone_model=f"{_EXPORT}:stylizer",
                calibration=f"{_EXPORT}:calibration_batches",
                validation=f"{_EXPORT}:validation_inputs",
                metadata=f"{_EXPORT}:metadata",
                calibration_images="content and style images to calibrate on"),
        },
    ),
    commands=("zoo.cli.stylize",),
    custom_objects=("zoo.layers.adain", "zoo.models.adain.network"),
)

_NETWORK = ("build", "build_encoder", "build_decoder", "encoder", "decoder", "channels")
_INFERENCE = ("stylize", "style_statistics", "match_color", "target_features")


def __getattr__(name):
    if name in _NETWORK:
        from zoo.models.adain import network

        return getattr(network, name)
    if name in _INFERENCE:
        from zoo.models.adain import inference

        return getattr(inference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_NETWORK, *_INFERENCE, "FAMILY", "PRESETS"]
