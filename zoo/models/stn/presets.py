"""Pretrained STN weights. Same keys as ``zoo.models.vdsr.presets``; ``config`` holds
the arguments of :func:`zoo.models.stn.build`. The first entry is the default."""

PRESETS: dict[str, dict] = {
    "stn_rts_cpu_preview": {
        "description": ("ST-CNN (affine) for 42x42 rotated-translated-scaled MNIST, trained by "
                        "benchmarks/stn.py for 10 epochs on 2 CPU cores (a preview)"),
        "config": {"kind": "stn", "input_size": 42},
        "file": "stn_rts_cpu_preview.weights.h5",
        "sha256": "6f4c2926a27576053615b20d34f7a970551613461461f08dd69fa8ca7dc7bcbb",
        "card": "stn_rts_cpu_preview.md",
        "metrics": {"RTS test error": "2.55% (CNN baseline 11.10%; paper ST-CNN 0.5%, CNN 0.8%)"},
    },
}
