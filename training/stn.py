"""The distorted-MNIST recipe of Spatial Transformer Networks (Jaderberg et al., NIPS 2015, 4.1).

    from zoo.training import stn
    config = stn.Config(kind="RTS", model="stn")
    model, history = stn.train(config, "runs/stn_rts")
    print(stn.evaluate(model, stn.load_split(config)), "% error")

Data: :mod:`zoo.training.mnist_distort` (the first 8,000 t10k digits, freshly
distorted every epoch; the last 2,000, distorted once, for the test error).
Training goes through :func:`zoo.training.trainer.fit`: checkpoints every
``checkpoint_every`` steps, resume by running the same call again,
TensorBoard, ``metrics.csv``, ``final.weights.h5``.

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
from zoo.models import stn as stn_models
from zoo.options import COUNT, POSITIVE, option

from . import mnist_distort
from .runs import Run, final_weights, run_config
from .trainer import fit

ADAM_LEARNING_RATE = 1e-3  # our CPU-budget choice
SGD_LEARNING_RATE = 0.01  # the paper's base rate (as recalled)


@dataclass
class STNConfig:
    """The recipe's settings; the options of ``zoo train stn``."""

    kind: str = option("RTS", flag="--distortion", choices=("R", "RTS", "P", "E"))  # Sec. 4.1
    model: str = option("stn", choices=("stn", "cnn"))  # ST-CNN (affine) or the CNN baseline
    data: str | None = option(None, metavar="SRC", help=(
        "the MNIST t10k idx files' folder, or tfds:mnist[:SPLIT] (default: $ZOO_DATA/mnist or "
        "../shared/data/mnist)"))
    data_dir: str | None = option(None, metavar="DIR", help=(
        "where tfds: data sets are prepared (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)"))
    epochs: int = option(20, type=COUNT)  # a pass over the 8,000 training digits; CPU budget
    batch_size: int = option(64, type=COUNT)  # CPU budget (the paper: 256, as recalled)
    optimizer: str = option("adam", choices=("sgd", "adam"))  # "sgd": momentum 0.9
    learning_rate: float | None = option(  # None: ADAM_LEARNING_RATE or SGD_LEARNING_RATE
        None, flag="--lr", type=POSITIVE, help="default: adam 1e-3, sgd 0.01")
    momentum: float = option(0.9, cli=False)
    lr_drop_at: tuple[float, ...] = option(  # fractions of training where the rate drops 10x
        (2 / 3,), cli=False)  # the paper's drops every 50k of 150k steps, as recalled
    loc_lr_scale: float = option(1.0, cli=False)  # learning-rate factor of the loc_* layers
    filters: int = option(32, cli=False)  # classifier width
    seed: int = option(0, cli=False)  # zoo train's --seed

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


Config = STNConfig


def model_config(config: STNConfig) -> dict:
    """The builder arguments of the config's model (``config.json``'s ``model_config``)."""
    return {"kind": config.model, "input_size": config.input_size, "filters": config.filters}


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


def learning_rate_schedule(config: STNConfig):
    base = config.learning_rate or (ADAM_LEARNING_RATE if config.optimizer == "adam"
                                    else SGD_LEARNING_RATE)
    total = config.epochs * config.steps_per_epoch
    boundaries = sorted({int(round(f * total)) - 1 for f in config.lr_drop_at if 0 < f < 1})
    if not boundaries:
        return base
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries, [base * 0.1**i for i in range(len(boundaries) + 1)])


def make_optimizer(config: STNConfig) -> keras.optimizers.Optimizer:
    lr = learning_rate_schedule(config)
    if config.optimizer == "adam":
        return LocScaledAdam(learning_rate=lr, loc_lr_scale=config.loc_lr_scale)
    if config.optimizer == "sgd":
        return LocScaledSGD(learning_rate=lr, momentum=config.momentum,
                            loc_lr_scale=config.loc_lr_scale)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; use adam or sgd")


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


def load_split(config: STNConfig) -> mnist_distort.DistortedSplit:
    """The recipe's distorted split (its test set is fixed by ``kind`` and ``seed``)."""
    folder = str(config.data or default_data_dir())
    if folder not in _MNIST:  # a folder of t10k IDX files, or tfds:mnist[:SPLIT]
        _MNIST[folder] = mnist_distort.load_mnist(folder, config.data_dir)
    images, labels = _MNIST[folder]
    return mnist_distort.make_split(images, labels, config.kind, seed=config.seed)


def data(config: STNConfig, examples: mnist_distort.DistortedSplit):
    """Batches of the split's training digits, freshly distorted every epoch."""
    try:
        import tensorflow  # noqa: F401
    except ImportError:  # the JAX-only GPU machine
        return mnist_distort.DistortedSequence(examples, config.batch_size)
    # One stream of all the epochs (a resumed run stops early; its epochs redraw from epoch 0).
    return mnist_distort.tf_dataset(examples, config.batch_size, train=True, epochs=config.epochs)


def build(config: STNConfig) -> keras.Model:
    """The config's ST-CNN or CNN, uncompiled."""
    return stn_models.build(**model_config(config))


def compile(model: keras.Model, config: STNConfig) -> keras.Model:
    """Cross-entropy on the logits, accuracy, and the config's optimizer."""
    model.compile(optimizer=make_optimizer(config),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def train(config: STNConfig, run: Run) -> tuple[keras.Model, keras.callbacks.History]:
    """Train the config's model in the run folder of ``run`` (:mod:`zoo.training.runs`);
    run it again to resume. Returns the trained model and its history."""
    keras.utils.set_random_seed(config.seed)
    if config.batch_size > mnist_distort.TRAIN_COUNT:
        raise ZooError(f"a batch of {config.batch_size} is larger than the "
                       f"{mnist_distort.TRAIN_COUNT:,} training digits")
    split = load_split(config)
    run = run_config(run, config.epochs, config.steps_per_epoch)
    record = {**asdict(config), "model": "stn", "model_config": model_config(config),
              "steps_per_epoch": run.steps_per_epoch, "backend": keras.backend.backend()}
    return fit(lambda: compile(build(config), config), lambda replicas: data(config, split),
               run, record)


def report(model: keras.Model, config: STNConfig, out_dir: str | os.PathLike) -> list[str]:
    """What ``zoo train stn`` prints at the end: the test error, where the weights are."""
    error = evaluate(model, load_split(config))
    return [f"test error ({config.kind}, last 2,000 t10k digits): {error:.2f}%",
            f"weights: {final_weights(out_dir)}"]


def predict_labels(model: keras.Model, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    logits = model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
    return np.argmax(logits, axis=-1)


def evaluate(model: keras.Model, split: mnist_distort.DistortedSplit) -> float:
    """Test error in percent on the split's fixed 2,000 distorted digits."""
    predicted = predict_labels(model, split.test_images)
    return float(100.0 * np.mean(predicted != split.test_labels))
