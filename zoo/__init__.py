"""Generative ConvNets in Keras 3, with pretrained weights and TFLite export.

    >>> import zoo
    >>> model = zoo.load("vdsr")              # pretrained Keras model
    >>> model = zoo.load("vdsr", weights=None)  # fresh model
    >>> model = zoo.load_model("m.keras")       # a model saved with model.save("m.keras")

Importing ``zoo`` is cheap: Keras (and TensorFlow) load on first use.
"""

__version__ = "0.1.0"


def load(name, weights="default", **kwargs):
    """Build model ``name`` and load its weights; see :func:`zoo.weights.load`."""
    from zoo.weights.registry import load as _load

    return _load(name, weights=weights, **kwargs)


def load_model(path, compile=True):
    """A whole model saved with ``model.save("m.keras")``; see :func:`zoo.saving.load_model`."""
    from zoo.saving import load_model as _load_model

    return _load_model(path, compile=compile)


def register_custom_objects():
    """Register every custom Keras class of the zoo, for ``keras.models.load_model``."""
    from zoo.saving import register_custom_objects as _register

    _register()


def list_models():
    """Every model with its weight presets; see :func:`zoo.weights.list_models`."""
    from zoo.weights.registry import list_models as _list

    return _list()


__all__ = ["load", "load_model", "list_models", "register_custom_objects", "__version__"]
