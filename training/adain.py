"""Training recipe of AdaIN (Huang and Belongie, ICCV 2017, arXiv:1703.06868, Sec. 6).

    from zoo.training import adain
    net, history = adain.train(adain.Config(content="photos/", style="paintings/"), "runs/a")

Only the decoder ``g`` trains; the encoder ``f`` (VGG19 to relu4_1) is fixed. For a batch
of content-style pairs, ``t = AdaIN(f(c), f(s))`` and the output ``g(t)``:

* content loss ``L_c = ||f(g(t)) - t||`` at relu4_1 against the AdaIN target ``t`` (Eq. 12),
  not against the content image's features; taken as the mean squared difference over
  positions and channels, as the official code and the PyTorch port (``nn.MSELoss`` in
  pytorch-AdaIN's net.py ``calc_content_loss``);
* style loss ``L_s = sum_l ||mu(phi_l(g(t))) - mu(phi_l(s))|| + ||sigma(..) - sigma(..)||``
  over relu1_1, relu2_1, relu3_1, relu4_1 (Eq. 13). The paper writes the L2 norm; the port's
  ``calc_style_loss`` takes the MSE of the statistics (mean over channels). Chosen: the MSE,
  because the published weights (lambda = 10, below) were tuned with it and its gradient is
  smooth at 0;
* ``L = L_c + lambda L_s``, ``lambda = 10`` (Sec. 6; pytorch-AdaIN train.py
  ``--style_weight 10``, ``--content_weight 1``). The official Lua train.lua has
  ``-styleWeight 1e-2`` with its own (summed) criterion, a different scale of the same
  loss; we follow the paper's value with the port's MSE.

Optimisation from the official train.lua options (``-learningRate 1e-4``,
``-learningRateDecay 5e-5`` as Torch's ``optim.adam`` applies it, ``lr / (1 + 5e-5 t)``,
``-batchSize 8``, ``-maxIter 160000``): Adam, beta1 0.9. Data (Sec. 6): MS-COCO content and
WikiArt style images, the smaller side resized to 512, random 256 x 256 crops. WikiArt has no
TFDS name: give it as a folder. CPU defaults here: crops of 128 from images resized to 256,
batch 4, 300 steps, backbone ``random`` (no ImageNet download on this machine; see
:mod:`zoo.models.adain.network`). Commits of the official repositories were not pinned.

Offline, measured (why no decoder ships): with the random He-normal VGG19 the relu4_1
features of different BSD200 photos correlate 0.79-0.88 (about a fifth of their variance is
image-specific), and the decoder learns no content from them: 1,500 steps of the paper's
loss gave noise, and so did 1,500 steps with ``--reconstruction-weight 1e5`` (light decoder,
128 px crops, batch 4, BSD200 content, the ten shared style images, 2 CPU cores, 27 min:
epoch means: content loss 1.05e5 -> 1,409, style 4.1e5 -> 1,444, pixel MSE 0.92 -> 0.056, still falling
slowly). A usable decoder needs ImageNet VGG19 (``--backbone vgg19``) or far longer runs.

Files: ``final.weights.h5`` holds the whole AdaIN net of ``zoo.models.adain.build(
**model_config)`` (so that ``zoo.load("adain", weights=...)`` and ``zoo export adain
--weights`` load it strictly: a file with the decoder alone does not load into the whole
net), and ``decoder.weights.h5`` the decoder alone, the part that training changed (the
encoder is rebuilt from ``backbone`` and ``seed``; :func:`load_decoder`).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops

from zoo.atomic import atomic_path
from zoo.layers.adain import AdaptiveInstanceNormalization
from zoo.layers.statistics import mean_std
from zoo.models.adain.network import (BACKBONES, DECODERS, ENCODER_LAYERS, TARGET_LAYER,
                                      build_decoder, build_encoder)
from zoo.models.adain.network import build as build_adain
from zoo.models.adain.network import decoder as decoder_of
from zoo.options import COUNT, NON_NEGATIVE, POSITIVE, option

from . import sources
from .runs import Run, final_weights, run_config
from .trainer import fit, writes_files

PAPER_LEARNING_RATE = 1e-4  # official train.lua -learningRate
PAPER_DECAY = 5e-5  # official train.lua -learningRateDecay: lr / (1 + decay * t)
PAPER_BATCH, PAPER_STEPS = 8, 160_000  # official train.lua -batchSize, -maxIter
PAPER_LOAD, PAPER_CROP = 512, 256  # Sec. 6: smaller side to 512, random 256 x 256 crops
STYLE_WEIGHT = 10.0  # lambda, Sec. 6 (pytorch-AdaIN train.py --style_weight 10)
ADAM_EPSILON = 1e-8  # Torch optim.adam's default (Keras: 1e-7)
DECODER_FILE = "decoder.weights.h5"


@dataclass
class AdaINConfig:
    """The recipe's settings; the options of ``zoo train adain``."""

    content: str | None = option(None, required=True, metavar="SRC", help=(
        "content photos: a folder, glob, list file or tfds: source (the paper: tfds:coco/2017)"))
    style: str | None = option(None, required=True, metavar="SRC", help=(
        "style images: a folder, glob, list file or tfds: source (the paper: WikiArt, a folder)"))
    data_dir: str | None = option(None, metavar="DIR", help=(
        "where tfds: data sets are prepared (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)"))
    steps: int = option(300, type=COUNT)  # CPU budget (train.lua: PAPER_STEPS)
    steps_per_epoch: int = option(50, type=COUNT)
    batch_size: int = option(4, type=COUNT)  # train.lua: PAPER_BATCH
    image_size: int = option(  # Sec. 6: PAPER_CROP
        128, type=COUNT, help="training crops (a multiple of 8)")
    load_size: int | None = option(  # Sec. 6: PAPER_LOAD; None: twice image_size
        None, type=COUNT, help="smaller side the images are resized to before cropping "
                               "(default: twice --image-size, as the paper's 512 / 256)")
    backbone: str = option("random", choices=BACKBONES, help=(
        "encoder: VGG19 with random He-normal weights from --seed (no download) or with "
        "ImageNet weights (the paper's; needs its file in ~/.keras/models)"))
    decoder: str = option("full", choices=DECODERS, help=(
        "the paper's decoder (3.5 M parameters) or a light one at a quarter of the widths"))
    style_weight: float = option(STYLE_WEIGHT, type=POSITIVE)
    content_weight: float = option(1.0, type=NON_NEGATIVE)
    reconstruction_weight: float = option(0.0, type=NON_NEGATIVE, help=(
        "weight of a pixel reconstruction term ||g(f(c)) - c||^2 (mean over pixels, "
        "images in 0..1); not in the paper (0): Li et al.'s WCT decoders (NIPS 2017) train "
        "with it. Tried with the random encoder: not enough on a CPU budget (1,500 steps, "
        "weight 1e5, light decoder: MSE 0.056, the output still noise)"))
    learning_rate: float = option(PAPER_LEARNING_RATE, flag="--lr", type=POSITIVE)
    learning_rate_decay: float = option(PAPER_DECAY, cli=False)
    seed: int = option(0, cli=False)  # zoo train's --seed; also the random encoder's

    def __post_init__(self):
        self.steps_per_epoch = min(self.steps_per_epoch, self.steps)  # --steps 20 runs 20
        if self.image_size % 8:
            raise ValueError(f"image_size {self.image_size} must be a multiple of 8")

    @property
    def epochs(self) -> int:
        return max(1, -(-self.steps // self.steps_per_epoch))

    def model_config(self) -> dict:
        """The arguments of :func:`zoo.models.adain.build` for this run's net."""
        return {"backbone": self.backbone, "decoder": self.decoder, "seed": self.seed}


Config = AdaINConfig


def content_loss(generated, target):
    """Mean squared difference per example (Eq. 12 as the official code)."""
    return ops.mean(ops.square(generated - ops.stop_gradient(target)), axis=(1, 2, 3))


def style_loss(generated: list, style: list):
    """``sum_l MSE(mu) + MSE(sigma)`` per example over the style layers (Eq. 13, MSE)."""
    total = 0.0
    for g, s in zip(generated, style):
        (mu_g, sigma_g), (mu_s, sigma_s) = mean_std(g), mean_std(s)
        total += ops.mean(ops.square(mu_g - mu_s), axis=(1, 2, 3))
        total += ops.mean(ops.square(sigma_g - sigma_s), axis=(1, 2, 3))
    return total


@keras.saving.register_keras_serializable(package="zoo")
class AdaINContentLoss(keras.layers.Layer):
    def call(self, pair):
        return content_loss(pair[0], pair[1])

    def compute_output_shape(self, shapes):
        return (shapes[0][0],)


@keras.saving.register_keras_serializable(package="zoo")
class AdaINStyleLoss(keras.layers.Layer):
    def call(self, pair):
        return style_loss(pair[0], pair[1])

    def compute_output_shape(self, shapes):
        return (shapes[0][0][0],)


def training_model(encoder: keras.Model, decoder: keras.Model,
                   reconstruction: bool = False) -> keras.Model:
    """``{content, style} -> {"content", "style"}`` per-example losses (module docstring);
    with ``reconstruction``, also ``"reconstruction"``: the decoder's image of the content's
    own relu4_1 features against the content image (:func:`content_loss` on pixels)."""
    content = keras.Input(shape=(None, None, 3), name="content")
    style = keras.Input(shape=(None, None, 3), name="style")
    f_c, f_s = encoder(content), encoder(style)
    t = AdaptiveInstanceNormalization(name="adain_layer")([f_c[TARGET_LAYER], f_s[TARGET_LAYER]])
    f_g = encoder(decoder(t))
    outputs = {
        "content": AdaINContentLoss(name="content_loss")([f_g[TARGET_LAYER], t]),
        "style": AdaINStyleLoss(name="style_loss")(
            [[f_g[n] for n in ENCODER_LAYERS], [f_s[n] for n in ENCODER_LAYERS]])}
    if reconstruction:
        outputs["reconstruction"] = AdaINContentLoss(name="reconstruction_loss")(
            [decoder(f_c[TARGET_LAYER]), content])
    return keras.Model({"content": content, "style": style}, outputs, name="adain_training")


def build(config: AdaINConfig) -> keras.Model:
    """The training model, uncompiled: the frozen ``encoder`` and a fresh ``decoder``."""
    return training_model(build_encoder(config.backbone, config.seed),
                          build_decoder(config.decoder), config.reconstruction_weight > 0)


def output_is_loss(y_true, y_pred):
    """The training model outputs its loss terms; ``y_true`` is a dummy."""
    return y_pred


def compile(model: keras.Model, config: AdaINConfig) -> keras.Model:
    """``L_c + lambda L_s``; Adam with Torch's ``lr / (1 + decay t)``."""
    schedule = keras.optimizers.schedules.InverseTimeDecay(
        config.learning_rate, decay_steps=1, decay_rate=config.learning_rate_decay)
    weights = {"content": config.content_weight, "style": config.style_weight}
    if config.reconstruction_weight > 0:
        weights["reconstruction"] = config.reconstruction_weight
    model.compile(optimizer=keras.optimizers.Adam(schedule, epsilon=ADAM_EPSILON),
                  loss={name: output_is_loss for name in weights}, loss_weights=weights)
    return model


def image_files(config: AdaINConfig) -> tuple:
    """``(content photos, style images)`` (:func:`zoo.training.sources.content_files`: an
    empty or unreadable source is refused in one line, before anything is built)."""
    return (sources.content_files(config.content, data_dir=config.data_dir),
            sources.content_files(config.style, data_dir=config.data_dir))


def _crops(config: AdaINConfig, files, seed: int):
    return sources.image_dataset(files, resize=config.load_size or 2 * config.image_size,
                                 crop=config.image_size, batch_size=config.batch_size,
                                 shuffle=True, seed=seed, repeat=True, skip_errors=True,
                                 data_dir=config.data_dir)


def data(config: AdaINConfig, examples):
    """An endless stream of ``({"content", "style"}, dummy targets)``: two independent
    streams of random crops (``examples``: :func:`image_files`), zipped."""
    import tensorflow as tf

    content_files, style_files = examples
    zeros = tf.zeros((config.batch_size,))
    targets = {name: zeros for name in ("content", "style", "reconstruction")
               if name != "reconstruction" or config.reconstruction_weight > 0}
    pairs = tf.data.Dataset.zip(_crops(config, content_files, config.seed),
                                _crops(config, style_files, config.seed + 1))
    return pairs.map(lambda c, s: ({"content": c, "style": s}, targets)).prefetch(2)


def train(config: AdaINConfig, run: Run) -> tuple[keras.Model, keras.callbacks.History]:
    """Train in the run folder of ``run``; run it again to resume. Returns ``(net,
    history)``: the whole AdaIN net (:func:`zoo.models.adain.build`) with the trained
    decoder; ``final.weights.h5`` holds it, ``decoder.weights.h5`` the decoder."""
    keras.utils.set_random_seed(config.seed)
    examples = image_files(config)
    run = run_config(run, config.epochs, config.steps_per_epoch)
    record = {**asdict(config), "backend": keras.backend.backend(), "model": "adain",
              "model_config": config.model_config()}
    model, history = fit(lambda: compile(build(config), config),
                         lambda replicas: data(config, examples), run, record)
    net = build_adain(**config.model_config())
    decoder_of(net).set_weights(model.get_layer("decoder").get_weights())
    if writes_files(run.strategy):  # over the training model's weights that fit wrote
        out = Path(run.out_dir)
        _save(net, out / "final.weights.h5")
        _save(decoder_of(net), out / DECODER_FILE)
    return net, history


def _save(model: keras.Model, path: Path) -> None:
    with atomic_path(path) as saving:  # zoo.atomic: fsynced, renamed
        model.save_weights(str(saving))


def load_decoder(config: AdaINConfig, path: str | os.PathLike) -> keras.Model:
    """The whole net of ``config`` with the decoder weights of ``decoder.weights.h5``."""
    net = build_adain(**config.model_config())
    decoder_of(net).load_weights(str(path))
    return net


def report(model: keras.Model, config: AdaINConfig, out_dir: str | os.PathLike) -> list[str]:
    """What ``zoo train adain`` prints at the end, having written ``sample.png``."""
    return [f"sample: {write_sample(model, config, out_dir)} (content | style | output)",
            f"weights: {final_weights(out_dir)} (whole net; "
            f"{os.path.join(out_dir, DECODER_FILE)}: the decoder alone)",
            f"export: zoo export adain --weights {final_weights(out_dir)} --out adain.tflite "
            "(writes adain_style_encoder.tflite and adain_stylizer.tflite)"]


def write_sample(net: keras.Model, config: AdaINConfig, out_dir, size: int = 256) -> str:
    """``RUN_DIR/sample.png``: a content crop, a style crop and the stylization, side by side."""
    from zoo.image import write_image
    from zoo.models.adain.inference import stylize

    photo, style = (_sample_image(source, config, size) for source in (config.content,
                                                                       config.style))
    image = np.concatenate([photo, style, stylize(net, photo, style)], axis=1)
    return str(write_image(os.path.join(out_dir, "sample.png"), image))


def _sample_image(source: str, config: AdaINConfig, size: int) -> np.ndarray:
    """A ``(size, size, 3)`` crop of the first images of ``source``."""
    files = sources.content_files(source, data_dir=config.data_dir)
    crop = next(iter(sources.image_dataset(files, resize=size, crop=size, batch_size=1,
                                           shuffle=False, data_dir=config.data_dir)))
    return np.asarray(crop[0], np.float32)


__all__ = ["Config", "AdaINConfig", "build", "compile", "data", "train", "report",
           "content_loss", "style_loss", "training_model", "image_files", "load_decoder"]
