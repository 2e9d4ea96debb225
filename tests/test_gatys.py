"""Gatys texture synthesis and style transfer (zoo.models.texture_nets.gatys) and `zoo texture` / `zoo style`.

Tiny images, a small random backbone or a VGG19 with ``weights=None``, tens of iterations:
each test checks an effect (losses fall, colours move towards the exemplar, Cb/Cr kept).
"""

import json

import numpy as np
import pytest

from conftest import data_dir, run_zoo
from zoo.cli.main import main
from zoo.errors import ZooError
from zoo.image import imresize, read_image, rgb2ycbcr, write_image
from zoo.models.perceptual import VGG19, RandomMultiscale
from zoo.models.texture_nets import gatys
from zoo.image import as_rgb01
from zoo.models.texture_nets.gatys import resize_to, synthesize_texture, transfer_style


def small_backbone():
    return RandomMultiscale(filters=16, scales=(3, 5, 7, 11), seed=0)


def histogram(image, bins=8):
    """Per-channel colour histograms, normalised: (3, bins)."""
    return np.stack([np.histogram(image[..., c], bins=bins, range=(0, 1))[0] / image[..., c].size
                     for c in range(3)])


@pytest.fixture(scope="module")
def exemplar():
    path = data_dir("textures", "pebbles.jpg")  # Gatys et al. 2015, Fig. 3A
    return resize_to(as_rgb01(read_image(path)), (48, 48))


def test_texture_lbfgs_lowers_gram_loss_and_matches_colours(exemplar):
    snapshots = []
    result = synthesize_texture(exemplar, 48, small_backbone(), iterations=40, optimizer="lbfgs",
                                progress=False, snapshot_every=20,
                                on_snapshot=lambda step, img: snapshots.append((step, img)))
    assert result.optimizer == "lbfgs" and result.sizes == [(48, 48)]
    assert result.initial_loss / result.final_loss > 100  # measured: about 10,000
    assert result.image.shape == (48, 48, 3)
    assert result.image.min() >= 0.0 and result.image.max() <= 1.0  # L-BFGS-B bounds
    noise = np.random.default_rng(0).uniform(0, 1, (48, 48, 3))  # the start (same seed)
    target = histogram(exemplar)
    distance = lambda image: np.abs(histogram(image) - target).sum()  # noqa: E731
    assert distance(result.image) < 0.5 * distance(noise)
    assert [s for s, _ in snapshots] == [20, 40]
    losses = [h["loss"] for h in result.history]
    assert losses[-1] < losses[0]


def test_texture_adam_and_coarse_to_fine(exemplar):
    result = synthesize_texture(exemplar, (40, 56), small_backbone(), iterations=25,
                                optimizer="adam", levels=2, progress=False)
    assert result.sizes == [(20, 28), (40, 56)]
    assert result.image.shape == (40, 56, 3)
    assert result.iterations == 50
    assert result.image.min() >= 0.0 and result.image.max() <= 1.0  # clipped after each step
    first = next(h["loss"] for h in result.history if h["level"] == 0)
    assert result.final_loss < first / 10


def test_level_sizes_and_auto_backbone(tmp_path, monkeypatch):
    assert gatys._level_sizes((512, 384), None) == [(256, 192), (512, 384)]
    assert gatys._level_sizes((200, 100), None) == [(200, 100)]
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty cache: no VGG19 weights
    notes = []
    assert gatys.resolve_backbone("auto", notes.append) == "random"
    assert "random multi-scale" in notes[0]
    with pytest.raises(ZooError):
        gatys.resolve_backbone("vgg16")
    assert gatys.resolve_optimizer("auto") == "lbfgs"  # SciPy is in the test environment
    monkeypatch.setattr(gatys, "_scipy_minimize", lambda: None)  # a plain `pip install .`
    assert gatys.resolve_optimizer("auto", notes.append) == "adam" and "SciPy" in notes[-1]
    with pytest.raises(ZooError, match="needs SciPy"):
        gatys.resolve_optimizer("lbfgs")


