"""Training recipe of the cascaded refinement network (Chen and Koltun, ICCV 2017).

    from zoo.training import crn
    net, history = crn.train(crn.Config(data="procedural"), "runs/crn")
    images = zoo.models.crn.synthesize(net, layout_ids)        # (k, H, W, 3)

Loss (the paper's Sec. 3; official code github.com/CQFIO/PhotographicImageSynthesis,
``demo_256p.py`` at 35e4e62 for the diversity loss, ``demo_512p.py`` / ``demo_1024p.py``
at 36c3896 for the layer constants). The net gives ``k`` images ``g_u(L)`` of layout
``L``; ``Phi`` is VGG19 (average pooling, as the code's ``build_vgg19``). For each layer
``l`` of ``input`` (the pixels on 0..255), ``conv1_2``, ``conv2_2``, ``conv3_2``,
``conv4_2``, ``conv5_2`` and each output ``u``, the code's ``compute_error`` is

    e_l[u, c] = mean_{h,w} ( L_l[h, w, c] * mean_channels |Phi_l(I) - Phi_l(g_u(L))| )

with ``L_l`` the layout area-downsampled to the layer's size (its classes sum to one at
every pixel, void included), so ``sum_c e_l[u, c]`` is the plain mean absolute difference.
The per-class, per-output total ``T[u, c] = sum_l lambda_l e_l[u, c]`` is mixed as

    loss = 0.999 * sum_c min_u T[u, c] + 0.001 * sum_c mean_u T[u, c]

(``demo_256p.py``: ``reduce_sum(reduce_min(content_loss, 0)) * 0.999 +
reduce_sum(reduce_mean(content_loss, 0)) * 0.001``): the paper's per-class diversity loss,
each class region choosing its best output (a hard minimum in the paper), with a little of
every output (the code's 0.001, which the paper does not mention). With ``k = 1`` it is the
plain feature loss (as ``demo_512p.py`` computes it).

Layer weights ``lambda``: the paper starts them at the inverse of each layer's
number of elements (the means above) and rescales them after 100 epochs to balance the
terms. The code: ``demo_512p.py`` and ``demo_1024p.py`` divide the means by 1, 2.6, 4.8,
3.7, 5.6 and multiply ``conv5_2`` by 10 / 1.5 (:data:`CODE_LAYER_WEIGHTS`, the default);
``demo_256p.py`` (the diversity model) uses 1, 1, 1, 1, 1, 10
(:data:`DIVERSITY_CODE_LAYER_WEIGHTS`, ``layer_weights`` of the Python API).

Optimisation (the code): Adam, learning rate 1e-4, TensorFlow 1's epsilon 1e-8, one image
per step, 200 epochs of the 2,975 Cityscapes training images at 256 x 512 (then 20 at
512 x 1024, 5 at 1024 x 2048, fine-tuning). CPU defaults here: 64 x 128, ``--width 32``
(every module 32 channels; ``paper`` is a GPU job), k = 9 outputs, 300 steps on procedural
scenes.

Loss network (``--backbone``): ``vgg19`` with ImageNet weights (the paper's; they cannot
be downloaded on this machine, the error says where the file goes), or ``random``, the
offline default: the same VGG19 with He-normal weights drawn from ``--seed``
(:func:`zoo.models.adain.network.random_vgg_weights`), a far weaker perceptual loss.

Data (``--data``):

* ``procedural``: :mod:`zoo.models.crn.procedural` street scenes (``--scenes`` of them,
  drawn from ``--seed``), a pair of layout and photo with known ground truth;
* a Cityscapes folder (the root holding ``gtFine/`` and ``leftImg8bit/``): every
  ``gtFine/<split>/<city>/*_gtFine_labelIds.png`` with its
  ``leftImg8bit/<split>/<city>/*_leftImg8bit.png`` (``--split``, default train);
* ``tfds:cityscapes[/semantic_segmentation][:SPLIT]``, prepared by hand (manual download):
  the features ``image_left`` and ``segmentation_label``.

Cityscapes ``labelIds`` are mapped to the 19 classes + void of the code
(:mod:`zoo.models.crn.labels`); whole frames are resized to the training size (labels
nearest, photos area), as the code's ``Label256Full`` / ``RGB256Full`` files. (The code's 512
and 1024 stages train on "vivid" tone-mapped photos, ``optional_preprocessing/*.m``; not done
here.)

Run folder (:func:`zoo.training.trainer.fit`: checkpoints, exact resume, progress bar,
``metrics.csv`` with the total and each layer's term, TensorBoard scalars), and at each
epoch's end a TensorBoard image per sample, layout | the k outputs | the photo
(``RUN_DIR/logs/samples``); at the end ``sample.png``, the same rows.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops

from zoo.atomic import atomic_path
from zoo.errors import ZooError
from zoo.models.adain.network import random_vgg_weights
from zoo.models.crn import labels, procedural
from zoo.models.crn.network import CRN, split_outputs
from zoo.models.perceptual import VGG19, imagenet_weights
from zoo.options import COUNT, POSITIVE, option

from . import sources
from .runs import Run, final_weights, run_config
from .trainer import fit, writes_files

LAYERS = ("input", "conv1_2", "conv2_2", "conv3_2", "conv4_2", "conv5_2")
LAYER_SCALE = {"input": 1, "conv1_2": 1, "conv2_2": 2, "conv3_2": 4, "conv4_2": 8,
               "conv5_2": 16}  # each layer's downsampling (the code's resize_area sizes)
CODE_LAYER_WEIGHTS = (1.0, 1 / 2.6, 1 / 4.8, 1 / 3.7, 1 / 5.6, 10 / 1.5)  # demo_512p/1024p
DIVERSITY_CODE_LAYER_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0, 10.0)  # demo_256p.py
MIN_WEIGHT, MEAN_WEIGHT = 0.999, 0.001  # demo_256p.py's mixture
LEARNING_RATE = 1e-4  # the code's lr:1e-4
ADAM_EPSILON = 1e-8  # tf.train.AdamOptimizer's default (Keras: 1e-7)
PAPER_HEIGHT, PAPER_BATCH, PAPER_EPOCHS = 256, 1, 200  # demo_256p.py
PIXEL_SCALE = 255.0  # the code's input layer compares 0..255 pixels
BACKBONES = ("random", "vgg19")
PROCEDURAL = "procedural"


@dataclass
class CRNConfig:
    """The recipe's settings; the options of ``zoo train crn``."""

    data: str = option(PROCEDURAL, metavar="SRC", help=(
        "procedural (street scenes drawn here), a Cityscapes folder (gtFine/ and "
        "leftImg8bit/), or tfds:cityscapes[:SPLIT] (prepared by hand)"))
    split: str = option("train", help="the Cityscapes folder's split (gtFine/SPLIT/...)")
    data_dir: str | None = option(None, metavar="DIR", help=(
        "where tfds: data sets are prepared (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)"))
    height: int = option(  # the code: PAPER_HEIGHT (256 x 512)
        64, type=COUNT, help="output rows (a power of two from 16; the width is twice)")
    width: str = option("32", help=(
        "channels: paper (1024 ... 512 by resolution, a GPU job) or a number w (the paper's "
        "times w/1024; 32: every module 32 on CPU)"))
    outputs: int = option(9, type=COUNT, help="images per layout, k (the paper's 9; 1: no "
                                              "diversity loss)")
    backbone: str = option("random", choices=BACKBONES, help=(
        "loss network: VGG19 with random He-normal weights from --seed (no download) or with "
        "ImageNet weights (the paper's; needs its file in ~/.keras/models)"))
    scenes: int = option(256, type=COUNT, help="procedural scenes in the training bank")
    steps: int = option(300, type=COUNT)  # CPU budget (the code: 200 epochs of 2,975)
    steps_per_epoch: int = option(50, type=COUNT)
    batch_size: int = option(PAPER_BATCH, type=COUNT)
    learning_rate: float = option(LEARNING_RATE, flag="--lr", type=POSITIVE)
    layer_weights: tuple[float, ...] = option(CODE_LAYER_WEIGHTS, cli=False)
    min_weight: float = option(MIN_WEIGHT, cli=False)
    mean_weight: float = option(MEAN_WEIGHT, cli=False)
    seed: int = option(0, cli=False)  # zoo train's --seed; also the random VGG's

    def __post_init__(self):
        self.layer_weights = tuple(float(w) for w in self.layer_weights)
        if len(self.layer_weights) != len(LAYERS):
            raise ZooError(f"layer_weights: one per layer of {', '.join(LAYERS)}")
        if self.height < 16 or self.height & (self.height - 1):
            raise ZooError(f"height must be a power of two of at least 16 (conv5_2 is 1/16 "
                           f"of it), not {self.height}")
        if self.width != "paper" and not (str(self.width).isdigit() and int(self.width) > 0):
            raise ZooError(f"width must be paper or a positive number, not {self.width!r}")
        self.width = str(self.width)
        self.steps_per_epoch = min(self.steps_per_epoch, self.steps)

    @property
    def epochs(self) -> int:
        return max(1, -(-self.steps // self.steps_per_epoch))

    @property
    def size(self) -> tuple[int, int]:
        return self.height, 2 * self.height

    def net_config(self) -> dict:
        """The arguments of :func:`zoo.models.crn.build` (``model_config`` of the run)."""
        width = self.width if self.width == "paper" else int(self.width)
        return {"height": self.height, "classes": labels.NUM_CLASSES, "outputs": self.outputs,
                "width": width}


Config = CRNConfig


# ---------------------------------------------------------------- the loss

def layer_error(fake, real, outputs: int):
    """``mean_channels |fake - real|`` per output: fake ``(B k, h, w, C)``, real ``(B, h, w,
    C)`` -> ``(B, k, h, w)``."""
    s = ops.shape(fake)
    fake = ops.reshape(fake, (-1, outputs, s[1], s[2], s[3]))
    diff = ops.abs(fake - ops.expand_dims(ops.stop_gradient(real), 1))
    return ops.mean(diff, axis=-1)


def class_errors(error, mask):
    """``e[b, u, c] = mean_{h,w} error[b, u, h, w] * mask[b, h, w, c]`` (the code's
    ``compute_error``): error ``(B, k, h, w)``, mask ``(B, h, w, C)`` -> ``(B, k, C)``."""
    h, w = ops.shape(error)[2], ops.shape(error)[3]
    product = ops.einsum("bkhw,bhwc->bkc", error, mask)
    return product / ops.cast(h * w, product.dtype)


def diversity_loss(totals, min_weight: float = MIN_WEIGHT, mean_weight: float = MEAN_WEIGHT):
    """``min_weight * sum_c min_u T + mean_weight * sum_c mean_u T`` per example, ``T`` of
    shape ``(B, k, C)`` (the weighted sum of :func:`class_errors` over layers)."""
    return (min_weight * ops.sum(ops.min(totals, axis=1), axis=-1)
            + mean_weight * ops.sum(ops.mean(totals, axis=1), axis=-1))


@keras.saving.register_keras_serializable(package="zoo")
class SplitOutputs(keras.layers.Layer):
    """``(B, H, W, 3 k) -> (B k, H, W, 3)``, output ``u`` of example ``b`` at ``b k + u``."""

    def call(self, images):
        x = split_outputs(images)
        s = ops.shape(x)
        return ops.reshape(x, (-1, s[2], s[3], 3))

    def compute_output_shape(self, s):
        return (None, s[1], s[2], 3)


@keras.saving.register_keras_serializable(package="zoo")
class CRNLoss(keras.layers.Layer):
    """The per-example loss of the module docstring and each layer's share (unweighted,
    ``sum_c mean_u e_l``) for the logs."""

    def __init__(self, outputs: int, layer_weights=CODE_LAYER_WEIGHTS,
                 min_weight: float = MIN_WEIGHT, mean_weight: float = MEAN_WEIGHT, **kwargs):
        super().__init__(**kwargs)
        self.outputs, self.layer_weights = int(outputs), tuple(float(w) for w in layer_weights)
        self.min_weight, self.mean_weight = float(min_weight), float(mean_weight)

    def call(self, inputs):
        fakes, reals, masks = inputs
        totals, shares = 0.0, {}
        for name, weight, fake, real, mask in zip(LAYERS, self.layer_weights, fakes, reals,
                                                  masks):
            e = class_errors(layer_error(fake, real, self.outputs), mask)
            totals = totals + weight * e
            shares[name] = ops.sum(ops.mean(e, axis=1), axis=-1)
        return {"total": diversity_loss(totals, self.min_weight, self.mean_weight), **shares}

    def compute_output_spec(self, inputs):
        batch = inputs[1][0].shape[0]
        return {n: keras.KerasTensor((batch,)) for n in ("total", *LAYERS)}

    def get_config(self):
        return {**super().get_config(), "outputs": self.outputs,
                "layer_weights": list(self.layer_weights), "min_weight": self.min_weight,
                "mean_weight": self.mean_weight}


@keras.saving.register_keras_serializable(package="zoo")
class PixelScale(keras.layers.Layer):
    """[0, 1] images -> 0..255 (the code's ``input`` layer; the mean it subtracts cancels)."""

    def call(self, x):
        return x * PIXEL_SCALE


def loss_network(config: CRNConfig) -> keras.Model:
    """Frozen VGG19 ``images -> {conv1_2, ..., conv5_2}`` (average pooling, as the code)."""
    if config.backbone not in BACKBONES:
        raise ZooError(f"backbone must be one of {', '.join(BACKBONES)}, not {config.backbone!r}")
    weights = "imagenet" if config.backbone == "vgg19" else None
    vgg = VGG19(layers=LAYERS[1:], pooling="avg", weights=weights, name="vgg19_loss")
    if config.backbone == "random":
        random_vgg_weights(vgg, config.seed)
    vgg.trainable = False
    return vgg


def training_model(config: CRNConfig, net: keras.Model, extractor: keras.Model) -> keras.Model:
    """``[layout, photo] -> {"total", "input", "conv1_2", ...}`` per-example terms."""
    layout, photo = net.inputs[0], keras.Input((None, None, 3), name="photo")
    fakes = SplitOutputs(name="split_outputs")(net(layout))
    fake_features, real_features = extractor(fakes), extractor(photo)
    fake = [PixelScale(name="fake_pixels")(fakes)] + [fake_features[n] for n in LAYERS[1:]]
    real = [PixelScale(name="real_pixels")(photo)] + [real_features[n] for n in LAYERS[1:]]
    masks, pooled = [], {1: layout}
    for name in LAYERS:
        scale = LAYER_SCALE[name]
        while scale not in pooled:
            half = max(pooled)
            pooled[2 * half] = keras.layers.AveragePooling2D(2, name=f"mask_{2 * half}")(
                pooled[half])
        masks.append(pooled[scale])
    terms = CRNLoss(config.outputs, config.layer_weights, config.min_weight,
                    config.mean_weight, name="crn_loss")([fake, real, masks])
    return keras.Model([layout, photo], terms, name="crn_training")


def output_is_loss(y_true, y_pred):
    """The training model outputs its loss terms; ``y_true`` is a dummy."""
    return y_pred


def new_net(config: CRNConfig) -> keras.Model:
    return CRN(**config.net_config(), name="crn")


def build(config: CRNConfig) -> keras.Model:
    """The training model, uncompiled: a fresh CRN (the layer named ``crn``) and the frozen
    VGG19."""
    return training_model(config, new_net(config), loss_network(config))


def compile(model: keras.Model, config: CRNConfig) -> keras.Model:
    """The loss; each layer's share logged with weight 0; Adam 1e-4 (the code)."""
    names = list(model.output.keys())
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate, epsilon=ADAM_EPSILON),
                  loss={n: output_is_loss for n in names},
                  loss_weights={n: 1.0 if n == "total" else 0.0 for n in names})
    return model


