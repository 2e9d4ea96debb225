"""Perceptual extractors (zoo.models.perceptual) and losses (zoo.layers.statistics) against NumPy.

Small images, ``weights=None`` and tiny random backbones only: the whole file runs in seconds.
"""

import hashlib
import time

import numpy as np
import pytest

from conftest import run_python
from zoo.errors import WeightsError
from zoo.layers.statistics import (content_loss, gram_matrices, gram_matrix, layer_style_loss,
                                   mean_std, style_loss, total_variation)
from zoo.models.perceptual import (IMAGENET_WEIGHTS, VGG16, VGG19, CaffePreprocessing,
                                   RandomMultiscale, imagenet_weights, keras_layer_name,
                                   layer_names, mean_activations, random_filters,
                                   rescale_to_unit_mean)
from zoo.models.perceptual import vgg as vgg_module
from zoo.models.perceptual.vgg import WeightsFile


# ---------------------------------------------------------------- NumPy references

def np_gram(f):
    """sum_k F_ik F_jk over positions, per example: (B, N, N)."""
    flat = f.reshape(f.shape[0], -1, f.shape[-1]).astype("float64")
    return np.einsum("bmi,bmj->bij", flat, flat)


def np_layer_loss(f, target_features):
    """Gatys 2016 Eq. 4 with raw Gram matrices: 1 / (4 N^2 M^2) sum (G - A)^2."""
    n, m = f.shape[-1], f.shape[1] * f.shape[2]
    return ((np_gram(f) - np_gram(target_features)) ** 2).sum(axis=(1, 2)) / (4 * n**2 * m**2)


