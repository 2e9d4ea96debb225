"""Pretrained VDSR weights. Each entry ships with a model card in ``zoo/weights/cards``.

Keys: ``description``; ``config`` (arguments of ``VDSR``); ``file`` (name of the
``.weights.h5``, shipped in ``zoo/weights/files`` or cached from ``url``);
``sha256``; ``card``; ``metrics`` (the Set5 table printed by ``zoo eval``).
The first entry is the family's default (``zoo.load("vdsr")``).
"""

PRESETS: dict[str, dict] = {
    "vdsr_291_cpu_preview": {
        "description": ("VDSR, 20 layers, trained by `zoo train` for 3,000 steps of 32 patches "
                        "on 2 CPU cores (a preview: paper-grade weights need a GPU run)"),
        "config": {},
        "file": "vdsr_291_cpu_preview.weights.h5",
        "sha256": "acd35111b7b7f64d994f22d69ef45b89ba8e7014f1cce32d82a925ce31e25d43",
        "card": "vdsr_291_cpu_preview.md",
        "metrics": {"Set5 PSNR x2/x3/x4": "35.21 / 32.13 / 30.22 dB "
                                          "(bicubic 33.66 / 30.39 / 28.42, paper 37.53 / 33.66 / 31.35)"},
    },
}
