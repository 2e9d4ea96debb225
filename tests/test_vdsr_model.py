"""VDSR as the paper describes it (Kim et al. 2016, Sec. 3.1, 4.1)."""

import numpy as np
import pytest

from zoo.models.vdsr import VDSR


@pytest.fixture(scope="module")
def model():
    return VDSR()


def test_twenty_3x3_layers_of_64_channels_with_relu(model):
    convs = [l for l in model.layers if l.__class__.__name__ == "Conv2D"]
    assert len(convs) == 20
    assert all(c.kernel_size == (3, 3) and c.padding == "same" for c in convs)
    assert [c.filters for c in convs] == [64] * 19 + [1]
    assert [c.activation.__name__ for c in convs] == ["relu"] * 19 + ["linear"]
    # 1*9*64+64 + 18*(64*9*64+64) + 64*9*1+1
    assert model.count_params() == 640 + 18 * 36928 + 577


def test_he_initialisation(model):
    """He et al. 2015: N(0, 2 / fan_in) with fan_in = 3 * 3 * 64."""
    kernel = model.get_layer("conv10").kernel.numpy()
    assert kernel.std() == pytest.approx(np.sqrt(2 / (9 * 64)), rel=0.03)
    assert abs(kernel.mean()) < 0.002
    assert np.abs(kernel).max() > 3 * np.sqrt(2 / (9 * 64))  # not truncated at 2 sigma


@pytest.mark.parametrize("layer, fan_in", [("conv1", 3 * 3 * 1), ("conv20", 3 * 3 * 64)])
def test_he_initialisation_uses_fan_in_at_both_ends(model, layer, fan_in):
    """He et al. 2015, Eq. 10: std sqrt(2 / fan_in), fan_in = k * k * input channels.

    conv1 (1 -> 64 channels) and conv20 (64 -> 1) are where fan_in and fan_out differ
    (9 vs 576): fan_avg would give std sqrt(2 / 292.5) at both, 5.7x too small at conv1 and
    1.4x too large at conv20. 576 weights estimate a std to about 3 %, hence rel=0.15.
    """
    kernel = model.get_layer(layer).kernel.numpy()
    assert kernel.size == 9 * 64
    assert kernel.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.15)


def test_global_residual_and_any_input_size(model, rng):
    """With the last layer zeroed the network is the identity: it predicts the residual only."""
    last = model.get_layer("conv20")
    saved = [w.copy() for w in last.get_weights()]
    last.set_weights([np.zeros_like(w) for w in saved])
    x = rng.random((2, 17, 23, 1)).astype("float32")
    np.testing.assert_array_equal(np.asarray(model(x)), x)
    last.set_weights(saved)
    y = np.asarray(model(x))
    assert y.shape == x.shape and not np.allclose(y, x)


def test_receptive_field_is_41(rng):
    """20 layers of 3x3: an output pixel depends on inputs at most 20 pixels away."""
    import keras

    keras.utils.set_random_seed(0)  # with few channels, dead ReLUs could hide the path
    model = VDSR(filters=16)
    x = rng.random((1, 61, 61, 1)).astype("float32")
    bumped = x.copy()
    bumped[0, 30 + 21, 30] += 1.0  # 21 pixels below the centre: outside the field
    assert np.asarray(model(x))[0, 30, 30] == np.asarray(model(bumped))[0, 30, 30]
    bumped[0, 30 + 20, 30] += 1.0  # 20 pixels: inside
    assert np.asarray(model(x))[0, 30, 30] != np.asarray(model(bumped))[0, 30, 30]



def test_shipped_preset_restores_detail_on_bundled_photos(tmp_path):
    """The default preset beats bicubic clearly on the package's own (licence-clean) photos.

    Measured when the H200 preset was added, on the centre 192x192 crops of the
    three demo photos: +2.94 dB at x2 and +2.18 dB at x4 over bicubic (Set5
    figures are in its model card; the CPU preview before it gained about half).
    """
    import zoo
    from zoo.demo import bundled_images_dir
    from zoo.image import list_images, read_image, write_image
    from zoo.sr import evaluate, keras_predictor

    for path in list_images(bundled_images_dir()):
        image = read_image(path)
        h, w = image.shape[:2]
        write_image(tmp_path / f"{path.stem}.png", image[h // 2 - 96:h // 2 + 96, w // 2 - 96:w // 2 + 96])
    table = evaluate(list_images(tmp_path), (2, 4), keras_predictor(zoo.load("vdsr")), progress=False)
    gain = {s: table[s]["model"]["psnr"] - table[s]["bicubic"]["psnr"] for s in ("2", "4")}
    assert gain["2"] > 2.7 and gain["4"] > 2.0, gain
