"""Where training runs: one device, ``MirroredStrategy``, ``DataParallel`` or several machines.

:func:`distribution` gives the scope for ``auto``, ``default`` and ``mirrored``;
``multiworker`` is ``tf.distribute.MultiWorkerMirroredStrategy`` (:func:`worker_strategy`),
configured by ``TF_CONFIG`` (:func:`cluster_task`), where only the chief (:func:`is_chief`)
writes the run's files (:func:`writes_files`). Imports nothing else of ``zoo.training``.
"""

from __future__ import annotations

import contextlib
import json
import os

import keras

from zoo.errors import ZooError

TF_CONFIG_HELP = ("--strategy multiworker needs TF_CONFIG naming the cluster and this worker, "
                  "e.g. '{\"cluster\": {\"worker\": [\"host1:12345\", \"host2:12345\"]}, "
                  "\"task\": {\"type\": \"worker\", \"index\": 0}}'")


def distribution(strategy: str = "auto"):
    """``(scope, replicas)`` for ``strategy`` in {auto, default, mirrored} on the current backend
    (``"multiworker"`` is :func:`worker_strategy`'s)."""
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


def is_chief(cluster: dict, kind: str, index: int) -> bool:
    """The task that writes: the ``chief`` if the cluster has one, else worker 0."""
    return kind == "chief" or ("chief" not in cluster and kind == "worker" and index == 0)


def writes_files(strategy: str) -> bool:
    """Whether this process writes the run's files and messages: all but the workers of a
    multi-worker run that are not its chief."""
    return strategy != "multiworker" or is_chief(*cluster_task())


def workers_in(cluster: dict) -> int:
    return sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))


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

        print(f"{kind} {index}: joining the other workers of {workers_in(cluster)} (it waits "
              "until all of them have started)", flush=True)
        stop_on_signals()  # Ctrl-C during the wait for the others, inside TensorFlow
        try:
            _STRATEGY = tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as err:
            if "program startup" not in str(err):
                raise
            raise ZooError("MultiWorkerMirroredStrategy must be made before any TensorFlow "
                           "work: call zoo.training.multiworker.worker_strategy() first") from None
        stop_on_signals()  # again: making the strategy installed TensorFlow's SIGTERM handler
    return _STRATEGY


def stop_on_signals() -> None:
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


def interrupt_again() -> None:
    """Ctrl-C raises KeyboardInterrupt again (the command's resume hint) once training runs."""
    import signal

    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:
        pass
