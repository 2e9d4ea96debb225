"""Gatys texture synthesis and style transfer: optimising the pixels of one image.

* Gatys, Ecker, Bethge, "Texture Synthesis Using Convolutional Neural Networks",
  NIPS 2015 (https://arxiv.org/abs/1505.07376): from white noise, minimise the
  weighted sum ``L = sum_l w_l E_l`` (Eq. 5) of the Gram-matrix distances
  ``E_l`` (Eq. 4) between the image's and the exemplar's features on the layers
  conv1_1, pool1, pool2, pool3 and pool4 of a VGG19 with average pooling and
  rescaled filters (Sec. 2-3; Fig. 2, constraints up to pool4), by L-BFGS (Sec. 2).
* Gatys, Ecker, Bethge, "Image Style Transfer Using Convolutional Neural
  Networks", CVPR 2016: ``L_total = alpha L_content + beta L_style`` (Eq. 7),
  content on conv4_2 (Eq. 1), style on conv1_1 ... conv5_1 with ``w_l = 1/5``
  (Eq. 5, Sec. 3), ``alpha / beta`` of 1e-3 or 1e-4 (Sec. 3, Fig. 3), by L-BFGS
  from white noise (Sec. 2; Sec. 4 / Fig. 6 compare starting from the content).
* Gatys, Bethge, Hertzmann, Shechtman, "Preserving Color in Neural Artistic
  Style Transfer", arXiv:1606.05897, 2016, Sec. 3 (luminance-only transfer):
  transfer on luminance, the style's luminance first matched to the content's
  mean and standard deviation, the content's colour channels kept.
* Gatys, Ecker, Bethge, Hertzmann, Shechtman, "Controlling Perceptual Factors
  in Neural Style Transfer", CVPR 2017, Sec. 5: coarse-to-fine, optimise at
  low resolution, upsample, optimise again at the higher one.

Choices of this port (not from the papers):

* Losses use :func:`zoo.layers.statistics.layer_style_loss` with
  ``normalization="positions"``: equal to the paper's ``E_l`` when image and
  target have the same size, and still meaningful when the output is larger
  than the exemplar (the raw sums are not).
* The backbone is rescaled with :func:`~zoo.models.perceptual.rescale_to_unit_mean`
  on the target images (exemplar, or content and style), since Gatys et al.'s
  normalisation images (ImageNet) are not at hand; that keeps the losses O(1),
  so the paper's ``alpha / beta`` applies in order of magnitude only.
* Pixels are RGB in [0, 1]. L-BFGS-B keeps them there with box bounds (exact);
  Adam clips after every step (projected gradient).
* Colour preservation optimises one gray channel ``g`` (the full-range luma of
  BT.601, ``Y = (16 + 219 g) / 255``) with per-pixel bounds chosen so that
  ``ycbcr2rgb(Y, Cb_content, Cr_content)`` stays in [0, 1]: the output's Cb, Cr
  are the content's to float precision, with no clipping. The paper uses YIQ;
  this port uses the BT.601 YCbCr of :mod:`zoo.image.color` (same luma weights).
* A long optimisation survives a kill (``state_dir``): the image being
  optimised, Adam's moments and the bookkeeping are saved every minute, on
  Ctrl-C and at the end (:mod:`zoo.fit_state`), and the same call
  continues from there; Adam ends exactly where an unbroken run does, L-BFGS
  restarts its curvature memory at the saved image (SciPy keeps it internal).
* Gradients: the loss is ``keras.ops`` only; the one backend-specific piece is
  :func:`value_and_grad` (``tf.GradientTape`` / ``jax.value_and_grad`` / torch
  autograd).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from keras import ops

from zoo.errors import ZooError
from zoo.image import as_rgb01, imresize, rgb2ycbcr, ycbcr2rgb
from zoo.image.resize import fit_side
from zoo.layers.statistics import content_loss, gram_matrices, style_loss
from zoo.models.perceptual import (GATYS_CONTENT_LAYERS, GATYS_STYLE_LAYERS,
                                   GATYS_TEXTURE_LAYERS, IMAGENET_WEIGHTS, VGG19,
                                   RandomMultiscale, rescale_to_unit_mean)
from zoo.models.perceptual.vgg import keras_home
from zoo.progress import progress as progress_bar

from zoo.fit_state import (continuing, ctrl_c_between_steps, digest, has_state, load_state,
                            save_state)

__all__ = ["BACKBONES", "COARSEST_SIDE", "CONTENT_WEIGHT", "OPTIMIZERS", "RANDOM_STYLE_WEIGHT",
           "STYLE_WEIGHT", "SynthesisResult", "make_backbone", "synthesize_texture",
           "transfer_style", "value_and_grad"]

BACKBONES = ("auto", "vgg19", "random")
"""``vgg19``: ImageNet VGG19, average pooling (needs the cached weights file);
``random``: :func:`~zoo.models.perceptual.RandomMultiscale` (no download);
``auto``: vgg19 if its weights file is in the Keras cache, else random, with a notice."""

OPTIMIZERS = ("auto", "lbfgs", "adam")
"""``lbfgs``: SciPy's L-BFGS-B (the papers' optimiser); ``adam``: Keras Adam on a
``keras.Variable``; ``auto``: lbfgs when SciPy is installed, else adam."""

CONTENT_WEIGHT = 1.0
STYLE_WEIGHT = 1e3
"""``alpha = 1, beta = 1e3``: the ratio ``alpha / beta = 1e-3`` of Gatys et al.,
CVPR 2016, Sec. 3 (Fig. 3 B-D; 1e-4 for Fig. 3 E-F), for VGG19."""

RANDOM_STYLE_WEIGHT = 1e7
"""``beta`` for the random backbone (a measured choice, not the paper's): its
content layer is its only layer, conv1_1 with 192 maps at full resolution, so
the content sum (Eq. 1) is far larger than on VGG's conv4_2; with ``beta = 1e3``
the result stayed the content image (astronaut with Cezanne at 96 px, 40 L-BFGS
iterations), ``1e7`` gave visible stylisation. The content term grows with
the number of pixels and the style term does not: larger images need more."""

TEXTURE_LAYER_WEIGHT = 1.0
"""Equal ``w_l`` on every texture layer (NIPS 2015, Eq. 5, all included layers alike)."""

COARSEST_SIDE = 256
"""``levels=None`` adds a coarser level (half the size) while the longer side
exceeds this: a 512 output is made at 256, then 512 (Gatys et al. 2017, Sec. 5,
do the same at their own sizes). A choice for CPU budgets."""

ADAM_LEARNING_RATE = 0.02
"""Adam's step on [0, 1] pixels (a choice: the papers use L-BFGS)."""

STATE_DIFFERS = "a different image, size, backbone, weight, optimiser or seed"
"""What a refused saved fit means (see :mod:`zoo.fit_state`)."""


@dataclass
class SynthesisResult:
    image: np.ndarray  # (H, W, 3) float32 RGB in [0, 1]
    history: list[dict] = field(default_factory=list)  # {"level", "size", "iteration", "loss"}
    iterations: int = 0  # all levels together
    evaluations: int = 0  # loss-and-gradient evaluations (L-BFGS takes more than one per step)
    seconds: float = 0.0
    initial_loss: float = math.nan  # at the start of the finest level
    final_loss: float = math.nan
    sizes: list = field(default_factory=list)  # (H, W) of every level, coarse to fine
    backbone: str = ""
    optimizer: str = ""
    interrupted: bool = False  # Ctrl-C: ``image`` is the newest iterate, at the output's size
    resumed_from: int = 0  # iterations a saved fit had done before this run continued it


# ---------------------------------------------------------------- images and backbones

def resize_to(image: np.ndarray, size) -> np.ndarray:
    """Bicubic (MATLAB) resize of a float image to ``(H, W)``, clipped to [0, 1]."""
    size = tuple(int(s) for s in size)
    if image.shape[:2] == size:
        return image
    return np.clip(imresize(image, output_shape=size), 0.0, 1.0).astype(np.float32)


def _scaled(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` resized by ``factor`` (the coarser levels' targets)."""
    return resize_to(image, fit_side(image.shape, round(max(image.shape[:2]) * factor)))


def vgg19_cached() -> bool:
    """Whether the ImageNet VGG19 file is in the Keras cache (no download is tried)."""
    return (keras_home() / "models" / IMAGENET_WEIGHTS["vgg19"].file).is_file()


def resolve_backbone(name: str, notify: Callable[[str], None] | None = None) -> str:
    if name not in BACKBONES:
        raise ZooError(f"unknown backbone {name!r}; use one of {', '.join(BACKBONES)}")
    if name != "auto":
        return name
    if vgg19_cached():
        return "vgg19"
    if notify:
        notify(f"note: {IMAGENET_WEIGHTS['vgg19'].file} is not in {keras_home() / 'models'}; "
               "using the random multi-scale backbone (--backbone vgg19 downloads the weights)")
    return "random"


def make_backbone(name: str, layers, seed: int = 0) -> keras.Model:
    """``"vgg19"``: ImageNet VGG19 with average pooling on ``layers`` (Gatys' network before
    rescaling); ``"random"``: :func:`RandomMultiscale` (one layer, ``conv1_1``)."""
    if name == "vgg19":
        return VGG19(layers=tuple(layers), pooling="avg", weights="imagenet")
    if name == "random":
        return RandomMultiscale(seed=seed)
    raise ZooError(f"unknown backbone {name!r}; use vgg19 or random (or pass a keras.Model)")


def _backbone(backbone, layers, seed, notify):
    """(model, label) from a name or a ready extractor."""
    if isinstance(backbone, keras.Model):
        return backbone, backbone.name
    name = resolve_backbone(backbone, notify)
    return make_backbone(name, layers, seed), name


# ---------------------------------------------------------------- gradients

def value_and_grad(loss_fn: Callable):
    """``x -> (loss, dloss/dx)`` for a ``keras.ops`` loss, compiled on the current backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(reduce_retracing=True)
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = loss_fn(x)
            return loss, tape.gradient(loss, x)

        return step
    if backend == "jax":
        import jax

        return jax.jit(jax.value_and_grad(loss_fn))
    if backend == "torch":
        def step(x):
            x = x.detach().requires_grad_(True)
            loss = loss_fn(x)
            loss.backward()
            return loss.detach(), x.grad

        return step
    raise ZooError(f"image optimisation needs the tensorflow, jax or torch backend, not {backend}")


def _scipy_minimize():
    try:
        from scipy.optimize import minimize
    except ImportError:
        return None
    return minimize


def resolve_optimizer(name: str, notify: Callable[[str], None] | None = None) -> str:
    if name not in OPTIMIZERS:
        raise ZooError(f"unknown optimizer {name!r}; use one of {', '.join(OPTIMIZERS)}")
    has_scipy = _scipy_minimize() is not None
    if name == "lbfgs" and not has_scipy:
        raise ZooError("--optimizer lbfgs needs SciPy (pip install scipy), or use --optimizer adam")
    if name == "auto" and not has_scipy:
        if notify:
            notify("note: SciPy is not installed; optimising with Adam "
                   "(pip install scipy for the papers' L-BFGS)")
        return "adam"
    return "lbfgs" if name == "auto" else name


# ---------------------------------------------------------------- the optimisation loop

class _Problem:
    """One level: ``loss(x)`` on a parameter array ``x`` (B=1, H, W, C), its bounds, its render."""

    def __init__(self, loss_fn, shape, lower, upper, render):
        self.loss_fn, self.shape, self.render = loss_fn, tuple(shape), render
        self.lower = np.broadcast_to(np.asarray(lower, np.float32), self.shape)
        self.upper = np.broadcast_to(np.asarray(upper, np.float32), self.shape)
        self._grad_fn = None

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``(loss, gradient)`` at ``x``, compiled on first use."""
        if self._grad_fn is None:
            self._grad_fn = value_and_grad(self.loss_fn)
        loss, grad = self._grad_fn(ops.convert_to_tensor(x.reshape(self.shape), "float32"))
        return _finite(float(ops.convert_to_numpy(loss))), ops.convert_to_numpy(grad)

    def clip(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x.astype(np.float32), self.lower, self.upper)


def _finite(loss: float) -> float:
    """``loss``, or a one-line error where it is infinite or NaN: the fit stops at once,
    before a garbage image is written."""
    if not math.isfinite(loss):
        raise ZooError(f"the loss is {loss}, not a finite number: the float32 loss overflows "
                       "(use a smaller --content-weight or --style-weight)")
    return loss


def _no_moments() -> list:
    return []


def _optimise(problem: _Problem, x0: np.ndarray, iterations: int, optimizer: str,
              learning_rate: float, on_iteration: Callable, evals: list, start: int = 0,
              moments: list | None = None) -> np.ndarray:
    """Minimise ``problem`` from ``x0`` (inside its bounds), steps ``start + 1 ... iterations``;
    ``evals[0]`` counts the loss-and-gradient evaluations.

    ``on_iteration(step, loss, x, moments)`` follows every step; ``moments()`` gives the
    optimiser's state as arrays (Adam's variables; nothing for L-BFGS). ``moments``: Adam's
    state to continue from (after a kill). L-BFGS keeps no state across calls: continued,
    it starts afresh from ``x0``, with an empty curvature memory.
    """
    def evaluate(x: np.ndarray):
        evals[0] += 1
        return problem.evaluate(x)

    if optimizer == "lbfgs":
        minimize = _scipy_minimize()
        last = {"loss": math.nan}

        def fun(flat):
            loss, grad = evaluate(flat.astype(np.float32))
            last["loss"] = loss
            return loss, grad.astype(np.float64).ravel()

        step = [start]

        def callback(xk):
            step[0] += 1
            on_iteration(step[0], last["loss"], xk.reshape(problem.shape).astype(np.float32),
                         _no_moments)

        left = iterations - start
        bounds = np.stack([problem.lower.ravel(), problem.upper.ravel()], axis=1)
        result = minimize(fun, x0.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
                          bounds=bounds, callback=callback,
                          options={"maxiter": left, "maxfun": 4 * left + 20,
                                   "ftol": 0.0, "gtol": 0.0, "maxcor": 10})
        return result.x.reshape(problem.shape).astype(np.float32)
    variable = keras.Variable(x0, dtype="float32", name="pixels")
    adam = keras.optimizers.Adam(learning_rate)
    adam.build([variable])
    for saved, v in zip(moments or (), adam.variables):
        v.assign(saved)

    def adam_state():
        return [np.array(v.numpy()) for v in adam.variables]

    x = x0
    for step in range(start + 1, iterations + 1):
        loss, grad = evaluate(x)
        adam.apply_gradients([(ops.convert_to_tensor(grad), variable)])
        x = np.clip(variable.numpy(), problem.lower, problem.upper)  # projected onto the box
        variable.assign(x)
        on_iteration(step, loss, x, adam_state)
    return x


def _level_sizes(size: tuple[int, int], levels: int | None) -> list[tuple[int, int]]:
    if levels is None:
        levels = 1
        while max(size) / 2 ** (levels - 1) > COARSEST_SIDE:
            levels += 1
    if levels < 1:
        raise ZooError(f"levels must be at least 1, got {levels}")
    sizes = [(max(8, round(size[0] / 2**k)), max(8, round(size[1] / 2**k)))
             for k in reversed(range(levels))]
    return sizes


@dataclass
class _Saving:
    """Where and how often :func:`_run` saves the unfinished fit (see :mod:`.fit_state`)."""

    folder: Path
    every: float  # seconds between saves; 0: only on Ctrl-C and at the end
    fingerprint: str


def _identity(backbone, model, label: str) -> str:
    """The backbone's part of a fingerprint: the resolved name (``vgg19``: ImageNet weights;
    ``random``: drawn from the seed, which the fingerprint holds) or, for a model passed in,
    a digest of its weights."""
    if isinstance(backbone, keras.Model):
        return digest(label, *model.get_weights())
    return label


def _saving(state_dir, state_every: float, *identity) -> _Saving | None:
    if state_dir is None:
        return None
    return _Saving(Path(state_dir), float(state_every),
                   digest(*identity, keras.backend.backend()))


def _resume(saving: _Saving | None) -> dict | None:
    """The saved fit to continue: meta plus ``x`` and Adam's ``moments`` (None: start afresh)."""
    if saving is None or not has_state(saving.folder):
        return None
    meta, arrays = load_state(saving.folder, saving.fingerprint, STATE_DIFFERS)
    moments = [arrays[f"m{i}"] for i in range(meta["moments"])]
    return {**meta, "x": arrays["x"], "moments": moments}


def _save(saving: _Saving, newest: dict, history: list, evals: int, seconds: float) -> None:
    moments = newest["moments"]
    meta = {"fingerprint": saving.fingerprint, "level": newest["level"], "step": newest["step"],
            "done": newest["done"], "initial": newest["initial"], "evaluations": evals,
            "seconds": seconds, "history": history[:newest["done"]], "moments": len(moments)}
    save_state(saving.folder, meta, {"x": newest["x"],
                                     **{f"m{i}": m for i, m in enumerate(moments)}})


def _run(levels_spec, make_level, x_init, iterations, optimizer, learning_rate, progress,
         snapshot_every, on_snapshot, label, saving: _Saving | None = None, notify=None):
    """Coarse to fine over ``levels_spec`` ((H, W) per level); ``make_level(size) -> _Problem``.

    Ctrl-C (KeyboardInterrupt) after the first iteration ends the run early with the newest
    iterate, so minutes of optimisation are not lost (``SynthesisResult.interrupted``). The
    first Ctrl-C is taken at the end of the iteration it falls in (a KeyboardInterrupt raised
    at an arbitrary point can land in a garbage-collection callback, JAX's for one, where
    Python swallows it and the run goes on); a second one stops at once.
    With ``saving``, the fit is also saved every ``saving.every`` seconds, on Ctrl-C and at
    the end, and a saved fit is continued: Adam to the same result as an unbroken run,
    L-BFGS from the saved image with a fresh curvature memory (SciPy's L-BFGS-B does not
    expose it). ``iterations`` is not part of the fingerprint, as in Deep Image Prior: a
    fit continued with another number finishes the level it was in at the new number.
    """
    total = iterations * len(levels_spec)
    saved = _resume(saving)
    if saved and notify:
        notify(continuing(saving.folder, saved["done"], total))
    bar = progress_bar(total, "iter", progress)
    history = list(saved["history"]) if saved else []
    done, evals = [saved["done"] if saved else 0], [saved["evaluations"] if saved else 0]
    if bar is not None and done[0]:
        bar.add(min(done[0], total))
    start = time.perf_counter() - (saved["seconds"] if saved else 0.0)
    saved_at, newest = [time.perf_counter()], {}
    x, initial, interrupted = None, math.nan, False
    with ctrl_c_between_steps(True) as ctrl_c:
        try:
            for level, size in enumerate(levels_spec):
                if saved and level < saved["level"]:
                    continue
                problem = make_level(size)
                step0, moments = 0, None
                if saved and level == saved["level"]:
                    x0, initial = saved["x"], saved["initial"]
                    step0, moments = saved["step"], saved["moments"]
                else:
                    x0 = problem.clip(x_init(problem.shape) if x is None
                                      else _upsample(x, problem.shape))
                    initial = problem.evaluate(x0)[0]

                def on_iteration(step, loss, xk, state, level=level, size=size, problem=problem,
                                 initial=initial):
                    done[0] += 1
                    history.append({"level": level, "size": list(size), "iteration": step,
                                    "loss": loss})
                    moments = state() if saving else []
                    newest.update(problem=problem, x=xk, done=done[0], level=level, step=step,
                                  initial=initial, moments=moments)  # one call: Ctrl-C-safe
                    if bar is not None and hasattr(bar, "target"):
                        bar.add(1, values=[("loss", loss)])
                    elif bar is not None:
                        bar.add(1)
                    if snapshot_every and on_snapshot and done[0] % snapshot_every == 0:
                        on_snapshot(done[0], problem.render(xk))
                    elapsed = time.perf_counter() - saved_at[0]
                    if saving and saving.every and elapsed >= saving.every:
                        _save(saving, newest, history, evals[0], time.perf_counter() - start)
                        saved_at[0] = time.perf_counter()
                    if ctrl_c.pressed:
                        raise KeyboardInterrupt

                x = x0
                if step0 < iterations:
                    x = _optimise(problem, x0, iterations, optimizer, learning_rate, on_iteration,
                                  evals, step0, moments)
        except KeyboardInterrupt:
            if not newest:
                raise
            problem, x, initial, interrupted = (newest["problem"], newest["x"], newest["initial"],
                                                True)
            done[0] = newest["done"]  # the bookkeeping of a half-recorded iteration goes
            del history[done[0]:]
    if saving and newest:
        _save(saving, newest, history, evals[0], time.perf_counter() - start)
    if bar is not None and done[0] < total and not interrupted:  # L-BFGS converged early
        bar.add(total - done[0])
    final = float(ops.convert_to_numpy(problem.loss_fn(ops.convert_to_tensor(x))))
    image = problem.render(x)
    if image.shape[:2] != tuple(levels_spec[-1]):  # stopped at a coarser level
        image = np.clip(imresize(image, output_shape=levels_spec[-1]), 0, 1).astype(np.float32)
    return SynthesisResult(image=image, history=history, iterations=done[0],
                           evaluations=evals[0], seconds=time.perf_counter() - start,
                           initial_loss=initial, final_loss=final,
                           sizes=[tuple(s) for s in levels_spec], backbone=label[0],
                           optimizer=label[1], interrupted=interrupted,
                           resumed_from=saved["done"] if saved else 0)


def _upsample(x: np.ndarray, shape) -> np.ndarray:
    return imresize(x[0], output_shape=shape[1:3]).astype(np.float32)[None]


def _noise(rng: np.random.Generator):
    return lambda shape: rng.uniform(0.0, 1.0, size=shape).astype(np.float32)


def _rescaled(model, targets, seed: int):
    """Gatys' normalised network, every filter's mean 1 on ``targets`` plus one noise image.

    Gatys et al. average over ImageNet images; on the targets alone a filter that
    is nearly silent there (a colour the exemplar lacks) would be divided by a
    tiny mean and dominate the loss as soon as the noise start activates it. The
    noise image (drawn from ``[seed, 1]``, not the start's generator)
    stands in for the broad set of images.
    """
    noise = np.random.default_rng([seed, 1]).uniform(
        0.0, 1.0, targets[0].shape).astype(np.float32)
    if targets[0].shape[-1] == 3 and np.allclose(targets[0], targets[0][..., :1]):
        noise = np.repeat(noise[..., :1], 3, axis=-1)  # luminance-only transfer: gray noise
    return rescale_to_unit_mean(model, [*targets, noise])


def _features(model, image: np.ndarray) -> dict:
    return model(ops.convert_to_tensor(image[None]), training=False)


# ---------------------------------------------------------------- texture synthesis

def synthesize_texture(exemplar, size=None, backbone="auto", *, layers=None,
                       layer_weights: Mapping | None = None, iterations: int = 300,
                       optimizer: str = "auto", learning_rate: float = ADAM_LEARNING_RATE,
                       levels: int | None = None, seed: int = 0, rescale: bool = True,
                       progress: bool = True, snapshot_every: int = 0,
                       on_snapshot: Callable[[int, np.ndarray], None] | None = None,
                       notify: Callable[[str], None] | None = None, state_dir=None,
                       state_every: float = 60.0) -> SynthesisResult:
    """A new texture like ``exemplar`` (Gatys et al. 2015), ``size`` ``(H, W)`` or a side.

    ``backbone``: a name of :data:`BACKBONES` or an extractor returning
    ``{layer: features}`` (then every output is a texture layer unless
    ``layers`` says otherwise). ``layers`` default: conv1_1, pool1 ... pool4 for
    VGG19 (NIPS 2015, Sec. 3), the single ``conv1_1`` for the random backbone.
    ``layer_weights``: ``{layer: w_l}``, default 1 each (Eq. 5). Starts from
    uniform noise; ``levels`` (None: automatic, see :data:`COARSEST_SIDE`)
    coarse-to-fine levels with ``iterations`` each; the exemplar is resized by
    the same factor at the coarser levels, so texture elements keep their size
    relative to the output.

    ``state_dir``: continue the fit saved there, if any, and save it every
    ``state_every`` seconds, on Ctrl-C and at the end (see :func:`_run`).
    """
    exemplar = as_rgb01(exemplar, "exemplar")
    size = exemplar.shape[:2] if size is None else (
        (int(size), int(size)) if np.isscalar(size) else tuple(int(s) for s in size))
    if min(size) < 8:
        raise ZooError(f"the output must be at least 8x8 pixels, got {size[1]}x{size[0]}")
    optimizer = resolve_optimizer(optimizer, notify)
    model, label = _backbone(backbone, layers or GATYS_TEXTURE_LAYERS, seed, notify)
    layers = tuple(layers or (model.output.keys() if isinstance(model.output, dict) else ()))
    weights = dict(layer_weights or {name: TEXTURE_LAYER_WEIGHT for name in layers})
    rng = np.random.default_rng(seed)
    saving = _saving(state_dir, state_every, "texture", exemplar, size, levels,
                     _identity(backbone, model, label), layers, sorted(weights.items()),
                     optimizer, learning_rate, seed, rescale)
    if rescale:
        model = _rescaled(model, [exemplar], seed)
    sizes = _level_sizes(size, levels)

    def make_level(level_size):
        target = _scaled(exemplar, level_size[0] / size[0])
        grams = {k: v for k, v in gram_matrices(_features(model, target), "positions").items()
                 if k in weights}

        def loss_fn(x):
            return style_loss(model(x, training=False), grams, weights, "positions")[0]

        return _Problem(loss_fn, (1, *level_size, 3), 0.0, 1.0, lambda x: np.clip(x[0], 0, 1))

    return _run(sizes, make_level, _noise(rng), iterations, optimizer, learning_rate,
                progress, snapshot_every, on_snapshot, (label, optimizer), saving, notify)


# ---------------------------------------------------------------- style transfer

def _luma(rgb: np.ndarray) -> np.ndarray:
    """Full-range BT.601 luma ``g`` in [0, 1] (``Y = (16 + 219 g) / 255``)."""
    return ((rgb2ycbcr(rgb)[..., :1] * 255.0 - 16.0) / 219.0).astype(np.float32)


def _luma_bounds(cbcr: np.ndarray):
    """Per-pixel [lo, hi] of ``g`` keeping ``ycbcr2rgb(Y(g), Cb, Cr)`` in [0, 1].

    Each of R, G, B is ``g + (a linear function of Cb, Cr)`` (the inverse
    matrix's Y column is 255/219 for all three), hence an interval.
    """
    inverse = np.linalg.inv(np.array([[65.481, 128.553, 24.966],
                                      [-37.797, -74.203, 112.0],
                                      [112.0, -93.786, -18.214]]))
    chroma = (cbcr.astype(np.float64) * 255.0 - 128.0) @ inverse[:, 1:].T  # (H, W, 3): offsets
    lo = np.clip(-chroma.min(axis=-1, keepdims=True), 0.0, 1.0)  # smallest g: the lowest channel 0
    hi = np.clip(1.0 - chroma.max(axis=-1, keepdims=True), 0.0, 1.0)
    return lo.astype(np.float32), np.maximum(hi, lo).astype(np.float32)


def _luma_to_rgb(g: np.ndarray, cbcr: np.ndarray) -> np.ndarray:
    y = (16.0 + 219.0 * g.astype(np.float64)) / 255.0
    return np.clip(ycbcr2rgb(np.concatenate([y, cbcr], axis=-1)), 0.0, 1.0).astype(np.float32)


def transfer_style(content, style, backbone="auto", *, content_weight: float = CONTENT_WEIGHT,
                   style_weight: float | None = None, content_layers=GATYS_CONTENT_LAYERS,
                   style_layers=GATYS_STYLE_LAYERS, style_layer_weights: Mapping | None = None,
                   init: str = "noise", preserve_color: bool = False, size: int | None = None,
                   style_size: int | None = None, iterations: int = 300,
                   optimizer: str = "auto", learning_rate: float = ADAM_LEARNING_RATE,
                   levels: int | None = None, seed: int = 0, rescale: bool = True,
                   progress: bool = True, snapshot_every: int = 0,
                   on_snapshot: Callable[[int, np.ndarray], None] | None = None,
                   notify: Callable[[str], None] | None = None, state_dir=None,
                   state_every: float = 60.0) -> SynthesisResult:
    """``content`` painted in the style of ``style`` (Gatys et al. 2016).

    Minimises ``content_weight * L_content + style_weight * L_style`` (Eq. 7;
    default ``alpha / beta = 1e-3``, Sec. 3, or :data:`RANDOM_STYLE_WEIGHT` for
    the random backbone). ``init``: ``"noise"`` (the
    paper) or ``"content"``. ``size``: the output's longer side (default: the
    content's); ``style_size``: the style image's longer side (default: the
    output's). ``preserve_color``: luminance-only transfer (Gatys et al. 2016b,
    Sec. 3), the output keeps the content's Cb and Cr exactly. With the
    ``random`` backbone both losses use its single layer ``conv1_1``. ``state_dir``,
    ``state_every``: as :func:`synthesize_texture`'s.
    """
    if init not in ("noise", "content"):
        raise ZooError(f"init must be 'noise' or 'content', got {init!r}")
    if content_weight == 0 and style_weight == 0:
        raise ZooError("the content and style weights are both 0: there is nothing to optimise")
    content, style = as_rgb01(content, "content"), as_rgb01(style, "style")
    out_size = fit_side(content.shape, size)
    if min(out_size) < 8:
        raise ZooError(f"the output must be at least 8x8 pixels, got {out_size[1]}x{out_size[0]}")
    optimizer = resolve_optimizer(optimizer, notify)
    model, label = _backbone(backbone, tuple(content_layers) + tuple(style_layers), seed, notify)
    outputs = set(model.output.keys()) if isinstance(model.output, dict) else set()
    if label == "random" or not (set(content_layers) | set(style_layers)) <= outputs:
        if not outputs:
            raise ZooError("the backbone must return a dict {layer: features}")
        single = sorted(outputs)[0] if len(outputs) == 1 else None
        if single is None:
            missing = sorted((set(content_layers) | set(style_layers)) - outputs)
            raise ZooError(f"the backbone has no layers {missing}; it has {sorted(outputs)}")
        content_layers, style_layers = (single,), (single,)
    if style_weight is None:
        style_weight = RANDOM_STYLE_WEIGHT if label == "random" else STYLE_WEIGHT
    style_weights = dict(style_layer_weights or
                         {name: 1.0 / len(style_layers) for name in style_layers})
    full_content = resize_to(content, out_size)
    full_style = resize_to(style, fit_side(style.shape, style_size or max(out_size)))
    cbcr = rgb2ycbcr(full_content)[..., 1:] if preserve_color else None
    if preserve_color:  # Gatys et al. 2016b, Sec. 3: transfer on luminance, style luma matched
        gc, gs = _luma(full_content), _luma(full_style)
        gs = np.clip((gs - gs.mean()) * (gc.std() / max(gs.std(), 1e-6)) + gc.mean(), 0, 1)
        full_content, full_style = np.repeat(gc, 3, -1), np.repeat(gs, 3, -1)
    rng = np.random.default_rng(seed)
    saving = _saving(state_dir, state_every, "style", full_content, full_style, cbcr, levels,
                     _identity(backbone, model, label), content_layers, style_layers,
                     sorted(style_weights.items()), content_weight, style_weight, init,
                     preserve_color, optimizer, learning_rate, seed, rescale)
    if rescale:
        model = _rescaled(model, [full_content, full_style], seed)
    sizes = _level_sizes(out_size, levels)

    def make_level(level_size):
        c = resize_to(full_content, level_size)
        s = _scaled(full_style, level_size[0] / out_size[0])
        p = {k: v for k, v in _features(model, c).items() if k in content_layers}
        grams = {k: v for k, v in gram_matrices(_features(model, s), "positions").items()
                 if k in style_weights}

        def loss_fn(x):
            image = ops.repeat(x, 3, axis=-1) if preserve_color else x
            features = model(image, training=False)
            content_term = sum(content_loss(features[k], p[k]) for k in content_layers)
            return (content_weight * content_term
                    + style_weight * style_loss(features, grams, style_weights, "positions"))[0]

        if preserve_color:
            cc = resize_to(cbcr, level_size) if level_size != out_size else cbcr
            lo, hi = _luma_bounds(cc)
            return _Problem(loss_fn, (1, *level_size, 1), lo[None], hi[None],
                            lambda x: _luma_to_rgb(x[0], cc))
        return _Problem(loss_fn, (1, *level_size, 3), 0.0, 1.0, lambda x: np.clip(x[0], 0, 1))

    channels = 1 if preserve_color else 3

    def start(shape):
        if init == "noise":
            return rng.uniform(0.0, 1.0, size=shape).astype(np.float32)
        return resize_to(full_content, shape[1:3])[None, ..., :channels]

    return _run(sizes, make_level, start, iterations, optimizer, learning_rate, progress,
                snapshot_every, on_snapshot, (label, optimizer), saving, notify)
