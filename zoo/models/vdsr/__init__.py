"""VDSR: Kim, Lee and Lee, "Accurate Image Super-Resolution Using Very Deep
Convolutional Networks", CVPR 2016 (https://arxiv.org/abs/1511.04587).

    >>> import zoo
    >>> model = zoo.load("vdsr")  # input: bicubic-upsampled Y in [0, 1]

``VDSR`` and ``build`` load Keras on first use, so that listing presets stays fast.
"""

from zoo.family import Demo, ExportSpec, Family
from zoo.models.vdsr.presets import DEFAULT, DEFAULT_WHY, PRESETS

FAMILY = Family(
    name="vdsr",
    papers=("Kim, Lee, Lee, \"Accurate Image Super-Resolution Using Very Deep Convolutional "
            "Networks\", CVPR 2016",),
    builders={"VDSR": "zoo.models.vdsr.vdsr:build"},
    presets=PRESETS,
    default_preset=DEFAULT,  # the best on Set5 (presets.best_on_set5)
    default_why=DEFAULT_WHY,
    recipe="zoo.training.vdsr",
    recipe_help="VDSR on image folders (the paper's recipe by default)",
    evaluation="zoo.cli.eval:super_resolution",
    export=ExportSpec(
        calibration="zoo.models.vdsr.export:calibration_batches",
        validation="zoo.models.vdsr.export:validation_inputs",
        float_ops=("ADD",),  # see zoo.models.vdsr.export.INT8_FLOAT_OPS
        calibration_images="images for int8 calibration (default: the bundled demo images)",
    ),
    demo=Demo("vdsr", "zoo.models.vdsr.demo:vdsr_section"),
    commands=("zoo.cli.upscale",),
)


def __getattr__(name):
    if name in ("VDSR", "build"):
        from zoo.models.vdsr import vdsr

        return getattr(vdsr, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FAMILY", "PRESETS", "VDSR", "build"]
