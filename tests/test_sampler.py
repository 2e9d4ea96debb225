"""STN's bilinear sampler (zoo.layers.sampling) against eq. 5 of Jaderberg et al. 2015 in NumPy."""

import numpy as np
import pytest

from conftest import run_python
from zoo.layers import BilinearSampler, affine_grid, bilinear_sample, identity_grid


def paper_sample(image, coords, border="zeros"):
    """Eq. 5 literally: V_i^c = sum_n sum_m U_nm^c max(0, 1 - |x_i - m|) max(0, 1 - |y_i - n|).

    ``coords`` in pixels. ``zeros``: the sum runs over the pixels that exist.
    ``clamp``: over an image extended by its edge pixels, far enough that every
    kernel fits (U_nm = U at the nearest pixel inside).
    """
    image, coords = np.asarray(image, np.float64), np.asarray(coords, np.float64)
    _, h, w, _ = image.shape
    pad = 0 if border == "zeros" else int(np.ceil(np.abs(coords).max())) + w + h
    ns, ms = np.arange(-pad, h + pad), np.arange(-pad, w + pad)
    u = image[:, np.clip(ns, 0, h - 1)][:, :, np.clip(ms, 0, w - 1)]  # (B, n, m, C)
    out = np.zeros(coords.shape[:3] + image.shape[-1:])
    for b in range(coords.shape[0]):
        for i in range(coords.shape[1]):
            for j in range(coords.shape[2]):
                x, y = coords[b, i, j]
                kx = np.maximum(0.0, 1.0 - np.abs(x - ms))
                ky = np.maximum(0.0, 1.0 - np.abs(y - ns))
                out[b, i, j] = np.einsum("n,m,nmc->c", ky, kx, u[min(b, len(u) - 1)])
    return out


def to_normalized(coords, h, w):
    return np.stack([coords[..., 0] * 2 / (w - 1) - 1, coords[..., 1] * 2 / (h - 1) - 1], axis=-1)


def random_coords(rng, shape, h, w, margin=2.0):
    """Pixel coordinates over the image and ``margin`` pixels around it, a few exactly integer."""
    x = rng.uniform(-margin, w - 1 + margin, shape)
    y = rng.uniform(-margin, h - 1 + margin, shape)
    x.flat[::5] = np.round(x.flat[::5])  # kernel corners and the border (-1, 0, W - 1, W) too
    y.flat[::7] = np.round(y.flat[::7])
    return np.stack([x, y], axis=-1)


@pytest.mark.parametrize("border", ["zeros", "clamp"])
@pytest.mark.parametrize("coordinates", ["pixels", "normalized"])
def test_matches_the_papers_double_sum(rng, coordinates, border):
    image = rng.random((2, 6, 9, 3)).astype("float32")
    coords = random_coords(rng, (2, 5, 7), 6, 9)
    expected = paper_sample(image, coords, border)
    given = coords if coordinates == "pixels" else to_normalized(coords, 6, 9)
    out = np.asarray(BilinearSampler(coordinates, border)(image, given.astype("float32")))
    assert out.shape == (2, 5, 7, 3)
    np.testing.assert_allclose(out, expected, atol=2e-6)


def test_zero_border_weights_a_half_pixel_outside_by_half(rng):
    image = rng.random((1, 4, 5, 2)).astype("float32")
    coords = np.array([[[[-0.5, 2.0], [4.5, 1.0], [3.0, -0.5], [-1.0, 1.0], [7.0, 9.0]]]], "float32")
    out = np.asarray(bilinear_sample(image, coords))[0, 0]
    np.testing.assert_allclose(out[:3], [image[0, 2, 0] / 2, image[0, 1, 4] / 2, image[0, 0, 3] / 2],
                               atol=1e-7)
    np.testing.assert_array_equal(out[3:], 0.0)  # a pixel or more outside: nothing
    clamped = np.asarray(bilinear_sample(image, coords, border="clamp"))[0, 0]
    np.testing.assert_allclose(clamped, [image[0, 2, 0], image[0, 1, 4], image[0, 0, 3],
                                         image[0, 1, 0], image[0, 3, 4]], atol=1e-7)


