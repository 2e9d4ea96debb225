"""Deep Image Prior: architectures, the data term, the fitting loop, the command."""

import dataclasses
import json

import numpy as np
import pytest

from zoo.models.dip import TASKS, hourglass, skip
from zoo.models.dip.fit import Fit, data_term, make_code, padded_size
from zoo.models.dip.problems import build_problem, mask_from_image, psnr01

from conftest import data_dir, run_python, run_zoo


def official_skip_parameters(c_in, c_out, down, up, skips, k_down=3, k_up=3, k_skip=1,
                             need1x1_up=True):
    """Trainable parameters of models/skip.py's network, counted from its module list."""
    total, n = 0, len(down)
    conv = lambda i, o, k: i * o * k * k + o  # noqa: E731
    bn = lambda c: 2 * c  # noqa: E731
    for i in range(n):
        if skips[i]:
            total += conv(c_in, skips[i], k_skip) + bn(skips[i])
        total += conv(c_in, down[i], k_down) + bn(down[i])
        total += conv(down[i], down[i], k_down) + bn(down[i])
        deeper = up[i + 1] if i < n - 1 else down[i]
        total += bn(skips[i] + deeper)
        total += conv(skips[i] + deeper, up[i], k_up) + bn(up[i])
        if need1x1_up:
            total += conv(up[i], up[i], 1) + bn(up[i])
        c_in = down[i]
    return total + conv(up[0], c_out, 1)


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_skip_network_of_the_paper_has_the_official_size():
    task = TASKS["denoising"]
    net = skip(input_channels=32, output_channels=3, **task.network)
    assert trainable(net) == official_skip_parameters(32, 3, [128] * 5, [128] * 5, [4] * 5)
    assert 2.0e6 < trainable(net) < 2.4e6  # "about 2M parameters"
    holes = TASKS["inpainting_holes"].network
    net = skip(input_channels=1, output_channels=3, **holes)
    assert trainable(net) == official_skip_parameters(
        1, 3, [16, 32, 64, 128, 128, 128], [16, 32, 64, 128, 128, 128], [0] * 6, k_down=5,
        need1x1_up=False)


def test_hourglass_has_no_skip_branch_and_outputs_are_in_0_1(rng):
    net = hourglass(input_channels=2, output_channels=3, channels_down=(8, 8), channels_up=(8, 8))
    assert not any(l.__class__.__name__ == "Concatenate" for l in net.layers)
    out = np.asarray(net(rng.random((1, 16, 16, 2)).astype("float32"), training=True))
    assert out.shape == (1, 16, 16, 3) and out.min() > 0 and out.max() < 1


def test_sizes_must_divide_by_two_to_the_scales():
    with pytest.raises(ValueError, match="multiples of 32"):
        skip(image_shape=(48, 64))
    with pytest.raises(ValueError, match="at least 64"):  # coarsest map of 1 pixel: no reflection
        skip(image_shape=(32, 64))


def test_fit_pads_small_and_odd_images_to_a_valid_size():
    assert [padded_size(n, 5) for n in (1, 32, 64, 65, 96)] == [64, 64, 64, 96, 96]


def test_meshgrid_code(rng):
    task = TASKS["inpainting_meshgrid"]
    z = make_code(task, (5, 9), rng)
    assert z.shape == (5, 9, 2)
    np.testing.assert_allclose(z[0, :, 0], np.linspace(0, 1, 9))
    np.testing.assert_allclose(z[:, 0, 1], np.linspace(0, 1, 5))
    noise = make_code(TASKS["denoising"], (5, 9), rng)
    assert noise.shape == (5, 9, 32) and 0 <= noise.min() and noise.max() < 0.1