@pytest.fixture(scope="module")
def tiny_pair():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:32, 0:32] / 31.0
    content = np.stack([x, y, 0.5 * (x + y)], -1).astype(np.float32)  # smooth gradients
    stripes = (np.sin(x * 20) > 0).astype(np.float32)
    style = np.stack([stripes, 0.3 + 0.4 * stripes, 1 - stripes], -1)
    style = np.clip(style + 0.05 * rng.standard_normal(style.shape), 0, 1).astype(np.float32)
    return content, style


@pytest.fixture(scope="module")
def untrained_vgg():
    """Seeded: its random filters otherwise depend on what drew from Keras' global seed
    before (the loss ratio after 10 L-BFGS steps ranges from 0.0002 to 0.58 over seeds 0-7;
    seed 0 gives 0.38)."""
    import keras

    keras.utils.set_random_seed(0)
    return VGG19(pooling="avg", weights=None)  # conv1_1 ... conv5_1 and conv4_2


def test_style_transfer_lowers_total_loss(tiny_pair, untrained_vgg):
    content, style = tiny_pair
    result = transfer_style(content, style, untrained_vgg, iterations=10, optimizer="lbfgs",
                            init="noise", progress=False)
    assert result.image.shape == (32, 32, 3)
    assert result.final_loss < result.initial_loss / 2


def test_preserve_color_keeps_content_cbcr(tiny_pair, untrained_vgg):
    content, style = tiny_pair
    result = transfer_style(content, style, untrained_vgg, iterations=5, optimizer="lbfgs",
                            init="content", preserve_color=True, progress=False)
    out = result.image
    assert out.min() >= 0.0 and out.max() <= 1.0
    cbcr_out = rgb2ycbcr(out.astype(np.float64))[..., 1:]
    cbcr_in = rgb2ycbcr(content.astype(np.float64))[..., 1:]
    np.testing.assert_allclose(cbcr_out, cbcr_in, atol=1e-5)
    assert result.final_loss < result.initial_loss


def test_gatys_layers_are_the_papers():
    """Gatys et al., CVPR 2016, Sec. 3: content on conv4_2, style on conv1_1 ... conv5_1;
    NIPS 2015, Sec. 3 / Fig. 2: texture on conv1_1, pool1 ... pool4. As Keras names and as the
    defaults of the two entry points."""
    import inspect

    from zoo.models.perceptual import (GATYS_CONTENT_LAYERS, GATYS_STYLE_LAYERS,
                                       GATYS_TEXTURE_LAYERS)

    assert GATYS_CONTENT_LAYERS == ("block4_conv2",)
    assert GATYS_STYLE_LAYERS == tuple(f"block{b}_conv1" for b in range(1, 6))
    assert GATYS_TEXTURE_LAYERS == ("block1_conv1",) + tuple(f"block{b}_pool" for b in range(1, 5))
    defaults = inspect.signature(transfer_style).parameters
    assert defaults["content_layers"].default == ("block4_conv2",)
    assert defaults["style_layers"].default == GATYS_STYLE_LAYERS
    assert gatys.CONTENT_WEIGHT / gatys.STYLE_WEIGHT == pytest.approx(1e-3)  # alpha / beta


@pytest.fixture
def recorded_vgg19(monkeypatch):
    """gatys' VGG19 constructor, recorded: its arguments and the model, built with
    ``weights=None`` instead of the ImageNet file (no download in tests)."""
    import inspect

    import keras

    calls = []

    def record(*args, **kwargs):
        arguments = inspect.signature(VGG19).bind(*args, **kwargs).arguments
        keras.utils.set_random_seed(0)
        model = VGG19(**{**arguments, "weights": None})
        calls.append((arguments, model))
        return model

    monkeypatch.setattr(gatys, "VGG19", record)
    return calls


def test_vgg19_backbone_is_imagenet_vgg19_with_average_pooling(tiny_pair, recorded_vgg19):
    """The ImageNet path (``backbone="vgg19"``), VGG19 built as Gatys et al. use it (NIPS 2015,
    Sec. 2; CVPR 2016, Sec. 2): average pooling, the papers' layers, ImageNet weights."""
    content, style = tiny_pair
    transfer_style(content, style, "vgg19", iterations=1, optimizer="adam", progress=False)
    synthesize_texture(style, 32, "vgg19", iterations=1, optimizer="adam", progress=False)
    (style_call, style_model), (texture_call, texture_model) = recorded_vgg19
    assert set(style_call["layers"]) == {"block4_conv2"} | {f"block{b}_conv1" for b in range(1, 6)}
    assert tuple(texture_call["layers"]) == ("block1_conv1", "block1_pool", "block2_pool",
                                             "block3_pool", "block4_pool")
    for call, model in recorded_vgg19:
        assert call["weights"] == "imagenet" and call.get("pooling") == "avg"
        pools = [type(layer).__name__ for layer in model.layers if layer.name.endswith("_pool")]
        assert pools and set(pools) == {"AveragePooling2D"}


