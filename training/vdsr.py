"""The VDSR training recipe (Kim, Lee, Lee, CVPR 2016, Sec. 4.1).

    zoo train vdsr --data ../shared/data/sr/T91 ../shared/data/sr/BSD200 --out runs/vdsr

Defaults are the paper's: the 291 images, scales 2, 3 and 4 in one set, 41x41
patches, batch 64, SGD with momentum 0.9 and weight decay 1e-4, learning rate
0.1 divided by 10 every 20 epochs for 80 epochs, adjustable gradient clipping
(see :class:`~zoo.training.optimizers.AdjustableClipSGD`), the loss
``1/2 ||r - f(x)||^2`` summed over a patch (:func:`~zoo.training.losses.half_squared_error`).

An epoch is one pass over the patches (54,192 patches of 41x41 for the 291
images at stride 41, i.e. 846 steps of 64). The paper's "80 epochs (9,960
iterations with batch size 64)" cannot both hold for 291 images at three
scales, so we keep its epoch count and schedule and let ``--steps-per-epoch``
shorten an epoch for quicker runs.

``--clip norm`` replaces the paper's per-element clipping by global-norm
clipping at ``--clip-norm`` (0.4), and ``--downscales 1,0.7,0.5`` adds shrunk
copies of the images: the recipe of twtygqyy/pytorch-vdsr (which also uses batch
128 and a decay every 10 of 50 epochs), reported there at 37.65 / 33.77 / 31.45
dB on Set5, above the paper; its released weights measure 37.59 / 33.75 / 31.43 dB
with ``zoo eval`` (ported as ``vdsr_port_pytorch_vdsr``, the default preset). Our
one short run of it on an H200 (33,920 steps of 128, 94% of its schedule, 294 s)
gave 37.13 / 33.33 / 31.03 dB, below both those weights and the Adam-trained
``vdsr_291_h200`` (see its model card). pytorch-vdsr sums the squared error over the batch
(``MSELoss(size_average=False)``), 256 times our loss at batch 128 (half the
squared error, batch mean), but the clip makes the step the same: our global
gradient norm measures about 1.0 at the shipped weights and about 1,900 at
initialisation without biases (batches of 128 patches of the 291 images), above
0.4 either way, so every step is clipped to the same length as theirs.

In our CPU trials on a 16-filter VDSR (batch 64, 300 steps each at lr 0.1,
0.01 and 0.001; Set5 centre crops at x2, where bicubic scores 34.33 dB), that
recipe with biases stayed near 25 dB while the learning rate was 0.1 and ended
at the bicubic level (34.32 dB: almost no residual); with the biases fixed at
zero, as in pytorch-vdsr, whose convolutions have none, it reached 35.05 dB
after 600 steps. Hence ``--no-biases``, which keeps the bias variables (so the
weights load into the paper's architecture) but fixes them at zero.

``--optimizer adam`` replaces SGD by Adam (default learning rate 1e-4, no
clipping, same step schedule): what most re-implementations use, and faster on
short budgets.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import keras

from zoo import options
from zoo.errors import ZooError
from zoo.models.vdsr import VDSR
from zoo.options import COUNT, NON_NEGATIVE, POSITIVE, integer, number, option
from zoo.weights.registry import check_weights_file, load_weights_file

from . import sr_data
from .losses import half_squared_error, psnr_metric
from .optimizers import AdjustableClipSGD
from .runs import Run, final_weights, run_config, run_dir
from .trainer import fit, refuse_another_model

SGD_LEARNING_RATE = 0.1  # Sec. 4.1
ADAM_LEARNING_RATE = 1e-4  # common choice of re-implementations; not in the paper


@dataclass
class VDSRConfig:
    """The recipe's settings (the paper's unless noted); the options of ``zoo train vdsr``."""

    data: list[str] = option(nargs="+", required=True, metavar="SRC", help=(
        "image sources: folders, globs, list files or tfds:NAME[/CONFIG][:SPLIT] "
        "(e.g. tfds:div2k/bicubic_x2)"))
    data_dir: str | None = option(None, metavar="DIR", help=(
        "where tfds: data sets are prepared (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)"))
    scales: tuple[int, ...] = option(sr_data.SCALES, type=options.scales)  # Sec. 3.3
    epochs: int = option(80, type=COUNT)  # Sec. 4.1
    steps_per_epoch: int | None = option(None, type=COUNT,
                                         help="default: one pass over the patches")
    batch_size: int = option(64, type=COUNT, help="global batch (all replicas)")  # Sec. 4.1
    optimizer: str = option("sgd", choices=("sgd", "adam"))  # Sec. 4.1: SGD with momentum
    learning_rate: float | None = option(  # None: SGD_LEARNING_RATE or ADAM_LEARNING_RATE
        None, flag="--lr", type=POSITIVE, help="initial learning rate (sgd 0.1, adam 1e-4)")
    # Sec. 4.1: "decreased by a factor of 10 every 20 epochs"
    lr_decay_epochs: int = option(20, type=COUNT)
    momentum: float = option(0.9, type=number(0.0, 1.0))  # Sec. 4.1
    weight_decay: float = option(1e-4, type=NON_NEGATIVE)  # Sec. 4.1
    clip: str = option(  # Sec. 3.3; "norm": global-norm clipping (twtygqyy/pytorch-vdsr)
        "adjustable", choices=("adjustable", "norm"),
        help="sgd: the paper's per-element clipping, or global-norm clipping")
    clip_theta: float = option(  # Sec. 3.3 gives the rule, not the value; see AdjustableClipSGD
        1e-4, type=POSITIVE,
        help="adjustable clipping: gradients clipped to [-theta/lr, theta/lr]")
    clip_norm: float = option(  # twtygqyy/pytorch-vdsr's default
        0.4, type=POSITIVE,
        help="--clip norm: gradients scaled to a global L2 norm of at most this")
    downscales: tuple[float, ...] = option(  # twtygqyy/pytorch-vdsr: 1,0.7,0.5
        sr_data.DOWNSCALES, type=options.downscales, metavar="F,F,...",
        help="also train on the images shrunk by these factors, e.g. 1,0.7,0.5")
    patch_size: int = option(sr_data.PATCH_SIZE, type=COUNT)  # Sec. 4.1: 41x41
    stride: int | None = option(  # None: the patch size (reference data script)
        None, type=COUNT, help="between patches (default: the patch size)")
    steps_per_execution: int = option(  # larger keeps a GPU busy
        1, type=COUNT, help="training steps per call from Python (e.g. 16 on a GPU)")
    init_weights: str | None = option(  # fine-tuning, instead of He initialisation
        None, metavar="W.weights.h5",
        help="fine-tune: start from these weights instead of He initialisation")
    biases: bool = option(  # False: fixed at zero (twtygqyy/pytorch-vdsr has none)
        True, flag="--no-biases", action="store_false",
        help="biases fixed at zero, as in twtygqyy/pytorch-vdsr (see --clip norm)")
    depth: int = option(20, type=integer(2))  # Sec. 3.1: 20 layers
    filters: int = option(64, type=COUNT)  # Sec. 3.1: 64 filters a layer
    cache_dir: str | None = option(
        None, help="where the prepared patches are cached (default RUN_DIR/cache)")
    lr_decay_factor: float = option(0.1, cli=False)  # Sec. 4.1: "a factor of 10"
    processes: int | None = option(None, cli=False)  # preparing patches; None: a CPU each, <= 16
    seed: int = option(0, cli=False)  # zoo train's --seed

    def __post_init__(self):
        self.data = [str(d) for d in self.data]
        self.scales, self.downscales = tuple(self.scales), tuple(self.downscales)
        self.stride = self.stride or self.patch_size
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; use sgd or adam")
        if self.clip not in ("adjustable", "norm"):
            raise ValueError(f"unknown clipping {self.clip!r}; use adjustable or norm")


Config = VDSRConfig


def model_config(config: VDSRConfig) -> dict:
    """The builder arguments of the config's VDSR (``config.json``'s ``model_config``)."""
    return {"depth": config.depth, "filters": config.filters}


def learning_rate_schedule(config: VDSRConfig, steps_per_epoch: int):
    """Step decay on the optimizer's step counter, so it survives a resume."""
    base = config.learning_rate or (SGD_LEARNING_RATE if config.optimizer == "sgd"
                                    else ADAM_LEARNING_RATE)
    every = config.lr_decay_epochs * steps_per_epoch
    drops = max(0, math.ceil(config.epochs / config.lr_decay_epochs) - 1)
    if every <= 0 or drops == 0:
        return base
    # PiecewiseConstantDecay keeps values[i] while step <= boundaries[i]; the
    # optimizer's counter is 0 at the first update, so epoch 21 starts at step 20 * spe.
    boundaries = [every * (i + 1) - 1 for i in range(drops)]
    values = [base * config.lr_decay_factor**i for i in range(drops + 1)]
    return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)


