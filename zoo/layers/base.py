"""Shared layer boilerplate."""

from __future__ import annotations

import keras


class FixedSizeLayer(keras.layers.Layer):
    """A layer whose output has a fixed spatial size ``(height, width)``, kept in its config."""

    def __init__(self, height: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