def gatys_losses_at_noise_start(model, content, style, seed=0):
    """Gatys et al., CVPR 2016, in NumPy at the white-noise start x (drawn as transfer_style
    draws it): L_content = 1/2 sum (F - P)^2 on conv4_2 (Eq. 1); L_style = sum_l 1/5 E_l on
    conv1_1 ... conv5_1, E_l = sum (G - A)^2 / (4 N^2 M^2), G = F^T F (Eq. 3-5)."""
    start = np.random.default_rng(seed).uniform(0.0, 1.0, (1, *content.shape)).astype(np.float32)
    features = {k: np.asarray(f, np.float64)  # (3, H, W, N): start, content, style
                for k, f in model(np.concatenate([start, content[None], style[None]])).items()}

    def gram(f):  # (N, N) of an (H, W, N) map
        flat = f.reshape(-1, f.shape[-1])
        return flat.T @ flat

    x, p = features["block4_conv2"][0], features["block4_conv2"][1]
    l_content = 0.5 * np.sum((x - p) ** 2)
    l_style = 0.0
    for b in range(1, 6):
        f = features[f"block{b}_conv1"]
        n, m = f.shape[-1], f.shape[1] * f.shape[2]
        l_style += 0.2 * np.sum((gram(f[0]) - gram(f[2])) ** 2) / (4 * n**2 * m**2)
    return l_content, l_style


def test_vgg19_style_loss_is_alpha_content_plus_beta_style(tiny_pair, recorded_vgg19):
    """Eq. 7 of Gatys et al. (CVPR 2016), L_total = alpha L_content + beta L_style, with the
    defaults alpha = 1, beta = 1e3 (alpha / beta = 1e-3, Sec. 3), against the NumPy losses
    above. From noise the style term dominates this untrained net (content about 1e-5 of the
    total), so the content term is checked on its own too, with beta = 0."""
    content, style = tiny_pair
    result = transfer_style(content, style, "vgg19", iterations=1, optimizer="adam",
                            rescale=False, progress=False)
    content_only = transfer_style(content, style, "vgg19", style_weight=0.0, iterations=1,
                                  optimizer="adam", rescale=False, progress=False)
    (_, model), (_, same_model) = recorded_vgg19
    l_content, l_style = gatys_losses_at_noise_start(model, content, style)
    assert result.initial_loss == pytest.approx(1.0 * l_content + 1e3 * l_style, rel=1e-3)
    assert result.history[0]["loss"] == pytest.approx(result.initial_loss)
    assert gatys_losses_at_noise_start(same_model, content, style)[0] == pytest.approx(l_content)
    assert content_only.initial_loss == pytest.approx(l_content, rel=1e-3)


def test_luma_bounds_are_the_gamut():
    rng = np.random.default_rng(1)
    rgb = rng.uniform(0, 1, (16, 16, 3))
    cbcr = rgb2ycbcr(rgb)[..., 1:]
    lo, hi = gatys._luma_bounds(cbcr)
    assert np.all(lo <= gatys._luma(rgb) + 1e-6) and np.all(gatys._luma(rgb) <= hi + 1e-6)
    for g in (lo, hi):
        back = gatys.ycbcr2rgb(np.concatenate([(16 + 219 * g.astype(np.float64)) / 255, cbcr], -1))
        assert back.min() > -1e-5 and back.max() < 1 + 1e-5


def test_bad_arguments():
    with pytest.raises(ZooError, match="init"):
        transfer_style(np.zeros((16, 16, 3)), np.zeros((16, 16, 3)), init="style")
    with pytest.raises(ZooError, match="optimizer"):
        synthesize_texture(np.zeros((16, 16, 3)), 16, optimizer="sgd")
    with pytest.raises(ZooError, match="8x8"):
        synthesize_texture(np.zeros((16, 16, 3)), 4)


