"""Training on several machines: ``tf.distribute.MultiWorkerMirroredStrategy``.

Every machine runs the same command with ``--strategy multiworker`` and a
``TF_CONFIG`` environment variable that names the cluster and its own place in
it (TensorFlow's convention)::

    TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                "task": {"type": "worker", "index": 0}}' \\
        zoo train vdsr --data T91 BSD200 --out runs/vdsr --strategy multiworker

(``"index": 1`` on ``host2``). The chief (worker 0, or the task of type
``chief``) writes the checkpoints, ``history.csv``, TensorBoard logs and the
weights into its ``--out``, and on a second start restores its checkpoint; every
other worker then takes the chief's weights, optimizer state and epoch, so its
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
``strategy.run`` inside a ``tf.function`` and calls the same callbacks, in the
same order, as ``fit`` would: resume, checkpoints, progress and logs behave as
in :mod:`zoo.training.trainer`. TensorFlow only; ``--steps-per-execution`` is
not used here (one step per call).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import keras

from zoo.errors import ZooError
from zoo.progress import fit_verbosity

TF_CONFIG_HELP = ("--strategy multiworker needs TF_CONFIG naming the cluster and this worker, "
                  "e.g. '{\"cluster\": {\"worker\": [\"host1:12345\", \"host2:12345\"]}, "
                  "\"task\": {\"type\": \"worker\", \"index\": 0}}'")


def cluster_task() -> tuple[dict, str, int]:
    """``(cluster, task type, task index)`` from ``TF_CONFIG``, refused in one line if unusable."""
    try:
        config = json.loads(os.environ["TF_CONFIG"])
        cluster, task = config["cluster"], config["task"]
        kind, index = str(task["type"]), int(task["index"])
        members = cluster[kind]
    except (KeyError, TypeError, ValueError):
        raise ZooError(TF_CONFIG_HELP) from None
    if not 0 <= index < len(members):
        raise ZooError(f"TF_CONFIG: task index {index} is not in the cluster's {len(members)} "
                       f"{kind} addresses")
    return cluster, kind, index


_STRATEGY = None


def worker_strategy():
    """This process's ``MultiWorkerMirroredStrategy``, made on the first call.

    TensorFlow configures its collective ops once, before anything else runs: the
    command line calls this first; a script must call it before any TensorFlow work.
    """
    global _STRATEGY
    if _STRATEGY is None:
        if keras.backend.backend() != "tensorflow":
            raise ZooError("--strategy multiworker needs the tensorflow backend, not "
                           f"{keras.backend.backend()}")
        cluster, kind, index = cluster_task()
        import tensorflow as tf

        print(f"{kind} {index}: joining the other workers of {_workers(cluster)} (it waits until "
              "all of them have started)", flush=True)
        _stop_on_signals()  # Ctrl-C during the wait for the others, inside TensorFlow
        try:
            _STRATEGY = tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as err:
            if "program startup" not in str(err):
                raise
            raise ZooError("MultiWorkerMirroredStrategy must be made before any TensorFlow "
                           "work: call zoo.training.multiworker.worker_strategy() first") from None
        _stop_on_signals()  # again: making the strategy installed TensorFlow's SIGTERM handler
    return _STRATEGY


def _stop_on_signals() -> None:
    """SIGTERM stops the process again, and Ctrl-C too until training starts.

    The strategy installs a SIGTERM handler of its own (TensorFlow's preemption
    notifier) that nothing here acts on, so ``kill``, ``timeout`` or a job scheduler
    could not stop a worker. While a worker waits inside TensorFlow for the others
    to join, Python's Ctrl-C handler never runs; the default action (exit) does.
    """
    import signal

    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    except ValueError:  # not the main thread: leave the handlers alone
        pass


def _interrupt_again() -> None:
    """Ctrl-C raises KeyboardInterrupt again (the command's resume hint) once training runs."""
    import signal

    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:
        pass


def is_chief(cluster: dict, kind: str, index: int) -> bool:
    """The task that writes: the ``chief`` if the cluster has one, else worker 0."""
    return kind == "chief" or ("chief" not in cluster and kind == "worker" and index == 0)


def fit(build_and_compile: Callable[[], keras.Model], make_data: Callable[[int], object],
        run, config: dict | None = None):
    """:func:`zoo.training.trainer.fit` under ``MultiWorkerMirroredStrategy``."""
    from .trainer import (
        diverged_error,
        save_model_weights,
        standard_callbacks,
        uncompiled_copy,
    )

    workers = worker_strategy()
    cluster, kind, index = cluster_task()
    chief = is_chief(cluster, kind, index)
    replicas = workers.num_replicas_in_sync
    with _collectives_failing_in_one_line(), workers.scope():
        model = build_and_compile()
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
    if chief:
        print(f"training on {replicas} replicas in {_workers(cluster)} workers")
    data = _distribute(workers, make_data(replicas), replicas)
    train_function = _train_function(workers, model)
    model.train_function = train_function  # what fit sets, and TensorBoard draws
    callbacks = (standard_callbacks(run, config) if chief
                 else [keras.callbacks.TerminateOnNaN()])  # others restore nothing, write nothing
    verbose = fit_verbosity(run.verbose) if chief else 0
    history = keras.callbacks.History()
    callback_list = keras.callbacks.CallbackList(
        [*callbacks, history], add_progbar=verbose != 0, model=model, verbose=verbose,
        epochs=run.epochs, steps=run.steps_per_epoch)
    with _collectives_failing_in_one_line():
        diverged = _loop(model, callback_list, train_function, iter(data), run, workers)
    if diverged:
        raise diverged_error(run.out_dir)
    if chief:
        save_model_weights(model, Path(run.out_dir) / "final.weights.h5")
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


def _workers(cluster: dict) -> int:
    return sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))


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