# ---------------------------------------------------------------- data

_FRAME = re.compile(r"(.+)_gtFine_labelIds\.png$")


def cityscapes_pairs(root: str | os.PathLike, split: str = "train") -> list[tuple[str, str]]:
    """``(labelIds PNG, leftImg8bit PNG)`` of every frame of ``root``'s ``split``, sorted; a
    one-line error where the folders or the photos are missing."""
    root = Path(root)
    labels_dir, photos_dir = root / "gtFine" / split, root / "leftImg8bit" / split
    for folder in (labels_dir, photos_dir):
        if not folder.is_dir():
            raise sources.SourceError(f"{root}: no {folder.relative_to(root)} folder (a "
                                      "Cityscapes root holds gtFine/SPLIT/CITY/ and "
                                      "leftImg8bit/SPLIT/CITY/)")
    pairs, missing = [], []
    for label in sorted(labels_dir.glob("*/*_gtFine_labelIds.png")):
        frame = _FRAME.match(label.name)[1]
        photo = photos_dir / label.parent.name / f"{frame}_leftImg8bit.png"
        (pairs.append((str(label), str(photo))) if photo.is_file() else missing.append(photo))
    if missing:
        raise sources.SourceError(f"{root}: {len(missing)} labelled frames have no photo "
                                  f"(first: {missing[0]})")
    if not pairs:
        raise sources.SourceError(f"{labels_dir}: no */*_gtFine_labelIds.png files")
    return pairs


