"""AdaIN: the layer vs NumPy (Eq. 8), the decoder's parameters counted from the official
layer list, alpha (Eq. 14) and interpolation (Eq. 15) against NumPy, colour preservation's
statistics, spatial control per region, a short training whose loss falls and resumes, and
the two phone graphs against Keras. Random VGG19 encoder and light decoder, 32-64 px."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import data_dir

keras = pytest.importorskip("keras")

from zoo.errors import ZooError  # noqa: E402
from zoo.layers.adain import AdaptiveInstanceNormalization, adain  # noqa: E402
from zoo.layers.statistics import ADAIN_EPSILON  # noqa: E402
from zoo.models.adain import export as adain_export  # noqa: E402
from zoo.models.adain import inference, network  # noqa: E402


def numpy_adain(x, y, eps=ADAIN_EPSILON):
    """Eq. 8 with per-example, per-channel statistics over the positions (biased variance)."""
    mx, my = x.mean(axis=(1, 2), keepdims=True), y.mean(axis=(1, 2), keepdims=True)
    sx = np.sqrt(x.var(axis=(1, 2), keepdims=True) + eps)
    sy = np.sqrt(y.var(axis=(1, 2), keepdims=True) + eps)
    return sy * (x - mx) / sx + my


@pytest.fixture(scope="module")
def net():
    return network.build(backbone="random", decoder="light", seed=3)


@pytest.fixture(scope="module")
def images():
    r = np.random.default_rng(7)
    yy, xx = np.mgrid[0:64, 0:64] / 64.0
    content = np.stack([xx, yy, 0.5 + 0.3 * np.sin(8 * xx)], -1).astype(np.float32)
    red = np.clip(r.normal((0.8, 0.2, 0.1), 0.15, (64, 64, 3)), 0, 1).astype(np.float32)
    stripes = np.repeat((np.sin(yy * 40)[..., None] > 0) * np.array([0.1, 0.3, 0.9]), 1, -1)
    return content, red, stripes.astype(np.float32)


def test_adain_matches_numpy(rng):
    x = rng.normal(2.0, 3.0, (2, 5, 6, 4)).astype(np.float32)
    y = rng.normal(-1.0, 0.5, (2, 3, 7, 4)).astype(np.float32)
    expected = numpy_adain(x.astype(np.float64), y.astype(np.float64))
    np.testing.assert_allclose(np.asarray(adain(x, y)), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(AdaptiveInstanceNormalization()([x, y])), expected,
                               rtol=1e-4, atol=1e-4)


def conv_parameters(layout, c_in=network.FEATURES) -> int:
    """3x3 kernels plus biases, from the layer list."""
    total = 0
    for _, c_out in layout:
        if c_out is not None:
            total, c_in = total + 9 * c_in * c_out + c_out, c_out
    return total


def test_decoder_parameter_counts():
    """The official decoder (512->256, up, 256->256 x3, 256->128, up, 128->128, 128->64, up,
    64->64, 64->3) has 3,505,219 parameters; the light one at a quarter of the widths 440,851."""
    assert [c for _, c in network.DECODER_LAYOUT] == [256, None, 256, 256, 256, 128, None,
                                                      128, 64, None, 64, 3]
    assert conv_parameters(network.DECODER_LAYOUT) == 3_505_219
    assert network.build_decoder("full").count_params() == 3_505_219
    assert network.build_decoder("light").count_params() == 440_851 == conv_parameters(
        network.decoder_widths("light"))


def test_random_encoder_is_he_normal_from_the_seed(net):
    again = network.build_encoder("random", seed=3)
    other = network.build_encoder("random", seed=4)
    enc = network.encoder(net)
    assert enc.count_params() == conv_parameters(
        [(None, 64), (None, 64), (None, 128), (None, 128), (None, 256), (None, 256),
         (None, 256), (None, 256), (None, 512)], c_in=3)
    for a, b, c in zip(enc.get_weights(), again.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c) or not a.any()  # biases are zero in both
    kernel = enc.get_layer("block3_conv2").get_weights()[0]
    assert abs(kernel.std() / np.sqrt(2 / (9 * 256)) - 1) < 0.01


def test_alpha_and_output_size(net, images):
    """Output size = content size (also off a multiple of 8); alpha=0 decodes f(c), alpha=1
    decodes AdaIN(f(c), f(s)) (NumPy), and the model's alpha input blends as Eq. 14."""
    content, style, _ = images
    enc, dec = network.encoder(net), network.decoder(net)
    f_c = np.asarray(enc(content[None])["relu4_1"])
    f_s = np.asarray(enc(style[None])["relu4_1"])
    for alpha in (0.0, 0.4, 1.0):
        expected = np.asarray(dec((1 - alpha) * f_c + alpha * numpy_adain(f_c, f_s)))
        got = net({"content": content[None], "style": style[None],
                   "alpha": np.full((1, 1, 1, 1), alpha, np.float32)})
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(inference.stylize(net, content, style, alpha=alpha),
                                   expected[0].clip(0, 1), atol=1e-3)
    odd = inference.stylize(net, content[:44, :60], style)
    assert odd.shape == (44, 60, 3) and 0 <= odd.min() and odd.max() <= 1


