"""CRN: cascaded refinement networks, semantic layouts to photographs. Chen and Koltun,
"Photographic Image Synthesis with Cascaded Refinement Networks", ICCV 2017
(arXiv:1707.09405); official code github.com/CQFIO/PhotographicImageSynthesis.

    >>> from zoo.models.crn import CRN, synthesize
    >>> net = CRN(height=256, width="paper", outputs=9)     # 256 x 512, the paper's 97.9 M
    >>> images = synthesize(net, layout_ids)                 # (9, 256, 512, 3) in [0, 1]

Refinement modules from 4 x 8 to the output, each with the layout at its resolution and
the previous module's features upsampled (:mod:`zoo.models.crn.network`); Cityscapes
classes and layout images in :mod:`zoo.models.crn.labels`; procedural street scenes
for training and tests in :mod:`zoo.models.crn.procedural`. Training:
:mod:`zoo.training.crn` (``zoo train crn --data procedural|CITYSCAPES_DIR|tfds:cityscapes``);
synthesis: ``zoo synth LAYOUT.png --out OUT.png``. Keras loads on first use.
"""

from zoo.family import Demo, ExportSpec, Family
from zoo.models.crn.presets import PRESETS

NO_WEIGHTS = ("no CRN weights are shipped yet: train one with `zoo train crn --data "
              "procedural` (CPU) or on Cityscapes (`--data DIR|tfds:cityscapes`, a GPU job)")

FAMILY = Family(
    name="crn",
    papers=("Chen and Koltun, \"Photographic Image Synthesis with Cascaded Refinement "
            "Networks\", ICCV 2017",),
    builders={"CRN": "zoo.models.crn.network:build"},
    presets=PRESETS,
    no_weights=None if PRESETS else NO_WEIGHTS,
    recipe="zoo.training.crn",
    recipe_help=("a cascaded refinement network: semantic layouts to k photographs (VGG19 "
                 "feature loss, diversity loss); procedural scenes, Cityscapes folder or tfds"),
    export=ExportSpec(
        calibration="zoo.models.crn.export:calibration_batches",
        validation="zoo.models.crn.export:validation_inputs",
        float_ops=("MEAN", "SQUARED_DIFFERENCE", "SUB", "MUL", "ADD", "RSQRT"),  # layer norm
        metadata="zoo.models.crn.export:metadata",
    ),
    demo=Demo("crn", "zoo.models.crn.demo:crn_section"),
    commands=("zoo.cli.synth",),
    custom_objects=("zoo.models.crn.network",),
)

_NET = ("CRN", "build", "LayerNorm", "BilinearUpsampling2D", "widths", "module_heights",
        "paper_width", "resolution_of", "size_multiple", "outputs_of", "classes_of",
        "split_outputs")
_INFERENCE = ("synthesize", "grid", "as_layout", "resize_ids")


def __getattr__(name):
    if name in _NET:
        from zoo.models.crn import network

        return getattr(network, name)
    if name in _INFERENCE:
        from zoo.models.crn import inference

        return getattr(inference, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_NET, *_INFERENCE, "FAMILY", "NO_WEIGHTS", "PRESETS"]