def test_batches_broadcast(rng):
    images = rng.random((3, 5, 6, 2)).astype("float32")
    grid = random_coords(rng, (1, 4, 3), 5, 6).astype("float32")
    shared = np.asarray(bilinear_sample(images, grid))  # one grid for every image
    np.testing.assert_allclose(shared, paper_sample(images, np.repeat(grid, 3, 0)), atol=2e-6)
    grids = random_coords(rng, (3, 4, 3), 5, 6).astype("float32")
    one_image = np.asarray(bilinear_sample(images[:1], grids))  # one image, several grids
    np.testing.assert_allclose(one_image, paper_sample(images[:1], grids), atol=2e-6)


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (7, 5), (16, 16), (31, 17), (14, 1099), (4999, 3)])
@pytest.mark.parametrize("coordinates", ["pixels", "normalized"])
def test_identity_grid_reproduces_the_input(rng, size, coordinates):
    h, w = size
    image = rng.random((2, h, w, 3)).astype("float32")
    grid = identity_grid(h, w, coordinates)
    assert grid.shape == (1, h, w, 2)  # batch 1 broadcasts over the images
    for border in ("zeros", "clamp"):
        out = np.asarray(bilinear_sample(image, grid, coordinates, border))
        np.testing.assert_allclose(out, image, rtol=0, atol=1e-6)
    if coordinates == "normalized":
        theta = np.tile(np.array([[1, 0, 0], [0, 1, 0]], "float32"), (2, 1, 1))
        np.testing.assert_allclose(np.asarray(affine_grid(theta, h, w)), np.repeat(grid, 2, 0),
                                   atol=1e-7)


def test_normalized_corners_are_pixel_centres():
    """-1 and +1 are the centres of the corner pixels (align_corners=True), not the image edges."""
    image = np.arange(4 * 6, dtype="float32").reshape(1, 4, 6, 1)
    corners = np.array([[[[-1, -1], [1, -1], [-1, 1], [1, 1], [0, 0]]]], "float32")
    out = np.asarray(bilinear_sample(image, corners, "normalized"))[0, 0, :, 0]
    np.testing.assert_allclose(out, [0, 5, 18, 23, image.mean()], atol=1e-6)


def test_affine_grid_is_eq_1(rng):
    theta = rng.normal(size=(3, 2, 3)).astype("float32")
    h, w = 4, 7
    xt, yt = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
    target = np.stack([xt, yt, np.ones_like(xt)], axis=-1)  # (h, w, 3): (x_t, y_t, 1)
    expected = np.einsum("bij,hwj->bhwi", theta.astype(np.float64), target)
    for params in (theta, theta.reshape(3, 6)):
        np.testing.assert_allclose(np.asarray(affine_grid(params, h, w)), expected, atol=1e-5)
    # a translation by 2 / (W - 1) moves the image one pixel left, zeros come in on the right
    image = rng.random((1, h, w, 2)).astype("float32")
    shift = np.array([[1, 0, 2 / (w - 1), 0, 1, 0]], "float32")
    out = np.asarray(bilinear_sample(image, affine_grid(shift, h, w), "normalized"))
    np.testing.assert_allclose(out[:, :, :-1], image[:, :, 1:], atol=1e-5)
    np.testing.assert_allclose(out[:, :, -1], 0.0, atol=1e-5)


def test_layer_config_and_checks():
    layer = BilinearSampler("normalized", "clamp", name="sampler")
    clone = BilinearSampler.from_config(layer.get_config())
    assert (clone.coordinates, clone.border) == ("normalized", "clamp")
    assert layer.compute_output_shape((None, 10, 12, 3), (None, 5, 6, 2)) == (None, 5, 6, 3)
    with pytest.raises(ValueError, match="coordinates"):
        BilinearSampler("absolute")
    with pytest.raises(ValueError, match="border"):
        bilinear_sample(np.zeros((1, 2, 2, 1)), np.zeros((1, 1, 1, 2)), border="reflect")


def tf_value_and_grads(image, coords, weights, coordinates="pixels", border="zeros"):
    """Under TensorFlow: the loss sum(V * weights) and its gradients w.r.t. image and coords."""
    import tensorflow as tf

    image, coords = tf.Variable(image), tf.Variable(coords)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(bilinear_sample(image, coords, coordinates, border) * weights)
    d_image, d_coords = tape.gradient(loss, [image, coords])
    return float(loss), tf.convert_to_tensor(d_image).numpy(), d_coords.numpy()