def examples(config: CRNConfig):
    """What :func:`data` reads: ``("procedural", (ids, photos))`` arrays, ``("folder",
    pairs)`` or ``("tfds", Source)``; checked here, before any building."""
    if config.data == PROCEDURAL:
        return PROCEDURAL, procedural.scenes(config.scenes, config.size, seed=config.seed)
    if sources.is_tfds(config.data):
        source = sources.resolve(config.data, data_dir=config.data_dir)
        if source.tfds.name != "cityscapes":
            raise sources.SourceError(f"{config.data}: CRN trains on tfds:cityscapes (a "
                                      "layout and a photo per example)")
        return "tfds", source
    if not Path(config.data).is_dir():
        raise sources.SourceError(f"{config.data}: not procedural, a tfds: source or a "
                                  "Cityscapes folder")
    return "folder", cityscapes_pairs(config.data, config.split)


def _prepare(label_ids, photo, size, table):
    """labelIds ``(H, W[, 1])`` uint8 and a photo ``(H, W, 3)`` uint8 -> the training pair."""
    import tensorflow as tf

    ids = tf.gather(tf.constant(table), tf.cast(tf.reshape(label_ids, tf.shape(label_ids)[:2]),
                                                tf.int32))
    ids = tf.image.resize(ids[..., None], size, method="nearest")[..., 0]
    layout = tf.one_hot(tf.cast(ids, tf.int32), labels.NUM_CLASSES)
    photo = tf.image.resize(tf.cast(photo, tf.float32) / 255.0, size, method="area")
    return layout, tf.clip_by_value(photo, 0.0, 1.0)