def test_interpolation_equals_weighted_statistics(net, images):
    """Eq. 15, sum_k w_k AdaIN(f(c), f(s_k)), equals one AdaIN with the weighted statistics
    (what stylize and the phone stylizer compute)."""
    content, a, b = images
    f_c = np.asarray(network.encoder(net)(content[None])["relu4_1"], np.float64)
    f = [np.asarray(network.encoder(net)(s[None])["relu4_1"], np.float64) for s in (a, b)]
    expected = 0.3 * numpy_adain(f_c, f[0]) + 0.7 * numpy_adain(f_c, f[1])
    got = inference.target_features(net, content, [a, b], weights=[3, 7])
    np.testing.assert_allclose(got, expected[0], rtol=1e-3, atol=1e-3 * np.abs(expected).max())
    mean, std = inference.style_statistics(net, a)
    assert mean.shape == std.shape == (512,)


def test_colour_preservation_matches_mean_and_covariance(images):
    content, style, _ = images
    moved = inference.match_color(style, content)
    c, m = content.reshape(-1, 3).astype(np.float64), moved.reshape(-1, 3)
    np.testing.assert_allclose(m.mean(0), c.mean(0), atol=1e-9)
    np.testing.assert_allclose(np.cov(m, rowvar=False), np.cov(c, rowvar=False), atol=1e-9)


def test_mask_gives_each_region_its_style(net, images):
    """Half/half label map: in each half of the feature grid the target is exactly AdaIN with
    that half's content statistics and its style's; away from the seam, the decoded halves
    are nearer the single-style decodings of their own style than of the other."""
    content, a, b = images
    labels = np.zeros((64, 64), int)
    labels[:, 32:] = 1
    t = inference.target_features(net, content, [a, b], mask=labels)
    f_c = np.asarray(network.encoder(net)(content[None])["relu4_1"][0], np.float64)
    for k, half, style in ((0, np.s_[:, :4], a), (1, np.s_[:, 4:], b)):
        f_s = np.asarray(network.encoder(net)(style[None])["relu4_1"], np.float64)
        expected = numpy_adain(f_c[half][None], f_s)[0]
        np.testing.assert_allclose(t[half], expected, rtol=1e-3,
                                   atol=1e-3 * np.abs(expected).max())
    # The untrained decoder saturates the clipped images: compare its unclipped outputs.
    decode = network.decoder(net)
    out, only_a, only_b = (np.asarray(decode(f[None])[0]) for f in (
        t, inference.target_features(net, content, a), inference.target_features(net, content, b)))
    left, right = np.s_[:, :24], np.s_[:, 40:]  # away from the seam (receptive field)
    assert np.abs(out[left] - only_a[left]).mean() < np.abs(out[left] - only_b[left]).mean()
    assert np.abs(out[right] - only_b[right]).mean() < np.abs(out[right] - only_a[right]).mean()
    assert inference.stylize(net, content, [a, b], mask=labels).shape == (64, 64, 3)
    with pytest.raises(ZooError):
        inference.stylize(net, content, [a, b], mask=labels[:10])


def recipe(**overrides):
    from zoo.training import adain as recipe_module

    settings = dict(content=str(data_dir("style", "content")),
                    style=str(data_dir("style", "style")), image_size=64, batch_size=2,
                    steps=30, steps_per_epoch=10, decoder="light", learning_rate=1e-3)
    return recipe_module, recipe_module.Config(**{**settings, **overrides})


def fixed_loss(module, config, decoder) -> float:
    """``L_c + lambda L_s`` of one fixed batch of crops."""
    from zoo.models.adain.export import crops

    model = module.training_model(network.build_encoder(config.backbone, config.seed), decoder)
    batch = {"content": crops(2, 64, 11, config.content), "style": crops(2, 64, 12, config.style)}
    terms = model(batch)
    return float(np.mean(terms["content"])) + config.style_weight * float(np.mean(terms["style"]))


