"""Training recipe of Dosovitskiy, Springenberg, Brox's chair generator (CVPR 2015).

    from zoo.training import chairs
    config = chairs.Config(data="procedural", chairs=48, image_size=64, width="small")
    net, history = chairs.train(config, "runs/chairs")
    print(chairs.evaluate(net, config))       # held-out views against two baselines

Loss (Sec. 3.2; the weights confirmed by the authors' CVPR Caffe files, see
``zoo.models.chairs.generator``): squared error of the RGB output against the target image
plus squared error of the mask output against the segmentation mask, the RGB term weighted
``lambda = 10`` (:data:`RGB_WEIGHT`; ``--rgb-weight``, ``--mask-weight``). Keras' mean
over pixels rather than the paper's sum: a constant factor, which Adam's step ignores.
The targets are the renders on white (the mask is the object's coverage).

Optimisation (PAMI Sec. 3.3, as recalled, not checked against the text): Adam, learning
rate 5e-4, beta1 0.9, beta2 0.999, mini-batches of 64. The CVPR 2015 Caffe solvers differ:
SGD with momentum 0.9, batches of 128, 300k steps at 64x64 (rate 2e-4, then 1e-4, 5e-5,
2e-5) and 50k at 128x128 (5e-5, 1e-5, 2e-6). CPU defaults here: 64 x 64 images, ``--width small``,
a few thousand steps. The transformation input ``theta`` is fed zeros: the paper's
augmentations (Sec. 3.3) are not implemented, so it learns nothing from it.

Data (``--data``): ``procedural`` (:func:`zoo.training.chair_data.procedural_chairs`,
``--chairs`` of them drawn from ``--seed``, rendered once and cached), or the folder of
Aubry et al.'s ``rendered_chairs`` (the first ``--chairs`` models, all where 0). Views
with azimuth index ``i % holdout_every == holdout_every // 2`` are held out of training
(``--holdout-every 4``: 16 of 62 views per chair) so that :func:`evaluate` can measure
the error on unseen views of training chairs, against the nearest seen view of the same
chair (a copy baseline) and the chair's mean seen image.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np

from zoo.errors import ZooError
from zoo.models.chairs.generator import TRANSFORMS, WIDTHS, ChairsGenerator, widths
from zoo.options import COUNT, COUNT_OR_ZERO, NON_NEGATIVE, POSITIVE, option

from . import chair_data
from .runs import Run, final_weights, run_config
from .trainer import fit, writes_files

LEARNING_RATE = 5e-4  # PAMI Sec. 3.3 (recalled; the CVPR Caffe solver: SGD 2e-4)
BETA_1, BETA_2 = 0.9, 0.999  # Sec. 3.3 (recalled; Adam's defaults)
PAPER_BATCH = 64  # PAMI Sec. 3.3 (recalled; the CVPR Caffe files: 128)
RGB_WEIGHT, MASK_WEIGHT = 10.0, 1.0  # the Caffe files' loss coeffs 10 and 1
PROCEDURAL = "procedural"


@dataclass
class ChairsConfig:
    """The recipe's settings; the options of ``zoo train chairs``."""

    data: str = option(PROCEDURAL, metavar="procedural|PATH", help=(
        "procedural chairs (rendered with pyrender, cached), or Aubry et al.'s "
        "rendered_chairs folder"))
    chairs: int = option(48, type=COUNT_OR_ZERO, help=(
        "procedural: how many chairs; a folder: the first N models (0: all; the paper "
        "keeps 809)"))
    image_size: int = option(64, type=int, choices=(32, 64, 128),
                             help="output side (the paper: 128, or 64)")
    width: str = option("small", choices=WIDTHS,
                        help=("small (a CPU budget), paper (Fig. 2: FC 512/1024, unpooling, "
                              "256/92) or caffe (the authors' released definition: "
                              "transposed convolutions, ReLU, a mask stream of its own)"))
    holdout_every: int = option(4, type=COUNT_OR_ZERO, help=(
        "hold out every N-th azimuth (index i with i mod N = N // 2) for the held-out "
        "error (0: none)"))
    steps: int = option(3000, type=COUNT)
    steps_per_epoch: int = option(250, type=COUNT)
    batch_size: int = option(PAPER_BATCH, type=COUNT)
    learning_rate: float = option(LEARNING_RATE, flag="--lr", type=POSITIVE)
    rgb_weight: float = option(RGB_WEIGHT, type=NON_NEGATIVE)
    mask_weight: float = option(MASK_WEIGHT, type=NON_NEGATIVE)
    cache: str | None = option(None, metavar="DIR", help=(
        "where rendered / cropped sets are cached (default: $ZOO_CHAIRS_CACHE or "
        "~/.keras/zoo_cache/chairs)"))
    seed: int = option(0, cli=False)  # zoo train's --seed
    # How many chairs the net embeds (its one-hot width): train() sets it from the data it
    # loaded (a rendered_chairs folder with --chairs 0 is only counted once read); 0 before.
    num_chairs: int = option(0, cli=False)

    def __post_init__(self):
        if self.data == PROCEDURAL and self.chairs < 2:
            raise ZooError(f"procedural data needs at least 2 chairs, got {self.chairs}")
        widths(self.width, self.image_size)

    @property
    def epoch_steps(self) -> int:
        return min(self.steps_per_epoch, self.steps)

    @property
    def epochs(self) -> int:
        return max(1, -(-self.steps // self.epoch_steps))

    def net_config(self) -> dict:
        """The arguments of :func:`zoo.models.chairs.build` (``model_config`` of the run)."""
        count = self.num_chairs or (self.chairs if self.data == PROCEDURAL else 0)
        if count < 1:
            raise ZooError("the number of chairs is known once the data is loaded: "
                           "set num_chairs (train() does)")
        return {"num_chairs": int(count), **widths(self.width, self.image_size)}


Config = ChairsConfig


def load(config: ChairsConfig, progress: bool = False) -> chair_data.ChairSet:
    """Every image of the config's chairs (training and held-out views)."""
    if config.data == PROCEDURAL:
        return chair_data.procedural_chairs(config.chairs, config.image_size, config.seed,
                                            config.cache, progress=progress)
    return chair_data.load_rendered_chairs(config.data, config.image_size,
                                           config.chairs or None, config.cache)


def build(config: ChairsConfig) -> keras.Model:
    return ChairsGenerator(**config.net_config())


def compile(model: keras.Model, config: ChairsConfig) -> keras.Model:
    """Squared error on RGB and mask, weighted; Adam (Sec. 3.2-3.3)."""
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=BETA_1,
                                                  beta_2=BETA_2),
                  loss={"rgb": "mse", "mask": "mse"},
                  loss_weights={"rgb": config.rgb_weight, "mask": config.mask_weight})
    return model


