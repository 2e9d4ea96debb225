"""Deep Image Prior fitting (Ulyanov et al. 2018, Eq. 2): ``min_theta E(f_theta(z); x0)``.

One corrupted image ``x0`` and a random network ``f``; the data term decides
the task:

* denoising: ``||f(z) - x0||^2``;
* inpainting and restoration: ``||(f(z) - x0) * m||^2`` with the mask ``m``
  (1 where ``x0`` is known);
* super-resolution: ``||d(f(z)) - x0||^2`` with ``d`` the Lanczos-2
  downsampler (:class:`zoo.layers.LanczosDownsampler`).

The loss is the mean over all pixels and channels (PyTorch's ``MSELoss`` of the
official code). Each step adds ``N(0, reg_noise_std)`` to ``z``, takes one Adam
step (PyTorch's defaults: betas 0.9/0.999, epsilon 1e-8) and, when asked,
updates an exponential average of the outputs. The whole step, including the
perturbation and the average, is one compiled function (``tf.function`` or
``jax.jit``): ``z``, the target and the mask stay on the device, and nothing is
traced again after the first step (:attr:`DIPFitter.traces` counts).

A long fit survives a kill: ``Fit.run(..., state_dir=DIR)`` saves everything
the next step depends on (network, optimizer moments, output average, the
perturbation's random-generator state, the guard's fallback) about every
minute and on Ctrl-C, and the same call on a new ``Fit`` of the same problem
continues from there to the same result as an unbroken run.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from keras import ops

from zoo.errors import ZooError
from zoo.layers import AlwaysTraining, FixedInput, LanczosDownsampler, OutputAverage
from zoo.models.dip import TASKS, DIPTask, build
from zoo.progress import progress as progress_bar

from zoo.models.dip.problems import Problem, psnr01
from zoo.fit_state import (clear_state, continuing, ctrl_c_between_steps, digest, has_state,
                            load_state, save_state)

__all__ = ["DIPFitter", "Fit", "FitInterrupted", "FitResult", "LoopState", "Problem",
           "clear_state", "data_term", "has_state", "make_code", "psnr01"]

GUARD_DROP_DB = 5.0  # the notebooks' "if psnr - psnr_last < -5: fall back"
Z_SCALE = 0.1  # get_noise(..., var=1./10): z ~ U(0, 1) * 0.1


def data_term(prediction, observed, mask=None):
    """The mean squared error of Eq. 2, over known pixels only when ``mask`` is given."""
    diff = prediction - observed
    if mask is not None:
        diff = diff * mask
    return ops.mean(ops.square(diff))


def make_code(task: DIPTask, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The fixed input ``z``: uniform noise times 0.1, or a meshgrid (x, y in [0, 1])."""
    h, w = shape
    if task.input == "noise":
        return (rng.random((h, w, task.input_depth)) * Z_SCALE).astype(np.float32)
    if task.input == "meshgrid":
        if task.input_depth != 2:
            raise ValueError("a meshgrid input has 2 channels")
        x, y = np.meshgrid(np.arange(w) / (w - 1), np.arange(h) / (h - 1))
        return np.stack([x, y], axis=-1).astype(np.float32)
    raise ValueError(f"unknown input {task.input!r}; use noise or meshgrid")


def padded_size(n: int, levels: int) -> int:
    """``n`` rounded up to a multiple of ``2 ** levels``, and at least two of them.

    The coarsest feature map must be 2 pixels or more for its reflection padding.
    """
    unit = 2**levels
    return int(max(2, math.ceil(n / unit)) * unit)


class DIPFitter(keras.Model):
    """The compiled fitting step around a generator ``net`` (one Keras model, any backend).

    Input: a dummy ``(1, 1)`` array. Output: the fitted quantity (the image, or
    its downsampled version for super-resolution). ``net`` may produce an image
    larger than needed (sizes padded to a multiple of ``2 ** scales``); it is
    cropped to ``output_shape`` at the top left.
    """

    def __init__(self, net: keras.Model, z: np.ndarray, problem: Problem,
                 reg_noise_std: float, exp_weight: float):
        dummy = keras.Input(shape=(1,), batch_size=1, name="step")
        fixed = FixedInput(z.shape, name="z")
        code = fixed(dummy)
        if reg_noise_std > 0:
            code = keras.layers.GaussianNoise(reg_noise_std, name="reg_noise")(code)
        out_h, out_w, _ = problem.output_shape
        crop = keras.layers.Cropping2D(((0, z.shape[0] - out_h), (0, z.shape[1] - out_w)),
                                       name="crop")
        image = crop(net(code))
        average = OutputAverage(problem.output_shape, exp_weight, name="average")
        if exp_weight > 0:
            image = average(image)
        fitted = LanczosDownsampler(problem.scale, name="d")(image) if problem.scale > 1 else image
        super().__init__(dummy, fitted, name="dip_fitter")
        fixed.set_value(z)
        # f(z) without the perturbation, batch norm on the image's own statistics, compiled.
        self.render = keras.Model(dummy, crop(AlwaysTraining(net)(fixed(dummy))), name="render")
        self.net, self.average_layer = net, (average if exp_weight > 0 else None)
        self.observed = ops.convert_to_tensor(problem.observed[None])
        self.mask = None if problem.mask is None else ops.convert_to_tensor(problem.mask[None])
        self.traces = 0

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        self.traces += 1  # Python runs here only while a step is being traced
        return data_term(y_pred, self.observed, self.mask)