def off_kink_coords(rng, shape, h, w):
    """Pixel coordinates 0.1 to 0.9 past an integer (the kernel and the clips have kinks at integers)."""
    x = rng.integers(-1, w, shape) + rng.uniform(0.1, 0.9, shape)
    y = rng.integers(-1, h, shape) + rng.uniform(0.1, 0.9, shape)
    return np.stack([x, y], axis=-1)


@pytest.mark.parametrize("coordinates,border", [("pixels", "zeros"), ("pixels", "clamp"),
                                                ("normalized", "zeros")])
def test_gradients_match_finite_differences(rng, coordinates, border):
    pytest.importorskip("tensorflow")
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("the gradient tape is TensorFlow's")
    h, w = 4, 5
    image = rng.random((2, h, w, 2))  # float64 throughout: differences of 1e-6 are exact enough
    coords = off_kink_coords(rng, (2, 3, 3), h, w)
    if coordinates == "normalized":
        coords = to_normalized(coords, h, w)
    weights = rng.normal(size=(2, 3, 3, 2))
    loss, d_image, d_coords = tf_value_and_grads(image, coords, weights, coordinates, border)

    def paper_loss(im, co):  # eq. 5 in NumPy: the derivative checked is the paper's
        if coordinates == "normalized":
            co = np.stack([(co[..., 0] + 1) * (w - 1) / 2, (co[..., 1] + 1) * (h - 1) / 2], -1)
        return float(np.sum(paper_sample(im, co, border) * weights))

    np.testing.assert_allclose(loss, paper_loss(image, coords), rtol=1e-10)

    def numeric(array, f, eps=1e-6):
        grad = np.zeros_like(array)
        for k in range(array.size):
            plus, minus = array.copy(), array.copy()
            plus.flat[k] += eps
            minus.flat[k] -= eps
            grad.flat[k] = (f(plus) - f(minus)) / (2 * eps)
        return grad

    np.testing.assert_allclose(d_image, numeric(image, lambda im: paper_loss(im, coords)), atol=1e-7)
    np.testing.assert_allclose(d_coords, numeric(coords, lambda co: paper_loss(image, co)), atol=1e-7)
    assert np.abs(d_coords).max() > 0.1  # the coordinates really get a gradient


JAX_SAMPLES = """
import sys, numpy as np, jax, keras
from zoo.layers import bilinear_sample
assert keras.backend.backend() == "jax"
data = dict(np.load(sys.argv[1]))
out = {}
for coordinates in ("pixels", "normalized"):
    for border in ("zeros", "clamp"):
        coords = data["coords_" + coordinates]
        loss = lambda im, co: (bilinear_sample(im, co, coordinates, border) * data["weights"]).sum()
        key = coordinates + "_" + border
        out["out_" + key] = np.asarray(bilinear_sample(data["image"], coords, coordinates, border))
        out["dimage_" + key], out["dcoords_" + key] = map(
            np.asarray, jax.jit(jax.grad(loss, argnums=(0, 1)))(data["image"], coords))
np.savez(sys.argv[2], **out)
print("JAX OK")
"""


