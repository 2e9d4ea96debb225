"""Training recipe of Johnson et al.'s transform nets (ECCV 2016): style transfer and SR.

    from zoo.training import johnson
    config = johnson.Config(content="photos/", style="candy.jpg", width="phone")
    net, history = johnson.train(config, "runs/candy")
    styled = zoo.models.johnson.stylize(net, photo)

Losses (Johnson, Alahi, Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution", ECCV 2016, Sec. 3), per example, through a frozen loss network
``phi`` (:mod:`zoo.models.perceptual`):

* ``content``: the feature reconstruction loss ``||phi_j(y) - phi_j(y_c)||^2 / (C_j H_j
  W_j)`` (Sec. 3.2, the mean squared difference; the official code's MSECriterion is the
  same), summed over the content layers.
* ``style``: the style reconstruction loss ``||G_j(y) - G_j(y_s)||_F^2`` (Sec. 3.2), the
  Gram matrix divided by ``C_j H_j W_j`` (:func:`zoo.layers.statistics.gram_matrix`,
  ``"all"``), summed over the style layers. The targets ``G_j(y_s)`` of the style image are
  frozen weights of the loss layer, so checkpoints and resume carry them. The paper's
  squared Frobenius norm, a choice: the official code (fast-neural-style,
  ``StyleLoss.lua``) averages over the ``C_j^2`` entries (MSECriterion), so its weights
  are relative to a term ``C_j^2`` times smaller.
* ``tv``: total variation (Sec. 3.3), as the official ``TotalVariation.lua``: the gradient
  of ``1/2 sum (x_{i+1,j} - x_ij)^2 + (x_{i,j+1} - x_ij)^2`` on 0..255 pixels (the net's
  output space there), so ``1/2 * 255^2 * total_variation`` of the [0, 1] output.

Loss network (``--backbone``): ``vgg16``, the paper's, with ImageNet weights, which cannot
be downloaded on this machine (the error says where to put the file); or ``random``
(:func:`zoo.models.perceptual.RandomMultiscale`, random multi-scale filters, no
download), the offline default, one layer ``conv1_1`` for style and content. VGG16 layers:
style ``relu1_2, relu2_2, relu3_3, relu4_3`` (Sec. 4.1; train.lua ``-style_layers
4,9,16,23``); content ``relu2_2`` in the paper's text (Sec. 4.1) but ``relu3_3`` in the
official code's defaults (train.lua ``-content_layers 16``): ``--content-layer``, default
the paper's.

Super-resolution (``--task sr --scale 4|8``, Sec. 4.2): the inputs are the content crops
blurred with a Gaussian of sigma 1.0 and downsampled by the factor with bicubic
interpolation ("blurring with a Gaussian kernel of width sigma = 1.0 and downsampling with
bicubic interpolation"); the loss is the feature reconstruction loss at ``relu2_2`` against
the full-resolution crop, plus total variation. The paper trains on 288 x 288 patches.

Optimisation (Sec. 4.1; train.lua defaults): Adam, learning rate 1e-3, batch 4, 256 x 256
crops of MS-COCO, 40,000 iterations (about two epochs); weights ``-content_weights 1.0
-style_weights 5.0 -tv_strength 1e-6`` (the official README's training doc; a fork's
train.lua reads style weight 1). CPU defaults here: 128 x 128 crops, 300 steps. Resumable
through :func:`zoo.training.trainer.fit` (run the same call again).
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops

from zoo.atomic import atomic_path
from zoo.errors import ZooError
from zoo.image.io import as_rgb01, read_image
from zoo.layers.statistics import gram_matrix, total_variation
from zoo.models.johnson.transform_net import (NORMALIZATIONS, SR_SCALES, VARIANTS, WIDTHS,
                                              TransformNet, is_paper_variant)
from zoo.models.perceptual import VGG16, RandomMultiscale
from zoo.options import COUNT, NON_NEGATIVE, POSITIVE, option

from . import sources
from .losses import GramTargetLoss
from .runs import Run, final_weights, run_config
from .trainer import fit, writes_files

GRAM_NORMALIZATION = "all"  # Sec. 3.2: G / (C_j H_j W_j)
VGG16_STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")  # Sec. 4.1; -style_layers
PAPER_CONTENT_LAYER = "relu2_2"  # Sec. 4.1 (and Sec. 4.2 for SR)
CODE_CONTENT_LAYER = "relu3_3"  # train.lua -content_layers 16
RANDOM_LAYER = "conv1_1"  # RandomMultiscale's one layer
LEARNING_RATE = 1e-3  # Sec. 4.1; train.lua -learning_rate
CONTENT_WEIGHT, STYLE_WEIGHT, TV_WEIGHT = 1.0, 5.0, 1e-6  # official training defaults
PAPER_BATCH, PAPER_SIZE, PAPER_STEPS = 4, 256, 40_000  # Sec. 4.1; train.lua
PAPER_SR_SIZE = 288  # Sec. 4.2: 288 x 288 patches
STYLE_SIZE = 256  # train.lua -style_image_size
SR_BLUR_SIGMA = 1.0  # Sec. 4.2
PIXEL_SCALE = 255.0  # the official TV acts on 0..255 pixels


@dataclass
class JohnsonConfig:
    """The recipe's settings; the options of ``zoo train johnson``."""

    content: str | None = option(
        None, required=True, metavar="SRC",
        help="content photos: a folder, glob, list file or tfds: source (e.g. tfds:coco/2017)")
    style: str | None = option(None, metavar="IMG", help="the style image (--task style)")
    data_dir: str | None = option(None, metavar="DIR", help=(
        "where tfds: data sets are prepared (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)"))
    task: str = option("style", choices=("style", "sr"),
                       help="style transfer, or super-resolution (Sec. 4.2)")
    scale: int = option(4, type=int, choices=SR_SCALES, help="the SR factor (--task sr)")
    width: str = option("paper", choices=tuple(WIDTHS),
                        help="channels: paper (32, 64, 128) or phone (8, 16, 32)")
    variant: str = option("paper", choices=VARIANTS, help=(
        "paper: 40 px reflection, unpadded residual blocks, transposed convs; resize: padded "
        "blocks, nearest x2 + conv (fewer checkerboard artefacts)"))
    normalization: str = option("instance", choices=NORMALIZATIONS)  # the code's; paper: batch
    backbone: str = option(
        "random", choices=("random", "vgg16"),
        help="loss network: random multi-scale filters (no download) or ImageNet VGG16 (the "
             "paper's; needs its weights in ~/.keras/models)")
    content_layer: str = option(  # VGG16 only: the paper (Sec. 4.1) or train.lua's default
        PAPER_CONTENT_LAYER, choices=(PAPER_CONTENT_LAYER, CODE_CONTENT_LAYER),
        help="VGG16 content layer: relu2_2 (the paper) or relu3_3 (the official code)")
    steps: int = option(300, type=COUNT)  # CPU budget (paper: PAPER_STEPS)
    steps_per_epoch: int = option(50, type=COUNT)
    batch_size: int = option(PAPER_BATCH, type=COUNT)
    image_size: int = option(  # CPU budget (paper: PAPER_SIZE, SR PAPER_SR_SIZE)
        128, type=COUNT, help="training crops (a multiple of 4, and of the SR factor)")
    style_size: int = option(STYLE_SIZE, type=COUNT,
                             help="the style image's longer side for its Gram targets")
    content_weight: float = option(CONTENT_WEIGHT, type=NON_NEGATIVE)
    style_weight: float = option(STYLE_WEIGHT, type=NON_NEGATIVE)
    tv_weight: float = option(TV_WEIGHT, type=NON_NEGATIVE)
    learning_rate: float = option(LEARNING_RATE, flag="--lr", type=POSITIVE)
    random_filters: int = option(32, cli=False)
    random_scales: tuple[int, ...] = option((3, 5, 7, 11, 15, 23), cli=False)
    seed: int = option(0, cli=False)  # zoo train's --seed

    def __post_init__(self):
        self.random_scales = tuple(self.random_scales)
        if self.task == "style" and not self.style:
            raise ZooError("style transfer needs a style image: --style IMG")
        multiple = 4 if self.task == "style" else self.scale
        if self.image_size % multiple:
            raise ZooError(f"image_size {self.image_size} must be a multiple of {multiple}")
        if self.task == "style" and self.variant == "paper" and self.image_size < 44:
            raise ZooError(f"image_size {self.image_size}: the paper variant's 40-pixel "
                           "reflection needs at least 44")
        if self.task == "sr" and self.image_size // self.scale < 8:
            raise ZooError(f"image_size {self.image_size} is too small for x{self.scale}")

    @property
    def epoch_steps(self) -> int:
        """Steps per epoch: ``steps_per_epoch``, or ``steps`` where that is fewer."""
        return min(self.steps_per_epoch, self.steps)

    @property
    def epochs(self) -> int:
        return max(1, -(-self.steps // self.epoch_steps))

    def layers(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``(style_layers, content_layers)`` of the loss network (none for style in SR)."""
        if self.backbone == "random":
            style, content = (RANDOM_LAYER,), (RANDOM_LAYER,)
        else:
            style = VGG16_STYLE_LAYERS
            content = (PAPER_CONTENT_LAYER if self.task == "sr" else self.content_layer,)
        return (style if self.task == "style" else ()), content

    def net_config(self) -> dict:
        """The arguments of :func:`zoo.models.johnson.build` (``model_config`` of the run)."""
        return {"width": self.width, "normalization": self.normalization,
                "variant": self.variant, "task": self.task, "scale": self.scale}


Config = JohnsonConfig


def loss_network(config: JohnsonConfig) -> keras.Model:
    """The frozen loss network ``images -> {layer: features}``."""
    if config.backbone == "random":
        return RandomMultiscale(config.random_filters, config.random_scales, seed=config.seed)
    if config.backbone != "vgg16":
        raise ZooError(f"backbone must be random or vgg16, not {config.backbone!r}")
    style, content = config.layers()
    return VGG16(layers=tuple(dict.fromkeys(style + content)), pooling="max")


def load_style(config: JohnsonConfig) -> np.ndarray:
    """The style image ``(H, W, 3)`` in [0, 1], its longer side resized to ``style_size``."""
    if not config.style:
        raise ZooError("style transfer needs a style image: --style IMG")
    image = as_rgb01(read_image(config.style))
    h, w = image.shape[:2]
    scale = config.style_size / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    image = np.asarray(ops.image.resize(image[None], size, interpolation="bicubic",
                                        antialias=True)[0]).clip(0, 1)
    return np.ascontiguousarray(image, dtype="float32")


def target_grams(extractor: keras.Model, image: np.ndarray, layers) -> list[np.ndarray]:
    features = extractor(np.asarray(image, np.float32)[None])
    return [np.asarray(gram_matrix(features[name], GRAM_NORMALIZATION)[0]) for name in layers]


def style_reconstruction_loss(features, target_gram):
    """``||G(features) - target||_F^2`` per example, G divided by C H W (Sec. 3.2)."""
    gram = gram_matrix(features, GRAM_NORMALIZATION)
    return ops.sum(ops.square(gram - ops.cast(target_gram, gram.dtype)), axis=(1, 2))


def feature_reconstruction_loss(features, target_features):
    """``||phi(y) - phi(y_c)||^2 / (C H W)`` per example (Sec. 3.2)."""
    diff = ops.cast(features, "float32") - ops.cast(target_features, "float32")
    return ops.mean(ops.square(diff), axis=(1, 2, 3))


def tv_loss(images):
    """The official TotalVariation.lua's loss on 0..255 pixels (module docstring)."""
    return 0.5 * PIXEL_SCALE**2 * total_variation(images)


@keras.saving.register_keras_serializable(package="zoo")
class StyleReconstructionLoss(GramTargetLoss):
    """Sum over layers of :func:`style_reconstruction_loss` against the target Grams."""

    def call(self, features):
        return sum(style_reconstruction_loss(f, t) for f, t in zip(features, self.targets))


@keras.saving.register_keras_serializable(package="zoo")
class FeatureReconstructionLoss(keras.layers.Layer):
    """Sum over layers of :func:`feature_reconstruction_loss`; the targets get no gradient."""

    def call(self, pairs):
        return sum(feature_reconstruction_loss(f, ops.stop_gradient(p))
                   for f, p in zip(pairs[0], pairs[1]))

    def compute_output_shape(self, shapes):
        return (shapes[0][0][0],)


@keras.saving.register_keras_serializable(package="zoo")
class TotalVariationLoss(keras.layers.Layer):
    def call(self, images):
        return tv_loss(images)

    def compute_output_shape(self, shape):
        return (shape[0],)


def training_model(config: JohnsonConfig, net: keras.Model, extractor: keras.Model,
                   grams=None) -> keras.Model:
    """``inputs -> {"content", "style"?, "tv"}`` per-example loss terms. Style: the input is
    the content crop; SR: the low-resolution crop and the full-resolution one."""
    style_layers, content_layers = config.layers()
    source = net.inputs[0]
    images = net(source)
    if config.task == "sr":
        target = keras.Input((None, None, 3), name="high_res")
        inputs = [source, target]
    else:
        target = inputs = source
    features, reference = extractor(images), extractor(target)
    outputs = {"content": FeatureReconstructionLoss(name="content_loss")(
        [[features[n] for n in content_layers], [reference[n] for n in content_layers]])}
    if config.task == "style":
        style_loss = StyleReconstructionLoss([g.shape[0] for g in grams], name="style_loss")
        outputs["style"] = style_loss([features[n] for n in style_layers])
        style_loss.set_targets(grams)
    outputs["tv"] = TotalVariationLoss(name="tv_loss")(images)
    return keras.Model(inputs, outputs, name="johnson_training")


def output_is_loss(y_true, y_pred):
    """The training model outputs its loss terms; ``y_true`` is a dummy."""
    return y_pred


def loss_names(config: JohnsonConfig) -> list[str]:
    return ["content"] + (["style"] if config.task == "style" else []) + ["tv"]


def new_net(config: JohnsonConfig) -> keras.Model:
    return TransformNet(**config.net_config(), name="transform_net")


def build(config: JohnsonConfig) -> keras.Model:
    """The training model, uncompiled: a fresh transform net (the layer named
    ``transform_net``), the frozen loss network and, for style, the style's Gram targets."""
    net, extractor = new_net(config), loss_network(config)
    grams = (target_grams(extractor, load_style(config), config.layers()[0])
             if config.task == "style" else None)
    return training_model(config, net, extractor, grams)


def compile(model: keras.Model, config: JohnsonConfig) -> keras.Model:
    """The weighted sum of the loss terms; Adam at 1e-3 (Sec. 4.1)."""
    weights = {"content": config.content_weight, "style": config.style_weight,
               "tv": config.tv_weight}
    names = list(model.output.keys())
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss={n: output_is_loss for n in names},
                  loss_weights={n: weights[n] for n in names})
    return model


def gaussian_kernel(sigma: float = SR_BLUR_SIGMA) -> np.ndarray:
    """The normalised 1-D Gaussian of ``sigma``, radius ``ceil(3 sigma)``."""
    radius = int(math.ceil(3 * sigma))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def low_resolution(images, scale: int, sigma: float = SR_BLUR_SIGMA):
    """Sec. 4.2's inputs: Gaussian blur (sigma, reflected edges), then bicubic downsampling
    by ``scale`` (TensorFlow; ``images`` ``(B, H, W, 3)``, H and W multiples of ``scale``)."""
    import tensorflow as tf

    k = gaussian_kernel(sigma)
    r = len(k) // 2
    x = tf.pad(images, [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")
    rows = tf.constant(np.tile(k.reshape(-1, 1, 1, 1), (1, 1, 3, 1)))
    cols = tf.constant(np.tile(k.reshape(1, -1, 1, 1), (1, 1, 3, 1)))
    x = tf.nn.depthwise_conv2d(x, rows, [1, 1, 1, 1], "VALID")
    x = tf.nn.depthwise_conv2d(x, cols, [1, 1, 1, 1], "VALID")
    size = tf.shape(images)[1:3] // scale
    return tf.clip_by_value(tf.image.resize(x, size, method="bicubic"), 0.0, 1.0)


def content_files(config: JohnsonConfig):
    """The content photos (:func:`zoo.training.sources.content_files`)."""
    return sources.content_files(config.content, data_dir=config.data_dir)


def data(config: JohnsonConfig, examples):
    """An endless tf.data stream of ``(inputs, dummy targets)`` from random crops of the
    content photos ``examples`` (:func:`content_files`)."""
    import tensorflow as tf

    batch, names = config.batch_size, loss_names(config)
    crops = sources.content_crops(examples, config.image_size, batch, seed=config.seed)

    def pair(crop):
        x = (low_resolution(crop, config.scale), crop) if config.task == "sr" else crop
        return x, {n: tf.zeros((batch,)) for n in names}

    return crops.map(pair).prefetch(2)


def train(config: JohnsonConfig, run: Run) -> tuple[keras.Model, keras.callbacks.History]:
    """Train in the run folder of ``run`` (:mod:`zoo.training.runs`); run it again to resume.
    Returns ``(net, history)``; ``RUN_DIR/final.weights.h5`` holds the transform net's
    weights only (``config.json`` beside it records ``model_config``)."""
    keras.utils.set_random_seed(config.seed)
    if config.task == "style":
        load_style(config)  # a missing or unreadable image fails here, before anything is built
    photos = content_files(config)
    run = run_config(run, config.epochs, config.epoch_steps)
    record = {**asdict(config), "backend": keras.backend.backend(), "model": "johnson",
              "model_config": config.net_config()}
    model, history = fit(lambda: compile(build(config), config),
                         lambda replicas: data(config, photos), run, record)
    net = model.get_layer("transform_net")
    if writes_files(run.strategy):  # over the training model's weights that fit wrote
        with atomic_path(Path(run.out_dir) / "final.weights.h5") as saving:
            net.save_weights(str(saving))
    return net, history


def load_net(config: JohnsonConfig, path: str | os.PathLike) -> keras.Model:
    """The config's transform net with weights from a run's ``final.weights.h5``."""
    net = new_net(config)
    net.load_weights(str(path))
    return net


def sample_photo(config: JohnsonConfig, size: int) -> np.ndarray:
    """A ``(1, size, size, 3)`` crop of a content photo."""
    if sources.is_tfds(config.content):
        photos = sources.content_files(config.content, data_dir=config.data_dir)
        return next(iter(sources.content_crops(photos, size, 1, seed=0))).numpy()
    from zoo.models.johnson.export import crops

    return crops(1, (size, size), seed=0, folder=config.content)


def write_sample(net: keras.Model, config: JohnsonConfig, out_dir, size: int = 256) -> str:
    """``RUN_DIR/sample.png``: a content crop beside its stylization; for SR the
    low-resolution input (nearest, enlarged), the net's output and the original."""
    from zoo.image import write_image
    from zoo.models.johnson.inference import stylize, super_resolve

    photo = sample_photo(config, size)
    if config.task == "style":
        image = np.concatenate([photo[0], stylize(net, photo[0])], axis=1)
    else:
        low = np.asarray(low_resolution(photo, config.scale))[0]
        big = low.repeat(config.scale, 0).repeat(config.scale, 1)
        image = np.concatenate([big, super_resolve(net, low), photo[0]], axis=1)
    return str(write_image(os.path.join(out_dir, "sample.png"), image))


def report(model: keras.Model, config: JohnsonConfig, out_dir: str | os.PathLike) -> list[str]:
    """What ``zoo train johnson`` prints at the end, having written ``sample.png``."""
    weights = final_weights(out_dir)
    shape = "" if not is_paper_variant(model) else " --shape 256x256"
    return [f"sample: {write_sample(model, config, out_dir)}",
            f"weights: {weights}",
            f"export: zoo export johnson --weights {weights} --quantize float16{shape} "
            "--out F.tflite"]


def evaluate(net: keras.Model, config: JohnsonConfig, images) -> dict:
    """The loss terms of ``net`` on ``images`` ``(B, H, W, 3)`` in [0, 1] (content photos;
    for SR the full-resolution images, downsampled here as in training), unweighted, means
    over the images: ``{"content", "style" (style task), "tv"}``."""
    images = np.asarray(images, np.float32)
    extractor = loss_network(config)
    grams = (target_grams(extractor, load_style(config), config.layers()[0])
             if config.task == "style" else None)
    model = training_model(config, net, extractor, grams)
    inputs = ([np.asarray(low_resolution(images, config.scale)), images]
              if config.task == "sr" else images)
    terms = model(inputs, training=False)
    return {name: float(np.mean(value)) for name, value in terms.items()}


__all__ = ["Config", "JohnsonConfig", "build", "compile", "data", "train", "report",
           "evaluate", "load_net", "load_style", "loss_network", "low_resolution",
           "feature_reconstruction_loss", "style_reconstruction_loss", "tv_loss",
           "content_files", "training_model"]
