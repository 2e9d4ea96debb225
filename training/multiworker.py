"""Training on several machines: ``tf.distribute.MultiWorkerMirroredStrategy``.

Every machine runs the same command with ``--strategy multiworker`` and a
``TF_CONFIG`` environment variable that names the cluster and its own place in
it (TensorFlow's convention)::

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}' \\
        zoo train vdsr --data T91 BSD200 --out runs/vdsr --strategy multiworker

(``"index": 1`` on ``host2``). The chief (worker 0, or the task of type
``chief``) writes the checkpoints, ``metrics.csv``, TensorBoard logs, the
weights and ``CARD.md`` into its ``--out``, and on a second start restores its checkpoint;
every other worker then takes the chief's weights, optimizer state and place, so its
``--out`` (where it keeps only its patch cache) need not be shared. Each worker
builds the same data pipeline (same seed) and reads its share of every global
batch (``AutoShardPolicy.DATA``); gradients are summed over the workers before
VDSR's clipping and decay (:func:`zoo.training.optimizers.summed_over_replicas`),
so two workers give the weights of one process with the same batch, to rounding
(a test checks it, and a resume). Batch normalization (DeepWarp) keeps each
worker's statistics of its share of the batch, as Keras' MirroredStrategy does;
the chief's are saved.

Signals: SIGTERM and Ctrl-C stop a worker (a worker that loses its peer stops with
one line); only while the strategy is first made and waits for the others to
start does TensorFlow's own SIGTERM handler keep a worker alive (Ctrl-C works).

Why not ``model.fit``: Keras 3's ``fit`` fails under this strategy while
reducing the per-replica outputs (keras-team/keras#20585, open for Keras 3.15).
The model's own ``train_step`` works there, so :func:`fit` runs it with
``strategy.run`` inside a ``tf.function`` and calls the callbacks of
:mod:`zoo.training.loop`, in the same order, as ``fit`` would, over the same segments
(resume, checkpoints, progress and logs as in :mod:`zoo.training.trainer`), except that the
interrupted epoch's logged means cover only its steps after the resume (reading the
metrics' totals alone would wait for the other workers). TensorFlow only;
``--steps-per-execution`` is not used here (one step per call). Imports
:mod:`~zoo.training.strategies`, :mod:`~zoo.training.checkpoints`,
:mod:`~zoo.training.loop` and :mod:`~zoo.training.runfiles`, never the trainer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import keras

from zoo.errors import ZooError
from zoo.progress import fit_verbosity

from . import loop
from .checkpoints import Progress, build_optimizer
from .runfiles import uncompiled_copy
from .strategies import (  # noqa: F401 - cluster_task, is_chief, worker_strategy: re-exported
    cluster_task,
    interrupt_again,
    is_chief,
    worker_strategy,
    workers_in,
)


def fit(build_and_compile: Callable[[], keras.Model], make_data: Callable[[int], object],
        run, config: dict | None = None):
    """:func:`zoo.training.trainer.fit` under ``MultiWorkerMirroredStrategy``."""
    workers = worker_strategy()
    cluster, kind, index = cluster_task()
    chief = is_chief(cluster, kind, index)
    replicas = workers.num_replicas_in_sync
    with _collectives_failing_in_one_line(), workers.scope():
        model = build_and_compile()
        build_optimizer(model)
    if chief:
        print(f"training on {replicas} replicas in {workers_in(cluster)} workers")
    found = loop.start(model, run, config) if chief else Progress()  # the chief restores
    with _collectives_failing_in_one_line():
        progress = _take_the_chiefs_state(workers, model, found)
    interrupt_again()
    model.train_function = _train_function(workers, model)  # what fit sets, TensorBoard draws
    verbose = fit_verbosity(run.verbose) if chief else 0
    callbacks, checkpoint = loop.callbacks(run, progress, verbose, writes=chief, metrics=False)
    histories = []
    with _collectives_failing_in_one_line():
        for segment, data in loop.segment_data(lambda: make_data(replicas), progress, run):
            iterator = iter(_distribute(workers, data, replicas))
            histories.append(_fit_segment(model, callbacks, iterator, segment, verbose))
    history = loop.finish(model, run, config, checkpoint, histories, replicas, writes=chief)
    # Outside the strategy: predicting with the distributed model runs collective ops, which
    # would wait for the workers that have finished (the chief evaluates alone).
    return uncompiled_copy(model), history


@contextlib.contextmanager
def _collectives_failing_in_one_line():
    """A worker that stopped or cannot be reached: one line, not TensorFlow's traceback."""
    import tensorflow as tf

    try:
        yield
    except (tf.errors.UnavailableError, tf.errors.CancelledError,
            tf.errors.DeadlineExceededError, tf.errors.InternalError) as err:
        raise ZooError(f"another worker stopped or cannot be reached ({type(err).__name__}); "
                       "start the command again on every worker: the run resumes from the "
                       "chief's last checkpoint") from None