def test_masked_loss_ignores_masked_pixels(rng):
    observed = rng.random((1, 8, 8, 3)).astype("float32")
    prediction = rng.random((1, 8, 8, 3)).astype("float32")
    mask = (rng.random((1, 8, 8, 3)) > 0.5).astype("float32")
    loss = float(data_term(prediction, observed, mask))
    changed_obs, changed_pred = observed.copy(), prediction.copy()
    changed_obs[mask == 0] = rng.random(int((mask == 0).sum()))
    changed_pred[mask == 0] = 0.5
    assert float(data_term(prediction, changed_obs, mask)) == pytest.approx(loss, abs=1e-7)
    assert float(data_term(changed_pred, observed, mask)) == pytest.approx(loss, abs=1e-7)
    expected = np.mean(((prediction - observed) * mask) ** 2)  # PyTorch's MSELoss on masked images
    assert loss == pytest.approx(expected, rel=1e-6)


@pytest.fixture(scope="module")
def barbara_problem():
    image = np.asarray(
        __import__("zoo.image", fromlist=["read_image"]).read_image(
            data_dir("dip", "restoration", "barbara.png")))[200:264, 300:364]
    return build_problem("restore", image, drop=0.5, seed=0)


def test_the_prior_restores_half_the_pixels(barbara_problem):
    """A few hundred steps of a light skip net lift PSNR far above the masked input."""
    fit = Fit(barbara_problem, "demo", seed=0)
    result = fit.run(300, progress=False)
    masked = psnr01(barbara_problem.observed, barbara_problem.clean)
    assert masked < 10
    assert result.psnr > masked + 14, (masked, result.psnr)
    assert result.psnr > 23.5
    assert result.image.shape == (64, 64, 1)


@pytest.fixture(scope="module")
def guarded_fit(barbara_problem):
    task = dataclasses.replace(TASKS["demo"], guard_every=1, exp_weight=0.9)
    return Fit(barbara_problem, task, seed=1)


def test_one_step_is_compiled_once_and_the_guard_restores(guarded_fit):
    fit = guarded_fit
    fit.run(1, progress=False)
    traced = fit.fitter.traces
    saved = {}

    def break_weights(step, image):  # a wild update: the next loss jumps
        saved["good"] = [w.copy() for w in fit.net.get_weights()]
        fit.net.set_weights([w + np.random.default_rng(0).normal(0, 3, w.shape).astype(w.dtype)
                             for w in saved["good"]])

    result = fit.run(12, snapshot_every=10, on_snapshot=break_weights, progress=False)
    assert fit.fitter.traces == traced, "a step was traced again"
    assert result.restarts >= 1


def test_output_average_and_render(guarded_fit):
    fit = guarded_fit
    fit.run(3, progress=False)
    avg = fit.average()
    assert avg is not None and avg.shape == (64, 64, 1)
    eager = np.asarray(fit.net(fit.z[None], training=True))[0]
    np.testing.assert_allclose(fit.current(), eager, atol=1e-5)


def _small_masked_problem(seed=0):
    rng = np.random.default_rng(seed)
    image = (rng.random((32, 32, 3)) * 255).astype(np.uint8)
    return build_problem("restore", image, drop=0.5, seed=seed)


# Every piece of state at work: input perturbation (a random generator), output average,
# guard (fallback weights), Adam moments.
STATEFUL = dataclasses.replace(
    TASKS["demo"], exp_weight=0.9, reg_noise_std=0.05, guard_every=2,
    network={"channels_down": (8, 8), "channels_up": (8, 8), "channels_skip": (2, 2)})


def test_a_fit_stopped_and_continued_ends_where_an_unbroken_one_does(tmp_path):
    from zoo.models.dip.fit import FitInterrupted

    problem = _small_masked_problem()
    unbroken = Fit(problem, STATEFUL, seed=4).run(9, log_every=2, progress=False)

    def ctrl_c(step, image):  # Ctrl-C, as the terminal sends it, while step 5 ends
        import signal

        signal.raise_signal(signal.SIGINT)

    first = Fit(problem, STATEFUL, seed=4)
    with pytest.raises(FitInterrupted, match="interrupted after 5 iterations"):
        first.run(9, log_every=2, progress=False, state_dir=tmp_path, snapshot_every=5,
                  on_snapshot=ctrl_c)
    resumed = Fit(problem, STATEFUL, seed=4).run(9, log_every=2, progress=False,
                                                 state_dir=tmp_path)
    assert resumed.steps == 9
    np.testing.assert_array_equal(resumed.image, unbroken.image)
    np.testing.assert_array_equal(resumed.last, unbroken.last)
    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in unbroken.history]

    # A fresh Fit without the saved state really does differ at step 9 (the test can fail).
    fresh = Fit(problem, STATEFUL, seed=4)
    fresh.run(4, progress=False)
    assert not np.array_equal(fresh.run(4, progress=False).image, unbroken.image)


