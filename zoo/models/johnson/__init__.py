"""Johnson et al.'s transform nets: one feed-forward network per style, or a x4/x8
super-resolution net, trained with perceptual losses. Johnson, Alahi, Fei-Fei,
"Perceptual Losses for Real-Time Style Transfer and Super-Resolution", ECCV 2016
(arXiv:1603.08155), with the instance normalization of Ulyanov, Vedaldi, Lempitsky
(arXiv:1607.08022).

    >>> from zoo.models.johnson import TransformNet, stylize, super_resolve
    >>> net = TransformNet(width="paper", normalization="instance", variant="paper")
    >>> styled = stylize(net, photo)                   # (H, W, 3) in [0, 1], any size
    >>> sr = TransformNet(task="sr", scale=4, variant="resize")
    >>> big = super_resolve(sr, low_res)               # (4 H, 4 W, 3)

``variant="paper"`` is the supplement's network (40 px of reflection padding, unpadded
residual blocks, stride-1/2 convolutions); ``variant="resize"`` the common variant with
padded blocks and nearest-neighbour upsampling. ``width="phone"`` (8, 16, 32) is a
net for phones. Training: :mod:`zoo.training.johnson` (``zoo train johnson --content
SRC --style STYLE.jpg``). ``TransformNet``, ``build``, ``stylize`` and the rest load Keras
on first use, so that listing presets stays fast.
"""

from zoo.family import Demo, ExportSpec, Family
from zoo.models.johnson.presets import PRESETS

FAMILY = Family(
    name="johnson",
    papers=("Johnson, Alahi, Fei-Fei, \"Perceptual Losses for Real-Time Style Transfer and "
            "Super-Resolution\", ECCV 2016",
            "Ulyanov, Vedaldi, Lempitsky, \"Instance Normalization: The Missing Ingredient for "
            "Fast Stylization\", arXiv:1607.08022, 2016"),
    builders={"TransformNet": "zoo.models.johnson.transform_net:build"},
    presets=PRESETS,
    recipe="zoo.training.johnson",
    recipe_help=("a Johnson et al. transform net for one style (--style), or x4/x8 "
                 "super-resolution (--task sr): perceptual losses, real time on phones"),
    export=ExportSpec(
        calibration="zoo.models.johnson.export:calibration_batches",
        validation="zoo.models.johnson.export:validation_inputs",
        float_ops=("MEAN", "SQUARED_DIFFERENCE", "SUB", "MUL", "ADD", "RSQRT"),  # full int8
        # breaks instance norm (14-16 dB); these in float give 22-23 dB (notes, Dec 2026)
        calibration_images="stylization: content images for calibration and validation",
        metadata="zoo.models.johnson.export:metadata",
    ),
    demo=Demo("stylize", "zoo.models.johnson.demo:stylize_section"),
    custom_objects=("zoo.models.johnson.transform_net",),
)

_NET = ("TransformNet", "build", "widths", "size_multiple", "min_size", "task_of",
        "is_paper_variant", "CenterCrop2D", "NearestUpsampling2D", "ScaledTanh", "WIDTHS",
        "VARIANTS", "NORMALIZATIONS", "TASKS", "SR_SCALES")
_INFERENCE = ("stylize", "super_resolve")


def __getattr__(name):
    if name in _NET:
        from zoo.models.johnson import transform_net

        return getattr(transform_net, name)
    if name in _INFERENCE:
        from zoo.models.johnson import inference

        return getattr(inference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_NET, *_INFERENCE, "FAMILY", "PRESETS"]
