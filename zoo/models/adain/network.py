"""The AdaIN style-transfer network: a fixed VGG19 encoder, AdaIN, a trained decoder.

Huang and Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance
Normalization", ICCV 2017 (arXiv:1703.06868), Sec. 6 and Fig. 2:
``T(c, s) = g(AdaIN(f(c), f(s)))``.

* Encoder ``f``: VGG19 up to relu4_1, frozen, max pooling (the official encoder
  ``models/vgg_normalised.t7`` of github.com/xunhuang1995/AdaIN-style is a VGG19 fed 0..255
  BGR minus the ImageNet mean, as Caffe's; :func:`zoo.models.perceptual.VGG19` does that
  conversion inside, so images here are RGB in [0, 1]). Outputs relu1_1, relu2_1, relu3_1
  and relu4_1 (the style layers of the loss, Sec. 6). ``backbone="vgg19"``: ImageNet weights
  (``keras.applications``' file; it cannot be downloaded on an offline machine and then
  fails in one line). ``backbone="random"``: the same layout with weights drawn from
  ``numpy.random.default_rng(seed)``, He-normal ``N(0, 2 / fan_in)`` (He et al., ICCV 2015,
  Eq. 10: keeps the variance of ReLU activations constant through the 10 convolutions, so
  relu4_1 neither vanishes nor explodes; Keras' default Glorot would shrink it about 2x a
  layer) and zero biases. NumPy, not a Keras initializer, so that the encoder is identical
  under every backend and on every machine, and a decoder trained on it needs only the seed.
  A random VGG is a weak perceptual space: it makes the recipe and the tests run offline,
  it does not give the paper's stylizations.
* Decoder ``g``: the encoder mirrored, as the official ``decoder`` built in ``train.lua``
  and the PyTorch port's ``net.py`` (github.com/naoto0804/pytorch-AdaIN; commits not pinned
  here): 3x3 convolutions 512->256, x2 nearest upsampling, 256->256 x3, 256->128, up,
  128->128, 128->64, up, 64->64, 64->3; reflection padding of 1 before every convolution,
  ReLU after every convolution but the last, no normalization (Sec. 6: "we use no
  normalization layers in the decoder"). 3,505,219 parameters. ``decoder="light"``: the
  same layout at a quarter of the widths (512->64 ... 16->3, 440,851 parameters), a phone
  option; it still reads relu4_1's 512 channels.
* Output: the decoder's last convolution is linear and nothing squashes it, as in the
  official code; :mod:`zoo.models.adain.inference` and the phone stylizer clip to [0, 1]
  (training sees the unclipped image, so the gradient never vanishes at the bounds).

Upsampling is ``keras.ops.image.resize(..., "nearest")`` to twice the size: it lowers to
TFLite's RESIZE_NEAREST_NEIGHBOR (``keras.layers.UpSampling2D`` fails to convert with
dynamic sizes).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from zoo.errors import ZooError
from zoo.layers.adain import AdaptiveInstanceNormalization, adain_from_statistics
from zoo.layers.padding import ReflectionPadding2D
from zoo.layers.resampling import NearestUpsampling2D
from zoo.layers.statistics import ADAIN_EPSILON, mean_std
from zoo.models.perceptual import VGG19

ENCODER_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
"""The style layers of the loss (Sec. 6); the last is the AdaIN layer and content layer."""

TARGET_LAYER = "relu4_1"
FEATURES = 512  # relu4_1's channels (VGG19, Simonyan and Zisserman 2015, Table 1)
SIZE_MULTIPLE = 8  # three poolings before relu4_1

BACKBONES = ("vgg19", "random")
DECODERS = ("full", "light")
LIGHT_DIVISOR = 4  # issue item 5: "a light AdaIN decoder"; a quarter of every width

DECODER_LAYOUT = (("dec4_1", 256), ("up3", None), ("dec3_4", 256), ("dec3_3", 256),
                  ("dec3_2", 256), ("dec3_1", 128), ("up2", None), ("dec2_2", 128),
                  ("dec2_1", 64), ("up1", None), ("dec1_2", 64), ("dec1_1", 3))
"""The official decoder (train.lua; pytorch-AdaIN net.py): name and output channels of each
convolution, ``None`` for a x2 nearest upsampling."""


def _check(backbone: str, decoder: str) -> None:
    if backbone not in BACKBONES:
        raise ZooError(f"backbone must be one of {', '.join(BACKBONES)}, not {backbone!r}")
    if decoder not in DECODERS:
        raise ZooError(f"decoder must be one of {', '.join(DECODERS)}, not {decoder!r}")


def random_vgg_weights(encoder: keras.Model, seed: int) -> None:
    """Set every convolution of ``encoder`` to He-normal kernels from ``default_rng(seed)``
    and zero biases (module docstring)."""
    rng = np.random.default_rng(seed)
    for layer in encoder.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel = layer.kernel.shape
            fan_in = kernel[0] * kernel[1] * kernel[2]
            w = rng.standard_normal(kernel) * np.sqrt(2.0 / fan_in)
            layer.set_weights([w.astype("float32"), np.zeros(kernel[-1], "float32")])


def build_encoder(backbone: str = "vgg19", seed: int = 0, name: str = "encoder") -> keras.Model:
    """Frozen VGG19 to relu4_1: ``images (B, H, W, 3) in [0, 1] -> {layer: features}``."""
    _check(backbone, "full")
    weights = "imagenet" if backbone == "vgg19" else None
    encoder = VGG19(layers=ENCODER_LAYERS, pooling="max", weights=weights, name=name)
    if backbone == "random":
        random_vgg_weights(encoder, seed)
    encoder.trainable = False
    return encoder


@keras.saving.register_keras_serializable(package="zoo")
class NearestUpsampling(NearestUpsampling2D):
    """The shared :class:`zoo.layers.NearestUpsampling2D` under the name this family's
    first files were saved with (``zoo>NearestUpsampling``), so that they still load."""


def decoder_widths(decoder: str = "full") -> list[tuple[str, int | None]]:
    """``DECODER_LAYOUT`` for ``decoder``: the light one divides every width but the RGB
    output by :data:`LIGHT_DIVISOR`."""
    _check("vgg19", decoder)
    if decoder == "full":
        return list(DECODER_LAYOUT)
    return [(n, c if c in (None, 3) else c // LIGHT_DIVISOR) for n, c in DECODER_LAYOUT]


def build_decoder(decoder: str = "full", name: str = "decoder") -> keras.Model:
    """``relu4_1 features (B, h, w, 512) -> image (B, 8h, 8w, 3)``, unclipped."""
    features = keras.Input(shape=(None, None, FEATURES), name="features")
    x, layout = features, decoder_widths(decoder)
    for i, (layer, channels) in enumerate(layout):
        if channels is None:
            x = NearestUpsampling2D(name=layer)(x)
            continue
        x = ReflectionPadding2D(1, name=f"{layer}_pad")(x)
        last = i == len(layout) - 1
        x = keras.layers.Conv2D(channels, 3, activation=None if last else "relu",
                                name=layer)(x)
    return keras.Model(features, x, name=name)


@keras.saving.register_keras_serializable(package="zoo")
class AlphaBlend(keras.layers.Layer):
    """``alpha t + (1 - alpha) f(c)`` (paper Eq. 14), ``alpha`` ``(B, 1, 1, 1)``."""

    def call(self, inputs):
        target, content, alpha = inputs
        return alpha * target + (1.0 - alpha) * content

    def compute_output_shape(self, shapes):
        return shapes[0]


@keras.saving.register_keras_serializable(package="zoo")
class StyleStatistics(keras.layers.Layer):
    """Features ``(B, h, w, C)`` -> ``(B, 1, 1, 2C)``: mean then std (:func:`mean_std`)."""

    def __init__(self, epsilon: float = ADAIN_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, features):
        return ops.concatenate(mean_std(features, self.epsilon), axis=-1)

    def compute_output_shape(self, s):
        return (s[0], 1, 1, 2 * s[3])

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="zoo")
class StatisticsAdaIN(keras.layers.Layer):
    """``[features (B, h, w, C), statistics (B, 1, 1, 2C)] -> AdaIN`` with given statistics."""

    def __init__(self, epsilon: float = ADAIN_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        x, statistics = inputs
        c = x.shape[-1]
        return adain_from_statistics(x, statistics[..., :c], statistics[..., c:], self.epsilon)

    def compute_output_shape(self, shapes):
        return shapes[0]

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def build(backbone: str = "vgg19", decoder: str = "full", seed: int = 0,
          name: str = "adain") -> keras.Model:
    """The whole net: inputs ``content``, ``style`` ``(B, H, W, 3)`` RGB in [0, 1] and
    ``alpha`` ``(B, 1, 1, 1)`` (1: full stylization, Eq. 14); output the stylized image
    ``(B, H, W, 3)``, unclipped (H and W multiples of 8). Sub-models: :func:`encoder`,
    :func:`decoder`."""
    _check(backbone, decoder)
    enc = build_encoder(backbone, seed)
    dec = build_decoder(decoder)
    content = keras.Input(shape=(None, None, 3), name="content")
    style = keras.Input(shape=(None, None, 3), name="style")
    alpha = keras.Input(shape=(1, 1, 1), name="alpha")
    f_c = enc(content)[TARGET_LAYER]
    t = AdaptiveInstanceNormalization(name="adain_layer")([f_c, enc(style)[TARGET_LAYER]])
    image = dec(AlphaBlend(name="alpha_blend")([t, f_c, alpha]))
    return keras.Model({"content": content, "style": style, "alpha": alpha}, image, name=name)


def encoder(model: keras.Model) -> keras.Model:
    """The frozen VGG19 of an AdaIN net (``images -> {layer: features}``)."""
    return model.get_layer("encoder")


def decoder(model: keras.Model) -> keras.Model:
    """The decoder of an AdaIN net (``relu4_1 features -> image``)."""
    return model.get_layer("decoder")


def channels(model: keras.Model) -> int:
    """C of the style statistics (relu4_1's channels)."""
    return int(encoder(model).output[TARGET_LAYER].shape[-1])


__all__ = ["BACKBONES", "DECODERS", "DECODER_LAYOUT", "ENCODER_LAYERS", "SIZE_MULTIPLE",
           "TARGET_LAYER", "AlphaBlend", "NearestUpsampling", "StatisticsAdaIN",
           "StyleStatistics", "build", "build_decoder", "build_encoder", "channels", "decoder",
           "decoder_widths", "encoder", "random_vgg_weights"]