@dataclass
class FitResult:
    image: np.ndarray  # the result: the output average if one was kept, else the last output
    last: np.ndarray  # f(z) at the end, without the input perturbation
    average: np.ndarray | None
    history: list[dict] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    restarts: int = 0
    traces: int = 0
    psnr: float | None = None


class Fit:
    """A Deep Image Prior run: build, then ``run()`` steps with logging, guard and snapshots."""

    def __init__(self, problem: Problem, task: DIPTask | str = "denoising", seed: int = 0,
                 network: dict | None = None):
        self.task = TASKS[task] if isinstance(task, str) else task
        self.problem = problem
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        out_h, out_w, channels = problem.output_shape
        levels = len(self.task.network.get("channels_down", (0,) * 4))
        if self.task.architecture == "unet":
            levels = 4
        size = (padded_size(out_h, levels), padded_size(out_w, levels))
        settings = {**self.task.network, **(network or {})}
        self.net = build(self.task.architecture, input_channels=self.task.input_depth,
                         output_channels=channels, image_shape=size, **settings)
        self.z = make_code(self.task, size, rng)
        self.fitter = DIPFitter(self.net, self.z, problem, self.task.reg_noise_std,
                                self.task.exp_weight)
        self.fitter.compile(optimizer=keras.optimizers.Adam(self.task.learning_rate, epsilon=1e-8))
        self.fitter.optimizer.build(self.fitter.trainable_variables)
        self._dummy = np.zeros((1, 1), np.float32)
        self.fingerprint = _fingerprint(problem, self.task, settings, seed)

    def current(self) -> np.ndarray:
        """``f(z)`` now, without the perturbation (batch norm on this image's statistics)."""
        return np.asarray(self.fitter.render.predict_on_batch(self._dummy))[0]

    def average(self) -> np.ndarray | None:
        layer = self.fitter.average_layer
        return None if layer is None else np.asarray(ops.convert_to_numpy(layer.average))[0]

    def result(self) -> np.ndarray:
        avg = self.average()
        return np.clip(avg if avg is not None else self.current(), 0, 1)

    def run(self, iterations: int | None = None, log_every: int = 10, snapshot_every: int = 0,
            on_snapshot: Callable[[int, np.ndarray], None] | None = None,
            progress: bool = True, state_dir: str | os.PathLike | None = None,
            state_every: float = 60.0,
            notify: Callable[[str], None] | None = None) -> FitResult:
        """Fit until ``iterations`` steps are done in all (the task's number by default).

        With ``state_dir``, continue from the state saved there, if any, and save
        it every ``state_every`` seconds (0: only on Ctrl-C and at the end);
        ``notify`` hears when a saved fit is continued.
        """
        iterations = iterations or self.task.iterations
        loop = self.load_state(state_dir) if has_state(state_dir) else LoopState()
        if loop.step and notify:
            notify(continuing(state_dir, loop.step, iterations))
        bar = progress_bar(iterations, "step", progress)
        if bar and loop.step:
            bar.add(min(loop.step, iterations))
        began, saved_at = time.perf_counter() - loop.seconds, time.perf_counter()
        with ctrl_c_between_steps(state_dir is not None) as ctrl_c:
            while loop.step < iterations:
                self._step(loop, iterations, log_every, snapshot_every, on_snapshot, bar)
                loop.seconds = time.perf_counter() - began
                if ctrl_c.pressed:
                    self.save_state(state_dir, loop)
                    raise FitInterrupted(
                        f"interrupted after {loop.step} iterations; the fit is saved in "
                        f"{state_dir}: run the same command again to continue")
                if state_dir is not None and state_every and \
                        time.perf_counter() - saved_at >= state_every:
                    self.save_state(state_dir, loop)
                    saved_at = time.perf_counter()
        if state_dir is not None:
            self.save_state(state_dir, loop)
        last, avg = np.clip(self.current(), 0, 1), self.average()
        image = np.clip(avg, 0, 1) if avg is not None else last
        return FitResult(
            image=image, last=last, average=avg, history=loop.history, steps=loop.step,
            seconds=loop.seconds, restarts=loop.restarts, traces=self.fitter.traces,
            psnr=None if self.problem.clean is None else psnr01(image, self.problem.clean))

    def _step(self, loop: LoopState, iterations, log_every, snapshot_every, on_snapshot, bar):
        """One compiled step, then the guard, the log, a snapshot and the progress bar."""
        step = loop.step + 1
        logs = self.fitter.train_on_batch(self._dummy, return_dict=True)
        loss = float(logs["loss"])
        fit_psnr = -10 * math.log10(max(loss, 1e-12))
        guard = self.task.guard_every
        if guard:
            if fit_psnr < loop.good_psnr - GUARD_DROP_DB and loop.good_weights is not None:
                self.net.set_weights(loop.good_weights)  # as the notebooks: parameters only
                loop.restarts += 1
            elif step % guard == 0 or loop.good_weights is None:
                loop.good_weights, loop.good_psnr = self.net.get_weights(), fit_psnr
        record = {"step": step, "loss": loss, "fit_psnr": fit_psnr}
        if step % log_every == 0 or step == iterations:
            if self.problem.clean is not None:
                record["psnr"] = psnr01(self.result(), self.problem.clean)
            loop.history.append(record)
        loop.step = step
        if snapshot_every and on_snapshot and step % snapshot_every == 0:
            on_snapshot(step, self.result())
        if bar:
            bar.add(1, values=[(k, v) for k, v in record.items() if k in ("loss", "psnr")]) \
                if hasattr(bar, "target") else bar.add(1)

    # ------------------------------------------------------------ state
    def variables(self) -> list:
        """Everything the next step reads: the fitter's variables (network, ``z``, output
        average, the perturbation's random-generator state) and the optimizer's."""
        return list(self.fitter.variables) + list(self.fitter.optimizer.variables)

    def save_state(self, folder: str | os.PathLike, loop: LoopState) -> Path:
        """Write ``folder/state.npz`` atomically (a kill while writing keeps the old one)."""
        arrays = {f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(self.variables())}
        arrays.update({f"g{i}": w for i, w in enumerate(loop.good_weights or [])})
        meta = {"fingerprint": self.fingerprint, "step": loop.step, "restarts": loop.restarts,
                "seconds": loop.seconds, "history": loop.history,
                "good_psnr": loop.good_psnr if math.isfinite(loop.good_psnr) else None,
                "good_weights": loop.good_weights is not None}
        return save_state(folder, meta, arrays)

    def load_state(self, folder: str | os.PathLike) -> LoopState:
        """Restore ``folder/state.npz`` (see :func:`has_state`) into this fit."""
        meta, arrays = load_state(folder, self.fingerprint,
                                  "a different image, mask, task, network or seed")
        for i, variable in enumerate(self.variables()):
            variable.assign(arrays[f"v{i}"])
        good = [arrays[f"g{i}"] for i in range(len(self.net.weights))] \
            if meta["good_weights"] else None
        good_psnr = meta["good_psnr"] if meta["good_psnr"] is not None else -math.inf
        return LoopState(step=meta["step"], restarts=meta["restarts"], seconds=meta["seconds"],
                         history=meta["history"], good_weights=good, good_psnr=good_psnr)


@dataclass
class LoopState:
    """The fitting loop's own bookkeeping, saved with the variables."""

    step: int = 0
    restarts: int = 0
    seconds: float = 0.0
    history: list[dict] = field(default_factory=list)
    good_weights: list[np.ndarray] | None = None  # the guard's fallback parameters
    good_psnr: float = -math.inf


class FitInterrupted(ZooError):
    """Ctrl-C during a fit whose state was saved: the message says how to continue."""


def _fingerprint(problem: Problem, task: DIPTask, network: dict, seed: int) -> str:
    """What makes two fits the same one (the number of iterations does not)."""
    return digest(problem.observed, problem.mask, problem.scale,
                  dataclasses.replace(task, iterations=0), sorted(network.items()), seed,
                  keras.backend.backend())