def np_relu_conv_same(x, kernel, bias=0.0):
    """ReLU of the zero-padded 'same' correlation of NHWC ``x`` with a (k, k, Cin, Cout) kernel."""
    k = kernel.shape[0]
    pad = np.pad(x.astype("float64"), ((0, 0), (k // 2, k // 2), (k // 2, k // 2), (0, 0)))
    h, w = x.shape[1:3]
    out = sum(pad[:, dy:dy + h, dx:dx + w, :] @ kernel[dy, dx]
              for dy in range(k) for dx in range(k))
    return np.maximum(out + bias, 0.0)


def np_caffe(x):
    """[0, 1] RGB -> 0..255 BGR minus the ImageNet mean."""
    return x[..., ::-1] * 255.0 - np.array([103.939, 116.779, 123.68])


@pytest.fixture
def images(rng):
    return rng.random((2, 8, 12, 3)).astype("float32")


# ---------------------------------------------------------------- statistics and losses

@pytest.mark.parametrize("normalization, divisor", [("sum", lambda n, m: 1.0),
                                                    ("positions", lambda n, m: m),
                                                    ("all", lambda n, m: n * m)])
def test_gram_matrix_matches_numpy(rng, normalization, divisor):
    f = rng.standard_normal((2, 5, 7, 4)).astype("float32")
    expected = np_gram(f) / divisor(4, 35)
    np.testing.assert_allclose(np.asarray(gram_matrix(f, normalization)), expected, rtol=1e-5)


def test_gram_matrix_rejects_an_unknown_normalization(rng):
    with pytest.raises(ValueError, match="normalization"):
        gram_matrix(rng.random((1, 2, 2, 3)).astype("float32"), "mean")


@pytest.mark.parametrize("normalization", ["sum", "positions", "all"])
def test_layer_style_loss_is_eq4_whatever_the_normalization(rng, normalization):
    f = rng.random((2, 6, 5, 3)).astype("float32")
    target = rng.random((1, 6, 5, 3)).astype("float32")
    value = layer_style_loss(f, gram_matrix(target, normalization)[0], normalization)
    np.testing.assert_allclose(np.asarray(value), np_layer_loss(f, target), rtol=1e-4)


def test_per_position_gram_compares_images_of_different_sizes(rng):
    f = rng.random((1, 6, 6, 3)).astype("float32")
    target = rng.random((1, 10, 4, 3)).astype("float32")
    value = layer_style_loss(f, gram_matrix(target, "positions"), "positions")
    expected = ((np_gram(f) / 36 - np_gram(target) / 40) ** 2).sum() / (4 * 3**2)
    np.testing.assert_allclose(np.asarray(value), [expected], rtol=1e-4)


def test_style_loss_is_the_weighted_sum_of_eq5(rng):
    features = {"a": rng.random((2, 8, 8, 3)).astype("float32"),
                "b": rng.random((2, 4, 4, 5)).astype("float32"),
                "content": rng.random((2, 4, 4, 5)).astype("float32")}
    targets = {"a": rng.random((1, 8, 8, 3)).astype("float32"),
               "b": rng.random((1, 4, 4, 5)).astype("float32")}
    grams = gram_matrices(targets)
    per_layer = {k: np_layer_loss(features[k], targets[k]) for k in targets}
    weighted = style_loss(features, grams, {"a": 0.25, "b": 2.0})
    np.testing.assert_allclose(np.asarray(weighted), 0.25 * per_layer["a"] + 2.0 * per_layer["b"],
                               rtol=1e-4)
    # default w_l = 1 / L over the target layers; "content" has no target and does not count
    np.testing.assert_allclose(np.asarray(style_loss(features, grams)),
                               (per_layer["a"] + per_layer["b"]) / 2, rtol=1e-4)


def test_content_loss_is_eq1(rng):
    f, p = rng.random((2, 4, 5, 3)).astype("float32"), rng.random((2, 4, 5, 3)).astype("float32")
    expected = 0.5 * ((f.astype("float64") - p) ** 2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(np.asarray(content_loss(f, p)), expected, rtol=1e-5)


def test_total_variation_sums_squared_neighbour_differences(rng):
    x = rng.random((2, 5, 7, 3)).astype("float32")
    expected = ((np.diff(x.astype("float64"), axis=1) ** 2).sum(axis=(1, 2, 3))
                + (np.diff(x.astype("float64"), axis=2) ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(np.asarray(total_variation(x)), expected, rtol=1e-5)
    assert np.asarray(total_variation(np.ones((1, 4, 4, 3), "float32")))[0] == 0.0


def test_mean_std_per_example_and_channel_with_epsilon_in_the_root(rng):
    f = (3.0 * rng.standard_normal((2, 5, 6, 4)) + 1.0).astype("float32")
    mean, std = mean_std(f)
    np.testing.assert_allclose(np.asarray(mean), f.mean(axis=(1, 2), keepdims=True), atol=1e-5)
    expected = np.sqrt(f.astype("float64").var(axis=(1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(np.asarray(std), expected, rtol=1e-5)
    _, flat = mean_std(np.full((1, 3, 3, 2), 7.0, "float32"), epsilon=1e-2)
    np.testing.assert_allclose(np.asarray(flat), 0.1, rtol=1e-5)


# ---------------------------------------------------------------- preprocessing and VGG

def test_preprocessing_matches_keras_applications_caffe_mode(rng):
    import keras

    x255 = rng.uniform(0, 255, (2, 5, 6, 3)).astype("float32")
    expected = keras.applications.vgg19.preprocess_input(x255.copy())
    ours = np.asarray(CaffePreprocessing()(x255 / np.float32(255)))
    np.testing.assert_allclose(ours, expected, atol=1e-4)
    np.testing.assert_allclose(ours, np_caffe(x255.astype("float64") / 255), atol=1e-4)


def test_paper_names_map_to_keras_names():
    assert keras_layer_name("conv1_1") == keras_layer_name("relu1_1") == "block1_conv1"
    assert keras_layer_name("relu4_2") == "block4_conv2"
    assert keras_layer_name("pool3") == "block3_pool"
    assert keras_layer_name("block5_conv4") == "block5_conv4"
    with pytest.raises(ValueError, match="no layer"):
        keras_layer_name("conv5_4", arch="vgg16")  # VGG16 has three convolutions per late block
    assert len(layer_names("vgg16")) == 13 + 5 and len(layer_names("vgg19")) == 16 + 5


def test_vgg16_copies_keras_applications_weights_by_name(tmp_path, images):
    """Layer names and shapes are keras.applications'; a weights file of it loads offline."""
    import keras

    source = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    assert [layer.name for layer in source.layers[1:]] == layer_names("vgg16")
    source.save_weights(tmp_path / "vgg16.weights.h5")
    ours = VGG16(layers=("relu1_1", "block2_conv1"), weights=tmp_path / "vgg16.weights.h5")
    for name in ("block1_conv1", "block1_conv2", "block2_conv1"):
        for a, b in zip(ours.get_layer(name).get_weights(), source.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    features = ours(images)
    assert set(features) == {"relu1_1", "block2_conv1"} and not ours.trainable
    reference = keras.Model(source.input, source.get_layer("block2_conv1").output)
    np.testing.assert_allclose(np.asarray(features["block2_conv1"]),
                               np.asarray(reference(np_caffe(images).astype("float32"))),
                               rtol=1e-4, atol=1e-3)


def test_conv1_1_is_the_rectified_convolution_of_the_preprocessed_image(rng, images):
    model = VGG19(layers=("conv1_1",), weights=None)
    kernel, _ = model.get_layer("block1_conv1").get_weights()
    bias = rng.standard_normal(64).astype("float32")
    model.get_layer("block1_conv1").set_weights([kernel, bias])
    expected = np_relu_conv_same(np_caffe(images), kernel, bias)
    np.testing.assert_allclose(np.asarray(model(images)["conv1_1"]), expected, rtol=1e-4, atol=1e-3)


def test_average_pooling_replaces_max_pooling(images):
    avg = VGG19(layers=("relu1_2", "pool1"), pooling="avg", weights=None)
    mx = VGG19(layers=("relu1_2", "pool1"), pooling="max", weights=None)
    mx.set_weights(avg.get_weights())
    a, m = avg(images), mx(images)
    np.testing.assert_array_equal(np.asarray(a["relu1_2"]), np.asarray(m["relu1_2"]))
    blocks = np.asarray(a["relu1_2"]).reshape(2, 4, 2, 6, 2, 64)
    np.testing.assert_allclose(np.asarray(a["pool1"]), blocks.mean(axis=(2, 4)), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(np.asarray(m["pool1"]), blocks.max(axis=(2, 4)), rtol=1e-6)
    assert np.abs(np.asarray(a["pool1"]) - np.asarray(m["pool1"])).max() > 1.0
    assert type(avg.get_layer("block1_pool")).__name__ == "AveragePooling2D"


def test_rescaling_gives_unit_mean_activations_and_keeps_the_network(rng):
    images = rng.random((3, 16, 16, 3)).astype("float32")
    model = VGG19(layers=("conv1_1", "pool1", "conv2_1"), pooling="avg", weights=None)
    before = mean_activations(model, images)
    rescaled = rescale_to_unit_mean(model, images)
    after = mean_activations(rescaled, images)
    for name, mean in before.items():
        active = mean > 0
        assert active.mean() > 0.5, name
        np.testing.assert_allclose(after[name][active], 1.0, rtol=1e-4)
        np.testing.assert_array_equal(after[name][~active], 0.0)
    # Each layer computes the original features divided by their means ("without changing
    # the output": the next layer compensates), and the original model is untouched.
    original, scaled = model(images), rescaled(images)
    for key, layer in (("conv1_1", "block1_conv1"), ("pool1", "block1_conv2"),
                       ("conv2_1", "block2_conv1")):
        m = np.where(before[layer] > 0, before[layer], 1.0)
        np.testing.assert_allclose(np.asarray(scaled[key]) * m, np.asarray(original[key]),
                                   rtol=1e-3, atol=1e-3 * np.abs(np.asarray(original[key])).max())
    np.testing.assert_allclose(mean_activations(model, images)["block2_conv1"],
                               before["block2_conv1"])


def test_mean_activations_accepts_images_of_different_sizes(rng):
    model = RandomMultiscale(filters=2, scales=(3,), seed=1)
    small, large = rng.random((4, 4, 3)).astype("float32"), rng.random((6, 8, 3)).astype("float32")
    feats = [np.asarray(model(x[None])["conv1_1"])[0].reshape(-1, 2) for x in (small, large)]
    expected = np.concatenate(feats).mean(axis=0)
    np.testing.assert_allclose(mean_activations(model, [small, large])["scale_3"], expected,
                               rtol=1e-5)


# ---------------------------------------------------------------- offline ImageNet weights

def _refused(monkeypatch, tmp_path, arch):
    """An empty Keras home and an origin that refuses the connection (no network either way)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    spec = IMAGENET_WEIGHTS[arch]
    url = f"http://127.0.0.1:9/{spec.file}"
    monkeypatch.setitem(IMAGENET_WEIGHTS, arch, WeightsFile(spec.file, url, spec.md5))
    return spec.file, url


def test_offline_imagenet_weights_fail_fast_with_one_line(monkeypatch, tmp_path):
    file, url = _refused(monkeypatch, tmp_path, "vgg19")
    start = time.monotonic()
    with pytest.raises(WeightsError) as caught:
        VGG19(layers=("conv1_1",), weights="imagenet")
    assert time.monotonic() - start < 10
    message = str(caught.value)
    assert "\n" not in message
    assert file == "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert file in message and url in message
    assert str(tmp_path / "keras_home" / "models") in message


def test_cached_imagenet_file_is_used_without_network(monkeypatch, tmp_path):
    file, _ = _refused(monkeypatch, tmp_path, "vgg16")
    cached = tmp_path / "keras_home" / "models" / file
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"stand-in weights")
    url = IMAGENET_WEIGHTS["vgg16"].url
    monkeypatch.setitem(IMAGENET_WEIGHTS, "vgg16",
                        WeightsFile(file, url, hashlib.md5(b"stand-in weights").hexdigest()))

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used although the file is cached")

    monkeypatch.setattr(vgg_module, "_download", no_network)
    assert imagenet_weights("vgg16") == cached
    cached.write_bytes(b"corrupt")
    with pytest.raises(WeightsError, match="md5"):
        imagenet_weights("vgg16")


# ---------------------------------------------------------------- random multi-scale backbone

def test_random_backbone_matches_numpy_convolutions(images):
    model = RandomMultiscale(filters=3, scales=(3, 5), seed=11)
    kernels = random_filters(3, (3, 5), seed=11)
    expected = np.concatenate([np_relu_conv_same(np_caffe(images), k) for k in kernels], axis=-1)
    out = model(images)
    assert list(out) == ["conv1_1"] and not model.trainable
    np.testing.assert_allclose(np.asarray(out["conv1_1"]), expected, rtol=1e-4, atol=1e-3)
    split = RandomMultiscale(filters=3, scales=(3, 5), seed=11, split_scales=True)(images)
    np.testing.assert_allclose(np.asarray(split["scale_5"]), expected[..., 3:], rtol=1e-4,
                               atol=1e-3)


def test_random_filters_are_seeded_glorot_uniform():
    a, b, c = (random_filters(8, (3, 7), seed=s) for s in (5, 5, 6))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(a[0], c[0])
    limit = np.sqrt(6.0 / (3 * 49 + 8 * 49))
    assert a[1].shape == (7, 7, 3, 8) and np.abs(a[1]).max() <= limit
    assert np.abs(a[1]).max() > 0.9 * limit
    centred = random_filters(8, (3, 7), seed=5, zero_mean=True)
    np.testing.assert_allclose(centred[1].mean(axis=(0, 1, 2)), 0.0, atol=1e-6)


def test_random_backbone_validates_scales():
    with pytest.raises(ValueError, match="odd"):
        RandomMultiscale(scales=(3, 4))


def test_image_gradients_flow_through_the_extractor(images):
    import tensorflow as tf

    model = RandomMultiscale(filters=4, scales=(3, 5), seed=2)
    target = gram_matrices(model(images[:1]), "positions")
    x = tf.Variable(images[1:])
    with tf.GradientTape() as tape:
        loss = style_loss(model(x), target, normalization="positions") + total_variation(x)
    grad = tape.gradient(loss, x).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).max() > 0


# ---------------------------------------------------------------- JAX backend

JAX_SCRIPT = """
import json, numpy as np, keras
from zoo.models.perceptual import RandomMultiscale, VGG19
from zoo.layers.statistics import (content_loss, gram_matrices, mean_std, style_loss,
                                   total_variation)
assert keras.backend.backend() == "jax", keras.backend.backend()
x = np.load({inputs!r})
rnd = RandomMultiscale(filters=3, scales=(3, 5), seed=4)(x)["conv1_1"]
vgg = VGG19(layers=("conv1_1", "pool1"), pooling="avg", weights=None)  # 3 s: JAX's first RNG
vgg.load_weights({weights!r})
feats = vgg(x)
style = style_loss(feats, gram_matrices({{"conv1_1": feats["conv1_1"][:1]}}))
np.savez({out!r}, rnd=np.asarray(rnd), pool1=np.asarray(feats["pool1"]),
         style=np.asarray(style), content=np.asarray(content_loss(rnd[1:], rnd[:1])),
         tv=np.asarray(total_variation(x)), std=np.asarray(mean_std(rnd)[1]))
print("BACKEND", keras.backend.backend())
"""


@pytest.mark.slow
def test_extractors_and_losses_under_jax(tmp_path, images):
    pytest.importorskip("jax", reason="JAX not installed (the README's test command installs it)")
    np.save(tmp_path / "x.npy", images)
    vgg = VGG19(layers=("conv1_1", "pool1"), pooling="avg", weights=None)
    vgg.save_weights(tmp_path / "vgg.weights.h5")
    code = JAX_SCRIPT.format(inputs=str(tmp_path / "x.npy"),
                             weights=str(tmp_path / "vgg.weights.h5"),
                             out=str(tmp_path / "jax.npz"))
    result = run_python(code, env={"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "BACKEND jax" in result.stdout
    jax_out = np.load(tmp_path / "jax.npz")
    rnd = RandomMultiscale(filters=3, scales=(3, 5), seed=4)(images)["conv1_1"]
    feats = vgg(images)
    ours = {"rnd": rnd, "pool1": feats["pool1"],
            "style": style_loss(feats, gram_matrices({"conv1_1": feats["conv1_1"][:1]})),
            "content": content_loss(rnd[1:], rnd[:1]), "tv": total_variation(images),
            "std": mean_std(rnd)[1]}
    for key, value in ours.items():
        np.testing.assert_allclose(jax_out[key], np.asarray(value), rtol=1e-4, atol=1e-4,
                                   err_msg=key)