def test_texture_cli_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / "src.png"
    write_image(src, (rng.uniform(0, 1, (24, 24, 3)) ** 2).astype(np.float32))
    out, report = tmp_path / "tex.png", tmp_path / "tex.json"
    done = run_zoo("texture", str(src), "--size", "24", "--out", str(out), "--iters", "4",
                   "--backbone", "random", "--snapshot-every", "2", "--json", str(report))
    assert done.returncode == 0, done.stderr
    assert read_image(out).shape == (24, 24, 3)
    assert (tmp_path / "tex_00002.png").is_file() and (tmp_path / "tex_00004.png").is_file()
    summary = json.loads(report.read_text())
    assert summary["backbone"] == "random" and summary["final_loss"] < summary["initial_loss"]

    missing = run_zoo("texture", str(tmp_path / "nope.png"), "--size", "24", "--out", str(out))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines()[-1].startswith("zoo: error:")
    assert "no such file" in missing.stderr


def test_style_cli_in_process(tmp_path, capsys):
    """`zoo style` through the CLI's main() (in-process: no second TensorFlow start-up)."""
    rng = np.random.default_rng(0)
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    write_image(content, rng.uniform(0, 1, (20, 28, 3)).astype(np.float32))
    write_image(style, (rng.uniform(0, 1, (24, 24, 3)) ** 3).astype(np.float32))
    styled = tmp_path / "styled.png"
    assert main(["style", str(content), str(style), "--out", str(styled), "--iters", "3",
                 "--backbone", "random", "--preserve-color", "--init", "content",
                 "--size", "28"]) == 0
    assert read_image(styled).shape == (20, 28, 3)
    assert "wrote" in capsys.readouterr().out
    assert not (tmp_path / "styled_fit_state").exists()  # saved while running, gone once done
    assert main(["style", str(content), str(style), "--out", str(tmp_path / "x.gif")]) == 2
    assert main(["style", str(content), str(tmp_path / "none.png"), "--out", str(styled)]) == 2
    err = capsys.readouterr().err
    assert "x.gif: output must end in one of" in err and "none.png: no such file" in err


@pytest.mark.parametrize("optimizer, stop_at", [("adam", 3), ("adam", 8), ("lbfgs", 7)])
def test_ctrl_c_keeps_the_newest_image(exemplar, optimizer, stop_at):
    """Ctrl-C (KeyboardInterrupt) ends the run with the newest iterate, resized to the output
    size when it came at the coarse level; iterations 1-5 are level 0 (20x28), 6-10 level 1."""
    shown = {}

    def snapshot(step, image):
        shown[step] = image
        if step == stop_at:
            raise KeyboardInterrupt

    result = synthesize_texture(exemplar, (40, 56), small_backbone(), iterations=5, levels=2,
                                optimizer=optimizer, snapshot_every=1, on_snapshot=snapshot)
    assert result.interrupted and result.iterations == stop_at == max(shown)
    assert result.image.shape == (40, 56, 3)
    newest = shown[stop_at]
    assert newest.shape[:2] == ((20, 28) if stop_at <= 5 else (40, 56))
    if newest.shape[:2] != (40, 56):
        newest = np.clip(imresize(newest, output_shape=(40, 56)), 0, 1)
    np.testing.assert_allclose(result.image, newest, atol=1e-6)
    assert np.isfinite(result.final_loss)


def _stop_at(iteration):
    def snapshot(step, image):
        if step == iteration:
            raise KeyboardInterrupt
    return snapshot


