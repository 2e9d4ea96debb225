"""Pretrained VDSR weights. Each entry ships with a model card in ``zoo/weights/cards``.

Keys: ``description``; ``config`` (arguments of ``VDSR``); ``file`` (name of the
``.weights.h5``, shipped in ``zoo/weights/files`` or cached from ``url``);
``sha256``; ``card``; ``metrics`` (the Set5 table printed by ``zoo eval``).
The first entry is the family's default (``zoo.load("vdsr")``).
"""

PRESETS: dict[str, dict] = {
    "vdsr_291_h200": {
        "description": ("VDSR, 20 layers, trained by `zoo train` on the 291 images for 126,336 "
                        "steps of 64 patches (Adam) in 11 minutes on one H200 GPU"),
        "config": {},
        "file": "vdsr_291_h200.weights.h5",
        "sha256": "eb2f1ce4db6a1de388d2e34636b339565d34c68ba5cbfb45527a29a9af7f97df",
        "card": "vdsr_291_h200.md",
        "metrics": {"Set5 PSNR x2/x3/x4": "37.35 / 33.47 / 31.17 dB "
                                          "(bicubic 33.66 / 30.39 / 28.42, paper 37.53 / 33.66 / 31.35)"},
    },
}
