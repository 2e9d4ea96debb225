"""Johnson et al. transform nets: parameter counts against the supplement's layer list,
output sizes, the residual block's centre crop against NumPy, the normalization switch,
save/load, Keras vs TFLite for both variants, inference at any size, the export spec."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from zoo.errors import ZooError  # noqa: E402
from zoo.export.tflite import LiteModel, check_builtin_only, op_names, to_tflite  # noqa: E402
from zoo.layers.normalization import InstanceNormalization  # noqa: E402
from zoo.models.johnson import (TransformNet, min_size, size_multiple, stylize,  # noqa: E402
                                super_resolve, task_of)
from zoo.models.johnson import export as jexport  # noqa: E402
from zoo.models.johnson.inference import padding_for  # noqa: E402
from zoo.models.johnson.transform_net import CenterCrop2D  # noqa: E402


def conv(k, cin, cout):
    """Weights and biases of a k x k convolution (or transposed convolution)."""
    return k * k * cin * cout + cout


def style_params(w0, w1, w2):
    """The supplement's Table 1, instance norm (gamma + beta: 2 per channel), by hand."""
    return (conv(9, 3, w0) + 2 * w0          # 9x9 conv, w0
            + conv(3, w0, w1) + 2 * w1       # 3x3 stride 2
            + conv(3, w1, w2) + 2 * w2       # 3x3 stride 2
            + 5 * 2 * (conv(3, w2, w2) + 2 * w2)  # 5 residual blocks of two 3x3 convs
            + conv(3, w2, w1) + 2 * w1       # stride 1/2
            + conv(3, w1, w0) + 2 * w0       # stride 1/2
            + conv(9, w0, 3))                # 9x9 conv to RGB, no norm


def test_parameter_counts_of_paper_and_phone_widths():
    # paper: 7808+64 + 18496+128 + 73856+256 + 5*2*(147584+256) + 73792+128 + 18464+64 + 7779
    assert style_params(32, 64, 128) == 1_679_235
    # phone: 1952+16 + 1168+32 + 4640+64 + 5*2*(9248+64) + 4624+32 + 1160+16 + 1947
    assert style_params(8, 16, 32) == 108_771
    for variant in ("paper", "resize"):
        assert TransformNet("paper", variant=variant).count_params() == 1_679_235
        assert TransformNet("phone", variant=variant).count_params() == 108_771
    # batch norm adds moving mean and variance: 2 more per normalised channel (1600 of them)
    assert TransformNet("paper", "batch").count_params() == 1_679_235 + 2 * 1600
    # SR (supplement Table 2): 9x9 conv 64, 4 residual blocks, log2 f stride-1/2 convs, 9x9 conv 3
    sr4 = (conv(9, 3, 64) + 128 + 4 * 2 * (conv(3, 64, 64) + 128) + 2 * (conv(3, 64, 64) + 128)
           + conv(9, 64, 3))
    assert sr4 == 401_859
    assert TransformNet(task="sr", scale=4).count_params() == sr4
    assert TransformNet(task="sr", scale=8).count_params() == sr4 + conv(3, 64, 64) + 128


def test_output_sizes_and_range(rng):
    """Paper variant: 40 px of reflection, then 10 valid 3x3 convs at 1/4 resolution remove
    4 * 10 = 40 px a side: same size out for multiples of 4. SR: f times larger."""
    net = TransformNet("phone")
    for h, w in ((44, 48), (64, 52)):
        y = np.asarray(net(rng.uniform(size=(1, h, w, 3)).astype("float32")))
        assert y.shape == (1, h, w, 3) and 0 <= y.min() and y.max() <= 1
    assert net.get_layer("res1_conv1").output.shape[1] is None  # dynamic size
    for scale in (4, 8):
        sr = TransformNet("phone", task="sr", scale=scale, variant="resize")
        assert np.asarray(sr(np.zeros((2, 9, 7, 3), "float32"))).shape == (2, 9 * scale,
                                                                           7 * scale, 3)
        assert task_of(sr) == ("sr", scale) and size_multiple(sr) == 1
    assert task_of(net) == ("style", 1) and size_multiple(net) == 4 and min_size(net) == 44


def test_residual_block_crop_matches_numpy(rng):
    """Unpadded conv-norm-relu-conv-norm plus the shortcut cropped by 2 px, vs NumPy."""
    from zoo.models.johnson.transform_net import residual_block

    c = 2
    x_in = keras.Input((None, None, c))
    cfg = {"normalization": "instance", "variant": "paper", "padding": "zero"}
    block = keras.Model(x_in, residual_block(x_in, cfg, "res", "valid"))
    for layer in block.layers:
        if layer.weights:
            layer.set_weights([rng.normal(size=v.shape).astype("float32") for v in layer.weights])
    x = rng.normal(size=(1, 9, 8, c)).astype("float32")

    def conv_valid(a, kernel, bias):
        h, w = a.shape[1] - 2, a.shape[2] - 2
        out = np.zeros((1, h, w, kernel.shape[-1]))
        for i in range(h):
            for j in range(w):
                out[0, i, j] = np.einsum("abc,abcd->d", a[0, i:i + 3, j:j + 3], kernel) + bias
        return out

    def inorm(a, gamma, beta):
        return gamma * (a - a.mean((1, 2), keepdims=True)) / np.sqrt(
            a.var((1, 2), keepdims=True) + 1e-5) + beta

    w = {layer.name: layer.get_weights() for layer in block.layers if layer.weights}
    y = np.maximum(inorm(conv_valid(x, *w["res_conv1"]), *w["res_conv1_norm"]), 0)
    y = inorm(conv_valid(y, *w["res_conv2"]), *w["res_conv2_norm"])
    expected = x[:, 2:-2, 2:-2] + y
    np.testing.assert_allclose(np.asarray(block(x)), expected, atol=1e-4)
    np.testing.assert_array_equal(np.asarray(CenterCrop2D(2)(x)), x[:, 2:-2, 2:-2])