def test_a_stopped_adam_fit_continues_to_the_unbroken_result(exemplar, tmp_path):
    """Ctrl-C at iteration 7 (level 1 of 2) with a state folder; the same call continues it
    to exactly the unbroken run's image and losses (Adam's moments are saved)."""
    common = dict(size=(40, 56), iterations=5, levels=2, optimizer="adam", progress=False)
    unbroken = synthesize_texture(exemplar, backbone=small_backbone(), **common)
    stopped = synthesize_texture(exemplar, backbone=small_backbone(), **common,
                                 snapshot_every=1, on_snapshot=_stop_at(7), state_dir=tmp_path,
                                 state_every=0)
    assert stopped.interrupted and stopped.iterations == 7
    assert (tmp_path / "state.npz").is_file()
    resumed = synthesize_texture(exemplar, backbone=small_backbone(), **common,
                                 state_dir=tmp_path)
    assert resumed.resumed_from == 7 and resumed.iterations == 10 and not resumed.interrupted
    np.testing.assert_array_equal(resumed.image, unbroken.image)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in unbroken.history]
    assert resumed.initial_loss == unbroken.initial_loss
    assert resumed.evaluations == unbroken.evaluations == 10

    again = synthesize_texture(exemplar, backbone=small_backbone(), **common, state_dir=tmp_path)
    assert again.resumed_from == 10 and again.iterations == 10  # finished: nothing left to do
    np.testing.assert_array_equal(again.image, unbroken.image)
    notes = []  # asked for fewer iterations than the saved fit has done: taken as it is
    fewer = synthesize_texture(exemplar, backbone=small_backbone(), **{**common, "iterations": 3},
                               state_dir=tmp_path, notify=notes.append)
    assert notes == [f"the fit saved in {tmp_path} has done 10 iterations, not fewer than the 6 "
                     "asked for: its result is taken as it is"]
    assert fewer.iterations == 10
    np.testing.assert_array_equal(fewer.image, unbroken.image)


def test_a_stopped_lbfgs_fit_continues_from_the_saved_image(exemplar, tmp_path):
    common = dict(size=(40, 56), iterations=5, levels=2, optimizer="lbfgs", progress=False)
    stopped = synthesize_texture(exemplar, backbone=small_backbone(), **common,
                                 snapshot_every=1, on_snapshot=_stop_at(7), state_dir=tmp_path)
    resumed = synthesize_texture(exemplar, backbone=small_backbone(), **common,
                                 state_dir=tmp_path)
    assert resumed.resumed_from == 7 and resumed.iterations == 10
    assert resumed.history[:7] == stopped.history
    assert [(h["level"], h["iteration"]) for h in resumed.history[7:]] == [(1, 3), (1, 4), (1, 5)]
    assert resumed.final_loss < stopped.final_loss  # it went on from the saved image
    assert resumed.initial_loss == stopped.initial_loss  # level 1's start, not the restart's


def test_saved_state_of_another_texture_is_refused(exemplar, tmp_path):
    notes = []
    synthesize_texture(exemplar, 24, small_backbone(), iterations=2, optimizer="adam",
                       progress=False, state_dir=tmp_path)
    with pytest.raises(ZooError, match="saved state of another fit"):
        synthesize_texture(exemplar, 24, small_backbone(), iterations=2, optimizer="adam",
                           progress=False, state_dir=tmp_path, seed=1, notify=notes.append)
    assert notes == []  # no "continuing" before the refusal
    synthesize_texture(exemplar, 24, small_backbone(), iterations=2, optimizer="adam",
                       progress=False, state_dir=tmp_path, notify=notes.append)
    assert notes == [f"the fit saved in {tmp_path} has done 2 iterations, not fewer than the 2 "
                     "asked for: its result is taken as it is"]
    with pytest.raises(ZooError, match="saved state of another fit"):
        synthesize_texture(exemplar[::-1], 24, small_backbone(), iterations=2,
                           optimizer="adam", progress=False, state_dir=tmp_path)
    other = RandomMultiscale(filters=16, scales=(3, 5, 7, 11), seed=1)
    with pytest.raises(ZooError, match="saved state of another fit"):
        synthesize_texture(exemplar, 24, other, iterations=2, optimizer="adam",
                           progress=False, state_dir=tmp_path)