def data(config: CRNConfig, examples):
    """An endless, seeded tf.data stream of ``((layout, photo), dummy targets)`` batches."""
    import tensorflow as tf

    kind, items = examples
    size, batch = config.size, config.batch_size
    if kind == PROCEDURAL:
        ids, photos = items
        stream = tf.data.Dataset.from_tensor_slices((ids, photos)).cache()
        stream = stream.shuffle(len(ids), seed=config.seed).repeat()
        identity = np.arange(256).astype(np.uint8)
        stream = stream.map(lambda i, p: _prepare(i, p, size, identity))
    elif kind == "folder":
        label_files, photo_files = zip(*items)
        stream = tf.data.Dataset.from_tensor_slices((list(label_files), list(photo_files)))
        stream = stream.shuffle(len(items), seed=config.seed).repeat()
        table = labels.label_id_table()

        def load(label_file, photo_file):
            label_ids = tf.io.decode_png(tf.io.read_file(label_file), channels=1)
            photo = tf.io.decode_png(tf.io.read_file(photo_file), channels=3)
            return _prepare(label_ids, photo, size, table)

        stream = stream.map(load, num_parallel_calls=2)
    else:
        ref = items.tfds
        import tensorflow_datasets as tfds

        builder = tfds.builder(ref.full_name, data_dir=ref.data_dir)
        encoded = {k: tfds.decode.SkipDecoding() for k in ("image_left", "segmentation_label")}
        stream = builder.as_dataset(split=ref.split, shuffle_files=True, decoders=encoded,
                                    read_config=tfds.ReadConfig(shuffle_seed=config.seed))
        table = labels.label_id_table()

        def load(x):  # decoded after the shuffle buffer, which holds the PNG bytes
            label_ids = tf.io.decode_png(x["segmentation_label"], channels=1)
            photo = tf.io.decode_png(x["image_left"], channels=3)
            return _prepare(label_ids, photo, size, table)

        stream = stream.shuffle(64, seed=config.seed).repeat().map(load, num_parallel_calls=2)
    names = ["total", *LAYERS]
    return stream.batch(batch, drop_remainder=True).map(
        lambda layout, photo: ((layout, photo), {n: tf.zeros((batch,)) for n in names})
    ).prefetch(2)


