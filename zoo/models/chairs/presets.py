"""Pretrained chair generators. Same keys as ``zoo.models.vdsr.presets``; ``config`` holds
the arguments of :func:`zoo.models.chairs.build`."""

PRESETS: dict[str, dict] = {
    "chairs_procedural_cpu": {
        "description": ("small-width generator (64x64, 32 procedural chairs rendered with "
                        "pyrender), 2,800 steps of 64 on 2 shared CPU cores (a preview: "
                        "blurry, not the paper's 128x128 net on Aubry et al.'s chairs)"),
        "config": {"num_chairs": 32, "fc_units": 128, "joint_units": 256,
                   "start_channels": 32, "shared": [64], "rgb": [32], "mask": [16],
                   "image_size": 64},
        "file": "chairs_procedural_cpu.weights.h5",
        "sha256": "919430ff5d46e69a5c37a3a866dbec65732df92918c3ef948505a1de0097d65b",
        "card": "chairs_procedural_cpu.md",
        "metrics": {"held-out views MSE (512 images)":
                    "0.0111 (nearest seen view 0.0151, chair mean 0.0167)",
                    "mask IoU on held-out views": "0.738"},
    },
}
