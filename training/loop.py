"""The one training loop of every strategy: restore, callbacks, the ``fit`` calls, the end.

1. :func:`start`: the run's checkpoint (:mod:`zoo.training.checkpoints`) is restored into
   the built model before any training, and says where the run goes on: ``epoch`` epochs
   and ``step`` steps of the next one done.
2. :func:`segments` and :func:`segment_data`: a run resumed mid-epoch trains the rest of
   the interrupted epoch first (``steps_per_epoch - step`` steps, ``initial_epoch=epoch``),
   then the remaining epochs whole; the data are the run's one stream of batches read on
   from batch ``epoch * steps_per_epoch + step`` (the pipelines are seeded and repeat, so
   the batches are those an uninterrupted run sees), and the optimizer's step counter,
   which drives the learning-rate schedules, goes on from the checkpoint's. So a run killed
   any number of times on one device ends with the weights and ``metrics.csv`` of one that
   never was (a test kills one twice): the interrupted epoch's mean metrics include its steps
   before the kill, where the metrics are means (under ``multiworker`` they cover only the
   steps after it). Under ``MirroredStrategy`` and ``multiworker`` the steps, epochs and
   optimizer state go on as exactly, but the batches after a resume mid-pass can differ
   from an uninterrupted run's where the pipeline reshuffles each pass
   (``shuffle(reshuffle_each_iteration=True)``, as the recipes' do): the distributed
   pipeline draws its reshuffles anew, so the skipped stream is another order (measured:
   without reshuffling it is the same).
3. :func:`callbacks`: the same list for every strategy (progress bar, ``metrics.csv``,
   checkpoints, ``TerminateOnNaN``, TensorBoard, the caller's); each segment is one
   ``model.fit(..., initial_epoch=...)``, or :mod:`zoo.training.multiworker`'s loop that
   calls them as ``fit`` does.
4. :func:`finish`: one line for a diverged run, else ``final.weights.h5`` and ``CARD.md``.

Imports :mod:`~zoo.training.checkpoints` and :mod:`~zoo.training.runfiles` only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras

from zoo.errors import ZooError

from . import checkpoints
from .checkpoints import Checkpoint, Progress, is_dataset, skip_batches, take_batches
from .runfiles import (
    FINAL,
    METRICS,
    diverged_error,
    keep_metrics_before,
    save_model_weights,
    write_card,
    write_config,
)


def start(model: keras.Model, run, config: dict | None) -> Progress:
    """Restore the run's checkpoint into ``model`` (built, its optimizer too), say where the
    run goes on, and write ``config.json`` (only once the checkpoint loaded: a refused one
    leaves the run's own config in place)."""
    out = Path(run.out_dir)
    progress = checkpoints.restore(out / checkpoints.FOLDER, model)
    if progress is not None:
        progress = _within_epochs(progress, run.steps_per_epoch)
        _say_where(out, progress, run)
    elif (out / "backup").is_dir():
        print(f"note: {out / 'backup'} is the checkpoint of an older trainer, which this one "
              "does not read: training starts afresh")
    progress = progress or Progress()
    if config is not None:
        write_config(out, config)
    keep_metrics_before(out, progress.epoch)
    return progress


def _within_epochs(progress: Progress, steps_per_epoch: int) -> Progress:
    """A checkpoint saved with longer epochs than the run has now goes on at the next."""
    if progress.step >= steps_per_epoch:
        return Progress(progress.epoch + 1, 0, progress.wall_s)
    return progress


def _say_where(out: Path, progress: Progress, run) -> None:
    if progress.epoch >= run.epochs:
        print(f"note: the run in {out} has done its {progress.epoch} epochs: nothing left to "
              "train (a larger --epochs goes on)")
    else:
        within = (f", step {progress.step + 1} of {run.steps_per_epoch}" if progress.step
                  else "")
        print(f"resuming {out} from its checkpoint, at epoch {progress.epoch + 1}{within}")


def segments(progress: Progress, run) -> list[tuple[int, int, int]]:
    """``(initial_epoch, epochs, steps_per_epoch)`` of each ``fit`` that finishes the run."""
    first, parts = progress.epoch, []
    if first < run.epochs and progress.step:
        parts.append((first, first + 1, run.steps_per_epoch - progress.step))
        first += 1
    if first < run.epochs:
        parts.append((first, run.epochs, run.steps_per_epoch))
    return parts


def segment_data(make_data: Callable[[], object], progress: Progress, run):
    """Each segment with its data: the run's stream of batches, read on from where
    ``progress`` is (``make_data`` is called only if there is something to train).

    A ``tf.data`` pipeline is made anew for each segment and skips the batches before it:
    a dataset that reshuffles draws another order for each iterator made from it, so an
    iterator of the interrupted epoch's rest would change the order of the next one's.
    An iterator is read on from where the segment before stopped.
    """
    parts, done = segments(progress, run), progress.steps_done(run.steps_per_epoch)
    if not parts:
        return
    data = make_data()
    stream = None if is_dataset(data) else skip_batches(data, done)
    for number, (first, last, steps) in enumerate(parts):
        if stream is None:
            part = skip_batches(data if number == 0 else make_data(), done)
        else:
            part = stream
        short = last - first == 1 and steps < run.steps_per_epoch  # the interrupted epoch's rest
        yield (first, last, steps), take_batches(part, steps) if short else part
        done += steps * (last - first)


class EpochsOfTheRun(keras.callbacks.ProgbarLogger):
    """Keras' progress bar, numbering the epochs of the whole run ("Epoch 2/3" for the
    rest of an interrupted epoch, which is a ``fit`` of one epoch)."""

    def __init__(self, epochs: int):
        super().__init__()
        self.run_epochs = epochs

    def set_params(self, params):
        super().set_params({**params, "epochs": self.run_epochs})


def callbacks(run, progress: Progress, verbose, writes: bool = True, metrics: bool = True
              ) -> tuple[list[keras.callbacks.Callback], Checkpoint]:
    """The callbacks of every strategy, and the checkpoint callback among them. ``writes``:
    this process writes the run's files (not the other workers of a multi-worker run)."""
    out = Path(run.out_dir)
    checkpoint = Checkpoint(out / checkpoints.FOLDER, run.checkpoint_every,
                            run.steps_per_epoch, progress, writes=writes, metrics=metrics)
    shown = [EpochsOfTheRun(run.epochs)] if verbose != 0 else []
    if not writes:
        return [*shown, checkpoint, keras.callbacks.TerminateOnNaN()], checkpoint
    listed = [*shown,
              keras.callbacks.CSVLogger(str(out / METRICS), append=True),  # before the
              checkpoint,  # checkpoint that records its epoch as done
              keras.callbacks.TerminateOnNaN()]
    if run.tensorboard and _has_tensorflow():
        listed.append(keras.callbacks.TensorBoard(str(out / "logs"), update_freq=50))
    return listed + list(run.callbacks), checkpoint


def _has_tensorflow() -> bool:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def finish(model: keras.Model, run, config: dict | None, checkpoint: Checkpoint,
           histories: list, replicas: int, writes: bool = True) -> keras.callbacks.History:
    """One line for a diverged run; else ``final.weights.h5`` and ``CARD.md`` (where this
    process writes); the segments' histories as one."""
    if checkpoint.diverged:
        raise diverged_error(run.out_dir)
    if writes:
        save_model_weights(model, Path(run.out_dir) / FINAL)
        write_card(Path(run.out_dir), run, config, replicas, checkpoint.wall_s())
    return merged_history(model, histories)


def merged_history(model: keras.Model, histories: list) -> keras.callbacks.History:
    merged = keras.callbacks.History()
    merged.set_model(model)
    merged.epoch, merged.history = [], {}
    for history in histories:
        merged.epoch += list(history.epoch)
        for name, values in history.history.items():
            merged.history.setdefault(name, []).extend(values)
    return merged


def check_steps(run) -> None:
    if run.steps_per_epoch < 1:
        raise ZooError(f"an epoch needs at least one step, got steps_per_epoch "
                       f"{run.steps_per_epoch}")
