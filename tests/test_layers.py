"""zoo.layers against NumPy references."""

import numpy as np
import pytest

from zoo.layers import (LanczosDownsampler, OutputAverage, ReflectionPadding2D,
                        ReplicationPadding2D, lanczos_kernel)


@pytest.mark.parametrize("padding", [((2, 1), (3, 0)), ((0, 4), (1, 5)), ((5, 5), (1, 1))])
def test_reflection_padding_matches_numpy(padding, rng):
    x = rng.random((2, 6, 7, 3)).astype("float32")
    out = np.asarray(ReflectionPadding2D(padding)(x))
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), *padding, (0, 0)), mode="reflect"))


def test_reflection_padding_refuses_a_pad_as_large_as_the_image(rng):
    with pytest.raises(ValueError, match="reflection padding 6"):
        ReflectionPadding2D(((6, 0), (0, 0)))(rng.random((1, 6, 9, 1)).astype("float32"))


def test_reflection_padding_converts_without_mirror_pad(rng):
    """Slices, a reversal and concatenation (XNNPACK runs them; MIRROR_PAD it does not),
    with the same numbers as NumPy in TFLite, dynamic and fixed size."""
    keras = pytest.importorskip("keras")
    from zoo.export.tflite import LiteModel, op_names, to_tflite

    inputs = keras.Input((None, None, 2))
    model = keras.Model(inputs, ReflectionPadding2D(((3, 1), (1, 4)))(inputs))
    x = rng.random((1, 9, 8, 2)).astype("float32")
    for shape in (None, (9, 8)):
        tflite = to_tflite(model, shape=shape)
        assert "MIRROR_PAD" not in op_names(tflite)
        np.testing.assert_array_equal(LiteModel(tflite)(x),
                                      np.pad(x, ((0, 0), (3, 1), (1, 4), (0, 0)), mode="reflect"))


def test_replication_padding_matches_numpy(rng):
    x = rng.random((1, 4, 5, 2)).astype("float32")
    out = np.asarray(ReplicationPadding2D(((3, 1), (0, 2)))(x))
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (3, 1), (0, 2), (0, 0)), mode="edge"))


def official_lanczos(factor, support=2):
    """models/downsampler.py's get_kernel(factor, 'lanczos', phase=0.5, 4 * factor + 1), re-typed."""
    width = 4 * factor + 1
    kernel = np.zeros((width - 1, width - 1))
    center = (width + 1) / 2.0
    for i in range(1, kernel.shape[0] + 1):
        for j in range(1, kernel.shape[1] + 1):
            di, dj = abs(i + 0.5 - center) / factor, abs(j + 0.5 - center) / factor
            val = 1.0
            for d in (di, dj):
                if d != 0:
                    val *= support * np.sin(np.pi * d) * np.sin(np.pi * d / support) / (np.pi**2 * d * d)
            kernel[i - 1, j - 1] = val
    return kernel / kernel.sum()


@pytest.mark.parametrize("factor", [2, 3, 4, 8])
def test_lanczos_kernel_matches_the_official_formula(factor):
    np.testing.assert_allclose(lanczos_kernel(factor), official_lanczos(factor), atol=1e-12)


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_lanczos_downsampler_matches_numpy(rng, factor):
    """Official DIP downsampler: replication padding of (taps - factor) / 2, then a stride-factor
    correlation. For an odd factor (taps - factor) is odd: the official code's int() pads
    (taps - factor) // 2 on both sides (H / factor - 1 rows out); the layer's docstring puts
    the extra pixel after, so that H / factor come out. Checked here pixel by pixel."""
    x = rng.random((1, 8 * factor, 6 * factor, 3)).astype("float32")
    kernel = official_lanczos(factor)
    taps = kernel.shape[0]
    before = (taps - factor) // 2  # the official code's pad
    after = taps - factor - before  # + 1 for odd factors
    assert (before, after) == ((4, 5) if factor == 3 else (before, before))
    padded = np.pad(x[0], ((before, after), (before, after), (0, 0)), mode="edge")
    expected = np.zeros((8, 6, 3))
    for i in range(8):
        for j in range(6):
            window = padded[i * factor:i * factor + taps, j * factor:j * factor + taps]
            expected[i, j] = np.tensordot(kernel, window, axes=([0, 1], [0, 1]))
    out = np.asarray(LanczosDownsampler(factor)(x))[0]
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_lanczos_downsampler_sizes_and_constants():
    for factor in (2, 3, 4):
        x = np.full((1, 12 * factor, 6 * factor, 1), 0.25, "float32")
        out = np.asarray(LanczosDownsampler(factor)(x))
        assert out.shape == (1, 12, 6, 1)
        np.testing.assert_allclose(out, 0.25, atol=1e-6)  # the kernel sums to one


def test_output_average_is_the_exponential_average(rng):
    layer = OutputAverage((2, 2, 1), weight=0.9)
    frames = rng.random((4, 1, 2, 2, 1)).astype("float32")
    expected = frames[0]
    for k, frame in enumerate(frames):
        out = np.asarray(layer(frame, training=True))
        np.testing.assert_array_equal(out, frame)  # identity on the way through
        if k:
            expected = 0.9 * expected + 0.1 * frame
    np.testing.assert_allclose(np.asarray(layer.average), expected, rtol=1e-6)
    layer(frames[0], training=False)  # inference leaves it alone
    np.testing.assert_allclose(np.asarray(layer.average), expected, rtol=1e-6)


def test_nearest_upsampling_matches_numpy_and_old_names_load(rng):
    """One x2 nearest upsampling for every family: equal to ``np.repeat`` at a fixed and at
    an unknown size, and the name AdaIN's first files were saved with still deserializes."""
    import keras

    from zoo.layers import NearestUpsampling2D

    x = rng.random((2, 3, 5, 4), dtype=np.float32)
    want = x.repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_array_equal(np.asarray(NearestUpsampling2D()(x)), want)
    dynamic = keras.Model(inp := keras.Input((None, None, 4)), NearestUpsampling2D()(inp))
    np.testing.assert_array_equal(np.asarray(dynamic(x)), want)
    import zoo.models.adain.network  # noqa: F401  registers zoo>NearestUpsampling

    old = keras.saving.deserialize_keras_object(
        {"module": None, "class_name": "NearestUpsampling", "registered_name": "zoo>NearestUpsampling",
         "config": {"name": "up"}})
    np.testing.assert_array_equal(np.asarray(old(x)), want)