def test_jax_backend_gives_the_same_samples_and_gradients(rng, tmp_path):
    pytest.importorskip("jax", reason="JAX not installed (the README's test command installs it)")
    h, w = 6, 7
    coords = off_kink_coords(rng, (2, 4, 5), h, w).astype("float32")
    data = {"image": rng.random((2, h, w, 3)).astype("float32"), "coords_pixels": coords,
            "coords_normalized": to_normalized(coords, h, w).astype("float32"),
            "weights": rng.normal(size=(2, 4, 5, 3)).astype("float32")}
    np.savez(tmp_path / "in.npz", **data)
    paths = str(tmp_path / "in.npz"), str(tmp_path / "out.npz")
    code = "import sys; sys.argv = ['', %r, %r]\n" % paths
    result = run_python(code + JAX_SAMPLES, env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "JAX OK" in result.stdout
    jax_out = np.load(tmp_path / "out.npz")
    for coordinates in ("pixels", "normalized"):
        for border in ("zeros", "clamp"):
            key = coordinates + "_" + border
            c = data["coords_" + coordinates]
            np.testing.assert_allclose(jax_out["out_" + key], paper_sample(
                data["image"], coords, border), atol=2e-6, err_msg=key)
            np.testing.assert_allclose(
                jax_out["out_" + key],
                np.asarray(bilinear_sample(data["image"], c, coordinates, border)), atol=1e-6)
            _, d_image, d_coords = tf_value_and_grads(data["image"], c, data["weights"],
                                                      coordinates, border)
            np.testing.assert_allclose(jax_out["dimage_" + key], d_image, atol=1e-5, err_msg=key)
            np.testing.assert_allclose(jax_out["dcoords_" + key], d_coords, atol=1e-4, err_msg=key)


# What the sampler may become in TFLite: builtins only, GATHER among them.
SAMPLER_OPS = {"ABS", "ADD", "SUB", "MUL", "CAST", "FLOOR", "GATHER", "MINIMUM", "MAXIMUM", "RELU",
               "GREATER_EQUAL", "LESS", "LESS_EQUAL", "LOGICAL_AND", "SELECT_V2", "EXPAND_DIMS",
               "RESHAPE", "SHAPE", "STRIDED_SLICE", "RANGE", "PACK"}


def test_spatial_transformer_converts_to_builtin_tflite(rng):
    """A tiny STN (localisation net -> affine_grid -> sampler) through zoo.export.to_tflite."""
    import keras

    from zoo.export import LiteModel, op_names, to_tflite, validate

    keras.utils.set_random_seed(0)
    x = keras.Input((None, None, 3))
    theta = keras.layers.Dense(
        6, kernel_initializer=keras.initializers.RandomNormal(stddev=0.5),
        bias_initializer=keras.initializers.Constant([1.1, 0.2, 0.1, -0.1, 0.9, 0.05]),
    )(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(x, BilinearSampler("normalized")(x, affine_grid(theta, 8, 9)))
    data = to_tflite(model)  # fails on any Flex or custom op
    ops = set(op_names(data))
    assert "GATHER" in ops and ops <= SAMPLER_OPS | {"MEAN", "FULLY_CONNECTED"}, ops
    for shape in ((2, 11, 13, 3), (1, 5, 4, 3)):  # traced with a dynamic size: resizable
        report = validate(model, data, rng.random(shape, dtype=np.float32))
        assert report["max_abs"] < 1e-5, report
    assert LiteModel(data)(rng.random((3, 6, 6, 3), dtype=np.float32)).shape == (3, 8, 9, 3)


@pytest.mark.parametrize("border", ["zeros", "clamp"])
def test_image_and_coordinates_model_converts_to_builtin_tflite(rng, border):
    """Two inputs (to_tflite takes one): converted the same way, builtins only, checked op by op."""
    import keras
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from zoo.export import op_names
    from zoo.export.tflite import check_builtin_only

    image, coords = keras.Input((None, None, 2)), keras.Input((None, None, 2))
    model = keras.Model([image, coords], BilinearSampler("pixels", border)(image, coords))
    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 2], tf.float32, name=name)
                                  for name in ("image", "coords")], autograph=False)
    def serve(image, coords):
        return model([image, coords])

    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    data = converter.convert()
    check_builtin_only(data)
    ops = set(op_names(data))
    assert "GATHER" in ops and ops <= SAMPLER_OPS, ops

    interpreter = Interpreter(model_content=data)
    x = rng.random((2, 7, 10, 2), dtype=np.float32)
    c = random_coords(rng, (2, 5, 6), 7, 10).astype("float32")  # inside and outside the image
    index = {d["name"]: d["index"] for d in interpreter.get_input_details()}
    feeds = {next(i for n, i in index.items() if key in n): value
             for key, value in (("image", x), ("coords", c))}
    for i, value in feeds.items():
        interpreter.resize_tensor_input(i, value.shape)  # converted with a dynamic size
    interpreter.allocate_tensors()
    for i, value in feeds.items():
        interpreter.set_tensor(i, value)
    interpreter.invoke()
    out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(out, np.asarray(model([x, c])), atol=1e-6)
    np.testing.assert_allclose(out, paper_sample(x, c, border), atol=2e-6)
