"""The run's checkpoints, and where a resumed run starts.

``RUN_DIR/checkpoints/latest.h5`` holds the values of the model's variables and of its
optimizer's (``model.variables``, ``model.optimizer.variables``: weights, step counter,
moments), the running totals of the epoch's mean metrics when saved mid-epoch, and the
run's place as the JSON attribute ``progress``: ``{"epoch": e, "step": s, "wall_s": t}``,
``e`` epochs and ``s`` steps of epoch ``e`` done. It is written beside and renamed, after
the one before it was kept as ``previous.h5`` (a hard link, or a copy): a kill never
leaves half a file, and a damaged latest one falls back to the previous one.

:class:`Checkpoint` saves every ``checkpoint_every`` steps of the run and at each epoch end;
:func:`restore` loads the latest one into a built model before training starts. Plain
HDF5 of public variable values, not Keras' private state: a checkpoint restores exactly
(the same float32 values), under any strategy. Imports nothing else of ``zoo.training``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from zoo.atomic import atomic_path
from zoo.errors import ZooError, summarize

FOLDER = "checkpoints"
LATEST, PREVIOUS = "latest.h5", "previous.h5"
LOAD_ERRORS = (OSError, ValueError, KeyError, TypeError)  # h5py, json, shapes, counts


@dataclass
class Progress:
    """How far a run got: ``epoch`` epochs and ``step`` steps of the next done."""

    epoch: int = 0
    step: int = 0
    wall_s: float = 0.0
    metrics: list | None = None  # [(path, value)] of the interrupted epoch's metric totals
    steps_per_epoch: int | None = None  # the epochs' length when saved (older files: None)

    def steps_done(self, steps_per_epoch: int) -> int:
        return self.epoch * steps_per_epoch + self.step


def loss_is_finite(logs) -> bool:
    loss = (logs or {}).get("loss")
    try:
        return loss is None or math.isfinite(float(loss))
    except (TypeError, ValueError):
        return True


def build_optimizer(model: keras.Model) -> None:
    """Make the optimizer's variables now (under the strategy's scope), so that a checkpoint
    can be restored into them before ``fit``."""
    optimizer = model.optimizer
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)


def _optimizer_variables(model) -> list:
    return list(model.optimizer.variables) if model.optimizer is not None else []


def _additive(variable) -> bool:
    """A mean metric's running ``total`` or ``count``: the totals of two parts add up."""
    return variable.path.rsplit("/", 1)[-1] in ("total", "count")


def _array(variable) -> np.ndarray:
    value = np.asarray(variable)
    return value.astype(np.float32) if value.dtype.kind == "V" or value.dtype.name == "bfloat16" \
        else value


def save(folder: Path, model: keras.Model, progress: Progress, metrics: bool = False) -> None:
    """Write the checkpoint of ``model`` at ``progress`` (with the metric totals if
    ``metrics``) as ``folder/latest.h5``, keeping the one before as ``previous.h5``; both
    written beside and renamed (:mod:`zoo.atomic`)."""
    groups = {"model": model.variables, "optimizer": _optimizer_variables(model),
              "metrics": [v for v in model.metrics_variables if _additive(v)] if metrics else []}
    with atomic_path(folder / LATEST) as saving:
        _write(saving, groups, progress)
        if (folder / LATEST).exists():
            _link_or_copy(folder / LATEST, folder / PREVIOUS)


