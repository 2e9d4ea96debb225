"""TFLite export for every model: conversion, builtin-ops check, validation, running.

Installed as ``zoo.export``. ``to_tflite`` is pure (model in, bytes out);
``validate`` compares the ``.tflite`` against the Keras model with the stock
LiteRT interpreter (``ai_edge_litert``).
"""

from zoo.export.tflite import (QUANTIZATIONS, ExportError, LiteModel, op_names, to_tflite,
                               tflite_predictor, validate)

__all__ = ["QUANTIZATIONS", "ExportError", "LiteModel", "op_names", "to_tflite",
           "tflite_predictor", "validate"]
