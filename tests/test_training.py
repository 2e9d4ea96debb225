"""VDSR's optimizer and loss against their formulas; MirroredStrategy; resume after a kill."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import NEUTRAL_CWD, run_python


def test_adjustable_clipping_and_l2_one_step():
    """Kim et al. Sec. 3.3: g clipped to [-theta/lr, theta/lr]; then + l2 * w for kernels."""
    import keras

    from zoo.training.optimizers import AdjustableClipSGD

    lr, theta, l2 = 0.5, 0.1, 0.01
    kernel = keras.Variable(np.array([[1.0, -2.0], [3.0, 0.5]], np.float32))
    bias = keras.Variable(np.array([1.0, 2.0], np.float32))
    grads = [np.array([[5.0, -0.1], [-7.0, 0.15]], np.float32), np.array([9.0, -0.05], np.float32)]
    opt = AdjustableClipSGD(learning_rate=lr, momentum=0.9, theta=theta, l2=l2)
    opt.apply(grads, [kernel, bias])
    bound = theta / lr
    expected_kernel = np.array([[1.0, -2.0], [3.0, 0.5]]) - lr * (
        np.clip(grads[0], -bound, bound) + l2 * np.array([[1.0, -2.0], [3.0, 0.5]]))
    expected_bias = np.array([1.0, 2.0]) - lr * np.clip(grads[1], -bound, bound)  # no decay
    np.testing.assert_allclose(kernel.numpy(), expected_kernel, rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), expected_bias, rtol=1e-6)
    # second step: momentum 0.9 carries the first update
    first = expected_kernel - np.array([[1.0, -2.0], [3.0, 0.5]])
    opt.apply(grads, [kernel, bias])
    step2 = 0.9 * first - lr * (np.clip(grads[0], -bound, bound) + l2 * expected_kernel)
    np.testing.assert_allclose(kernel.numpy(), expected_kernel + step2, rtol=1e-5)


def test_clip_bound_follows_the_learning_rate_schedule():
    import keras

    from zoo.training.optimizers import AdjustableClipSGD

    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([0], [0.1, 0.01])
    var = keras.Variable(np.zeros(3, np.float32))
    opt = AdjustableClipSGD(learning_rate=schedule, momentum=0.0, theta=0.01, l2=0.0)
    g = np.array([100.0, -100.0, 0.05], np.float32)
    opt.apply([g], [var])  # lr 0.1: bound 0.1, step lr * 0.1 = 0.01
    np.testing.assert_allclose(var.numpy(), [-0.01, 0.01, -0.005], rtol=1e-6)
    opt.apply([g], [var])  # lr 0.01: bound 1, step 0.01 * 1 = 0.01 again; 0.05 unclipped
    np.testing.assert_allclose(var.numpy(), [-0.02, 0.02, -0.0055], rtol=1e-5)


def test_global_norm_clipping_then_l2_one_step():
    """--clip norm (twtygqyy/pytorch-vdsr): all gradients scaled to a global norm of at most
    clip_norm, then + l2 * w for kernels, as clip_grad_norm before torch SGD's weight decay."""
    import keras

    from zoo.training.optimizers import AdjustableClipSGD

    lr, l2, clip_norm = 0.1, 0.01, 0.4
    w0 = [np.array([[1.0, -2.0], [3.0, 0.5]], np.float32), np.array([1.0, 2.0], np.float32)]
    kernel, bias = (keras.Variable(w) for w in w0)
    grads = [np.array([[5.0, -0.1], [-7.0, 0.15]], np.float32), np.array([9.0, -0.05], np.float32)]
    opt = AdjustableClipSGD(learning_rate=lr, momentum=0.9, theta=1e-9, l2=l2, clip_norm=clip_norm)
    opt.apply(grads, [kernel, bias])
    norm = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))
    scale = clip_norm / norm  # < 1 here; theta plays no part
    np.testing.assert_allclose(kernel.numpy(), w0[0] - lr * (scale * grads[0] + l2 * w0[0]),
                               rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), w0[1] - lr * scale * grads[1], rtol=1e-6)
    # a gradient already inside the norm ball is left as it is
    small = keras.Variable(np.zeros(2, np.float32))
    AdjustableClipSGD(learning_rate=lr, momentum=0.0, l2=0.0, clip_norm=clip_norm).apply(
        [np.array([0.1, -0.2], np.float32)], [small])
    np.testing.assert_allclose(small.numpy(), [-0.01, 0.02], rtol=1e-6)
    # the setting survives serialization
    assert AdjustableClipSGD.from_config(opt.get_config()).clip_norm == clip_norm