def data(config: ChairsConfig, examples: chair_data.ChairSet):
    """The training views (``examples``, a :class:`ChairSet`) as shuffled batches."""
    return chair_data.tf_dataset(examples, config.batch_size, len(TRANSFORMS), config.seed)


class SampleImages(keras.callbacks.Callback):
    """Each epoch's end: held-out views of a few chairs, truth above, the net below, as a
    TensorBoard image (``RUN_DIR/logs/samples``)."""

    def __init__(self, out_dir, held: chair_data.ChairSet, n: int = 6):
        super().__init__()
        self.folder = str(Path(out_dir) / "logs" / "samples")
        pick = np.linspace(0, len(held) - 1, n).astype(int) if len(held) else []
        self.held = held.subset(np.asarray(pick, int))
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf

        if not len(self.held):
            return
        grid = comparison(self.model, self.held)
        if self.writer is None:
            self.writer = tf.summary.create_file_writer(self.folder)
        with self.writer.as_default():
            tf.summary.image("held-out views: truth | net", grid[None], step=epoch + 1)
        self.writer.flush()


def comparison(model, held: chair_data.ChairSet) -> np.ndarray:
    """Two rows: the held-out truths and the net's images of them."""
    from zoo.models.chairs.inference import run, strip

    inputs = chair_data.model_inputs(held, len(TRANSFORMS))
    predicted = run(model, inputs[0], inputs[1])
    truth = held.rgb.astype(np.float32) / 255.0
    return np.concatenate([strip(truth), strip(predicted)], axis=0)


