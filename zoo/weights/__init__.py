"""Named pretrained weights: look-up, download cache, sha256 check, loading.

    >>> import zoo
    >>> zoo.load("vdsr")                       # the family's default preset
    >>> zoo.load("vdsr", weights=None)         # fresh, randomly initialised
    >>> zoo.load("vdsr", weights="my.weights.h5")
"""

from zoo.weights.registry import (Preset, available_presets, list_models, load, presets,
                                  resolve_weights, sha256sum)

__all__ = ["Preset", "available_presets", "list_models", "load", "presets", "resolve_weights",
           "sha256sum"]
