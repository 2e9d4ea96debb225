"""Training recipe of Texture Networks (Ulyanov et al., ICML 2016; CVPR 2017).

    from zoo.training import texture_nets as tn
    generator, history = tn.train(tn.Config(texture="pebbles.jpg"), "runs/pebbles")
    images = tn.sample(generator, size=256, n=4, seed=1)

Losses (per example; Keras averages over the batch):

* ``style``: the Gram loss ``sum_l w_l E_l`` of Gatys et al. (NIPS 2015, Sec. 2-3;
  :func:`zoo.layers.statistics.style_loss`, ``w_l = 1 / L``) between each
  generated sample and the exemplar (texture) or style image, Gram matrices
  averaged over positions (``normalization="positions"``, so exemplar and samples
  may differ in size).
* ``content`` (stylization): ``1/2 ||F - P||^2`` on the content layers (Gatys et
  al. CVPR 2016, Eq. 1) between the sample and the content image it was given.
* ``diversity`` (optional, ``diversity_weight > 0``): the entropy term of
  Improved Texture Networks (CVPR 2017, Sec. 3), the Kozachenko-Leonenko
  estimate over a batch of ``N`` samples,
  ``L_div = -(1/N) sum_i ln min_{j != i} ||x_i - x_j||``, distances between the
  flattened generated images as the authors' code (branch ``diversity`` at
  commit 00adf27, EstimatedEntropyMaximizer.lua, applied to the generator output;
  it uses squared distances, which only doubles the term). ``diversity="mean"``
  gives ``-(1/(N(N-1))) sum_{i != j} ||x_i - x_j||``, the mean pairwise distance.

Backbone: ``"random"`` (:func:`zoo.models.perceptual.RandomMultiscale`, no download,
the default on this machine) or ``"vgg19"`` / ``"vgg16"`` (ImageNet weights, cached
or downloaded), with Gatys' NIPS 2015 texture layers (average pooling) for
textures and the CVPR 2016 style and content layers for stylization.

Optimisation as the authors' ICML code (texture_nets_v1 at commit b2097ec,
texture_train.lua): Adam, learning rate 0.1 multiplied by 0.8 every 300 steps,
batch 16 of 256 x 256, 1,500 steps (stylization_train.lua: batch 4, 3,000
steps). The paper's text was not at hand; these are the code's values. CPU
default here: batch 4 of 128 x 128, 300 steps. Resumable through
:func:`zoo.training.trainer.fit` (run the same call again).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops

from zoo.atomic import atomic_path
from zoo.image.io import as_rgb01, read_image
from zoo.layers.statistics import content_loss, gram_matrix, layer_style_loss
from zoo.models.perceptual import (GATYS_CONTENT_LAYERS, GATYS_STYLE_LAYERS,
                                   GATYS_TEXTURE_LAYERS, VGG16, VGG19, RandomMultiscale)
from zoo.models.texture_nets.generator import TextureNetwork, make_noise, sample
from zoo.options import COUNT, NON_NEGATIVE, POSITIVE, option

from . import sources
from .losses import GramTargetLoss
from .runs import Run, final_weights, run_config
from .trainer import fit, writes_files

GRAM_NORMALIZATION = "positions"
LEARNING_RATE = 0.1  # texture_train.lua (v1): Adam, learningRate 1e-1
DECAY_EVERY, DECAY_RATE = 300, 0.8  # texture_train.lua (v1): lr * 0.8 every 300 iterations
PAPER_BATCH, PAPER_SIZE, PAPER_STEPS = 16, 256, 1500  # texture_train.lua (v1) defaults
DIVERSITY_EPSILON = 1e-8  # inside the square root: a finite gradient for identical samples


def _default_texture() -> str:
    here = Path(__file__).resolve()
    for root in (Path.cwd(), *here.parents):
        candidate = root.parent / "shared" / "data" / "textures" / "pebbles.jpg"
        if candidate.is_file():
            return str(candidate)
    return "../shared/data/textures/pebbles.jpg"


@dataclass
class TextureConfig:
    """The recipe's settings; the options of ``zoo train texture_nets``."""

    texture: str | None = option(  # None: the shared pebbles.jpg
        None, required=True, metavar="IMG",
        help="the exemplar texture, or the style image with --content")
    content: str | None = option(  # stylization; None: texture synthesis
        None, metavar="SRC", help=("stylization: content photos, a folder, glob, list file or "
                                   "tfds: source (e.g. tfds:coco/2017)"))
    data_dir: str | None = option(None, metavar="DIR", help=(
        "where tfds: data sets are prepared (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)"))
    steps: int = option(300, type=COUNT)  # CPU budget (texture_train.lua: PAPER_STEPS)
    steps_per_epoch: int = option(50, type=COUNT)
    batch_size: int = option(4, type=COUNT)  # code: 16 (texture), 4 (stylization)
    image_size: int = option(  # training samples (texture_train.lua: PAPER_SIZE)
        128, type=COUNT, help="training samples (a multiple of 2^(scales-1))")
    scales: int = option(5, type=COUNT)  # K (the paper; the code 6)
    normalization: str = option(  # "batch" (ICML 2016) or "instance" (CVPR 2017)
        "instance", choices=("instance", "batch"))
    backbone: str = option(
        "random", choices=("random", "vgg19", "vgg16"),
        help="loss network: random multi-scale filters (no download) or ImageNet VGG (the "
             "papers'; needs its weights in ~/.keras/models)")
    style_weight: float = option(1.0, type=POSITIVE)
    content_weight: float = option(1e-3, type=NON_NEGATIVE)
    diversity_weight: float = option(  # lambda of CVPR 2017 Sec. 3; 0 = ICML 2016 training
        0.0, type=NON_NEGATIVE,
        help="Improved Texture Networks' diversity term (needs --batch-size >= 2)")
    learning_rate: float = option(LEARNING_RATE, flag="--lr", type=POSITIVE)
    mode: str | None = option(None, cli=False)  # "texture" or "stylization"; None: by content
    texture_size: int | None = option(  # resize its shorter side (v1 code: 256); None: as is
        256, cli=False)
    texture_crop: int | None = option(None, cli=False)  # then a centred square crop this size
    channels: int = option(8, cli=False)
    padding: str | None = option(  # None: circular (texture), replication (stylization)
        None, cli=False)
    random_filters: int = option(32, cli=False)
    random_scales: tuple[int, ...] = option((3, 5, 7, 11, 15, 23), cli=False)
    style_layers: tuple[str, ...] | None = option(  # None: per backbone (module docstring)
        None, cli=False)
    content_layers: tuple[str, ...] | None = option(None, cli=False)
    diversity: str = option(  # "nearest" (Kozachenko-Leonenko) or "mean"
        "nearest", cli=False)
    decay_every: int = option(DECAY_EVERY, cli=False)
    decay_rate: float = option(DECAY_RATE, cli=False)
    seed: int = option(0, cli=False)  # zoo train's --seed

    def __post_init__(self):
        self.mode = self.mode or ("stylization" if self.content else "texture")
        if self.mode not in ("texture", "stylization"):
            raise ValueError(f"mode must be texture or stylization, not {self.mode!r}")
        if self.diversity not in ("nearest", "mean"):
            raise ValueError(f"diversity must be nearest or mean, not {self.diversity!r}")
        if self.diversity_weight > 0 and self.batch_size < 2:
            raise ValueError("the diversity term needs batch_size >= 2")
        self.random_scales = tuple(self.random_scales)
        if self.scales > self.image_size.bit_length():  # 2^(scales-1) > image_size; not
            # computed, it never ends for --scales 10**40
            raise ValueError(f"image_size {self.image_size} is too small for {self.scales} "
                             "scales: it must be a multiple of 2^(scales-1)")
        m = 2 ** (self.scales - 1)
        if self.image_size % m:
            raise ValueError(f"image_size {self.image_size} must be a multiple of {m}")

    @property
    def epochs(self) -> int:
        return max(1, -(-self.steps // self.steps_per_epoch))

    def layers(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``(style_layers, content_layers)`` of the backbone."""
        if self.backbone == "random":
            style, content = ("conv1_1",), ("conv1_1",)
        elif self.mode == "texture":
            style, content = GATYS_TEXTURE_LAYERS, ()
        else:
            style, content = GATYS_STYLE_LAYERS, GATYS_CONTENT_LAYERS
        content = content if self.mode == "stylization" else ()
        return tuple(self.style_layers or style), tuple(self.content_layers or content)

    def generator_config(self) -> dict:
        return {"scales": self.scales, "mode": self.mode, "normalization": self.normalization,
                "channels": self.channels, "padding": self.padding}


Config = TextureConfig


def descriptor(config: TextureConfig) -> keras.Model:
    """The frozen loss network ``images -> {layer: features}``."""
    if config.backbone == "random":
        return RandomMultiscale(config.random_filters, config.random_scales, seed=config.seed)
    style, content = config.layers()
    factory = {"vgg19": VGG19, "vgg16": VGG16}.get(config.backbone)
    if factory is None:
        raise ValueError(f"backbone must be random, vgg19 or vgg16, not {config.backbone!r}")
    pooling = "avg" if config.mode == "texture" else "max"  # Gatys NIPS 2015 / CVPR 2016
    return factory(layers=tuple(dict.fromkeys(style + content)), pooling=pooling)


def load_texture(config: TextureConfig) -> np.ndarray:
    """The exemplar (or style image) ``(H, W, 3)`` in [0, 1] after resizing and cropping."""
    image = as_rgb01(read_image(config.texture or _default_texture()))
    if config.texture_size:
        h, w = image.shape[:2]
        scale = config.texture_size / min(h, w)
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
        image = np.asarray(ops.image.resize(image[None], size, interpolation="bicubic",
                                            antialias=True)[0]).clip(0, 1)
    if config.texture_crop:
        c = config.texture_crop
        top, left = (image.shape[0] - c) // 2, (image.shape[1] - c) // 2
        image = image[top:top + c, left:left + c]
    return np.ascontiguousarray(image, dtype="float32")


def target_grams(extractor: keras.Model, image: np.ndarray, layers) -> list[np.ndarray]:
    features = extractor(np.asarray(image, np.float32)[None])
    return [np.asarray(gram_matrix(features[name], GRAM_NORMALIZATION)[0]) for name in layers]


@keras.saving.register_keras_serializable(package="zoo")
class GramStyleLoss(GramTargetLoss):
    """``sum_l w_l E_l`` per example against the fixed target Grams (uniform ``w_l`` by
    default)."""

    def __init__(self, channels, layer_weights=None, **kwargs):
        super().__init__(channels, **kwargs)
        n = len(self.channels)
        self.layer_weights = [float(w) for w in (layer_weights or [1.0 / n] * n)]

    def call(self, features):
        return sum(w * layer_style_loss(f, t, GRAM_NORMALIZATION)
                   for w, f, t in zip(self.layer_weights, features, self.targets))

    def get_config(self):
        return {**super().get_config(), "layer_weights": self.layer_weights}


@keras.saving.register_keras_serializable(package="zoo")
class ContentLoss(keras.layers.Layer):
    """``sum over layers of 1/2 ||F - P||^2`` per example (Gatys CVPR 2016, Eq. 1)."""

    def call(self, pairs):
        return sum(content_loss(f, ops.stop_gradient(p)) for f, p in zip(pairs[0], pairs[1]))

    def compute_output_shape(self, shapes):
        return (shapes[0][0][0],)


def pairwise_distances(flat):
    """Euclidean distances ``(N, N)`` between the rows of ``flat`` ``(N, D)``."""
    squared = ops.sum(ops.square(flat), axis=1)
    d2 = squared[:, None] + squared[None, :] - 2.0 * ops.matmul(flat, ops.transpose(flat))
    return ops.sqrt(ops.maximum(d2, 0.0) + DIVERSITY_EPSILON)


def diversity_loss(samples, mode: str = "nearest"):
    """Per-example diversity term over a batch (its batch mean is ``L_div``, module docstring)."""
    n = ops.shape(samples)[0]
    flat = ops.reshape(samples, (n, -1))
    d = pairwise_distances(flat)
    off = 1.0 - ops.eye(n, dtype=d.dtype)
    if mode == "nearest":
        nearest = ops.min(d + (1.0 - off) * (ops.max(d) + 1.0), axis=1)
        return -ops.log(nearest)
    return -ops.sum(d * off, axis=1) / ops.cast(n - 1, d.dtype)


@keras.saving.register_keras_serializable(package="zoo")
class DiversityLoss(keras.layers.Layer):
    """:func:`diversity_loss` as a layer (per replica batch under MirroredStrategy)."""

    def __init__(self, mode: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        self.mode = mode

    def call(self, samples):
        return diversity_loss(samples, self.mode)

    def compute_output_shape(self, shape):
        return (shape[0],)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


def output_is_loss(y_true, y_pred):
    """The training model outputs its loss terms; ``y_true`` is a dummy."""
    return y_pred


def training_model(config: TextureConfig, generator: keras.Model, extractor: keras.Model,
                   grams) -> keras.Model:
    """``generator inputs -> {"style", "content"?, "diversity"?}`` per-example loss terms.

    The loss layers are named ``*_loss``: the stylization generator's image input is
    already called ``content``, and layer names in one model must be unique.
    """
    style, content = config.layers()
    images = generator(generator.inputs)
    features = extractor(images)
    style_loss = GramStyleLoss([g.shape[0] for g in grams], name="style_loss")
    outputs = {"style": style_loss([features[name] for name in style])}
    style_loss.set_targets(grams)
    if config.mode == "stylization":
        target = extractor(generator.inputs[0])
        outputs["content"] = ContentLoss(name="content_loss")(
            [[features[n] for n in content], [target[n] for n in content]])
    if config.diversity_weight > 0:
        outputs["diversity"] = DiversityLoss(config.diversity, name="diversity_loss")(images)
    return keras.Model(generator.inputs, outputs, name="texture_nets_training")


def loss_weights(config: TextureConfig, names) -> dict:
    weights = {"style": config.style_weight, "content": config.content_weight,
               "diversity": config.diversity_weight}
    return {name: weights[name] for name in names}


def loss_names(config: TextureConfig) -> list[str]:
    """The loss terms of the training model's outputs."""
    return ["style"] + (["content"] if config.mode == "stylization" else []) + (
        ["diversity"] if config.diversity_weight > 0 else [])


def build(config: TextureConfig) -> keras.Model:
    """The training model, uncompiled (:func:`training_model`): a fresh generator (the layer
    named ``generator``), the frozen loss network, the exemplar's target Grams."""
    generator = TextureNetwork(**config.generator_config(), name="generator")
    extractor = descriptor(config)
    return training_model(config, generator, extractor,
                          target_grams(extractor, load_texture(config), config.layers()[0]))


def compile(model: keras.Model, config: TextureConfig) -> keras.Model:
    """The weighted sum of the model's loss outputs; Adam with the v1 code's step decay."""
    names = list(model.output.keys())
    schedule = keras.optimizers.schedules.ExponentialDecay(
        config.learning_rate, config.decay_every, config.decay_rate, staircase=True)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss={n: output_is_loss for n in names}, loss_weights=loss_weights(config, names))
    return model


def _noise_batch(config: TextureConfig, batch: int, seed):
    import tensorflow as tf

    size = config.image_size
    return [tf.random.stateless_uniform((batch, size >> k, size >> k, 3), seed=seed + k)
            for k in range(config.scales)]


def content_files(recipe: TextureConfig):
    """The content photos the stream decodes (:func:`zoo.training.sources.content_files`: files
    that do not open are left out with a warning, none decoding is refused; a ``tfds:``
    source is checked to be prepared)."""
    return sources.content_files(recipe.content, data_dir=recipe.data_dir)


def _content_crops(recipe: TextureConfig, batch: int, files):
    """Batches of random content crops (:func:`zoo.training.sources.content_crops`)."""
    return sources.content_crops(files, recipe.image_size, batch, seed=recipe.seed)


def data(config: TextureConfig, examples: list[str] | None):
    """An endless tf.data stream of ``(inputs, dummy targets)``, fresh noise every step;
    stylization crops the content photos ``examples`` (:func:`content_files`)."""
    import tensorflow as tf

    batch, names = config.batch_size, loss_names(config)
    steps = tf.data.Dataset.range(1 << 62)

    def with_noise(step, content=None):
        seed = tf.stack([tf.cast(config.seed, tf.int64), step * config.scales])
        noise = _noise_batch(config, batch, seed)
        x = tuple(([content] if content is not None else []) + noise)
        return x, {n: tf.zeros((batch,)) for n in names}

    if config.mode == "texture":
        data = steps.map(with_noise)
    else:
        crops = _content_crops(config, batch, examples)
        data = tf.data.Dataset.zip(steps, crops).map(with_noise)
    return data.prefetch(2)


def train(config: TextureConfig, run: Run) -> tuple[keras.Model, keras.callbacks.History]:
    """Train in the run folder of ``run`` (:mod:`zoo.training.runs`); run it again to resume.
    Returns ``(generator, history)``; ``RUN_DIR/final.weights.h5`` holds the generator's
    weights (``config.json`` beside it, its architecture)."""
    keras.utils.set_random_seed(config.seed)
    load_texture(config)  # a missing or unreadable image fails here, before anything is built
    # Unreadable photos are warned about, or refused, before anything is built.
    photos = content_files(config) if config.mode == "stylization" else None
    run = run_config(run, config.epochs, config.steps_per_epoch)
    record = {**asdict(config), "backend": keras.backend.backend(), "model": "texture_nets",
              "model_config": config.generator_config()}  # of final.weights.h5
    model, history = fit(lambda: compile(build(config), config),
                         lambda replicas: data(config, photos), run, record)
    generator = model.get_layer("generator")
    if writes_files(run.strategy):  # over the training model's weights that fit wrote
        save_weights(generator, Path(run.out_dir) / "final.weights.h5")
    return generator, history


def save_weights(generator: keras.Model, path: Path) -> None:
    """The generator's weights in ``path``, written beside and renamed (never half a file)."""
    with atomic_path(path) as saving:  # zoo.atomic: fsynced, renamed
        generator.save_weights(str(saving))


def report(model: keras.Model, config: TextureConfig, out_dir: str | os.PathLike) -> list[str]:
    """What ``zoo train texture_nets`` prints at the end, having written ``sample.png``."""
    return [f"sample: {write_sample(model, config, out_dir)}",
            f"weights: {final_weights(out_dir)} (zoo export texture_nets --weights that file "
            "--quantize float16 --out F.tflite)"]


def write_sample(generator: keras.Model, config: TextureConfig, out_dir, size: int = 256) -> str:
    """Write ``RUN_DIR/sample.png``: a fresh texture, or a content crop beside its stylization."""
    from zoo.image import write_image
    from zoo.models.texture_nets import size_multiple

    m = size_multiple(generator)
    size = max(size // m * m, m)
    if config.content:
        photo = _sample_photo(config, size)
        image = np.concatenate([photo[0], sample(generator, size, 1, 0, photo)[0]], axis=1)
    else:
        image = sample(generator, size, 1, seed=0)[0]
    return str(write_image(os.path.join(out_dir, "sample.png"), image))


def _sample_photo(config: TextureConfig, size: int) -> np.ndarray:
    """A ``(1, size, size, 3)`` crop of a content photo: of the folder's, or the first of the
    ``tfds:`` stream."""
    if sources.is_tfds(config.content):
        photos = sources.content_files(config.content, data_dir=config.data_dir)
        return next(iter(sources.content_crops(photos, size, 1, seed=0))).numpy()
    from zoo.models.texture_nets.export import content_crops

    return content_crops(1, size, seed=0, folder=config.content)


def load_generator(config: TextureConfig, path: str | Path) -> keras.Model:
    """The config's generator with weights from a run's ``final.weights.h5``."""
    generator = TextureNetwork(**config.generator_config(), name="generator")
    generator.load_weights(str(path))
    return generator


def texture_loss(images, texture: np.ndarray, extractor: keras.Model, layers) -> np.ndarray:
    """The Gram loss ``sum_l E_l / L`` of each image against the exemplar (for evaluation)."""
    grams = target_grams(extractor, texture, layers)
    features = extractor(np.asarray(images, np.float32))
    return np.asarray(sum(layer_style_loss(features[name], g, GRAM_NORMALIZATION)
                          for name, g in zip(layers, grams))) / len(layers)


def evaluate(generator: keras.Model, config: TextureConfig, texture: np.ndarray | None = None,
             n: int = 4, size: int | None = None, seed: int = 1) -> dict:
    """Gram loss of ``n`` fresh samples against the exemplar: mean and per sample."""
    texture = load_texture(config) if texture is None else texture
    images = sample(generator, size or config.image_size, n, seed)
    losses = texture_loss(images, texture, descriptor(config), config.layers()[0])
    return {"gram_loss": float(np.mean(losses)), "per_sample": [float(v) for v in losses]}


__all__ = ["Config", "TextureConfig", "build", "compile", "data", "train", "report", "sample",
           "evaluate", "texture_loss", "diversity_loss", "load_generator", "load_texture",
           "content_files", "descriptor", "make_noise"]
