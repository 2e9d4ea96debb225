"""Pretrained cascaded refinement networks. Same keys as ``zoo.models.vdsr.presets``;
``config`` holds the arguments of :func:`zoo.models.crn.build`. The first entry is the
default."""

PRESETS: dict[str, dict] = {
    "crn_procedural_cpu": {
        "description": ("64x128 CRN, every module 32 channels, k = 3 outputs, trained 2,400 "
                        "steps on procedural street scenes (not Cityscapes) with a random-weight "
                        "VGG19 loss on 2 CPU cores (a preview)"),
        "config": {"height": 64, "classes": 20, "outputs": 3, "width": 32},
        "file": "crn_procedural_cpu.weights.h5",
        "sha256": "e6159266f6f80aa7fdebe43ba8a65321cd2b928a9a61e216b3e19f22afaefefb",
        "card": "crn_procedural_cpu.md",
        "metrics": {"loss on 16 unseen procedural scenes": "45.0 (untrained net 284.8)"},
    },
}