def test_train_cli_builds_the_pytorch_vdsr_variant():
    from zoo.cli.main import build_parser
    from zoo.cli.train import recipe_config
    from zoo.training.vdsr import make_optimizer

    args = build_parser().parse_args(["train", "vdsr", "--data", "d", "--out", "o", "--clip", "norm",
                                      "--clip-norm", "0.3", "--downscales", "1,0.7,0.5"])
    recipe = recipe_config(args)
    assert recipe.downscales == (1.0, 0.7, 0.5) and recipe.clip == "norm"
    assert make_optimizer(recipe, steps_per_epoch=10).clip_norm == 0.3
    default = recipe_config(build_parser().parse_args(["train", "vdsr", "--data", "d", "--out", "o"]))
    assert default.downscales == (1.0,) and make_optimizer(default, 10).clip_norm is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "vdsr", "--data", "d", "--out", "o",
                                   "--downscales", "1,1.5"])


def test_default_recipe_keeps_the_relus_alive(tiny_folder):
    """20 steps of the default recipe (SGD, lr 0.1, adjustable clipping) on a 20-layer VDSR of
    16 filters: most channels still fire and the loss falls. With theta = 0.01, the old
    default, 72% of the channels died and the loss stayed 20 times higher."""
    import keras

    from zoo.models.vdsr import VDSR
    from zoo.training import sr_data
    from zoo.training.losses import half_squared_error
    from zoo.training.vdsr import Config, make_optimizer

    bank = sr_data.make_patch_bank(sr_data.image_files([tiny_folder]), progress=False)
    keras.utils.set_random_seed(0)
    model = VDSR(filters=16)
    model.compile(optimizer=make_optimizer(Config(data=[]), 10**6), loss=half_squared_error)
    x, y = bank.inputs[:32], bank.targets[:32] / 255.0
    stream = sr_data.PatchStream(bank, 16, seed=0)
    model.fit(iter(stream), steps_per_epoch=20, epochs=1, verbose=0)
    stream.close()
    loss = float(np.mean(half_squared_error(y, model.predict(x, verbose=0))))
    probe = keras.Model(model.input, [model.get_layer(f"conv{i}").output for i in range(1, 20)])
    dead = np.mean([np.mean(np.max(np.asarray(a), axis=(0, 1, 2)) <= 0)
                    for a in probe.predict(x, verbose=0)])
    assert dead < 0.2 and loss < 0.06, (dead, loss)


