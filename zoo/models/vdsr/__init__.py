"""VDSR: Kim, Lee and Lee, "Accurate Image Super-Resolution Using Very Deep
Convolutional Networks", CVPR 2016 (https://arxiv.org/abs/1511.04587).

    >>> import zoo
    >>> model = zoo.load("vdsr")  # input: bicubic-upsampled Y in [0, 1]
"""

from zoo.models.vdsr.presets import PRESETS
from zoo.models.vdsr.vdsr import VDSR, build

__all__ = ["VDSR", "build", "PRESETS"]