def _distribute(strategy, dataset, replicas: int):
    """Each worker reads its share of every global batch of the same (seeded) pipeline."""
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        raise ZooError(f"--strategy multiworker needs a tf.data pipeline, got "
                       f"{type(dataset).__name__}")
    batch = _batch_size(dataset)
    if batch is not None and batch % replicas:
        raise ZooError(f"a batch of {batch} does not split over {replicas} replicas: give a "
                       f"--batch-size that is a multiple of {replicas}")
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def _batch_size(dataset) -> int | None:
    import tensorflow as tf

    first = tf.nest.flatten(dataset.element_spec)[0]
    return first.shape[0] if first.shape.rank else None


def _train_function(strategy, model):
    """One step of ``model.train_step`` on every replica; the logs averaged over replicas."""
    import tensorflow as tf

    @tf.function
    def train_function(iterator):
        logs = strategy.run(model.train_step, args=(next(iterator),))
        return {name: strategy.reduce("MEAN", value, axis=None) for name, value in logs.items()}

    return train_function


def _fit_segment(model, callbacks, iterator, segment, verbose) -> keras.callbacks.History:
    """One ``model.fit(initial_epoch=first, epochs=last, steps_per_epoch=steps)``: its epochs
    and steps, with its callback calls."""
    first, last, steps = segment
    history = keras.callbacks.History()
    calls = keras.callbacks.CallbackList([*callbacks, history], add_progbar=False, model=model,
                                         verbose=verbose, epochs=last, steps=steps)
    model.stop_training = False
    calls.on_train_begin()
    logs = {}
    for epoch in range(first, last):
        model.reset_metrics()  # as fit: an epoch's logs are its own means
        calls.on_epoch_begin(epoch)
        for step in range(steps):
            calls.on_train_batch_begin(step)
            logs = {k: float(v) for k, v in model.train_function(iterator).items()}
            calls.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        calls.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    calls.on_train_end(logs)
    return history


def _take_the_chiefs_state(strategy, model, progress: Progress) -> Progress:
    """Every worker goes on from the chief's weights, optimizer state and place in the run.

    Only the chief restores the checkpoint; the others could not be trusted to see the
    same files (a folder that is not shared, or one written a moment later). Replica 0,
    the chief's first device, gives its values; the others give zeros; the sum over the
    replicas, in float64 (exact for float32 values and counters below 2^53), is assigned
    everywhere. Returns the chief's ``progress`` (its epoch, step and training time).
    """
    import tensorflow as tf

    variables = list(model.variables) + list(model.optimizer.variables)
    place = [float(progress.epoch), float(progress.step), float(progress.wall_s)]

    def share():
        first = tf.cast(tf.equal(tf.distribute.get_replica_context().replica_id_in_sync_group,
                                 0), tf.float64)
        return [tf.cast(v.value, tf.float64) * first for v in variables] + [
            tf.constant(x, tf.float64) * first for x in place]

    @tf.function
    def chiefs_values():
        shares = strategy.run(share)
        return [strategy.reduce("SUM", value, axis=None) for value in shares]

    values = chiefs_values()
    for variable, value in zip(variables, values):
        variable.assign(tf.cast(value, variable.dtype))
    epoch, step, wall_s = (float(v) for v in values[-3:])
    return Progress(round(epoch), round(step), wall_s)