# ---------------------------------------------------------------- run

class SampleImages(keras.callbacks.Callback):
    """Each epoch's end: layout | the k outputs | the photo of fixed examples, as a
    TensorBoard image (``RUN_DIR/logs/samples``)."""

    def __init__(self, out_dir, layouts: np.ndarray, photos: np.ndarray):
        super().__init__()
        self.folder, self.layouts, self.photos = str(Path(out_dir) / "logs" / "samples"), \
            layouts, photos
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf

        net = self.model.get_layer("crn")
        rows = sample_rows(net, self.layouts, self.photos)
        if self.writer is None:
            self.writer = tf.summary.create_file_writer(self.folder)
        with self.writer.as_default():
            tf.summary.image("layout | outputs | photo", rows, step=epoch + 1,
                             max_outputs=len(rows))
        self.writer.flush()


def sample_rows(net: keras.Model, layouts: np.ndarray, photos: np.ndarray) -> np.ndarray:
    """``(n, H, (k + 2) W, 3)`` in [0, 1]: the colour layout, each output, the photo."""
    from zoo.models.crn.inference import synthesize

    rows = []
    for layout, photo in zip(layouts, photos):
        ids = np.argmax(layout, axis=-1)
        outputs = synthesize(net, ids)
        rows.append(np.concatenate([labels.colorize(ids) / 255.0, *outputs, photo], axis=1))
    return np.stack(rows).astype(np.float32)


