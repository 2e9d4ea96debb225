"""The distorted-MNIST recipe of Spatial Transformer Networks (Jaderberg et al., NIPS 2015, 4.1).

    from zoo.training import stn
    model, history = stn.train(stn.STNRecipe(kind="RTS", model="stn"), out_dir="runs/stn_rts")
    split = stn.load_split(stn.STNRecipe(kind="RTS"))
    print(stn.evaluate(model, split), "% error")

Data: :mod:`zoo.training.mnist_distort` (the first 8,000 t10k digits, freshly
distorted every epoch; the last 2,000, distorted once, for the test error).
Training goes through :func:`zoo.training.trainer.fit`: checkpoints every
``checkpoint_every`` steps, resume by running the same call again,
TensorBoard, ``history.csv``, ``final.weights.h5``.

The paper's schedule (as recalled, its text was not at hand: SGD, base
learning rate 0.01, batch 256, 150k iterations with the rate divided by 10
every 50k) takes hours on a CPU. The defaults here are a CPU budget: Adam,
learning rate 1e-3 divided by 10 for the last third of the epochs, batch 64,
tens of 125-step epochs (about 15-40 s each on 2 shared CPU cores, the 42x42
ST-CNN the slowest). ``optimizer="sgd"`` gives SGD with momentum 0.9 and
learning rate 0.01, same drops.

``loc_lr_scale`` multiplies the learning rate of the localisation network's
variables (layers named ``loc_*``): many STN recipes train it more slowly
than the classifier so that the transform does not jump early on. Default
1.0 (off): with Adam and a short budget the transform has to move quickly,
and the zero-initialised ``loc_theta`` starts it at the identity anyway.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np

from zoo.errors import ZooError
from zoo.models.stn import build

from . import mnist_distort
from .trainer import RunConfig, fit

ADAM_LEARNING_RATE = 1e-3  # our CPU-budget choice
SGD_LEARNING_RATE = 0.01  # the paper's base rate (as recalled)


@dataclass
class STNRecipe:
    kind: str = "RTS"  # distortion: R, RTS, P or E
    model: str = "stn"  # "stn" (ST-CNN, affine) or "cnn" (the baseline)
    epochs: int = 20  # one epoch = one pass over the 8,000 training digits
    batch_size: int = 64
    optimizer: str = "adam"  # "adam" or "sgd" (momentum 0.9)
    learning_rate: float | None = None  # None: 1e-3 for Adam, 0.01 for SGD
    momentum: float = 0.9
    lr_drop_at: tuple[float, ...] = (2 / 3,)  # fractions of training where the rate drops 10x
    loc_lr_scale: float = 1.0  # learning-rate factor of the localisation net (loc_* layers)
    filters: int = 32  # classifier width
    seed: int = 0
    data: str | None = None  # t10k idx files; None: $ZOO_DATA/mnist or ../shared/data/mnist

    def __post_init__(self):
        if self.kind not in mnist_distort.KINDS:
            raise ValueError(f"kind must be one of {mnist_distort.KINDS}, not {self.kind!r}")
        if self.model not in ("stn", "cnn"):
            raise ValueError(f"model must be 'stn' or 'cnn', not {self.model!r}")
        self.lr_drop_at = tuple(self.lr_drop_at)

    @property
    def input_size(self) -> int:
        return mnist_distort.output_size(self.kind)

    @property
    def steps_per_epoch(self) -> int:
        return mnist_distort.TRAIN_COUNT // self.batch_size


def model_config(recipe: STNRecipe) -> dict:
    """The ``build`` config of the recipe's model."""
    return {"kind": recipe.model, "input_size": recipe.input_size, "filters": recipe.filters}


def _is_localisation(variable) -> bool:
    path = getattr(variable, "path", None) or getattr(variable, "name", "")
    return path.split("/")[-2 if "/" in path else -1].startswith("loc_")


def _scaled_optimizer(base):
    class LocScaled(base):
        """``base`` with the learning rate of ``loc_*`` layers' variables times ``loc_lr_scale``."""

        def __init__(self, *args, loc_lr_scale: float = 1.0, **kwargs):
            super().__init__(*args, **kwargs)
            self.loc_lr_scale = float(loc_lr_scale)

        def update_step(self, gradient, variable, learning_rate):
            if self.loc_lr_scale != 1.0 and _is_localisation(variable):
                learning_rate = learning_rate * self.loc_lr_scale
            return super().update_step(gradient, variable, learning_rate)

        def get_config(self):
            return {**super().get_config(), "loc_lr_scale": self.loc_lr_scale}

    LocScaled.__name__ = LocScaled.__qualname__ = f"LocScaled{base.__name__}"
    return keras.saving.register_keras_serializable(package="zoo")(LocScaled)


