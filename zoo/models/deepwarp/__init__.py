"""DeepWarp: Ganin, Kononenko, Sungatullina, Lempitsky, "DeepWarp: Photorealistic Image
Resynthesis for Gaze Manipulation", ECCV 2016 (https://arxiv.org/abs/1607.07215).

    >>> from zoo.models.deepwarp import DeepWarp
    >>> model = DeepWarp()  # inputs: image (41, 51, 3), anchors (41, 51, 14), angle (2,)

``DeepWarp``, ``build``, ``flow_model`` and ``flow_to_colour`` load Keras on first use,
so that listing presets stays fast.
"""

from zoo.family import Demo, ExportSpec, Family
from zoo.models.deepwarp.presets import PRESETS

FAMILY = Family(
    name="deepwarp",
    papers=("Ganin, Kononenko, Sungatullina, Lempitsky, \"DeepWarp: Photorealistic Image "
            "Resynthesis for Gaze Manipulation\", ECCV 2016",),
    builders={"DeepWarp": "zoo.models.deepwarp.deepwarp:build",
              "landmark_model": "zoo.models.deepwarp.deepwarp:landmark_model"},
    presets=PRESETS,
    recipe="zoo.training.deepwarp",
    recipe_help="DeepWarp on procedurally rendered eye pairs",
    export=ExportSpec(
        phone_model="zoo.models.deepwarp.deepwarp:landmark_model",
        calibration="zoo.training.deepwarp:calibration_batches",  # rendered eyes (the recipe's)
        validation="zoo.training.deepwarp:validation_pairs",
        report="zoo.training.deepwarp:export_report",
    ),
    demo=Demo("gaze", "zoo.models.deepwarp.demo:gaze_section"),
    commands=("zoo.cli.gaze",),
    custom_objects=("zoo.models.deepwarp.deepwarp",),
)

_LAZY = ("DeepWarp", "build", "flow_model", "flow_to_colour", "landmark_model", "AnchorMaps",
         "FlowWarp", "LightnessCorrection", "TileToImage")


def __getattr__(name):
    if name in _LAZY:
        from zoo.models.deepwarp import deepwarp

        return getattr(deepwarp, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_LAZY, "FAMILY", "PRESETS"]
