"""Pretrained Texture Networks generators. Same keys as ``zoo.models.vdsr.presets``;
``config`` holds the arguments of :func:`zoo.models.texture_nets.build`. A generator is
trained per texture or style (``zoo.training.texture_nets``); the first entry is the default."""

PRESETS: dict[str, dict] = {
    "texture_nets_gravel_cpu": {
        "description": ("Texture Network (5 scales, instance norm) for the bundled gravel "
                        "exemplar, random-feature loss, 450 steps of 4 on 2 CPU cores (a preview)"),
        "config": {"scales": 5, "mode": "texture", "normalization": "instance", "channels": 8},
        "file": "texture_nets_gravel_cpu.weights.h5",
        "sha256": "0eaf27325f83a3da4620803916cddd2809c0a81682c563768933aeef772a7cc3",
        "card": "texture_nets_gravel_cpu.md",
        "metrics": {"Gram loss of 4 fresh samples": "2.26 (untrained generator 1675)"},
    },
}