def test_loss_is_half_the_summed_squared_error_per_example(rng):
    from zoo.training.losses import half_squared_error, psnr_metric

    y, p = rng.random((3, 5, 4, 1)).astype("float32"), rng.random((3, 5, 4, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(half_squared_error(y, p)),
                               0.5 * ((y - p) ** 2).sum(axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(psnr_metric(y, p)),
                               -10 * np.log10(((y - p) ** 2).mean(axis=(1, 2, 3))), rtol=1e-4)


def test_psnr_metric_scores_predictions_clipped_to_the_image_range():
    """The metric scores the image that would be shown: predictions clipped to [0, 1], as the
    evaluation protocol's uint8 rounding does (zoo.sr), so an overshoot beyond white or black
    is no error where the truth is white or black. MSE written out by hand below."""
    from zoo.training.losses import psnr_metric

    ones = np.ones((2, 4, 4, 1), np.float32)
    # all clipped back to the truth: MSE 0, floored at 1e-10 -> 100 dB
    np.testing.assert_allclose(np.asarray(psnr_metric(ones, 1.2 * ones)), [100.0, 100.0],
                               rtol=1e-5)
    y = np.full((1, 2, 2, 1), 0.5, np.float32)
    p = np.array([-0.3, 1.4, 0.6, 0.5], np.float32).reshape(1, 2, 2, 1)
    mse = (0.5**2 + 0.5**2 + 0.1**2 + 0.0) / 4  # clipped to 0, 1, 0.6, 0.5
    np.testing.assert_allclose(np.asarray(psnr_metric(y, p)), [-10 * np.log10(mse)], rtol=1e-5)


def test_learning_rate_divided_by_ten_every_20_epochs():
    from zoo.training.vdsr import Config, learning_rate_schedule

    schedule = learning_rate_schedule(Config(data=[]), steps_per_epoch=10)
    lrs = [float(schedule(step)) for step in (0, 199, 200, 399, 400, 600, 799)]
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.01, 0.01, 0.001, 1e-4, 1e-4], rtol=1e-6)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from zoo.image import imresize, write_image

    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("train_images")
    for k in range(3):
        small = rng.random((12, 12, 3))
        write_image(path / f"{k}.png", np.clip(imresize(small, output_shape=(96, 96)), 0, 1))
    return path


def test_no_biases_keeps_them_at_zero_while_the_kernels_train(tmp_path, tiny_folder):
    """--no-biases: the pytorch-vdsr variant trains kernels only; the file loads into VDSR()."""
    from zoo.models.vdsr import VDSR
    from zoo.training.vdsr import Config, train

    start = VDSR(depth=3, filters=4)
    start.save_weights(tmp_path / "start.weights.h5")
    recipe = Config(data=[str(tiny_folder)], depth=3, filters=4, batch_size=4, epochs=1,
                    steps_per_epoch=3, clip="norm", biases=False, processes=1,
                    init_weights=str(tmp_path / "start.weights.h5"))
    model, _ = train(recipe, {"out_dir": tmp_path / "run", "verbose": 0})
    assert [v.name for v in model.trainable_variables] == ["kernel"] * 3
    fresh = VDSR(depth=3, filters=4)
    fresh.load_weights(tmp_path / "run" / "final.weights.h5")
    for layer, first in zip(fresh.layers[1:4], start.layers[1:4]):
        assert np.all(np.asarray(layer.bias) == 0)
        assert not np.allclose(np.asarray(layer.kernel), np.asarray(first.kernel))


def read_history(run_dir):
    with open(run_dir / "metrics.csv") as f:
        return list(csv.DictReader(f))


def checkpoint_place(run_dir) -> dict | None:
    """The latest checkpoint's ``{"epoch", "step", ...}``, None while there is none."""
    import h5py

    try:
        with h5py.File(run_dir / "checkpoints" / "latest.h5", "r") as f:
            return json.loads(f.attrs["progress"])
    except (OSError, KeyError, ValueError):
        return None


def optimizer_steps(run_dir) -> int:
    """The optimizer's step counter in the latest checkpoint (its first optimizer variable)."""
    import h5py

    with h5py.File(run_dir / "checkpoints" / "latest.h5", "r") as f:
        assert f["optimizer/0"].attrs["path"].endswith("iteration")
        return int(f["optimizer/0"][()])