LocScaledAdam = _scaled_optimizer(keras.optimizers.Adam)
LocScaledSGD = _scaled_optimizer(keras.optimizers.SGD)


def learning_rate_schedule(recipe: STNRecipe):
    base = recipe.learning_rate or (ADAM_LEARNING_RATE if recipe.optimizer == "adam"
                                    else SGD_LEARNING_RATE)
    total = recipe.epochs * recipe.steps_per_epoch
    boundaries = sorted({int(round(f * total)) - 1 for f in recipe.lr_drop_at if 0 < f < 1})
    if not boundaries:
        return base
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries, [base * 0.1**i for i in range(len(boundaries) + 1)])


def make_optimizer(recipe: STNRecipe) -> keras.optimizers.Optimizer:
    lr = learning_rate_schedule(recipe)
    if recipe.optimizer == "adam":
        return LocScaledAdam(learning_rate=lr, loc_lr_scale=recipe.loc_lr_scale)
    if recipe.optimizer == "sgd":
        return LocScaledSGD(learning_rate=lr, momentum=recipe.momentum,
                            loc_lr_scale=recipe.loc_lr_scale)
    raise ValueError(f"unknown optimizer {recipe.optimizer!r}; use adam or sgd")


def default_data_dir() -> Path:
    if os.environ.get("ZOO_DATA"):
        return Path(os.environ["ZOO_DATA"]) / "mnist"
    here = Path(__file__).resolve()
    for root in (Path.cwd(), *here.parents):
        candidate = root.parent / "shared" / "data" / "mnist"
        if candidate.is_dir():
            return candidate
    return Path("../shared/data/mnist")


_MNIST: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def load_split(recipe: STNRecipe) -> mnist_distort.DistortedSplit:
    """The recipe's distorted split (its test set is fixed by ``kind`` and ``seed``)."""
    folder = str(recipe.data or default_data_dir())
    if folder not in _MNIST:
        _MNIST[folder] = mnist_distort.load_mnist_idx(folder)
    images, labels = _MNIST[folder]
    return mnist_distort.make_split(images, labels, recipe.kind, seed=recipe.seed)


def make_data(split: mnist_distort.DistortedSplit, recipe: STNRecipe):
    try:
        import tensorflow  # noqa: F401
    except ImportError:  # the JAX-only GPU machine
        return mnist_distort.DistortedSequence(split, recipe.batch_size)
    # One stream of all the epochs (a resumed run stops early; its epochs redraw from epoch 0).
    return mnist_distort.tf_dataset(split, recipe.batch_size, train=True, epochs=recipe.epochs)


def build_and_compile(recipe: STNRecipe) -> keras.Model:
    model = build(**model_config(recipe))
    model.compile(optimizer=make_optimizer(recipe),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def train(recipe: STNRecipe, out_dir: str | Path | None = None, run: RunConfig | None = None,
          split: mnist_distort.DistortedSplit | None = None,
          **run_options) -> tuple[keras.Model, keras.callbacks.History]:
    """Train the recipe's model; ``run`` (or ``out_dir``, ``run_options``) sets the run folder."""
    keras.utils.set_random_seed(recipe.seed)
    if recipe.batch_size > mnist_distort.TRAIN_COUNT:
        raise ZooError(f"a batch of {recipe.batch_size} is larger than the "
                       f"{mnist_distort.TRAIN_COUNT:,} training digits")
    split = split or load_split(recipe)
    if run is None:
        if out_dir is None:
            raise ValueError("give out_dir or run")
        run = RunConfig(out_dir=Path(out_dir), epochs=recipe.epochs,
                        steps_per_epoch=recipe.steps_per_epoch, **run_options)
    config = {**asdict(recipe), "model": "stn", "model_config": model_config(recipe),
              "steps_per_epoch": run.steps_per_epoch, "backend": keras.backend.backend()}
    return fit(lambda: build_and_compile(recipe), lambda replicas: make_data(split, recipe), run,
               config)


def predict_labels(model: keras.Model, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    logits = model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
    return np.argmax(logits, axis=-1)


def evaluate(model: keras.Model, split: mnist_distort.DistortedSplit) -> float:
    """Test error in percent on the split's fixed 2,000 distorted digits."""
    predicted = predict_labels(model, split.test_images)
    return float(100.0 * np.mean(predicted != split.test_labels))
