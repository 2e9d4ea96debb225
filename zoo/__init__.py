"""Generative ConvNets in Keras 3, with pretrained weights and TFLite export.

    >>> import zoo
    >>> model = zoo.load("vdsr")              # pretrained Keras model
    >>> model = zoo.load("vdsr", weights=None)  # fresh model

Importing ``zoo`` is cheap: Keras (and TensorFlow) load on first use.
"""

__version__ = "0.1.0"


def load(name, weights="default", **kwargs):
    """Build model ``name`` and load its weights; see :func:`zoo.weights.load`."""
    from zoo.weights.registry import load as _load

    return _load(name, weights=weights, **kwargs)


def list_models():
    """Every model with its weight presets; see :func:`zoo.weights.list_models`."""
    from zoo.weights.registry import list_models as _list

    return _list()


__all__ = ["load", "list_models", "__version__"]
