"""VDSR under the JAX backend: forward, one training step, weights shared with TensorFlow."""

import json

import numpy as np
import pytest

from conftest import run_python

JAX_SCRIPT = """
import json, numpy as np, keras
from zoo.models.vdsr import VDSR
from zoo.training.losses import half_squared_error
from zoo.training.optimizers import AdjustableClipSGD
assert keras.backend.backend() == "jax", keras.backend.backend()
x = np.load({inputs!r})
model = VDSR(depth=4, filters=8)
model.load_weights({tf_weights!r})
forward = np.asarray(model(x))
model.compile(optimizer=AdjustableClipSGD(learning_rate=0.1), loss=half_squared_error)
before = [w.copy() for w in model.get_weights()]
loss = float(model.train_on_batch(x, np.clip(x * 1.1, 0, 1)))
changed = any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
model.save_weights({jax_weights!r})
np.save({jax_out!r}, np.asarray(model(x)))
np.save({forward_out!r}, forward)
print(json.dumps({{"loss": loss, "changed": changed}}))
"""


def test_jax_forward_train_step_and_weights_across_backends(tmp_path, rng):
    pytest.importorskip("jax", reason="JAX not installed (the README's test command installs it)")
    from zoo.models.vdsr import VDSR

    x = rng.random((2, 24, 20, 1)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    tf_model = VDSR(depth=4, filters=8)
    tf_model.save_weights(tmp_path / "tf.weights.h5")
    files = {"inputs": str(tmp_path / "x.npy"), "tf_weights": str(tmp_path / "tf.weights.h5"),
             "jax_weights": str(tmp_path / "jax.weights.h5"),
             "jax_out": str(tmp_path / "jax_out.npy"), "forward_out": str(tmp_path / "fwd.npy")}
    result = run_python(JAX_SCRIPT.format(**files), env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert np.isfinite(report["loss"]) and report["changed"]
    # TensorFlow weights give the same output under JAX ...
    np.testing.assert_allclose(np.load(files["forward_out"]), np.asarray(tf_model(x)), atol=1e-4)
    # ... and weights trained under JAX give the same output under TensorFlow.
    tf_model.load_weights(files["jax_weights"])
    np.testing.assert_allclose(np.asarray(tf_model(x)), np.load(files["jax_out"]), atol=1e-4)


NO_TENSORFLOW_TRAIN = """
import sys
sys.modules["tensorflow"] = None  # as on the GPU machine: JAX only, `import tensorflow` fails
import keras
from zoo.training.vdsr import Config, train
recipe = Config(data=[{folder!r}], depth=3, filters=8, batch_size=8, epochs=2,
                steps_per_epoch=6, optimizer="sgd", steps_per_execution=2)
counted = []
class Count(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        counted.append(batch)
from zoo.training.trainer import RunConfig
run = RunConfig(out_dir={out!r}, epochs=2, steps_per_epoch=6, verbose=0, callbacks=[Count()])
model, history = train(recipe, run)
print("BACKEND", keras.backend.backend(), "LOSS", history.history["loss"], "LAST", counted[-1])
"""


def test_zoo_train_runs_under_jax_without_tensorflow(tmp_path, rng):
    """The GPU machine has JAX and no TensorFlow: the recipe streams its patches from NumPy.

    The 2 images give 24 patches, 3 batches of 8: each epoch of 6 steps runs over
    two passes of the bank and must not stop early when one pass ends.
    """
    pytest.importorskip("jax", reason="JAX not installed (the README's test command installs it)")
    from zoo.image import write_image

    folder = tmp_path / "images"
    for k in range(2):
        write_image(folder / f"{k}.png", (rng.random((90, 90, 3)) * 255).astype(np.uint8))
    code = NO_TENSORFLOW_TRAIN.format(folder=str(folder), out=str(tmp_path / "run"))
    result = run_python(code, env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "BACKEND jax" in result.stdout
    assert "LAST 5" in result.stdout  # every epoch ran its 6 steps
    assert (tmp_path / "run" / "final.weights.h5").is_file()
    assert (tmp_path / "run" / "checkpoints" / "latest.h5").is_file()


WARP_AND_TEXTURE_UNDER_JAX = """
import numpy as np, keras
assert keras.backend.backend() == "jax", keras.backend.backend()
from zoo.models.deepwarp import build as deepwarp
from zoo.models.stn import STN
from zoo.models.texture_nets import TextureNetwork
data = dict(np.load({inputs!r}))
dw = deepwarp(); dw.load_weights({dw_weights!r})
st = STN(input_size=42); st.load_weights({stn_weights!r})
tn = TextureNetwork(scales=3); tn.load_weights({tn_weights!r})
np.savez({out!r},
         deepwarp=np.asarray(dw([data["image"], data["anchors"], data["angle"]])),
         stn=np.asarray(st(data["digits"])),
         texture=np.asarray(tn([data["n0"], data["n1"], data["n2"]])))
print("BACKEND", keras.backend.backend())
"""


def test_deepwarp_stn_and_texture_network_agree_across_backends(tmp_path, rng):
    """The warping and texture models give TensorFlow's outputs under JAX with the same weights
    (bilinear sampler, instance norm, circular padding included)."""
    pytest.importorskip("jax", reason="JAX not installed (the README's test command installs it)")
    from test_deepwarp import perturb

    from zoo.models.deepwarp import build as deepwarp
    from zoo.models.stn import STN
    from zoo.models.texture_nets import TextureNetwork, make_noise
    from zoo.training.eyes import anchor_maps

    dw = deepwarp()
    perturb(dw, rng)
    st = STN(input_size=42)
    for w in st.weights:
        w.assign(np.asarray(w) + rng.normal(0, 0.05, w.shape).astype("float32"))
    tn = TextureNetwork(scales=3)
    noise = make_noise(16, batch=2, seed=3, scales=3)
    data = {"image": rng.random((2, 41, 51, 3), dtype=np.float32),
            "anchors": anchor_maps(rng.uniform(5, 40, (2, 7, 2))),
            "angle": np.float32([[12.0], [-9.0]]),
            "digits": rng.random((2, 42, 42, 1), dtype=np.float32),
            "n0": noise[0], "n1": noise[1], "n2": noise[2]}
    np.savez(tmp_path / "in.npz", **data)
    for name, model in (("dw", dw), ("stn", st), ("tn", tn)):
        model.save_weights(tmp_path / f"{name}.weights.h5")
    code = WARP_AND_TEXTURE_UNDER_JAX.format(
        inputs=str(tmp_path / "in.npz"), dw_weights=str(tmp_path / "dw.weights.h5"),
        stn_weights=str(tmp_path / "stn.weights.h5"), tn_weights=str(tmp_path / "tn.weights.h5"),
        out=str(tmp_path / "jax.npz"))
    result = run_python(code, env={"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"})
    assert result.returncode == 0 and "BACKEND jax" in result.stdout, result.stderr[-3000:]
    jax_out = np.load(tmp_path / "jax.npz")
    expected = np.asarray(dw([data["image"], data["anchors"], data["angle"]]))
    assert np.abs(expected - data["image"]).max() > 0.05  # the perturbed model really warps
    np.testing.assert_allclose(jax_out["deepwarp"], expected, atol=1e-4)
    np.testing.assert_allclose(jax_out["stn"], np.asarray(st(data["digits"])), atol=1e-4)
    np.testing.assert_allclose(jax_out["texture"], np.asarray(tn(noise)), atol=1e-4)