def test_mirrored_strategy_on_two_cpus_lowers_the_loss(tmp_path, tiny_folder):
    code = f"""
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from zoo.training.vdsr import Config, train
recipe = Config(data=[{str(tiny_folder)!r}], depth=3, filters=8, batch_size=16,
                epochs=3, steps_per_epoch=8, optimizer="adam", learning_rate=1e-3)
run = {{"out_dir": {str(tmp_path)!r}, "strategy": "mirrored", "verbose": 0}}
model, history = train(recipe, run)
print("LOSSES", history.history["loss"])
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "training on 2 replicas" in result.stdout
    losses = [float(r["loss"]) for r in read_history(tmp_path)]
    assert len(losses) == 3 and losses[-1] < 0.7 * losses[0], losses
    import h5py

    with h5py.File(tmp_path / "final.weights.h5") as f:  # the file to ship: no optimizer state
        assert "optimizer" not in f and "layers" in f


def test_mirrored_sgd_clips_and_decays_the_whole_batchs_gradient(tmp_path):
    """VDSR's optimizer (adjustable clipping, L2 decay) on 2 replicas gives the weights of one
    device: the rules act on the gradient summed over the replicas, not on each replica's
    half (where the decay counted twice and the clip bound was twice as loose). Fixed data, so
    that only the optimizer can differ (random augmentation draws differ under a strategy)."""
    for strategy in ("mirrored", "one"):  # each in a fresh process
        code = f"""
import numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from zoo.models.vdsr import VDSR
from zoo.training.losses import half_squared_error
from zoo.training.optimizers import AdjustableClipSGD
rng = np.random.default_rng(0)
y = rng.random((8, 16, 16, 1)).astype("float32")
x = (y + 0.1 * rng.normal(size=y.shape)).astype("float32")
data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()
strategy = (tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]) if {strategy!r} == "mirrored"
            else tf.distribute.get_strategy())
with strategy.scope():
    keras.utils.set_random_seed(0)
    model = VDSR(depth=3, filters=8)
    model.compile(optimizer=AdjustableClipSGD(0.05, theta=1e-3, l2=0.05), loss=half_squared_error)
model.fit(data, epochs=1, steps_per_epoch=5, verbose=0)
np.savez({str(tmp_path / strategy)!r}, *model.get_weights())
"""
        result = run_python(code)
        assert result.returncode == 0, result.stderr[-3000:]
    two, one = np.load(tmp_path / "mirrored.npz"), np.load(tmp_path / "one.npz")
    assert len(one.files) == 6
    for name in one.files:
        np.testing.assert_allclose(two[name], one[name], atol=1e-6, err_msg=name)


def train_command(folder, run_dir):
    return [sys.executable, "-m", "zoo.cli.main", "train", "vdsr", "--data", str(folder),
            "--out", str(run_dir), "--depth", "3", "--filters", "8", "--batch-size", "8",
            "--epochs", "3", "--steps-per-epoch", "150", "--checkpoint-every", "10",
            "--optimizer", "adam"]


def kill_when(command, run_dir, reached, timeout=240):
    """Start ``command``; SIGKILL it once its latest checkpoint's place satisfies ``reached``.
    Returns the place it was killed after."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(command, cwd=NEUTRAL_CWD, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline, place = time.time() + timeout, None
    while time.time() < deadline and proc.poll() is None:
        place = checkpoint_place(run_dir)
        if place and reached(place):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    out, _ = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed:\n" + (
        out or "")[-2000:]
    return place


