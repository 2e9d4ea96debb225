"""Pretrained VDSR weights. Each entry ships with a model card in ``zoo/weights/cards``.

Keys: ``description``; ``config`` (arguments of ``VDSR``); ``file`` (name of the
``.weights.h5``, shipped in ``zoo/weights/files`` or cached from ``url``);
``sha256``; ``card``; ``metrics`` (the Set5 PSNRs at x2, x3, x4 that ``zoo eval vdsr
--data Set5 --scales 2,3,4 --weights NAME`` prints, as numbers); ``origin`` (trained by
``zoo train`` here, or ported: from where, under which licence).

The default (``zoo.load("vdsr")``, ``zoo upscale``, the demo) follows the measurement:
:data:`DEFAULT` is the preset with the best Set5 PSNR at every scale (:func:`best_on_set5`).
"""

SET5 = "Set5 PSNR x2/x3/x4 dB"  # the metric the default is chosen by
PAPER_SET5 = (37.53, 33.66, 31.35)  # Kim et al., Table 2
BICUBIC_SET5 = (33.66, 30.39, 28.42)  # zoo eval's bicubic row (the paper's to 0.01 dB)

PRESETS: dict[str, dict] = {
    "vdsr_port_pytorch_vdsr": {
        "description": ("VDSR, 20 layers, no biases: the released weights of twtygqyy/pytorch-vdsr "
                        "(model_epoch_50.pth, SGD on the 291 images), converted by "
                        "tools/port_pytorch_vdsr.py"),
        "config": {},
        "file": "vdsr_port_pytorch_vdsr.weights.h5",
        "sha256": "b9976eb965eb9114bf060379306c70a0f92f4e68d526aa4b8ef07e5fbaf8a9ef",
        "card": "vdsr_port_pytorch_vdsr.md",
        "metrics": {SET5: (37.59, 33.75, 31.43)},
        "origin": "ported from twtygqyy/pytorch-vdsr@5ea721f (MIT)",
    },
    "vdsr_291_h200": {
        "description": ("VDSR, 20 layers, trained by `zoo train` on the 291 images for 126,336 "
                        "steps of 64 patches (Adam) in 11 minutes on one H200 GPU"),
        "config": {},
        "file": "vdsr_291_h200.weights.h5",
        "sha256": "eb2f1ce4db6a1de388d2e34636b339565d34c68ba5cbfb45527a29a9af7f97df",
        "card": "vdsr_291_h200.md",
        "metrics": {SET5: (37.35, 33.47, 31.17)},
        "origin": "trained here",
    },
}


def best_on_set5(presets: dict[str, dict]) -> str:
    """The preset whose Set5 PSNR is at least every other's at each scale."""
    for name, spec in presets.items():
        mine = spec["metrics"][SET5]
        if all(a >= b for other in presets.values() for a, b in zip(mine, other["metrics"][SET5])):
            return name
    raise ValueError("no VDSR preset is best on Set5 at every scale: choose the default by hand")


DEFAULT = best_on_set5(PRESETS)
DEFAULT_WHY = ("best Set5 PSNR of the VDSR presets at x2, x3 and x4: "
               + " / ".join(f"{v:.2f}" for v in PRESETS[DEFAULT]["metrics"][SET5])
               + " dB; paper " + " / ".join(f"{v:.2f}" for v in PAPER_SET5)
               + ", bicubic " + " / ".join(f"{v:.2f}" for v in BICUBIC_SET5))