def train(config: ChairsConfig, run: Run) -> tuple[keras.Model, keras.callbacks.History]:
    """Train in the run folder of ``run`` (:mod:`zoo.training.runs`); run it again to
    resume. Returns ``(net, history)``."""
    keras.utils.set_random_seed(config.seed)
    every = load(config, progress=True)
    config = dataclasses.replace(config, num_chairs=every.num_chairs)
    train_set, held = chair_data.split(every, config.holdout_every)
    if len(train_set) < config.batch_size:
        raise ZooError(f"a batch of {config.batch_size} is larger than the {len(train_set)} "
                       "training images")
    run = run_config(run, config.epochs, config.epoch_steps)
    if run.tensorboard and writes_files(run.strategy) and len(held):
        run = dataclasses.replace(run, callbacks=[*run.callbacks, SampleImages(run.out_dir,
                                                                               held)])
    record = {**asdict(config), "backend": keras.backend.backend(), "model": "chairs",
              "model_config": config.net_config()}
    return fit(lambda: compile(build(config), config),
               lambda replicas: data(config, train_set), run, record)


def mse(a, b) -> float:
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def evaluate(model: keras.Model, config: ChairsConfig) -> dict:
    """Mean squared error (RGB in [0, 1], whole image) on the held-out views of the
    training chairs: the net's composited image (:func:`zoo.models.chairs.inference.run`),
    the nearest seen azimuth of the same chair and elevation (copy baseline), the chair's
    mean seen image; and the net's mask IoU (threshold 0.5)."""
    from zoo.models.chairs.inference import run

    every = load(config)
    train_set, held = chair_data.split(every, config.holdout_every)
    if not len(held):
        raise ZooError("nothing is held out (--holdout-every 0)")
    inputs = chair_data.model_inputs(held, len(TRANSFORMS))
    truth = held.rgb.astype(np.float32) / 255.0
    predicted = run(model, inputs[0], inputs[1])
    seen = train_set.rgb.astype(np.float32) / 255.0
    nearest, means = [], {}
    for i in range(len(held)):
        same = np.nonzero((train_set.chair == held.chair[i])
                          & (train_set.elevation == held.elevation[i]))[0]
        gap = np.abs((train_set.azimuth[same] - held.azimuth[i] + 180) % 360 - 180)
        nearest.append(seen[same[np.argmin(gap)]])
        c = int(held.chair[i])
        if c not in means:
            means[c] = seen[train_set.chair == c].mean(0)
    mean_images = np.stack([means[int(c)] for c in held.chair])
    out = model.predict(inputs, verbose=0, batch_size=64)
    m, t = np.asarray(out["mask"])[..., 0] > 0.5, held.mask[..., 0] > 127
    iou = float(np.sum(m & t) / max(np.sum(m | t), 1))
    return {"held_out_images": len(held), "mse_net": mse(predicted, truth),
            "mse_nearest_view": mse(np.stack(nearest), truth),
            "mse_chair_mean": mse(mean_images, truth), "mask_iou": iou}


def write_samples(net: keras.Model, config: ChairsConfig, out_dir) -> list[str]:
    """``RUN_DIR/morph.png`` (chair 0 to 1), ``RUN_DIR/turntable.png`` (chair 0) and
    ``RUN_DIR/held_out.png`` (truth above, net below)."""
    from zoo.image import write_image
    from zoo.models.chairs.inference import morph, turntable

    every = load(config)
    _, held = chair_data.split(every, config.holdout_every)
    paths = [write_image(os.path.join(out_dir, "morph.png"), morph(net, 0, 1, steps=8)),
             write_image(os.path.join(out_dir, "turntable.png"), turntable(net, 0, views=16))]
    if len(held):
        pick = np.linspace(0, len(held) - 1, 8).astype(int)
        paths.append(write_image(os.path.join(out_dir, "held_out.png"),
                                 comparison(net, held.subset(pick))))
    return [str(p) for p in paths]


def report(model: keras.Model, config: ChairsConfig, out_dir: str | os.PathLike) -> list[str]:
    """What ``zoo train chairs`` prints at the end: held-out errors, samples, weights."""
    lines = []
    if config.holdout_every:
        e = evaluate(model, config)
        lines.append(f"held-out views ({e['held_out_images']} images): MSE net "
                     f"{e['mse_net']:.5f}, nearest seen view {e['mse_nearest_view']:.5f}, "
                     f"chair mean {e['mse_chair_mean']:.5f}; mask IoU {e['mask_iou']:.3f}")
    lines.append("samples: " + ", ".join(write_samples(model, config, out_dir)))
    weights = final_weights(out_dir)
    lines += [f"weights: {weights}",
              f"draw: zoo chairs OUT.png --weights {weights} --chair 0 --azimuth 30",
              f"export: zoo export chairs --weights {weights} --out chairs.tflite"]
    return lines


__all__ = ["Config", "ChairsConfig", "build", "compile", "data", "evaluate", "load",
           "report", "train", "write_samples"]
