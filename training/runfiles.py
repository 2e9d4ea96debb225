"""The files of a run folder, the same for every recipe and strategy.

``config.json`` (the recipe; a folder of another model is refused), ``metrics.csv`` (one row
per epoch; a resumed run appends), ``checkpoints/`` (:mod:`zoo.training.checkpoints`),
TensorBoard logs in ``logs/`` (TensorFlow only), ``final.weights.h5`` (the model's weights
alone: the file that ships) and ``CARD.md``, a model-card draft written at the end.
Imports only :mod:`zoo.training.checkpoints` of ``zoo.training``.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import sys
from pathlib import Path

import keras

from zoo.atomic import atomic_path, write_text, writing
from zoo.errors import ZooError

from .checkpoints import FOLDER as CHECKPOINTS
from .checkpoints import LATEST, PREVIOUS

METRICS, CARD, FINAL = "metrics.csv", "CARD.md", "final.weights.h5"
RUN_FILES = ("config.json", METRICS, CARD, FINAL, f"{CHECKPOINTS}/{LATEST}",
             f"{CHECKPOINTS}/{PREVIOUS}")
"""The files of a run folder that a run writes over: refused read-only before any work."""


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
    return any((out / name).exists() for name in (CHECKPOINTS, FINAL, "backup",
                                                  "last.weights.h5"))  # and older runs'


def _model_label(config: dict) -> str:
    settings = config.get("model_config") or {}
    details = ", ".join(f"{k} {v}" for k, v in settings.items()) if isinstance(
        settings, dict) else str(settings)
    return f"{config.get('model', 'a model')}" + (f" ({details})" if details else "")


def write_config(out_dir: Path, config: dict) -> None:
    """Save the recipe as ``RUN_DIR/config.json`` (atomically)."""
    write_text(Path(out_dir) / "config.json", json.dumps(config, indent=2, default=str))


def keep_metrics_before(out_dir: Path, epoch: int) -> None:
    """Drop the rows of ``metrics.csv`` from ``epoch`` on: a run resumed at that epoch
    writes them again (a kill between a row and its checkpoint would repeat one)."""
    path = Path(out_dir) / METRICS
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError:
        return
    kept = rows[:1] + [row for row in rows[1:] if row and int(float(row[0])) < epoch]
    if len(kept) < len(rows):
        with writing(path, "w", newline="") as f:
            csv.writer(f).writerows(kept)


def last_metrics(out_dir: Path) -> dict:
    try:
        with open(Path(out_dir) / METRICS, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return {}
    return rows[-1] if rows else {}


def diverged_error(out_dir: Path) -> ZooError:
    """The one-line error of a run whose loss stopped being finite."""
    return ZooError("training diverged (the loss is no longer finite): no final weights; the "
                    f"last finite checkpoint stays in {Path(out_dir) / CHECKPOINTS}; a lower "
                    "learning rate (--lr) may help")


def uncompiled_copy(model: keras.Model) -> keras.Model:
    """The model rebuilt from its config with its weights: no optimizer, no strategy."""
    bare = model.__class__.from_config(model.get_config())
    bare.set_weights(model.get_weights())
    return bare


def save_model_weights(model: keras.Model, path: Path) -> None:
    """Save the model's weights alone (no optimizer state): the file that ships."""
    bare = uncompiled_copy(model)
    with atomic_path(path) as saving:  # then renamed: never half a file
        bare.save_weights(str(saving))


def command_line(given: str | None = None) -> str:
    """The command that trained: ``given``, or this process's when it is ``zoo``'s."""
    if given:
        return given
    program = Path(sys.argv[0]).name if sys.argv else ""
    if program == "zoo" or sys.argv[0].endswith(os.path.join("zoo", "cli", "main.py")):
        return " ".join(["zoo", *sys.argv[1:]])
    return f"(not from the zoo command: {' '.join(sys.argv)})"


def hardware(replicas: int) -> dict:
    gpus = "unknown"
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        found = tf.config.list_physical_devices("GPU")
        gpus = ", ".join(d.name for d in found) or "none"
    elif keras.backend.backend() == "jax":
        import jax

        found = [d for d in jax.devices() if d.platform != "cpu"]
        gpus = ", ".join(str(d) for d in found) or "none"
    return {"platform": platform.platform(), "CPUs": os.cpu_count(), "GPUs seen": gpus,
            "backend": f"{keras.backend.backend()} (Keras {keras.__version__})",
            "replicas": replicas}


def write_card(out_dir: Path, run, config: dict | None, replicas: int, wall_s: float) -> None:
    """``RUN_DIR/CARD.md``: what the model card of the run's weights starts from."""
    config = config or {}
    model = config.get("model", "model")
    epochs, steps = run.epochs, run.steps_per_epoch
    metrics = last_metrics(out_dir)
    training = {"epochs": epochs, "steps per epoch": steps, "steps": epochs * steps,
                "batch size": config.get("batch_size", "see config"), "strategy": run.strategy,
                "wall time": f"{wall_s / 60:.1f} min ({wall_s:.0f} s, over all starts)"}
    lines = [f"# {model}: model card draft", "",
             f"Written by the trainer at the end of the run in `{out_dir}`; complete it (data, "
             "evaluation, intended use, limits) before the weights ship.", "",
             "## Command", "", "```", command_line(getattr(run, "command", None)), "```", "",
             "## Training", "", *_table(training), "", "## Hardware", "",
             *_table(hardware(replicas)), "",
             f"## Last epoch's metrics (epoch {int(float(metrics.get('epoch', -1))) + 1})", "",
             *_table({k: v for k, v in metrics.items() if k != "epoch" and v != "NA"}), "",
             "## Config (config.json)", "", *_table(config), ""]
    write_text(Path(out_dir) / CARD, "\n".join(lines))


def _table(values: dict) -> list[str]:
    return ["| | |", "|---|---|", *(f"| {k} | {_cell(v)} |" for k, v in values.items())]


def _cell(value) -> str:
    text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return text.replace("|", "\\|")