def make_optimizer(config: VDSRConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    lr = learning_rate_schedule(config, steps_per_epoch)
    if config.optimizer == "sgd":
        return AdjustableClipSGD(learning_rate=lr, momentum=config.momentum,
                                 theta=config.clip_theta, l2=config.weight_decay,
                                 clip_norm=config.clip_norm if config.clip == "norm" else None)
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; use sgd or adam")


def freeze_biases_at_zero(model: keras.Model) -> None:
    """Set every bias of ``model`` to zero and keep it out of training."""
    for layer in model.layers:
        bias = getattr(layer, "bias", None)
        if bias is not None:
            bias.assign(keras.ops.zeros(bias.shape, bias.dtype))
            bias.trainable = False


def load_patches(config: VDSRConfig, out_dir: Path) -> sr_data.PatchBank:
    files = sr_data.image_files(config.data, config.data_dir)  # or tfds:...
    print(f"VDSR data: {sr_data.count_images(files)} images from {', '.join(map(str, config.data))}, "
          f"scales {list(config.scales)}, sizes {list(config.downscales)}")
    bank = sr_data.cached_patch_bank(files, config.cache_dir or out_dir / "cache",
                                     config.scales, config.patch_size, config.stride,
                                     downscales=config.downscales,
                                     processes=config.processes or min(os.cpu_count() or 1, 16))
    print(f"{len(bank)} patches of {config.patch_size}x{config.patch_size}")
    return bank


def steps_per_epoch(config: VDSRConfig, bank: sr_data.PatchBank) -> int:
    """``config.steps_per_epoch``, or one pass over the patches."""
    steps = config.steps_per_epoch or len(bank) // config.batch_size
    if steps < 1:
        raise ZooError(f"{len(bank)} patches are fewer than one batch of {config.batch_size}: "
                       "give a smaller --batch-size, a smaller --stride or more images")
    return steps


def build(config: VDSRConfig) -> keras.Model:
    """The config's VDSR, uncompiled: He initialisation or ``init_weights``, and with
    ``biases=False`` its biases fixed at zero."""
    model = VDSR(**model_config(config))
    if config.init_weights:  # a resumed run's checkpoint, if any, is restored over these
        load_weights_file(model, config.init_weights)
    if not config.biases:
        freeze_biases_at_zero(model)
    return model


def data(config: VDSRConfig, examples: sr_data.PatchBank):
    """Endless shuffled, augmented batches of the patch bank (:func:`load_patches`)."""
    try:
        import tensorflow  # noqa: F401
    except ImportError:  # the JAX-only GPU machine
        return iter(sr_data.PatchStream(examples, config.batch_size, seed=config.seed))
    return sr_data.patch_dataset(examples, config.batch_size, seed=config.seed)


def compile(model: keras.Model, config: VDSRConfig) -> keras.Model:
    """Half the squared error summed over a patch, PSNR, and the config's optimizer, whose
    step schedule needs ``config.steps_per_epoch`` (:func:`train` sets it)."""
    if not config.steps_per_epoch:
        raise ValueError("compile needs config.steps_per_epoch (train sets it from the patches)")
    model.compile(optimizer=make_optimizer(config, config.steps_per_epoch),
                  loss=half_squared_error, metrics=[psnr_metric],
                  steps_per_execution=config.steps_per_execution)
    return model


def train(config: VDSRConfig, run: Run) -> tuple[keras.Model, keras.callbacks.History]:
    """Train VDSR in the run folder of ``run`` (:mod:`zoo.training.runs`); run it again to
    resume. Returns the trained model and its history."""
    keras.utils.set_random_seed(config.seed)
    out = run_dir(run)
    refuse_another_model(out, {"model": "vdsr", "model_config": model_config(config)})
    if config.init_weights:
        check_weights_file(config.init_weights)  # before the patches are made
    bank = load_patches(config, out)
    config = replace(config, steps_per_epoch=steps_per_epoch(config, bank))
    record = {**asdict(config), "backend": keras.backend.backend(), "model": "vdsr",
              "model_config": model_config(config)}
    return fit(lambda: compile(build(config), config), lambda replicas: data(config, bank),
               run_config(run, config.epochs, config.steps_per_epoch), record)


def report(model: keras.Model, config: VDSRConfig, out_dir: str | os.PathLike) -> list[str]:
    """What ``zoo train vdsr`` prints at the end: where the weights are."""
    return [f"weights: {final_weights(out_dir)}"]