def _write(saving: Path, groups: dict, progress: Progress) -> None:
    """A checkpoint file: the run's place as the ``progress`` attribute, and the values of
    ``groups`` (``{name: variables}``), each dataset named by its place, ``path`` attached."""
    import h5py

    with h5py.File(saving, "w") as f:
        place = {"epoch": progress.epoch, "step": progress.step,
                 "wall_s": round(progress.wall_s, 3)}
        if progress.steps_per_epoch is not None:
            place["steps_per_epoch"] = progress.steps_per_epoch
        f.attrs["progress"] = json.dumps(place)
        for name, variables in groups.items():
            group = f.create_group(name)
            for i, variable in enumerate(variables):
                group.create_dataset(str(i), data=_array(variable)).attrs["path"] = variable.path


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` becomes the file ``source`` is (a hard link, or a copy), atomically."""
    with atomic_path(target) as part:
        try:
            os.link(source, part)
        except OSError:
            shutil.copyfile(source, part)


def read(path: Path) -> tuple[Progress, dict[str, list[tuple[str, np.ndarray]]]]:
    """The progress and the saved values, by group, of a checkpoint file."""
    import h5py

    with h5py.File(path, "r") as f:
        place = json.loads(f.attrs["progress"])
        groups = {name: [(str(f[name][str(i)].attrs["path"]), f[name][str(i)][()])
                         for i in range(len(f[name]))] for name in ("model", "optimizer")}
        groups["metrics"] = [(str(d.attrs["path"]), d[()]) for _, d in sorted(
            f["metrics"].items(), key=lambda item: int(item[0]))] if "metrics" in f else []
    return _progress(place, groups["metrics"] or None), groups


def _progress(place, metrics) -> Progress:
    """The checkpoint's place, checked: epoch and step non-negative integers, the step
    within its epoch; anything else is a damaged checkpoint (ValueError)."""
    if not isinstance(place, dict):
        raise ValueError(f"its progress {place!r} is not a JSON object")
    epoch, step = place.get("epoch"), place.get("step")
    steps = place.get("steps_per_epoch")
    wall_s = place.get("wall_s", 0)
    if not (_count(epoch) and _count(step)):
        raise ValueError(f"its epoch {epoch!r} and step {step!r} are not both non-negative "
                         "integers")
    if steps is not None and not (_count(steps) and step < steps):
        raise ValueError(f"its step {step!r} is not within its epochs of {steps!r} steps")
    if isinstance(wall_s, bool) or not isinstance(wall_s, (int, float)) \
            or not math.isfinite(wall_s) or wall_s < 0:
        raise ValueError(f"its wall time {wall_s!r} is not a non-negative number")
    return Progress(epoch, step, float(wall_s), metrics, steps)


def _count(value) -> bool:
    """A non-negative integer (JSON's, not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def load(path: Path, model: keras.Model) -> Progress:
    """Assign the checkpoint's values to ``model`` and its optimizer (all checked first:
    a checkpoint that does not fit changes nothing). A constant learning rate is left as the
    recipe set it: a changed ``--lr`` applies on resume."""
    progress, groups = read(path)
    pairs = _pairs(model.variables, groups["model"], "model")
    if model.optimizer is not None:
        pairs += [(v, value) for v, value in _pairs(_optimizer_variables(model),
                                                    groups["optimizer"], "optimizer")
                  if not v.path.endswith("learning_rate")]
    for variable, value in pairs:
        variable.assign(value)
    return progress


def _pairs(variables, saved, what: str) -> list:
    for variable, (path, value) in zip(variables, saved):
        if tuple(variable.shape) != value.shape:
            raise ValueError(f"the {what}'s {variable.path} has shape {tuple(variable.shape)}, "
                             f"the checkpoint's {path} {value.shape}")
    if len(variables) != len(saved):
        missing = [v.path for v in variables[len(saved):]] or [p for p, _ in saved[len(variables):]]
        raise ValueError(f"the {what} has {len(variables)} variables, the checkpoint "
                         f"{len(saved)} ({', '.join(missing[:3])} unmatched)")
    return list(zip(variables, (value for _, value in saved)))


def restore(folder: Path, model: keras.Model) -> Progress | None:
    """Load the latest checkpoint in ``folder`` into ``model``, or the one before it where
    the latest does not load; None where there is none. One line where neither loads."""
    latest, previous = folder / LATEST, folder / PREVIOUS
    if not latest.exists() and not previous.exists():
        return None
    try:
        return load(latest, model)
    except LOAD_ERRORS as err:  # variables of another model, or a damaged file
        failure = err
    if previous.exists():
        try:
            progress = load(previous, model)
        except LOAD_ERRORS:
            pass
        else:
            _link_or_copy(previous, latest)
            print(f"note: the last checkpoint in {folder} did not load "
                  f"({summarize(failure, 120)}); resumed from the one before it")
            return progress
    raise ZooError(f"{folder}: the checkpoint does not load: it is damaged, or was saved by "
                   f"another model or optimizer ({summarize(failure, 160)}); resume with the "
                   "settings in the run's config.json, or give another --out")


def add_metric_totals(model: keras.Model, saved: list) -> None:
    """Add an interrupted epoch's saved metric totals to the running ones (the sums of the
    steps before and after the interruption), where the model's mean metrics match them."""
    current = [v for v in model.metrics_variables if _additive(v)]
    if _kinds(v.path for v in current) != _kinds(path for path, _ in saved):
        return  # (metric names are numbered per process: matched in order)
    for variable, (_, value) in zip(current, saved):
        variable.assign(np.asarray(variable) + value)


def _kinds(paths) -> list[str]:
    return [path.rsplit("/", 1)[-1] for path in paths]


class Checkpoint(keras.callbacks.Callback):
    """Saves a checkpoint every ``every`` steps of the run and at each epoch end, from the
    run's place ``start`` on (the batch numbers of a resumed epoch's first ``fit`` start at 0,
    ``start.step`` steps into it).

    After a non-finite loss nothing more is saved (``diverged``): the last finite checkpoint
    stays. ``writes=False`` (the workers of a multi-worker run that are not its chief) only
    watches the loss. With ``metrics``, the interrupted epoch's saved metric totals are added
    back after its first resumed step, so that its logged means cover all of its steps.
    """

    def __init__(self, folder: Path, every: int, steps_per_epoch: int, start: Progress,
                 writes: bool = True, metrics: bool = True):
        super().__init__()
        self.folder, self.every, self.start = Path(folder), every, start
        self.steps = steps_per_epoch
        self.writes, self.metrics = writes, metrics
        self.diverged, self.epoch, self.offset = False, start.epoch, 0
        self.pending = start.metrics if metrics and start.step else None
        self.saved_at = start.steps_done(steps_per_epoch)
        self.began = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.offset = self.start.step if epoch == self.start.epoch else 0

    def on_train_batch_end(self, batch, logs=None):
        self.diverged = self.diverged or not loss_is_finite(logs)
        if self.pending and self.epoch == self.start.epoch:
            add_metric_totals(self.model, self.pending)
        self.pending = None
        step = self.offset + batch + 1
        done = self.epoch * self.steps + step
        if step < self.steps and done // self.every > self.saved_at // self.every:
            self._save(Progress(self.epoch, step, steps_per_epoch=self.steps))

    def on_epoch_end(self, epoch, logs=None):
        self.diverged = self.diverged or not loss_is_finite(logs)
        self._save(Progress(epoch + 1, 0, steps_per_epoch=self.steps))

    def wall_s(self) -> float:
        """The run's training time so far, over all its starts."""
        return self.start.wall_s + time.monotonic() - self.began

    def _save(self, progress: Progress) -> None:
        self.saved_at = progress.steps_done(self.steps)
        if self.writes and not self.diverged:
            progress.wall_s = self.wall_s()
            save(self.folder, self.model, progress, metrics=self.metrics and progress.step > 0)


def skip_batches(data, count: int):
    """``data`` (a ``tf.data.Dataset``, an iterator or a ``keras.utils.PyDataset``) after its
    first ``count`` batches: where a resumed run goes on in the run's one stream of batches.
    A dataset skips lazily; an iterator is read ``count`` times; a ``PyDataset`` becomes the
    iterator of its passes, one ``on_epoch_end`` after each."""
    if count == 0:
        return data
    if is_dataset(data):
        return data.skip(count)
    if isinstance(data, keras.utils.PyDataset):
        data = _passes(data)
    if not hasattr(data, "__next__"):
        raise ZooError(f"a resumed run needs a tf.data pipeline, an iterator or a PyDataset, "
                       f"got {type(data).__name__}")
    return _rest(itertools.islice(data, count, None))


def take_batches(data, count: int):
    """The next ``count`` batches of ``data`` (a dataset read from its start, or an iterator
    read on), for a ``fit`` of ``count`` steps that leaves an iterator where it stopped."""
    return data.take(count) if is_dataset(data) else _rest(itertools.islice(data, count))


def _rest(iterator):
    yield from iterator


def _passes(sequence):
    while True:
        for index in range(len(sequence)):
            yield sequence[index]
        sequence.on_epoch_end()


def is_dataset(data) -> bool:
    try:
        import tensorflow as tf
    except ImportError:
        return False
    return isinstance(data, tf.data.Dataset)