def test_killed_run_resumes_from_its_checkpoint(tmp_path, tiny_folder):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    kill_when(train_command(tiny_folder, tmp_path), tmp_path,
              lambda place: place["epoch"] >= 1 and place["step"] >= 20)  # mid-epoch 2
    done_before = [int(r["epoch"]) for r in read_history(tmp_path)]
    assert done_before == [0]  # epoch 1 finished, epoch 2 interrupted
    assert not (tmp_path / "final.weights.h5").exists()
    steps_at_kill = optimizer_steps(tmp_path)
    assert 150 + 20 <= steps_at_kill < 300  # saved mid-epoch 2
    assert steps_at_kill == 150 + checkpoint_place(tmp_path)["step"]

    resumed = subprocess.run(train_command(tiny_folder, tmp_path), cwd=NEUTRAL_CWD, env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    assert "Epoch 1/3" not in resumed.stdout and "Epoch 2/3" in resumed.stdout
    assert [int(r["epoch"]) for r in read_history(tmp_path)] == [0, 1, 2]
    assert (tmp_path / "final.weights.h5").is_file()
    assert checkpoint_place(tmp_path)["epoch"] == 3
    assert f"at epoch 2, step {steps_at_kill - 150 + 1} of 150" in resumed.stdout
    # The optimizer state came back too, and the interrupted epoch 2 went on from its step:
    # the step counter ends at 3 epochs of 150 steps (a fresh optimizer would end at fewer,
    # and Adam's moments and the schedule would restart; Keras' BackupAndRestore redid the
    # whole epoch, ending above).
    assert optimizer_steps(tmp_path) == 3 * 150
    again = subprocess.run(train_command(tiny_folder, tmp_path), cwd=NEUTRAL_CWD, env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "Epoch" not in again.stdout  # finished runs stay finished
    # The run's file loads by its path alone: config.json beside it gives the architecture.
    import zoo

    assert json.loads((tmp_path / "config.json").read_text())["model_config"] == {
        "depth": 3, "filters": 8}
    model = zoo.load("vdsr", weights=tmp_path / "final.weights.h5")
    assert len([w for w in model.weights if "kernel" in w.path]) == 3


def smallest_command(folder, run_dir):
    """The smallest VDSR, its learning rate divided by 10 every epoch (on the optimizer's step
    counter), a checkpoint every 7 steps: most kills land mid-epoch, between checkpoints."""
    return [sys.executable, "-m", "zoo.cli.main", "train", "vdsr", "--data", str(folder),
            "--out", str(run_dir), "--depth", "3", "--filters", "4", "--batch-size", "4",
            "--epochs", "3", "--steps-per-epoch", "200", "--checkpoint-every", "7",
            "--lr-decay-epochs", "1"]


def test_a_run_killed_twice_ends_as_one_never_killed(tmp_path, tiny_folder):
    """Killed mid-epoch 1 and again mid-epoch 2, resumed each time: the same final weights,
    metrics.csv and step count as an uninterrupted run of the same seed. Each resume goes on
    from its checkpoint's step on the batches after those trained (Keras' BackupAndRestore
    redid the interrupted epoch from its first batch, and a second kill repeated an epoch)."""
    import h5py

    whole, killed = tmp_path / "whole", tmp_path / "killed"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    uninterrupted = subprocess.Popen(smallest_command(tiny_folder, whole), cwd=NEUTRAL_CWD,
                                     env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)  # meanwhile
    first = kill_when(smallest_command(tiny_folder, killed), killed,
                      lambda place: place["epoch"] == 0 and place["step"] >= 60)
    out, _ = uninterrupted.communicate(timeout=300)
    assert uninterrupted.returncode == 0, out[-2000:]
    second = kill_when(smallest_command(tiny_folder, killed), killed,
                       lambda place: place["epoch"] >= 1 and place["step"] >= 60)
    assert (first["epoch"], second["epoch"]) == (0, 1), (first, second)
    resumed = subprocess.run(smallest_command(tiny_folder, killed), cwd=NEUTRAL_CWD, env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    assert "Epoch 1/3" not in resumed.stdout
    assert optimizer_steps(killed) == optimizer_steps(whole) == 3 * 200
    rows, expected = read_history(killed), read_history(whole)
    assert [r["epoch"] for r in rows] == [r["epoch"] for r in expected] == ["0", "1", "2"]
    for row, want in zip(rows, expected):
        for name in ("loss", "psnr"):
            np.testing.assert_allclose(float(row[name]), float(want[name]), rtol=1e-6)

    def weights(run_dir):
        found = {}
        with h5py.File(run_dir / "final.weights.h5", "r") as f:
            f.visititems(lambda name, v: found.__setitem__(name, v[()])
                         if isinstance(v, h5py.Dataset) else None)
        return found

    ours, theirs = weights(killed), weights(whole)
    assert ours.keys() == theirs.keys() and len(ours) == 6
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-6, atol=1e-7, err_msg=name)
    card = (killed / "CARD.md").read_text()
    assert "zoo train vdsr --data" in card and "| steps | 600 |" in card


def test_resumed_run_reports_only_settings_that_changed(tmp_path, capsys):
    """A recipe's tuples come back from config.json as lists: not a change."""
    from zoo.training.trainer import check_config, write_config

    recipe = {"scales": (2, 3, 4), "model_config": {"size": (41, 51)}, "lr": 0.1}
    write_config(tmp_path, check_config(tmp_path, recipe))
    write_config(tmp_path, check_config(tmp_path, recipe))  # the same run resumed
    assert "changed settings" not in capsys.readouterr().out
    write_config(tmp_path, check_config(tmp_path, {**recipe, "scales": (2, 3)}))
    assert f"note: resuming {tmp_path} with changed settings: scales" in capsys.readouterr().out
    assert json.loads((tmp_path / "config.json").read_text())["scales"] == [2, 3]


def tiny_recipe(tiny_folder, **changes):
    from zoo.training.vdsr import Config

    return Config(**{"data": [str(tiny_folder)], "depth": 3, "filters": 4, "batch_size": 4,
                     "epochs": 1, "steps_per_epoch": 2, "processes": 1, **changes})


def quiet_run(out_dir, **options) -> dict:
    """The ``run`` of ``train(config, run)``: ``out_dir`` without a progress bar."""
    return {"out_dir": out_dir, "verbose": 0, **options}


def test_a_run_folder_of_another_model_is_refused_and_left_as_it_was(tmp_path, tiny_folder):
    """Resuming with another architecture fails before any work, and the run's config.json,
    which its weights need to load by path, is not overwritten."""
    import zoo
    from zoo.errors import ZooError
    from zoo.training.vdsr import train

    train(tiny_recipe(tiny_folder), quiet_run(tmp_path))
    config = (tmp_path / "config.json").read_text()
    with pytest.raises(ZooError, match=r"holds a run of vdsr \(depth 3, filters 4\), not of "
                                       r"vdsr \(depth 4, filters 4\)"):
        train(tiny_recipe(tiny_folder, depth=4, epochs=2), quiet_run(tmp_path))
    assert (tmp_path / "config.json").read_text() == config
    zoo.load("vdsr", weights=tmp_path / "final.weights.h5")  # still loads by its path


def test_a_checkpoint_that_does_not_fit_is_refused_in_one_line(tmp_path, tiny_folder):
    """Where config.json cannot tell (here: it was deleted), the failed restore of the
    checkpoint is the one-line error, and no config.json of the wrong model is written."""
    from zoo.errors import ZooError
    from zoo.training.vdsr import train

    train(tiny_recipe(tiny_folder), quiet_run(tmp_path, checkpoint_every=1))
    (tmp_path / "config.json").unlink()
    backup = {p.name: p.read_bytes() for p in (tmp_path / "checkpoints").iterdir()}
    with pytest.raises(ZooError, match="the checkpoint does not load: it is damaged, or "
                                       "was saved by another model") as err:
        train(tiny_recipe(tiny_folder, depth=4, epochs=2), quiet_run(tmp_path))
    assert "\n" not in str(err.value) and "conv3/kernel has shape" in str(err.value)
    assert not (tmp_path / "config.json").exists()
    # Neither checkpoint fits, and both are left as they were.
    assert {p.name: p.read_bytes() for p in (tmp_path / "checkpoints").iterdir()} == backup


def test_fewer_patches_than_a_batch_is_an_error_not_an_endless_epoch(tmp_path, tiny_folder):
    from zoo.errors import ZooError
    from zoo.training.vdsr import train

    with pytest.raises(ZooError, match="36 patches are fewer than one batch of 64"):
        train(tiny_recipe(tiny_folder, batch_size=64, steps_per_epoch=None), quiet_run(tmp_path))


def test_bad_init_weights_are_refused_before_the_patches_are_made(tmp_path, tiny_folder):
    from zoo.errors import WeightsError
    from zoo.models.vdsr import VDSR
    from zoo.training.vdsr import train

    with pytest.raises(WeightsError, match="missing.weights.h5: no such weights file"):
        train(tiny_recipe(tiny_folder, init_weights=str(tmp_path / "missing.weights.h5")),
              quiet_run(tmp_path / "run"))
    assert not (tmp_path / "run").exists()
    VDSR(depth=5, filters=4).save_weights(tmp_path / "deeper.weights.h5")
    with pytest.raises(WeightsError, match="deeper.weights.h5: does not fit vdsr"):
        train(tiny_recipe(tiny_folder, init_weights=str(tmp_path / "deeper.weights.h5")),
              quiet_run(tmp_path / "run"))


def test_ctrl_c_during_training_says_how_to_resume(monkeypatch, capsys):
    from zoo.cli import main as cli
    from zoo.cli import train as train_command

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_command, "_run_train", interrupted)
    assert cli.main(["train", "vdsr", "--data", "d", "--out", "runs/x"]) == 130
    assert capsys.readouterr().err.strip() == (
        "zoo: interrupted; run the same command again to resume from the last checkpoint in "
        "runs/x")


def test_a_damaged_checkpoint_falls_back_to_the_one_before(tmp_path, tiny_folder, capsys):
    """A latest checkpoint that is half a file (a kill while it was copied elsewhere, a full
    disk) does not load: the previous one is used, and becomes the latest."""
    from zoo.training.vdsr import train

    train(tiny_recipe(tiny_folder), quiet_run(tmp_path, checkpoint_every=1))
    latest = tmp_path / "checkpoints" / "latest.h5"
    assert (tmp_path / "checkpoints" / "previous.h5").is_file()
    assert not list((tmp_path / "checkpoints").glob("*.tmp-*"))  # written beside, then renamed
    latest.write_bytes(latest.read_bytes()[:4000])
    capsys.readouterr()
    train(tiny_recipe(tiny_folder, epochs=2), quiet_run(tmp_path, checkpoint_every=1))
    assert "did not load" in capsys.readouterr().out
    assert int(read_history(tmp_path)[-1]["epoch"]) == 1
    assert latest.stat().st_size > 4000


def test_a_diverged_run_keeps_its_last_finite_checkpoint_and_fails(tmp_path, tiny_folder):
    """TerminateOnNaN stops Keras, but the run used to save NaN weights as final and exit 0."""
    import h5py

    from zoo.errors import ZooError
    from zoo.training.vdsr import train

    train(tiny_recipe(tiny_folder, optimizer="adam"), quiet_run(tmp_path, checkpoint_every=1))
    (tmp_path / "final.weights.h5").unlink()
    with pytest.raises(ZooError, match="training diverged"):
        train(tiny_recipe(tiny_folder, optimizer="adam", learning_rate=1e38, epochs=3),
              quiet_run(tmp_path, checkpoint_every=1))
    assert not (tmp_path / "final.weights.h5").exists()
    for name in ("checkpoints/latest.h5", "checkpoints/previous.h5"):
        with h5py.File(tmp_path / name) as f:
            arrays = []
            f.visititems(lambda _, v: arrays.append(v[()]) if isinstance(v, h5py.Dataset)
                         else None)
        assert arrays and all(np.all(np.isfinite(a)) for a in arrays), name


def test_a_resumed_run_says_where_it_starts(tmp_path, tiny_folder, capsys):
    from zoo.training.vdsr import train

    train(tiny_recipe(tiny_folder, optimizer="adam"), quiet_run(tmp_path))
    capsys.readouterr()
    train(tiny_recipe(tiny_folder, optimizer="adam"), quiet_run(tmp_path))
    assert (f"note: the run in {tmp_path} has done its 1 epochs: nothing left to train"
            in capsys.readouterr().out)
    model, _ = train(tiny_recipe(tiny_folder, epochs=2, optimizer="adam", learning_rate=3e-5),
                     quiet_run(tmp_path))
    assert f"resuming {tmp_path} from its checkpoint, at epoch 2" in capsys.readouterr().out
    # The checkpoint holds the constant learning rate's variable: the changed one must win.
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-5)