def samples(config: CRNConfig, items, n: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``n`` training pairs ``(layouts (n, H, W, C), photos (n, H, W, 3))`` in a fixed order
    (the first of the bank, or of the files)."""
    if items[0] == PROCEDURAL:
        ids, photos = procedural.scenes(n, config.size, seed=config.seed + 7_919)
        return labels.one_hot(ids), photos.astype(np.float32) / 255.0
    stream = data(dataclasses.replace(config, batch_size=1, seed=0), items)
    pairs = [x for (x, _), _ in zip(stream, range(n))]
    return (np.concatenate([p[0].numpy() for p in pairs]),
            np.concatenate([p[1].numpy() for p in pairs]))


def train(config: CRNConfig, run: Run) -> tuple[keras.Model, keras.callbacks.History]:
    """Train in the run folder of ``run`` (:mod:`zoo.training.runs`); run it again to resume.
    Returns ``(net, history)``; ``RUN_DIR/final.weights.h5`` holds the CRN's weights only
    (``config.json`` records ``model_config``)."""
    keras.utils.set_random_seed(config.seed)
    if config.backbone == "vgg19":
        imagenet_weights("vgg19")  # offline without the file: one line, before any work
    items = examples(config)
    run = run_config(run, config.epochs, config.steps_per_epoch)
    if run.tensorboard and writes_files(run.strategy):
        layouts, photos = samples(config, items)
        run = dataclasses.replace(run, callbacks=[*run.callbacks,
                                                  SampleImages(run.out_dir, layouts, photos)])
    record = {**asdict(config), "backend": keras.backend.backend(), "model": "crn",
              "model_config": config.net_config()}
    model, history = fit(lambda: compile(build(config), config),
                         lambda replicas: data(config, items), run, record)
    net = model.get_layer("crn")
    if writes_files(run.strategy):
        with atomic_path(Path(run.out_dir) / "final.weights.h5") as saving:
            net.save_weights(str(saving))
    return net, history


def load_net(config: CRNConfig, path: str | os.PathLike) -> keras.Model:
    net = new_net(config)
    net.load_weights(str(path))
    return net


def write_sample(net: keras.Model, config: CRNConfig, out_dir, n: int = 2) -> str:
    """``RUN_DIR/sample.png``: rows of layout | outputs | photo (:func:`sample_rows`)."""
    from zoo.image import write_image

    layouts, photos = samples(config, examples(config), n)
    rows = sample_rows(net, layouts, photos)
    return str(write_image(os.path.join(out_dir, "sample.png"),
                           np.concatenate(list(rows), axis=0)))


def report(model: keras.Model, config: CRNConfig, out_dir: str | os.PathLike) -> list[str]:
    """What ``zoo train crn`` prints at the end, having written ``sample.png``."""
    weights = final_weights(out_dir)
    return [f"sample: {write_sample(model, config, out_dir)}",
            f"weights: {weights}",
            f"synthesize: zoo synth LAYOUT.png --out OUT.png --weights {weights}",
            f"export: zoo export crn --weights {weights} --quantize float16 --out crn.tflite"]


def evaluate(net: keras.Model, config: CRNConfig, n: int = 8, seed: int = 424_242) -> dict:
    """The loss terms of ``net`` on ``n`` procedural scenes never trained on (seed), means."""
    ids, photos = procedural.scenes(n, config.size, seed=seed)
    model = training_model(config, net, loss_network(config))
    terms = model([labels.one_hot(ids), photos.astype(np.float32) / 255.0], training=False)
    return {name: float(np.mean(value)) for name, value in terms.items()}


__all__ = ["CODE_LAYER_WEIGHTS", "CRNConfig", "CRNLoss", "Config", "DIVERSITY_CODE_LAYER_WEIGHTS",
           "LAYERS", "build", "cityscapes_pairs", "class_errors", "compile", "data",
           "diversity_loss", "evaluate", "examples", "layer_error", "load_net", "loss_network",
           "report", "sample_rows", "train", "training_model"]
