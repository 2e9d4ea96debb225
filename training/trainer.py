"""One resumable trainer for every recipe: distribution, callbacks, ``fit``.

A recipe supplies a function that builds and compiles its model and one that
makes its data for a global batch size; this module does the rest:

* ``strategy="auto"`` trains under ``tf.distribute.MirroredStrategy`` when
  several GPUs are visible (``"mirrored"`` forces it, over the CPUs when no GPU
  is present); under the JAX backend several devices give
  ``keras.distribution.DataParallel``. ``"multiworker"`` trains on several machines
  under ``MultiWorkerMirroredStrategy`` (:mod:`zoo.training.multiworker`: a loop of its
  own, because Keras 3's ``fit`` fails under it, keras-team/keras#20585).
* ``BackupAndRestore`` writes the model and optimizer state every
  ``checkpoint_every`` steps into ``RUN_DIR/backup``; starting the same command
  again after a kill resumes from there (the interrupted epoch restarts from its
  first step with the saved weights and optimizer, so the learning-rate
  schedule, driven by the optimizer's step counter, continues where it was).
* ``RUN_DIR/last.weights.h5`` after every epoch, ``RUN_DIR/final.weights.h5`` (model
  weights only, without optimizer state: the file to ship) at the end,
  ``RUN_DIR/history.csv``, TensorBoard logs in ``RUN_DIR/logs`` (TensorFlow needed),
  a progress bar, and ``RUN_DIR/config.json`` with the recipe (a run folder that holds
  another model's weights is refused rather than overwritten).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras

from zoo.errors import ZooError, summarize
from zoo.progress import fit_verbosity


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


def distribution(strategy: str = "auto"):
    """``(scope, replicas)`` for ``strategy`` in {auto, default, mirrored} on the current backend
    (``"multiworker"`` is :mod:`zoo.training.multiworker`'s)."""
    if strategy not in ("auto", "default", "mirrored"):
        raise ValueError(f"unknown strategy {strategy!r}; use auto, default, mirrored or "
                         "multiworker")
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        if strategy == "mirrored" or (strategy == "auto" and len(gpus) > 1):
            devices = gpus or tf.config.list_logical_devices("CPU")
            mirrored = tf.distribute.MirroredStrategy([d.name for d in devices])
            return mirrored.scope(), mirrored.num_replicas_in_sync
        return contextlib.nullcontext(), 1
    if keras.backend.backend() == "jax":
        devices = keras.distribution.list_devices()
        if strategy == "mirrored" or (strategy == "auto" and len(devices) > 1):
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
            return contextlib.nullcontext(), len(devices)
        return contextlib.nullcontext(), 1
    if strategy == "mirrored":
        raise ValueError(f"strategy 'mirrored' needs the tensorflow or jax backend, "
                         f"not {keras.backend.backend()}")
    return contextlib.nullcontext(), 1


class Backup(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that saves atomically, falls back to the checkpoint before a
    damaged one, and also saves at every epoch end.

    * Keras writes ``latest.weights.h5`` in place, so a Ctrl-C or kill during the write
      leaves half a file, and it falls back to ``latest.weights.h5.bkp`` only on an
      ``OSError``, while a truncated file raises ``ValueError``. Here the files are written
      beside and renamed, and a checkpoint that does not load is replaced by the previous one
      where that one loads (otherwise: one line, nothing overwritten).
    * With an integer ``save_freq`` Keras only saves mid-epoch, so a finished run would
      record its last epoch as unfinished and redo it when started again. Saving at the epoch
      end makes a second start of a finished run a no-op.
    """

    diverged = False  # a non-finite loss was seen: nothing more is saved

    def on_train_begin(self, logs=None):
        try:
            self._restore(self._weights_path, self._training_metadata_path)
            return self._say_where()
        except (ValueError, OSError) as err:  # variables of another model, or a damaged file
            latest = err
        if os.path.exists(self._prev_weights_path):
            # Keras loads only files named *.weights.h5: the previous one is tried as a copy.
            restoring = os.path.join(self.backup_dir, "restoring.weights.h5")
            shutil.copyfile(self._prev_weights_path, restoring)
            try:
                self._restore(restoring, self._prev_training_metadata_path)
            except (ValueError, OSError):
                os.remove(restoring)
            else:
                os.replace(restoring, self._weights_path)
                if os.path.exists(self._prev_training_metadata_path):
                    _copy_atomically(self._prev_training_metadata_path,
                                     self._training_metadata_path)
                print(f"note: the last checkpoint in {self.backup_dir} did not load "
                      f"({summarize(latest, 120)}); resumed from the one before it")
                return self._say_where()
        raise ZooError(f"{self.backup_dir}: the checkpoint does not load: it is damaged, or "
                       f"was saved by another model or optimizer ({summarize(latest, 160)}); "
                       "resume with the settings in the run's config.json, or give another "
                       "--out") from None

    def _say_where(self) -> None:
        """On a resumed run: from which epoch, or that there is nothing left to train."""
        done, epochs = self.model._initial_epoch or 0, self.params.get("epochs")
        if not os.path.exists(self._training_metadata_path):
            return
        if epochs is not None and done >= epochs:
            print(f"note: the run in {os.path.dirname(self.backup_dir)} has done its {done} "
                  "epochs: nothing left to train (a larger --epochs goes on)")
        else:
            print(f"resuming {os.path.dirname(self.backup_dir)} from its checkpoint, at "
                  f"epoch {done + 1}")

    def _restore(self, weights: str, metadata: str) -> None:
        """Keras' ``_load_model`` for the given pair of files."""
        if os.path.exists(weights):
            optimizer = self.model.optimizer
            if optimizer is not None and not optimizer.built:
                optimizer.build(self.model.trainable_variables)
            rate = _fixed_learning_rate(optimizer)
            self.model.load_weights(weights)
            if rate is not None:  # the checkpoint holds the old one: a changed --lr applies
                optimizer.learning_rate = rate
        if os.path.exists(metadata):
            with open(metadata) as f:
                self.model._initial_epoch = json.loads(f.read())["epoch"]

    def on_train_batch_end(self, batch, logs=None):
        self.diverged = self.diverged or not loss_is_finite(logs)
        if not self.diverged:
            super().on_train_batch_end(batch, logs)

    def _save_model(self):
        if self.diverged:
            return  # keep the last finite checkpoint
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._training_metadata_path):
                if os.path.exists(path):
                    _copy_atomically(path, f"{path}.bkp")
        saving = os.path.join(self.backup_dir, "saving.weights.h5")
        self.model.save_weights(saving, overwrite=True)
        os.replace(saving, self._weights_path)
        _write_atomically(self._training_metadata_path, json.dumps(
            {"epoch": self._current_epoch, "batch": self._last_batch_seen}))

    def on_epoch_end(self, epoch, logs=None):
        self.diverged = self.diverged or not loss_is_finite(logs)
        super().on_epoch_end(epoch, logs)
        if self.save_freq != "epoch":
            self._save_model()


class LastWeights(keras.callbacks.ModelCheckpoint):
    """``RUN_DIR/last.weights.h5`` after every epoch whose loss is finite."""

    def on_epoch_end(self, epoch, logs=None):
        if loss_is_finite(logs):
            super().on_epoch_end(epoch, logs)


def _fixed_learning_rate(optimizer) -> float | None:
    """A constant learning rate, which Keras keeps as a variable saved with the checkpoint
    (a schedule is rebuilt from the recipe and needs nothing)."""
    rate = getattr(optimizer, "_learning_rate", None)
    if rate is None or isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        return None
    try:
        return float(keras.ops.convert_to_numpy(rate))
    except (TypeError, ValueError):
        return None


def loss_is_finite(logs) -> bool:
    loss = (logs or {}).get("loss")
    try:
        return loss is None or math.isfinite(float(loss))
    except (TypeError, ValueError):
        return True


def _copy_atomically(source: str, target: str) -> None:
    shutil.copyfile(source, f"{target}.part")
    os.replace(f"{target}.part", target)


def _write_atomically(path: str | Path, text: str) -> None:
    with open(f"{path}.part", "w") as f:
        f.write(text)
    os.replace(f"{path}.part", path)


def standard_callbacks(run: RunConfig, config: dict | None = None
                       ) -> list[keras.callbacks.Callback]:
    out = Path(run.out_dir)
    callbacks = [
        Backup(str(out / "backup"), save_freq=run.checkpoint_every, double_checkpoint=True,
               delete_checkpoint=False),
        *([WriteConfig(out, config)] if config is not None else []),  # after the restore
        LastWeights(str(out / "last.weights.h5"), save_weights_only=True),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        keras.callbacks.TerminateOnNaN(),
    ]
    if run.tensorboard and _has_tensorflow():
        callbacks.append(keras.callbacks.TensorBoard(str(out / "logs"), update_freq=50))
    return callbacks + list(run.callbacks)


def _has_tensorflow() -> bool:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def check_config(out_dir: Path, config: dict, say: bool = True) -> dict:
    """``config`` as JSON keeps it (a tuple is the list read back), checked against the run's.

    Resuming with changed settings prints a note that names them. A run folder that already
    holds weights of another model (``model`` or ``model_config`` changed) is refused, before
    any work: its checkpoint could not be restored, and the new ``config.json`` would make
    its saved weights unloadable by path.
    """
    config = json.loads(json.dumps(config, default=str))
    before = refuse_another_model(out_dir, config)
    if before is None:
        return config  # a new run (an unreadable config.json is rewritten)
    changed = sorted(k for k in set(before) | set(config) if before.get(k) != config.get(k))
    if changed and say:
        print(f"note: resuming {out_dir} with changed settings: {', '.join(changed)}")
    return config


def refuse_another_model(out_dir: Path, config: dict) -> dict | None:
    """Refuse a run folder that holds weights of a model other than ``config``'s (its
    ``model`` or ``model_config`` differ); returns the folder's config (None for a new run).
    A recipe calls this itself before slow preparation (patches, rendered pairs)."""
    try:
        before = json.loads((Path(out_dir) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    config = json.loads(json.dumps(config, default=str))
    other = any(before.get(k) != config.get(k) for k in ("model", "model_config"))
    if other and _holds_weights(Path(out_dir)):
        raise ZooError(f"{out_dir} holds a run of {_model_label(before)}, not of "
                       f"{_model_label(config)}: resume it with the settings in its "
                       "config.json, or give another --out")
    return before


def _holds_weights(out: Path) -> bool:
    return any((out / name).exists() for name in ("backup", "last.weights.h5",
                                                  "final.weights.h5"))


def _model_label(config: dict) -> str:
    settings = config.get("model_config") or {}
    details = ", ".join(f"{k} {v}" for k, v in settings.items()) if isinstance(
        settings, dict) else str(settings)
    return f"{config.get('model', 'a model')}" + (f" ({details})" if details else "")


def write_config(out_dir: Path, config: dict) -> None:
    """Save the recipe as ``RUN_DIR/config.json`` (atomically)."""
    path = Path(out_dir) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, json.dumps(config, indent=2, default=str))


class WriteConfig(keras.callbacks.Callback):
    """Writes ``config.json`` once training starts, after :class:`Backup` restored the run:
    a refused restore leaves the run's own config in place."""

    def __init__(self, out_dir: Path, config: dict):
        super().__init__()
        self.out_dir, self.config = out_dir, config

    def on_train_begin(self, logs=None):
        write_config(self.out_dir, self.config)


def fit(build_and_compile: Callable[[], keras.Model], make_data: Callable[[int], object],
        run: RunConfig, config: dict | None = None
        ) -> tuple[keras.Model, keras.callbacks.History]:
    """Build under the strategy, train with the standard callbacks, save ``final.weights.h5``.

    ``config`` (the recipe, with ``model`` and ``model_config``) is checked against the
    run folder's (:func:`check_config`) and written to ``RUN_DIR/config.json``.
    """
    out = Path(run.out_dir)
    if run.steps_per_epoch < 1:
        raise ZooError(f"an epoch needs at least one step, got steps_per_epoch "
                       f"{run.steps_per_epoch}")
    if config is not None:
        config = check_config(out, config, say=writes_files(run.strategy))
    out.mkdir(parents=True, exist_ok=True)
    if run.strategy == "multiworker":
        from .multiworker import fit as fit_on_workers

        return fit_on_workers(build_and_compile, make_data, run, config)
    scope, replicas = distribution(run.strategy)
    with scope:
        model = build_and_compile()
    if replicas > 1:
        print(f"training on {replicas} replicas")
    data = make_data(replicas)
    callbacks = standard_callbacks(run, config)
    history = model.fit(data, epochs=run.epochs, steps_per_epoch=run.steps_per_epoch,
                        callbacks=callbacks, verbose=fit_verbosity(run.verbose),
                        shuffle=False)  # the data pipeline shuffles, with its seed
    if any(getattr(c, "diverged", False) for c in callbacks):
        raise diverged_error(out)
    save_model_weights(model, out / "final.weights.h5")
    return model, history


def writes_files(strategy: str) -> bool:
    """Whether this process writes the run's files and messages: all but the workers of a
    multi-worker run that are not its chief."""
    if strategy != "multiworker":
        return True
    from .multiworker import cluster_task, is_chief

    return is_chief(*cluster_task())


def diverged_error(out_dir: Path) -> ZooError:
    """The one-line error of a run whose loss stopped being finite."""
    return ZooError("training diverged (the loss is no longer finite): no final weights; the "
                    f"last finite checkpoint stays in {Path(out_dir) / 'backup'}; a lower "
                    "learning rate (--lr) may help")


def uncompiled_copy(model: keras.Model) -> keras.Model:
    """The model rebuilt from its config with its weights: no optimizer, no strategy."""
    bare = model.__class__.from_config(model.get_config())
    bare.set_weights(model.get_weights())
    return bare


def save_model_weights(model: keras.Model, path: Path) -> None:
    """Save the model's weights alone (no optimizer state): the file that ships."""
    bare = uncompiled_copy(model)
    saving = Path(path).with_name(f"saving.{Path(path).name}")  # then renamed: never half a file
    bare.save_weights(str(saving))
    os.replace(saving, path)