def test_saved_state_of_another_fit_is_refused(tmp_path):
    from zoo.errors import ZooError

    Fit(_small_masked_problem(0), STATEFUL, seed=4).run(2, progress=False, state_dir=tmp_path)
    with pytest.raises(ZooError, match="saved state of another fit"):
        Fit(_small_masked_problem(1), STATEFUL, seed=4).run(3, progress=False, state_dir=tmp_path)
    with pytest.raises(ZooError, match="saved state of another fit"):
        Fit(_small_masked_problem(0), STATEFUL, seed=5).run(3, progress=False, state_dir=tmp_path)


def test_super_resolution_problem_fits_the_low_resolution_image(rng):
    low = (rng.random((8, 8, 3)) * 255).astype(np.uint8)
    problem = build_problem("sr", low, scale=4)
    assert problem.output_shape == (32, 32, 3)
    fit = Fit(problem, "demo", seed=0)
    assert fit.fitter.output_shape == (1, 8, 8, 3)  # d(f(z)) is compared with the 8x8 input
    assert fit.net.output_shape[1:] == (32, 32, 3)


JAX_TRACES = """
import numpy as np, keras
from zoo.models.dip.fit import Fit, Problem
assert keras.backend.backend() == "jax"
rng = np.random.default_rng(0)
fit = Fit(Problem(rng.random((32, 32, 3)).astype("float32")), "demo", seed=0)
fit.run(1, progress=False)
first = fit.fitter.traces
result = fit.run(20, progress=False)
print("TRACES", first, fit.fitter.traces, result.history[-1]["loss"] < result.history[0]["loss"])
"""


