"""Perceptual feature extractors: VGG16, VGG19 and random multi-scale filters.

Every extractor is a frozen Keras functional model with one interface: it maps
an image batch ``(B, H, W, 3)``, RGB in [0, 1], any size, to a dict
``{layer name: features (B, h, w, C)}``. The preprocessing its filters expect
(ImageNet "caffe" mode: BGR, 0..255, mean subtracted) happens inside, in
``keras.ops``, so the models run under TensorFlow and JAX and images can be
optimised through them. Gram matrices, mean/std statistics and the losses live
in :mod:`zoo.layers.statistics`.

    >>> from zoo.models.perceptual import VGG19, RandomMultiscale, rescale_to_unit_mean
    >>> vgg = VGG19(layers=("conv1_1", "pool1", "pool2"), pooling="avg")   # ImageNet weights
    >>> vgg = rescale_to_unit_mean(vgg, texture_images)                     # Gatys' normalised net
    >>> rnd = RandomMultiscale()               # no download: {"conv1_1": (B, H, W, 192)}
    >>> features = rnd(images)

Which backbone (see each module for the details and sources): a rescaled
ImageNet VGG19 with average pooling is the quality of Gatys et al.;
``RandomMultiscale(PAPER_FILTERS, PAPER_SCALES)`` is Ustyuzhaninov et al.'s
single-layer model, competitive on many textures but a GPU job; the default
``RandomMultiscale()`` is a cheap CPU version of it; a VGG with ``weights=None``
is for tests only.
"""

from zoo.models.perceptual.preprocessing import IMAGENET_MEAN_BGR, CaffePreprocessing
from zoo.models.perceptual.random_features import (DEFAULT_FILTERS, DEFAULT_SCALES,
                                                   PAPER_FILTERS, PAPER_SCALES,
                                                   RandomMultiscale, random_filters)
from zoo.models.perceptual.rescaling import mean_activations, rescale_to_unit_mean
from zoo.models.perceptual.vgg import (GATYS_CONTENT_LAYERS, GATYS_STYLE_LAYERS,
                                       GATYS_TEXTURE_LAYERS, IMAGENET_WEIGHTS, VGG16, VGG19,
                                       imagenet_weights, keras_layer_name, layer_names)

__all__ = ["CaffePreprocessing", "DEFAULT_FILTERS", "DEFAULT_SCALES", "GATYS_CONTENT_LAYERS",
           "GATYS_STYLE_LAYERS", "GATYS_TEXTURE_LAYERS", "IMAGENET_MEAN_BGR", "IMAGENET_WEIGHTS",
           "PAPER_FILTERS", "PAPER_SCALES", "RandomMultiscale", "VGG16", "VGG19",
           "imagenet_weights", "keras_layer_name", "layer_names", "mean_activations",
           "random_filters", "rescale_to_unit_mean"]
