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
dB on Set5, above the paper. On an H200 (33,920 steps of 128, 94% of its schedule)
it gave us 37.13 / 33.33 / 31.03 dB, below the Adam-trained ``vdsr_291_h200``
(see its model card). pytorch-vdsr sums the squared error over the batch
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
from dataclasses import asdict, dataclass
from pathlib import Path

import keras

from zoo.errors import ZooError
from zoo.models.vdsr import VDSR
from zoo.weights.registry import check_weights_file, load_weights_file

from . import sr_data
from .losses import half_squared_error, psnr_metric
from .optimizers import AdjustableClipSGD
from .trainer import RunConfig, fit, refuse_another_model

SGD_LEARNING_RATE = 0.1  # Sec. 4.1
ADAM_LEARNING_RATE = 1e-4  # common choice of re-implementations; not in the paper


@dataclass
class VDSRRecipe:
    data: list[str]
    scales: tuple[int, ...] = sr_data.SCALES
    patch_size: int = sr_data.PATCH_SIZE
    stride: int = sr_data.STRIDE
    batch_size: int = 64  # Sec. 4.1
    epochs: int = 80  # Sec. 4.1
    steps_per_epoch: int | None = None  # None: one pass over the patches
    optimizer: str = "sgd"
    learning_rate: float | None = None  # None: 0.1 for SGD, 1e-4 for Adam
    momentum: float = 0.9  # Sec. 4.1
    weight_decay: float = 1e-4  # Sec. 4.1
    clip: str = "adjustable"  # Sec. 3.3; "norm": global-norm clipping (pytorch-vdsr)
    clip_theta: float = 1e-4  # Sec. 3.3 gives the rule, not the value; see AdjustableClipSGD
    clip_norm: float = 0.4  # for clip="norm": twtygqyy/pytorch-vdsr's default
    downscales: tuple[float, ...] = sr_data.DOWNSCALES
    lr_decay_epochs: int = 20  # Sec. 4.1: "decreased by a factor of 10 every 20 epochs"
    lr_decay_factor: float = 0.1
    depth: int = 20
    filters: int = 64
    seed: int = 0
    cache_dir: str | None = None
    steps_per_execution: int = 1  # steps per call from Python: larger keeps a GPU busy
    init_weights: str | None = None  # start from these weights (fine-tuning), not He init
    processes: int | None = None  # for preparing the patches; None: one per CPU, at most 16
    biases: bool = True  # False: biases fixed at zero (twtygqyy/pytorch-vdsr has none)


def learning_rate_schedule(recipe: VDSRRecipe, steps_per_epoch: int):
    """Step decay on the optimizer's step counter, so it survives a resume."""
    base = recipe.learning_rate or (SGD_LEARNING_RATE if recipe.optimizer == "sgd"
                                    else ADAM_LEARNING_RATE)
    every = recipe.lr_decay_epochs * steps_per_epoch
    drops = max(0, math.ceil(recipe.epochs / recipe.lr_decay_epochs) - 1)
    if every <= 0 or drops == 0:
        return base
    # PiecewiseConstantDecay keeps values[i] while step <= boundaries[i]; the
    # optimizer's counter is 0 at the first update, so epoch 21 starts at step 20 * spe.
    boundaries = [every * (i + 1) - 1 for i in range(drops)]
    values = [base * recipe.lr_decay_factor**i for i in range(drops + 1)]
    return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)


def make_optimizer(recipe: VDSRRecipe, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    lr = learning_rate_schedule(recipe, steps_per_epoch)
    if recipe.optimizer == "sgd":
        if recipe.clip not in ("adjustable", "norm"):
            raise ValueError(f"unknown clipping {recipe.clip!r}; use adjustable or norm")
        return AdjustableClipSGD(learning_rate=lr, momentum=recipe.momentum,
                                 theta=recipe.clip_theta, l2=recipe.weight_decay,
                                 clip_norm=recipe.clip_norm if recipe.clip == "norm" else None)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    raise ValueError(f"unknown optimizer {recipe.optimizer!r}; use sgd or adam")


def freeze_biases_at_zero(model: keras.Model) -> None:
    """Set every bias of ``model`` to zero and keep it out of training."""
    for layer in model.layers:
        bias = getattr(layer, "bias", None)
        if bias is not None:
            bias.assign(keras.ops.zeros(bias.shape, bias.dtype))
            bias.trainable = False


def load_patches(recipe: VDSRRecipe, out_dir: Path) -> sr_data.PatchBank:
    files = sr_data.image_files(recipe.data)
    print(f"VDSR data: {len(files)} images from {', '.join(map(str, recipe.data))}, "
          f"scales {list(recipe.scales)}, sizes {list(recipe.downscales)}")
    bank = sr_data.cached_patch_bank(files, recipe.cache_dir or out_dir / "cache",
                                     recipe.scales, recipe.patch_size, recipe.stride,
                                     downscales=recipe.downscales,
                                     processes=recipe.processes or min(os.cpu_count() or 1, 16))
    print(f"{len(bank)} patches of {recipe.patch_size}x{recipe.patch_size}")
    return bank


def make_data(bank: sr_data.PatchBank, recipe: VDSRRecipe):
    try:
        import tensorflow  # noqa: F401
    except ImportError:  # the JAX-only GPU machine
        return iter(sr_data.PatchStream(bank, recipe.batch_size, seed=recipe.seed))
    return sr_data.patch_dataset(bank, recipe.batch_size, seed=recipe.seed)


def train(recipe: VDSRRecipe, run: RunConfig | None = None, out_dir: str | Path | None = None,
          **run_options) -> tuple[keras.Model, keras.callbacks.History]:
    """Train VDSR; ``run`` (or ``out_dir`` and ``run_options``) sets the run directory etc."""
    keras.utils.set_random_seed(recipe.seed)
    out = Path(run.out_dir if run else out_dir)
    model_config = {"depth": recipe.depth, "filters": recipe.filters}
    refuse_another_model(out, {"model": "vdsr", "model_config": model_config})
    if recipe.init_weights:
        check_weights_file(recipe.init_weights)  # before the patches are made
    bank = load_patches(recipe, out)
    steps = recipe.steps_per_epoch or len(bank) // recipe.batch_size
    if steps < 1:
        raise ZooError(f"{len(bank)} patches are fewer than one batch of {recipe.batch_size}: "
                       "give a smaller --batch-size, a smaller --stride or more images")
    if run is None:
        run = RunConfig(out_dir=Path(out_dir), epochs=recipe.epochs, steps_per_epoch=steps,
                        **run_options)
    config = {**asdict(recipe), "steps_per_epoch": steps, "backend": keras.backend.backend(),
              "model": "vdsr", "model_config": model_config}

    def build_and_compile():
        model = VDSR(**model_config)
        if recipe.init_weights:  # a resumed run's backup, if any, is restored over these
            load_weights_file(model, recipe.init_weights)
        if not recipe.biases:
            freeze_biases_at_zero(model)
        model.compile(optimizer=make_optimizer(recipe, steps), loss=half_squared_error,
                      metrics=[psnr_metric], steps_per_execution=recipe.steps_per_execution)
        return model

    return fit(build_and_compile, lambda replicas: make_data(bank, recipe), run, config)
