"""Loading a model for a command: a family's pretrained weights, a preset, a file or a
``.tflite``. Keras and TensorFlow load inside the functions, never on import."""

from __future__ import annotations

WEIGHTS_HELP = "a .weights.h5 file or a preset's name (`zoo list`; default: the pretrained one)"


def load(family: str, weights: str | None):
    """``family``'s pretrained model, or with ``weights``: a preset's name or a file."""
    import zoo

    return zoo.load(family, weights=weights or "default")


def predictor(model: str, weights: str | None, tflite: str | None):
    """An image-to-image prediction function of ``model`` (Keras) or of a ``.tflite`` file."""
    if tflite:
        from zoo.export import tflite_predictor

        return tflite_predictor(tflite)
    from zoo.sr import keras_predictor

    return keras_predictor(load(model, weights))
