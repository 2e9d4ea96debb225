"""The CRN under the JAX backend: forward with TensorFlow's weights, one step of the recipe's
loss (diversity loss on a random VGG19), weights trained under JAX read back by TensorFlow."""

import json

import numpy as np
import pytest

from conftest import run_python

JAX_SCRIPT = """
import json, numpy as np, keras
from zoo.models.crn import CRN
from zoo.models.crn.labels import one_hot
from zoo.models.crn.procedural import scenes
from zoo.training import crn
assert keras.backend.backend() == "jax", keras.backend.backend()
ids, photos = scenes(2, (16, 32), seed=5)
layout = one_hot(ids)
config = crn.Config(height=16, width="8", outputs=3)
model = crn.compile(crn.build(config), config)
net = model.get_layer("crn")
net.load_weights({tf_weights!r})
np.save({forward_out!r}, np.asarray(net(layout)))
before = [w.copy() for w in net.get_weights()]
terms = model.train_on_batch([layout, photos / 255.0],
                             {{n: np.zeros(2) for n in ("total", *crn.LAYERS)}}, return_dict=True)
changed = any(not np.allclose(a, b) for a, b in zip(before, net.get_weights()))
net.save_weights({jax_weights!r})
np.save({jax_out!r}, np.asarray(net(layout)))
print(json.dumps({{"loss": float(terms["total_loss"]), "changed": changed}}))
"""


def test_crn_under_jax_and_weights_across_backends(tmp_path):
    pytest.importorskip("jax", reason="JAX not installed (the README's test command installs it)")
    from zoo.models.crn import CRN
    from zoo.models.crn.labels import one_hot
    from zoo.models.crn.procedural import scenes

    net = CRN(height=16, width=8, outputs=3)
    net.save_weights(tmp_path / "tf.weights.h5")
    files = {"tf_weights": str(tmp_path / "tf.weights.h5"),
             "jax_weights": str(tmp_path / "jax.weights.h5"),
             "jax_out": str(tmp_path / "jax_out.npy"), "forward_out": str(tmp_path / "fwd.npy")}
    result = run_python(JAX_SCRIPT.format(**files), env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert np.isfinite(report["loss"]) and report["changed"]
    layout = one_hot(scenes(2, (16, 32), seed=5)[0])
    np.testing.assert_allclose(np.load(files["forward_out"]), np.asarray(net(layout)), atol=1e-4)
    net.load_weights(files["jax_weights"])
    np.testing.assert_allclose(np.asarray(net(layout)), np.load(files["jax_out"]), atol=1e-4)
