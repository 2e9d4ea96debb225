"""Texture Networks: Ulyanov, Lebedev, Vedaldi and Lempitsky, "Texture Networks:
Feed-forward Synthesis of Textures and Stylized Images", ICML 2016
(https://arxiv.org/abs/1603.03417), with the instance normalization of "Improved
Texture Networks" (Ulyanov, Vedaldi, Lempitsky, CVPR 2017, arXiv:1701.02096).

    >>> from zoo.models.texture_nets import TextureNetwork, make_noise
    >>> g = TextureNetwork(scales=5, mode="texture", normalization="instance")
    >>> images = g(make_noise(256, batch=4, seed=0))        # (4, 256, 256, 3) in [0, 1]

Training: :mod:`zoo.training.texture_nets`. ``TextureNetwork``, ``build``,
``make_noise`` and the rest load Keras on first use, so that listing presets
stays fast.
"""

from zoo.models.texture_nets.presets import PRESETS

_LAZY = ("TextureNetwork", "build", "make_noise", "generator_inputs", "noise_scales",
         "size_multiple", "NearestUpsampling2D", "CircularPadding2D", "PAPER_SCALES", "MODES",
         "NORMALIZATIONS", "PADDINGS")


def __getattr__(name):
    if name in _LAZY:
        from zoo.models.texture_nets import generator

        return getattr(generator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_LAZY, "PRESETS"]
