"""One resumable trainer for every recipe: ``fit(build_and_compile, make_data, run, config)``.

A recipe supplies a function that builds and compiles its model and one that makes its
data for a global batch size; this module does the rest, by :mod:`zoo.training.loop`:

* ``strategy="auto"`` trains under ``tf.distribute.MirroredStrategy`` when several GPUs
  are visible (``"mirrored"`` forces it, over the CPUs when no GPU is present); under the
  JAX backend several devices give ``keras.distribution.DataParallel``
  (:mod:`zoo.training.strategies`). ``"multiworker"`` trains on several machines under
  ``MultiWorkerMirroredStrategy`` (:mod:`zoo.training.multiworker`: a loop of its own over
  the same callbacks and resume, because Keras 3's ``fit`` fails under it,
  keras-team/keras#20585).
* The model and optimizer state are saved every ``checkpoint_every`` steps and at each
  epoch end into ``RUN_DIR/checkpoints`` (:mod:`zoo.training.checkpoints`). Starting the
  same command again after a kill restores the checkpoint before ``model.fit``, which
  goes on with ``initial_epoch``: the rest of the interrupted epoch first, on the batches
  after those already trained, so the run ends as an uninterrupted one would; the
  learning-rate schedule, driven by the optimizer's step counter, continues where it was.
* ``RUN_DIR/final.weights.h5`` (model weights only, without optimizer state: the file to
  ship), ``RUN_DIR/metrics.csv`` (one row per epoch), TensorBoard logs in
  ``RUN_DIR/logs`` (TensorFlow needed), a progress bar, ``RUN_DIR/config.json`` with the
  recipe (a run folder that holds another model's weights is refused rather than
  overwritten) and ``RUN_DIR/CARD.md``, a model-card draft (:mod:`zoo.training.runfiles`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras

from zoo.progress import fit_verbosity

from . import loop
from .checkpoints import build_optimizer, loss_is_finite  # noqa: F401 - re-exported
from .runfiles import (  # noqa: F401 - re-exported: recipes and scripts import them here
    check_config,
    diverged_error,
    refuse_another_model,
    save_model_weights,
    uncompiled_copy,
    write_config,
)
from .strategies import distribution, writes_files  # noqa: F401 - re-exported

__all__ = ["RunConfig", "fit", "check_config", "diverged_error", "distribution",
           "loss_is_finite", "refuse_another_model", "save_model_weights", "uncompiled_copy",
           "write_config", "writes_files"]


@dataclass
class RunConfig:
    out_dir: Path
    epochs: int
    steps_per_epoch: int
    checkpoint_every: int = 200
    strategy: str = "auto"
    verbose: int | str = "auto"
    tensorboard: bool = True
    callbacks: list = field(default_factory=list)
    command: str | None = None  # for CARD.md; default: this process's, when it is `zoo`


def fit(build_and_compile: Callable[[], keras.Model], make_data: Callable[[int], object],
        run: RunConfig, config: dict | None = None
        ) -> tuple[keras.Model, keras.callbacks.History]:
    """Build under the strategy, restore the run's checkpoint, train the rest of the run
    with the standard callbacks, save ``final.weights.h5`` and ``CARD.md``.

    ``config`` (the recipe, with ``model`` and ``model_config``) is checked against the
    run folder's (:func:`check_config`) and written to ``RUN_DIR/config.json``.
    """
    out = Path(run.out_dir)
    loop.check_steps(run)
    if config is not None:
        config = check_config(out, config, say=writes_files(run.strategy))
    out.mkdir(parents=True, exist_ok=True)
    if run.strategy == "multiworker":
        from . import multiworker  # TensorFlow's; imports nothing of this module

        return multiworker.fit(build_and_compile, make_data, run, config)
    scope, replicas = distribution(run.strategy)
    with scope:
        model = build_and_compile()
        build_optimizer(model)
    if replicas > 1:
        print(f"training on {replicas} replicas")
    progress = loop.start(model, run, config)
    verbose = fit_verbosity(run.verbose)
    callbacks, checkpoint = loop.callbacks(run, progress, verbose)
    histories = [
        model.fit(data, initial_epoch=first, epochs=last, steps_per_epoch=steps,
                  callbacks=callbacks, verbose=verbose,
                  shuffle=False)  # the data pipeline shuffles, with its seed
        for (first, last, steps), data in loop.segment_data(lambda: make_data(replicas),
                                                            progress, run)]
    return model, loop.finish(model, run, config, checkpoint, histories, replicas)
