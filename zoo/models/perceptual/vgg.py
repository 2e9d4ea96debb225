"""VGG16 and VGG19 feature extractors for texture synthesis and style transfer.

Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015 (https://arxiv.org/abs/1409.1556), Table 1, columns D
(VGG16) and E (VGG19): five blocks of 3x3 convolutions (stride 1, padding 1,
ReLU) of 64, 128, 256, 512 and 512 filters, each block closed by 2x2 pooling of
stride 2. Only the convolutional part is built (the classifier is not needed),
up to the deepest layer asked for, with the layer names and ImageNet weights of
``keras.applications.VGG16`` / ``VGG19``.

Layer names. The papers use Caffe's names; Keras fuses each ReLU into its
convolution, so a Keras conv layer's output *is* the paper's ReLU output:

============  ==================  ===============
paper         Keras               output
============  ==================  ===============
conv1_1       block1_conv1        ReLU(conv)
relu1_1       block1_conv1        ReLU(conv)
pool1         block1_pool         pooled ReLU
============  ==================  ===============

``convB_I`` and ``reluB_I`` name the same tensor because Caffe's VGG runs ReLU
in place (the ``relu1_1`` layer reads and writes the blob ``conv1_1``; see the
model definition shipped with Gatys' code, github.com/leongatys/DeepTextures,
Models/VGG_ave_pool_deploy.prototxt at commit 289dfe6), so Gatys' "conv1_1"
features are rectified. The pre-activation convolution is not exposed. Both
spellings are accepted wherever a layer name is asked for; the output dict is
keyed by the names as given.

Pooling. ``pooling="avg"`` replaces every max pooling by average pooling of the
same window, as Gatys et al. do for synthesis (NIPS 2015, Sec. 2; CVPR 2016,
Sec. 2, where replacing max pooling by average pooling "yields slightly more
appealing results"). Keras floors odd sizes where Caffe's pooling rounds up:
sizes divisible by 16 (32 for ``block5_pool``) give identical grids.

Weights. ``weights=None`` gives Keras' default initialisation (Glorot uniform,
zero biases), for tests and architecture checks: Gatys et al. (2015) found that
a VGG with random weights does not give perceptually interesting textures (as
Ustyuzhaninov et al. 2017 recall in their introduction); use
:func:`~zoo.models.perceptual.RandomMultiscale` when no weights are at hand.
``"imagenet"`` loads the ``keras.applications`` file from the Keras cache
(``~/.keras/models``, ``$KERAS_HOME/models``), or downloads it once; offline it
fails at once with a one-line :class:`~zoo.errors.WeightsError` naming the file,
the folder and the URL. Gatys et al. use VGG19 with average pooling and
per-filter rescaling (:func:`zoo.models.perceptual.rescale_to_unit_mean`): that
is the quality of their papers.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import keras

from zoo.errors import WeightsError
from zoo.models.perceptual.preprocessing import CaffePreprocessing

CONVS_PER_BLOCK = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
"""Table 1 of Simonyan and Zisserman (2015): configuration D (16 weight layers)
and E (19), three of which are the classifier's fully connected layers."""

BLOCK_FILTERS = (64, 128, 256, 512, 512)
"""Table 1: conv3-64, conv3-128, conv3-256, conv3-512, conv3-512."""

GATYS_STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1",
                      "block5_conv1")
"""conv1_1 ... conv5_1, the style layers of Gatys et al. (CVPR 2016, Sec. 3)."""

GATYS_CONTENT_LAYERS = ("block4_conv2",)
"""conv4_2, the content layer of Gatys et al. (CVPR 2016, Sec. 3)."""

GATYS_TEXTURE_LAYERS = ("block1_conv1", "block1_pool", "block2_pool", "block3_pool",
                        "block4_pool")
"""conv1_1, pool1 ... pool4, the texture layers of Gatys et al. (NIPS 2015, Sec. 3)."""

DOWNLOAD_TIMEOUT_S = 30.0
"""Socket timeout while fetching ImageNet weights: a stalled connection fails
instead of hanging (an absent network fails at once anyway)."""


@dataclass(frozen=True)
class WeightsFile:
    """One ``keras.applications`` weights file: name in the cache, origin, md5."""

    file: str
    url: str
    md5: str


_ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications"
IMAGENET_WEIGHTS = {
    "vgg16": WeightsFile("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                         f"{_ORIGIN}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                         "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": WeightsFile("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                         f"{_ORIGIN}/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                         "253f8cb515780f3b799900260a226db6"),
}
"""The no-top ImageNet files of ``keras.applications`` (name, URL and md5 as in
keras 3.15, ``keras/src/applications/vgg16.py`` and ``vgg19.py``)."""


def layer_names(arch: str = "vgg19") -> list[str]:
    """Every layer of the convolutional part, in order: block1_conv1 ... block5_pool."""
    names = []
    for block, convs in enumerate(_convs_per_block(arch), start=1):
        names += [f"block{block}_conv{i}" for i in range(1, convs + 1)]
        names.append(f"block{block}_pool")
    return names


def keras_layer_name(name: str, arch: str = "vgg19") -> str:
    """The Keras name of a layer given by its paper name (conv1_1, relu1_1, pool1) or Keras name."""
    conv = re.fullmatch(r"(?:conv|relu)(\d)_(\d)", name)
    pool = re.fullmatch(r"pool(\d)", name)
    keras_name = (f"block{conv[1]}_conv{conv[2]}" if conv
                  else f"block{pool[1]}_pool" if pool else name)
    if keras_name not in layer_names(arch):
        raise ValueError(f"{arch} has no layer {name!r}; layers: {', '.join(layer_names(arch))} "
                         "(or paper names conv1_1, relu1_1, pool1, ...)")
    return keras_name


def VGG16(layers=GATYS_STYLE_LAYERS + GATYS_CONTENT_LAYERS, pooling: str = "max",
          weights: str | os.PathLike | None = "imagenet", name: str = "vgg16_features"):
    """VGG16 features: a Keras model from [0, 1] RGB images to ``{layer: features}``."""
    return _vgg("vgg16", layers, pooling, weights, name)


def VGG19(layers=GATYS_STYLE_LAYERS + GATYS_CONTENT_LAYERS, pooling: str = "max",
          weights: str | os.PathLike | None = "imagenet", name: str = "vgg19_features"):
    """VGG19 features: a Keras model from [0, 1] RGB images to ``{layer: features}``.

    ``layers``: Keras or paper names (see the module docstring); the output dict
    is keyed by them. ``pooling``: ``"max"`` (the network as trained) or
    ``"avg"`` (Gatys et al.). ``weights``: ``"imagenet"``, ``None`` (random) or
    the path of a weights file of ``keras.applications.VGG19(include_top=False)``.
    The input is ``(batch, H, W, 3)`` RGB in [0, 1], any size; the ImageNet
    preprocessing happens inside. The model is frozen (``trainable=False``).
    """
    return _vgg("vgg19", layers, pooling, weights, name)


def _convs_per_block(arch: str):
    if arch not in CONVS_PER_BLOCK:
        raise ValueError(f"unknown VGG {arch!r}; known: {', '.join(CONVS_PER_BLOCK)}")
    return CONVS_PER_BLOCK[arch]


def _vgg(arch, layers, pooling, weights, name):
    if pooling not in ("max", "avg"):
        raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}")
    if isinstance(layers, str):
        layers = (layers,)
    wanted = {requested: keras_layer_name(requested, arch) for requested in layers}
    if not wanted:
        raise ValueError("ask for at least one layer")
    weights_path = _weights_path(arch, weights)  # fails fast, before any building
    model = _build(arch, wanted, pooling, name)
    if weights_path is not None:
        _copy_weights(model, arch, weights_path)
    model.trainable = False
    return model


def _build(arch, wanted, pooling, name):
    order = layer_names(arch)
    depth = max(order.index(keras_name) for keras_name in wanted.values()) + 1
    pool = keras.layers.AveragePooling2D if pooling == "avg" else keras.layers.MaxPooling2D
    images = keras.Input(shape=(None, None, 3), name="images")
    x = CaffePreprocessing(name="caffe_preprocessing")(images)
    tensors = {}
    for layer_name in order[:depth]:
        if layer_name.endswith("_pool"):
            x = pool(pool_size=2, strides=2, name=layer_name)(x)
        else:
            block = int(layer_name[len("block")])
            x = keras.layers.Conv2D(BLOCK_FILTERS[block - 1], 3, padding="same",
                                    activation="relu", name=layer_name)(x)
        tensors[layer_name] = x
    outputs = {requested: tensors[keras_name] for requested, keras_name in wanted.items()}
    return keras.Model(images, outputs, name=name)


def _copy_weights(model, arch, path):
    """Load ``path`` into ``keras.applications``' own model and copy it layer by layer."""
    application = getattr(keras.applications, arch.upper())
    source = application(include_top=False, weights=str(path), input_shape=(None, None, 3))
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            layer.set_weights(source.get_layer(layer.name).get_weights())


def _weights_path(arch, weights) -> Path | None:
    if weights is None:
        return None
    if weights == "imagenet":
        return imagenet_weights(arch)
    path = Path(weights)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    return path


def keras_home() -> Path:
    """``$KERAS_HOME`` or ``~/.keras``, read when called (Keras reads it once at import)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def imagenet_weights(arch: str = "vgg19") -> Path:
    """The local path of ``keras.applications``' ImageNet file for ``arch``.

    Looks in ``keras_home()/models`` first (no network then) and checks the
    md5; else downloads there with :data:`DOWNLOAD_TIMEOUT_S`. Raises a one-line
    :class:`~zoo.errors.WeightsError` saying which file to put where.
    """
    _convs_per_block(arch)
    spec = IMAGENET_WEIGHTS[arch]
    target = keras_home() / "models" / spec.file
    if target.is_file():
        if _md5(target) != spec.md5:
            raise WeightsError(f"{target}: md5 differs from keras.applications' "
                               f"({spec.md5}); delete it and download {spec.url} again")
        return target
    try:
        return Path(_download(spec, target))
    except Exception as err:  # offline, DNS, HTTP error, timeout, bad checksum
        raise WeightsError(
            f"{arch.upper()} ImageNet weights are not cached and cannot be downloaded "
            f"({_reason(err)}): put {spec.file} into {target.parent} "
            f"(download it from {spec.url}), or use the random backbone, which needs no "
            "download (`--backbone random`)") from None


def _reason(err: Exception) -> str:
    """The last clause of an error's first line (Keras' URL failures end in the OS reason)."""
    lines = str(err).strip().splitlines()
    return lines[0].rsplit(" -- ", 1)[-1] if lines else type(err).__name__


def _download(spec: WeightsFile, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)  # else Keras falls back to /tmp/.keras
    with _socket_timeout(DOWNLOAD_TIMEOUT_S):
        return keras.utils.get_file(spec.file, spec.url, cache_subdir="models",
                                    cache_dir=str(keras_home()), file_hash=spec.md5)


@contextmanager
def _socket_timeout(seconds: float):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