def _loop(model, callbacks, train_function, iterator, run, strategy) -> bool:
    """The epochs and steps of Keras' ``fit``, with its callback calls; True if diverged."""
    from .trainer import loss_is_finite

    model.stop_training = False
    model._initial_epoch = 0
    callbacks.on_train_begin()  # the chief's Backup restores its checkpoint here
    first = _take_the_chiefs_state(strategy, model)
    _interrupt_again()
    logs, diverged = {}, False
    for epoch in range(first, run.epochs):
        model.reset_metrics()  # as fit: an epoch's logs are its own means
        callbacks.on_epoch_begin(epoch)
        for step in range(run.steps_per_epoch):
            callbacks.on_train_batch_begin(step)
            logs = {k: float(v) for k, v in train_function(iterator).items()}
            diverged = diverged or not loss_is_finite(logs)
            callbacks.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callbacks.on_train_end(logs)
    return diverged


def _take_the_chiefs_state(strategy, model) -> int:
    """Every worker goes on from the chief's weights, optimizer state and epoch.

    Only the chief restores the checkpoint; the others could not be trusted to see the
    same files (a folder that is not shared, or one written a moment later). Replica 0,
    the chief's first device, gives its values; the others give zeros; the sum over the
    replicas, in float64 (exact for float32 values and counters below 2^53), is assigned
    everywhere. Returns the epoch to start from.
    """
    import tensorflow as tf

    variables = list(model.variables) + list(model.optimizer.variables)
    epoch = float(model._initial_epoch or 0)

    def share():
        first = tf.cast(tf.equal(tf.distribute.get_replica_context().replica_id_in_sync_group,
                                 0), tf.float64)
        return [tf.cast(v.value, tf.float64) * first for v in variables] + [
            tf.constant(epoch, tf.float64) * first]

    @tf.function
    def chiefs_values():
        shares = strategy.run(share)
        return [strategy.reduce("SUM", value, axis=None) for value in shares]

    values = chiefs_values()
    for variable, value in zip(variables, values):
        variable.assign(tf.cast(value, variable.dtype))
    model._initial_epoch = round(float(values[-1]))
    return model._initial_epoch
