"""VDSR: Kim, Lee and Lee, "Accurate Image Super-Resolution Using Very Deep
Convolutional Networks", CVPR 2016 (https://arxiv.org/abs/1511.04587).

    >>> import zoo
    >>> model = zoo.load("vdsr")  # input: bicubic-upsampled Y in [0, 1]

``VDSR`` and ``build`` load Keras on first use, so that listing presets stays fast.
"""

from zoo.models.vdsr.presets import PRESETS


def __getattr__(name):
    if name in ("VDSR", "build"):
        from zoo.models.vdsr import vdsr

        return getattr(vdsr, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["VDSR", "build", "PRESETS"]