def test_batch_and_instance_switch_the_layer_types():
    def kinds(net):
        return {type(layer) for layer in net.layers
                if isinstance(layer, (InstanceNormalization, keras.layers.BatchNormalization))}

    assert kinds(TransformNet("phone", "instance")) == {InstanceNormalization}
    assert kinds(TransformNet("phone", "batch")) == {keras.layers.BatchNormalization}
    norms = [layer for layer in TransformNet("phone").layers
             if isinstance(layer, InstanceNormalization)]
    assert len(norms) == 3 + 2 * 5 + 2  # every conv but the last; 2 per residual block
    with pytest.raises(ZooError, match="normalization must be one of"):
        TransformNet(normalization="layer")
    with pytest.raises(ZooError, match="scale must be one of 4, 8"):
        TransformNet(task="sr", scale=3)
    with pytest.raises(ZooError, match="width must be"):
        TransformNet(width=(8, 16))


def test_save_and_load_round_trip(tmp_path, rng):
    import zoo

    net = TransformNet("phone", variant="resize", normalization="batch")
    path = tmp_path / "net.keras"
    net.save(path)
    loaded = zoo.load_model(path)
    x = rng.uniform(size=(1, 16, 20, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(net(x)), atol=1e-6)
    built = zoo.load("johnson", weights=None, width=[8, 16, 32], variant="resize")
    assert built.count_params() == 108_771


@pytest.mark.parametrize("variant, shape", [("resize", None), ("resize", (24, 20)),
                                            ("paper", (48, 44))])
def test_tflite_matches_keras(variant, shape, rng):
    """float32 TFLite, builtin ops only, max error < 1e-4: the resize variant with a dynamic
    size (stack/reshape upsampling) and a fixed one (RESIZE_NEAREST_NEIGHBOR), the paper
    variant at a fixed small size."""
    net = TransformNet("phone", variant=variant)
    tflite = to_tflite(net, shape=shape)
    check_builtin_only(tflite)
    ops = op_names(tflite)
    if variant == "paper":
        assert "REVERSE_V2" in ops and "TRANSPOSE_CONV" in ops  # the 40-pixel reflection
    elif shape:
        assert "RESIZE_NEAREST_NEIGHBOR" in ops
    size = shape or (28, 36)
    x = rng.uniform(size=(1, *size, 3)).astype("float32")
    assert np.abs(LiteModel(tflite)(x) - np.asarray(net(x))).max() < 1e-4


def test_stylize_any_size_and_super_resolve(rng):
    assert padding_for(30, 4, 44) == (7, 7) and padding_for(45, 4, 44) == (1, 2)
    net = TransformNet("phone")
    image = rng.uniform(size=(30, 45, 3)).astype("float32")
    out = stylize(net, image)
    assert out.shape == image.shape and 0 <= out.min() and out.max() <= 1
    # an image that fits already goes through unpadded
    fits = rng.uniform(size=(1, 48, 44, 3)).astype("float32")
    np.testing.assert_allclose(stylize(net, fits), np.asarray(net(fits)), atol=1e-6)
    sr = TransformNet("phone", task="sr", scale=4, variant="resize")
    assert super_resolve(sr, image[:10, :11]).shape == (40, 44, 3)
    with pytest.raises(ZooError, match="super-resolution net"):
        super_resolve(net, image)
    with pytest.raises(ZooError, match="expected an RGB image"):
        stylize(net, image[..., 0])


def test_export_spec_sizes_and_metadata(tmp_path):
    from zoo.image import write_image
    from zoo.models import families

    write_image(tmp_path / "a.png", np.linspace(0, 1, 50 * 60 * 3).reshape(50, 60, 3))
    net = TransformNet("phone")
    batches = jexport.calibration_batches(net, tmp_path, (48, 44), n=2)
    assert [b[0].shape for b in batches] == [(1, 48, 44, 3)] * 2
    (inputs,), target = jexport.validation_inputs(net, tmp_path, 48)
    assert inputs.shape == (2, 48, 48, 3) and target is None
    with pytest.raises(ZooError, match="multiple of 4 and at least 44"):
        jexport.calibration_batches(net, tmp_path, 42)
    meta = jexport.metadata(net)
    assert meta["inputs"]["image"] == {"value_range": [0, 1], "layout": "NHWC", "color": "RGB",
                                       "normalization": "none"}
    assert (meta["size_multiple"], meta["task"], meta["scale"]) == (4, "style", 1)
    sr_meta = jexport.metadata(TransformNet("phone", task="sr", scale=8))
    assert (sr_meta["size_multiple"], sr_meta["task"], sr_meta["scale"]) == (1, "sr", 8)
    spec = families()["johnson"].export
    assert spec.metadata == "zoo.models.johnson.export:metadata"
    assert "RSQRT" in spec.float_ops