def test_training_lowers_the_loss_resumes_and_loads(tmp_path, capsys):
    """30 steps at 64 px lower the loss of a fixed batch 10x; a second start has nothing left;
    zoo.load rebuilds the net from config.json and final.weights.h5."""
    import zoo

    module, config = recipe()
    keras.utils.set_random_seed(config.seed)
    before = fixed_loss(module, config, network.build_decoder(config.decoder))
    run = {"out_dir": tmp_path / "run", "verbose": 0, "tensorboard": False}
    net, _ = module.train(config, run)
    after = fixed_loss(module, config, network.decoder(net))
    assert after * 10 < before, (before, after)
    capsys.readouterr()
    _, history = module.train(config, run)
    assert "nothing left" in capsys.readouterr().out and not history.epoch
    loaded = zoo.load("adain", weights=tmp_path / "run" / "final.weights.h5")
    x = np.random.default_rng(0).random((1, 32, 32, 3), np.float32)
    inputs = {"content": x, "style": x[:, ::-1], "alpha": np.ones((1, 1, 1, 1), np.float32)}
    np.testing.assert_allclose(np.asarray(loaded(inputs)), np.asarray(net(inputs)), atol=1e-5)
    decoder_only = module.load_decoder(config, tmp_path / "run" / "decoder.weights.h5")
    np.testing.assert_allclose(np.asarray(decoder_only(inputs)), np.asarray(net(inputs)),
                               atol=1e-5)


def test_reconstruction_term_is_the_pixel_mse_of_the_decoded_content_features(net, images):
    """--reconstruction-weight adds ||g(f(c)) - c||^2 (mean over pixels) per example; without
    it the paper's two terms alone, the same values."""
    from zoo.training import adain as module

    encoder, decoder = network.encoder(net), network.decoder(net)
    model = module.training_model(encoder, decoder, reconstruction=True)
    content, red, stripes = images
    batch = {"content": np.stack([content, red]), "style": np.stack([stripes, content])}
    terms = model(batch)
    decoded = np.asarray(decoder(encoder(batch["content"])[network.TARGET_LAYER]))
    expected = ((decoded - batch["content"]) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(np.asarray(terms["reconstruction"]), expected, rtol=1e-5)
    paper = module.training_model(encoder, decoder)
    assert set(paper(batch)) == {"content", "style"}
    np.testing.assert_allclose(np.asarray(paper(batch)["style"]), np.asarray(terms["style"]),
                               rtol=1e-5)


def test_an_empty_style_folder_is_refused_in_one_line(tmp_path):
    module, config = recipe(style=str(tmp_path))
    with pytest.raises(ZooError) as error:
        module.train(config, tmp_path / "run")
    assert "\n" not in str(error.value) and str(tmp_path) in str(error.value)


def test_phone_graphs_convert_to_builtins_and_match_keras(net, tmp_path):
    """Both parts at a fixed 64 x 64, float32, through the family's export path (builtin ops
    checked there): the statistics within 1e-6 of their scale, the image within 1e-3."""
    import json

    from zoo.export.family import export_model

    report = export_model("adain", net, "float32", tmp_path / "adain.tflite", shape=(64, 64))
    assert set(report) == {"style_encoder", "stylizer"}
    assert report["stylizer"]["max_abs"] < 1e-3
    stats = adain_export.style_validation_inputs(net, None, 64)[0]
    scale = np.abs(np.asarray(adain_export.style_encoder(net)(stats))).max()
    assert report["style_encoder"]["max_abs"] < 1e-6 * scale
    meta = json.loads(open(report["stylizer"]["metadata"]).read())
    assert "mixing statistics" in meta["notes"]
    tensors = {t["name"]: t for t in meta["inputs"]}
    assert tensors["alpha"]["shape"] == [1, 1, 1, 1] and tensors["content"]["value_range"] == [0, 1]
    assert tensors["style_statistics"]["shape"] == [1, 1, 1, 1024]
    assert adain_export.stylizer(net).output.shape[-1] == 3
    assert adain_export.style_encoder(net).output.shape[-1] == 1024


def test_nearest_upsampling_traces_with_a_dynamic_size():
    """The decoder's x2 upsampling builds in a model of unknown size (what `zoo export adain`
    without --shape traces) and equals np.repeat."""
    import keras

    from zoo.models.adain.network import NearestUpsampling

    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4)).astype(np.float32)
    dynamic = keras.Model(inp := keras.Input((None, None, 4)), NearestUpsampling()(inp))
    want = x.repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_array_equal(np.asarray(dynamic(x)), want)
    np.testing.assert_array_equal(np.asarray(NearestUpsampling()(x)), want)
