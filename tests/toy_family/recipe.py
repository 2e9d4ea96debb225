"""The toy's recipe, in the shape of every recipe (``training/<family>.py``): a config
dataclass whose fields are the options of ``zoo train toy``, build, data, compile,
train(config, run) through the shared resumable trainer, and report."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import keras
import numpy as np

from toy_family.model import build as build_toy
from zoo.options import COUNT, POSITIVE, option
from zoo.training.runs import Run, final_weights, run_config
from zoo.training.trainer import fit


@dataclass
class ToyConfig:
    """Learn to double an image (the network halves its convolution's output)."""

    epochs: int = option(2, type=COUNT)
    steps_per_epoch: int = option(3, type=COUNT)
    batch_size: int = option(4, type=COUNT)
    learning_rate: float = option(0.05, flag="--lr", type=POSITIVE, help="Adam's step size")
    filters: int = option(3, type=COUNT, help="the toy's width (3: an image out)")
    seed: int = option(0, cli=False)


Config = ToyConfig


def build(config: ToyConfig) -> keras.Model:
    return build_toy(filters=config.filters)


def data(config: ToyConfig, examples=None):
    rng = np.random.default_rng(config.seed)
    while True:
        x = rng.random((config.batch_size, 8, 8, 3), dtype=np.float32)
        yield x, 2 * x


def compile(model: keras.Model, config: ToyConfig) -> keras.Model:
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="mse")
    return model


def train(config: ToyConfig, run: Run):
    keras.utils.set_random_seed(config.seed)
    record = {**asdict(config), "model": "toy", "model_config": {"filters": config.filters}}
    return fit(lambda: compile(build(config), config), lambda replicas: data(config),
               run_config(run, config.epochs, config.steps_per_epoch), record)


def report(model: keras.Model, config: ToyConfig, out_dir: str | os.PathLike) -> list[str]:
    return [f"weights: {final_weights(out_dir)}"]