def test_jax_backend_compiles_the_step_once():
    pytest.importorskip("jax", reason="JAX not installed (the README's test command installs it)")
    result = run_python(JAX_TRACES, env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TRACES 1 1 True" in result.stdout


def test_masks_are_checked():
    from zoo.errors import ImageError

    with pytest.raises(ImageError, match="must match"):
        mask_from_image(np.zeros((4, 5, 1), np.uint8), (4, 6))
    gray = np.full((4, 4, 1), 128, np.uint8)
    with pytest.raises(ImageError, match="black and white"):
        mask_from_image(gray, (4, 4))
    with pytest.raises(ImageError, match="all black"):
        mask_from_image(np.zeros((4, 4, 1), np.uint8), (4, 4))
    mask = mask_from_image(np.array([[[0], [255]], [[250], [3]]], np.uint8), (2, 2))
    np.testing.assert_array_equal(mask[..., 0], [[0, 1], [1, 0]])


def test_dip_inpaint_command(tmp_path):
    from zoo.image import read_image, write_image

    kate = read_image(data_dir("dip", "inpainting", "kate.png"))[100:164, 200:264]
    mask = read_image(data_dir("dip", "inpainting", "kate_mask.png"))[100:164, 200:264]
    write_image(tmp_path / "photo.png", kate)
    write_image(tmp_path / "mask.png", mask)
    result = run_zoo("dip", "inpaint", str(tmp_path / "photo.png"), "--mask",
                     str(tmp_path / "mask.png"), "--clean", str(tmp_path / "photo.png"),
                     "--out", str(tmp_path / "result.png"), "--preset", "demo", "--iters", "20",
                     "--json", str(tmp_path / "r.json"), "--snapshot-every", "10")
    assert result.returncode == 0, result.stderr[-2000:]
    assert read_image(tmp_path / "result.png").shape == (64, 64, 3)
    assert (tmp_path / "result_00010.png").is_file() and (tmp_path / "result_00020.png").is_file()
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["iterations"] == 20 and "psnr" in report and report["restarts"] == 0
    assert not (tmp_path / "result_fit_state").exists()  # removed once the fit is done

    write_image(tmp_path / "small_mask.png", mask[:32])
    bad = run_zoo("dip", "inpaint", str(tmp_path / "photo.png"), "--mask",
                  str(tmp_path / "small_mask.png"), "--out", str(tmp_path / "x.png"))
    assert bad.returncode == 2 and bad.stderr.strip().startswith("zoo: error: mask is 64x32")
    write_image(tmp_path / "gray_mask.png", np.full((64, 64, 1), 100, np.uint8))
    bad = run_zoo("dip", "inpaint", str(tmp_path / "photo.png"), "--mask",
                  str(tmp_path / "gray_mask.png"), "--out", str(tmp_path / "x.png"))
    assert bad.returncode == 2 and "black and white" in bad.stderr
    bad = run_zoo("dip", "inpaint", str(tmp_path / "photo.png"), "--out", str(tmp_path / "x.png"))
    assert bad.returncode == 2 and "needs --mask" in bad.stderr


def _saved_step(state) -> int | None:
    """The step of the fit saved in ``state`` (None while there is none)."""
    try:
        with np.load(state) as saved:
            return json.loads(str(saved["meta"]))["step"]
    except (OSError, ValueError, KeyError, EOFError):
        return None


def _kill_once_saved_past(args, state, step: int) -> int:
    """Run ``zoo ARGS`` until its saved fit has done more than ``step`` iterations, SIGKILL it,
    and return the step of the fit it left saved."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import NEUTRAL_CWD

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with subprocess.Popen([sys.executable, "-m", "zoo.cli.main", *args], env=env,
                          cwd=NEUTRAL_CWD, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as proc:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if (_saved_step(state) or 0) > step:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        _, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]  # killed, not finished
    return _saved_step(state)


def test_dip_command_killed_twice_ends_as_one_never_killed(tmp_path):
    """`zoo dip` killed with SIGKILL at two points after its state was saved, and resumed each
    time: the same image, PSNR and iterations as an uninterrupted run of the same seed."""
    import subprocess
    import sys

    from conftest import NEUTRAL_CWD
    from zoo.image import read_image, write_image

    iters = 40
    write_image(tmp_path / "photo.png",
                (np.random.default_rng(0).random((16, 16, 3)) * 255).astype(np.uint8))

    def command(name):
        return ["dip", "restore", str(tmp_path / "photo.png"), "--drop", "0.5", "--preset",
                "demo", "--iters", str(iters), "--state-every", "0.2", "--seed", "3",
                "--out", str(tmp_path / f"{name}.png"), "--json", str(tmp_path / f"{name}.json")]

    log = open(tmp_path / "whole.log", "w+")
    whole = subprocess.Popen([sys.executable, "-m", "zoo.cli.main", *command("whole")],
                             cwd=NEUTRAL_CWD, stdout=log, stderr=subprocess.STDOUT)  # meanwhile
    state = tmp_path / "killed_fit_state" / "state.npz"
    first = _kill_once_saved_past(command("killed"), state, 0)
    second = _kill_once_saved_past(command("killed"), state, first + 8)
    assert 0 < first < second < iters, (first, second)
    resumed = run_zoo(*command("killed"))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (f"continuing the unfinished fit saved in {state.parent} ({second} iterations done)"
            in resumed.stderr)
    whole.wait(timeout=300)
    log.seek(0)
    out = log.read()
    log.close()
    assert whole.returncode == 0, out[-2000:]
    assert f"({iters} iterations" in out and f"({iters} iterations" in resumed.stdout
    np.testing.assert_array_equal(read_image(tmp_path / "killed.png"),
                                  read_image(tmp_path / "whole.png"))
    ours, theirs = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("killed", "whole"))
    assert ours["iterations"] == theirs["iterations"] == iters
    for key in ("psnr", "psnr_last"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-6)
    assert not state.parent.exists()