def test_texture_command_continues_after_a_kill(tmp_path, capsys):
    """`zoo texture` killed with SIGKILL mid-fit; the same command continues from its saved
    state and ends on the image of an unbroken run (Adam)."""
    from conftest import kill_zoo_once_saved

    src = tmp_path / "src.png"
    write_image(src, np.random.default_rng(0).uniform(0, 1, (24, 24, 3)).astype(np.float32))
    command = ["texture", str(src), "--size", "24", "--out", str(tmp_path / "tex.png"),
               "--backbone", "random", "--optimizer", "adam"]
    state = tmp_path / "tex_fit_state" / "state.npz"
    kill_zoo_once_saved([*command, "--iters", "1000000", "--state-every", "0.2"], state,
                        tmp_path / "first.log")
    assert state.is_file(), (tmp_path / "first.log").read_text()[-2000:]
    with np.load(state) as saved:
        done = json.loads(str(saved["meta"]))["done"]
    assert done >= 1

    report = tmp_path / "tex.json"
    assert main([*command, "--iters", str(done + 3), "--json", str(report)]) == 0
    assert f"continuing the unfinished fit saved in {state.parent} ({done} iterations done)" \
        in capsys.readouterr().err
    summary = json.loads(report.read_text())
    assert summary["iterations"] == done + 3 and summary["resumed_from"] == done
    assert not state.parent.exists()  # done: the next run starts afresh
    assert main([*command[:5], str(tmp_path / "unbroken.png"), *command[6:], "--iters",
                 str(done + 3)]) == 0
    np.testing.assert_array_equal(read_image(tmp_path / "tex.png"),
                                  read_image(tmp_path / "unbroken.png"))


def test_ctrl_c_on_the_command_line_writes_the_image_so_far(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from conftest import NEUTRAL_CWD

    src, out = tmp_path / "src.png", tmp_path / "tex.png"
    write_image(src, np.random.default_rng(0).uniform(0, 1, (24, 24, 3)).astype(np.float32))
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoo.cli.main", "texture", str(src), "--size", "24", "--out",
         str(out), "--iters", "100000", "--backbone", "random", "--optimizer", "adam",
         "--snapshot-every", "5", "--json", str(tmp_path / "tex.json")],
        cwd=NEUTRAL_CWD, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell's background job (as CI may run pytest) ignores SIGINT, and so would zoo.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "tex_00005.png").exists() and proc.poll() is None:
            assert time.monotonic() < deadline, "no snapshot within 2 minutes"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # never leave a 100,000-iteration fit running
    assert proc.returncode == 130, err[-2000:]
    assert "zoo: interrupted after" in err and f"wrote the image so far to {out}" in err
    assert "run the same command again to continue" in err
    assert (tmp_path / "tex_fit_state" / "state.npz").is_file()
    assert read_image(out).shape == (24, 24, 3)
    report = json.loads((tmp_path / "tex.json").read_text())
    assert report["interrupted"] and 5 <= report["iterations"] < 100000


def test_vgg19_offline_is_one_line_error(tmp_path, monkeypatch, capsys):
    from zoo.models.perceptual import vgg as vgg_module

    def offline(spec, target):
        raise OSError("URL fetch failure -- [Errno -3] Temporary failure in name resolution")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(vgg_module, "_download", offline)
    src = tmp_path / "src.png"
    write_image(src, np.full((16, 16, 3), 0.5, np.float32))
    assert main(["texture", str(src), "--size", "16", "--out", str(tmp_path / "t.png"),
                 "--backbone", "vgg19"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "VGG19 ImageNet weights are not cached" in err[0]


def test_style_with_both_weights_zero_is_refused(exemplar):
    with pytest.raises(ZooError, match="both 0: there is nothing to optimise"):
        transfer_style(exemplar, exemplar, small_backbone(), content_weight=0, style_weight=0,
                       iterations=2, progress=False)


@pytest.mark.parametrize("command", ["texture", "dip"])
def test_a_state_folder_that_is_a_file_is_refused_before_the_work(tmp_path, capsys, command):
    write_image(tmp_path / "in.png", np.full((16, 16, 3), 90, np.uint8))
    (tmp_path / "taken").write_text("a file")
    args = (["texture", str(tmp_path / "in.png"), "--size", "16"] if command == "texture"
            else ["dip", "denoise", str(tmp_path / "in.png"), "--preset", "demo"])
    assert main([*args, "--iters", "1", "--out", str(tmp_path / "out.png"),
                 "--state", str(tmp_path / "taken")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"zoo: error: {tmp_path / 'taken'}: is a file, not a folder")
    assert not (tmp_path / "out.png").exists()
