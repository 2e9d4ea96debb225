"""Dosovitskiy et al.'s chair generator (CVPR 2015): unpooling against NumPy, the paper's
parameter count derived by hand from its layer list, layer shapes, Aubry et al.'s file
layout and crop, a short training run whose loss falls (and resumes to nothing left),
Keras against TFLite, the ``zoo chairs`` command and its one-line errors, the procedural
renderer (where trimesh and pyrender are installed)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PIL import Image

keras = pytest.importorskip("keras")

from zoo.cli.main import main  # noqa: E402
from zoo.errors import ZooError  # noqa: E402
from zoo.models.chairs.generator import (CAFFE, PAPER, ChairsGenerator,  # noqa: E402
                                         Unpool2D, unpool_numpy, widths)
from zoo.training import chair_data, chairs  # noqa: E402


def test_unpooling_puts_each_value_top_left_of_its_block(rng):
    x = rng.normal(size=(2, 3, 5, 4)).astype("float32")
    out = np.asarray(Unpool2D()(x))
    np.testing.assert_array_equal(out, unpool_numpy(x))
    assert out.shape == (2, 6, 10, 4)
    np.testing.assert_array_equal(out[:, ::2, ::2], x)
    assert not out[:, 1::2].any() and not out[:, :, 1::2].any()


def dense(i, o):
    return i * o + o


def conv(i, o, k=5):
    return k * k * i * o + o


def test_paper_network_parameter_count_and_shapes():
    """Fig. 2's 128x128 net: 809 chairs, 4 view and 9 transformation inputs each through two
    FC of 512, concatenated, FC 1024, FC 1024, FC 16,384 -> 8x8x256; unpooling + 5x5 conv:
    16x16x256, 32x32x92, then RGB 64x64x92 -> 128x128x3 and mask 64x64x48 -> 128x128x1."""
    net = ChairsGenerator(**PAPER)
    by_hand = (dense(809, 512) + dense(512, 512) + dense(4, 512) + dense(512, 512)
               + dense(9, 512) + dense(512, 512) + dense(3 * 512, 1024) + dense(1024, 1024)
               + dense(1024, 16384) + conv(256, 256) + conv(256, 92)
               + conv(92, 92) + conv(92, 3) + conv(92, 48) + conv(48, 1))
    assert net.count_params() == by_hand == 23_185_248
    shapes = {"reshape": (8, 8, 256), "uconv_1": (16, 16, 256), "uconv_2": (32, 32, 92),
              "uconv_rgb_3": (64, 64, 92), "rgb": (128, 128, 3), "uconv_mask_3": (64, 64, 48),
              "mask": (128, 128, 1), "uconv_1_unpool": (16, 16, 256),
              "fc_joint_2": (1024,), "fc_image": (16384,)}
    for name, shape in shapes.items():
        assert tuple(net.get_layer(name).output.shape[1:]) == shape, name
    assert [tuple(t.shape[1:]) for t in net.inputs] == [(809,), (4,), (9,)]


def test_caffe_definition_parameter_count_and_shapes():
    """The authors' released CVPR 2015 net (used_in_paper/3_128x128_train_2.prototxt): the
    same FC streams, then 5x5 stride-2 deconvolutions 256, 92, 92, 3 from FC-5's 8x8x256,
    and a mask stream of its own, FC 8,192 off FC-4 -> 8x8x128, deconvolutions 92, 32, 32,
    then 1 channel; ReLU throughout."""
    net = ChairsGenerator(**CAFFE)
    by_hand = (dense(809, 512) + dense(512, 512) + dense(4, 512) + dense(512, 512)
               + dense(9, 512) + dense(512, 512) + dense(3 * 512, 1024) + dense(1024, 1024)
               + dense(1024, 16384) + conv(256, 256) + conv(256, 92) + conv(92, 92)
               + conv(92, 3) + dense(1024, 8192) + conv(128, 92) + conv(92, 32)
               + conv(32, 32) + conv(32, 1))
    assert net.count_params() == by_hand == 31_864_956
    shapes = {"reshape": (8, 8, 256), "uconv_rgb_1": (16, 16, 256), "uconv_rgb_2": (32, 32, 92),
              "uconv_rgb_3": (64, 64, 92), "rgb": (128, 128, 3), "fc_mask": (8192,),
              "reshape_mask": (8, 8, 128), "uconv_mask_1": (16, 16, 92),
              "uconv_mask_2": (32, 32, 32), "uconv_mask_3": (64, 64, 32),
              "mask": (128, 128, 1)}
    for name, shape in shapes.items():
        assert tuple(net.get_layer(name).output.shape[1:]) == shape, name
    kinds = {type(layer).__name__ for layer in net.layers}
    assert {"Conv2DTranspose", "ReLU"} <= kinds and not kinds & {"Unpool2D", "LeakyReLU"}
    small = widths("caffe", 64)  # the Caffe files' 64x64 stage: 256, 92 | 92, 32
    assert small["rgb"] == (256, 92) and small["mask"] == (92, 32)


def test_transposed_upsampling_against_numpy(rng):
    """The Caffe stage, a 5x5 stride-2 transposed convolution with 'same' output size,
    against NumPy's scatter: each input pixel adds its kernel-weighted copy at 2i - 2."""
    from keras import layers

    x = rng.normal(size=(1, 3, 4, 2)).astype("float32")
    layer = layers.Conv2DTranspose(3, 5, strides=2, padding="same")
    got = np.asarray(layer(x))
    kernel, bias = (np.asarray(w) for w in layer.get_weights())  # (5, 5, out, in)
    full = np.zeros((1, 2 * 3 + 3, 2 * 4 + 3, 3), np.float32)
    for i in range(3):
        for j in range(4):
            full[0, 2 * i:2 * i + 5, 2 * j:2 * j + 5] += np.einsum("hwoi,i->hwo", kernel,
                                                                  x[0, i, j])
    # 'same' keeps (2H, 2W): TensorFlow crops pad_before = (5 - 2) // 2 = 1 row/col
    np.testing.assert_allclose(got, full[:, 1:1 + 6, 1:1 + 8] + bias, atol=1e-5)


def test_widths_fit_every_size():
    for size in (32, 64, 128):
        for width in ("paper", "small", "caffe"):
            config = widths(width, size)
            assert config["image_size"] == size
    with pytest.raises(ValueError):
        widths("small", 48)


# ---- Aubry et al.'s layout, drawn here: 62 renders per chair on white ----------------


def fake_rendered_chairs(root, chairs=3, side=96):
    """``root/<model>/renders/image_XXX_pEEE_tAAA_r096.png`` with a coloured box whose
    shape depends on the chair and the azimuth (a stand-in for the 600x600 renders)."""
    for c in range(chairs):
        folder = root / f"model_{c:02d}" / "renders"
        folder.mkdir(parents=True)
        k = 0
        for elevation in (20, 30):
            for i in range(31):
                azimuth = round(360 * i / 31)
                image = np.full((side, side, 3), 255, np.uint8)
                half = int(10 + 18 * abs(np.cos(np.radians(azimuth))) + 4 * c)
                top = 30 + (elevation - 20) // 2
                image[top:top + 40, 48 - half // 2:48 + half // 2] = (60 * c, 120, 200 - 50 * c)
                k += 1
                Image.fromarray(image).save(folder / f"image_{k:03d}_p{elevation:03d}_"
                                                     f"t{azimuth:03d}_r096.png")
    return root


def test_real_layout_names_and_crop(tmp_path):
    assert chair_data.parse_name("renders/image_031_p030_t348_r096.png") == (30.0, 348.0)
    assert chair_data.parse_name("renders/readme.txt") is None
    image = np.full((100, 100, 3), 255, np.uint8)
    image[20:60, 30:50] = 0  # a 40 x 20 chair
    rgb, mask = chair_data.crop_to_chair(image, 32)
    assert rgb.shape == (32, 32, 3) and mask.shape == (32, 32, 1)
    rows = np.nonzero(mask[..., 0].max(1) > 127)[0]
    assert 0 < rows[0] <= 2 and 29 <= rows[-1] < 31  # the chair's height, a 5% border
    data = chair_data.load_rendered_chairs(fake_rendered_chairs(tmp_path / "rc", 2), 32,
                                           cache=tmp_path / "cache")
    assert len(data) == 124 and data.num_chairs == 2 and data.rgb.shape == (124, 32, 32, 3)
    assert sorted(set(data.view.tolist())) == list(range(31))
    assert set(data.elevation.tolist()) == {20.0, 30.0}
    train, held = chair_data.split(data, 4)
    assert len(held) == 2 * 2 * 8 and set((held.view % 4).tolist()) == {2}
    with pytest.raises(ZooError, match="no chair folders"):
        chair_data.chair_folders(tmp_path / "cache")


def test_training_lowers_the_loss_resumes_and_beats_nothing_silently(tmp_path, capsys):
    """40 steps of batch 16 at 32 px (small width) on three fake chairs: the weighted loss
    falls (measured: about 6.5 to under 1); a second call trains nothing; the report gives
    the held-out errors and writes the strips; zoo.load rebuilds the net from config.json."""
    import zoo

    root = fake_rendered_chairs(tmp_path / "rc")
    config = chairs.Config(data=str(root), chairs=0, image_size=32, width="small", steps=40,
                           steps_per_epoch=20, batch_size=16, cache=str(tmp_path / "cache"))
    run = {"out_dir": tmp_path / "run", "verbose": 0, "tensorboard": True}
    net, history = chairs.train(config, run)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    _, again = chairs.train(config, run)
    assert again.epoch == []
    lines = chairs.report(net, config, tmp_path / "run")
    assert lines[0].startswith("held-out views (48 images): MSE net")
    assert (tmp_path / "run" / "morph.png").is_file()
    assert list((tmp_path / "run" / "logs" / "samples").iterdir())
    loaded = zoo.load("chairs", weights=str(tmp_path / "run" / "final.weights.h5"))
    assert tuple(loaded.inputs[0].shape[1:]) == (3,)

    # zoo chairs: one view, a morph strip, a turntable; one-line errors
    weights = str(tmp_path / "run" / "final.weights.h5")
    out = tmp_path / "one.png"
    assert main(["chairs", str(out), "--weights", weights, "--chair", "2",
                 "--azimuth", "45"]) == 0
    assert Image.open(out).size == (32, 32)
    assert main(["chairs", str(tmp_path / "m.png"), "--weights", weights, "--morph", "0", "2",
                 "--steps", "5"]) == 0
    assert Image.open(tmp_path / "m.png").size == (5 * 32, 32)
    assert main(["chairs", str(tmp_path / "t.png"), "--weights", weights, "--views",
                 "--count", "6"]) == 0
    assert Image.open(tmp_path / "t.png").size == (6 * 32, 32)
    capsys.readouterr()
    assert main(["chairs", str(tmp_path / "x.png"), "--weights", weights, "--chair", "3"]) != 0
    err = capsys.readouterr().err.strip()
    assert "chair 3 is not one of this net's 3 chairs (0 to 2)" in err and "\n" not in err
    assert main(["chairs", str(tmp_path / "x.png"), "--weights", weights, "--views",
                 "--morph", "0", "1"]) != 0
    assert "give one of them" in capsys.readouterr().err


@pytest.mark.parametrize("width, up_op", [("small", "CONV_2D"), ("caffe", "TRANSPOSE_CONV")])
def test_tflite_matches_keras(tmp_path, width, up_op):
    from zoo.export.family import export_model
    from zoo.export.tflite import op_names

    net = ChairsGenerator(num_chairs=5, **widths(width, 32))
    report = export_model("chairs", net, "float32", tmp_path / "chairs.tflite")
    print(f"chairs ({width}) float32 TFLite against Keras:", report["max_abs"], report["psnr"])
    assert report["max_abs"] < 1e-4
    ops = set(op_names((tmp_path / "chairs.tflite").read_bytes()))
    assert {"CONCATENATION", "RESHAPE", up_op, "FULLY_CONNECTED"} <= ops, ops
    assert not any(op.startswith("Flex") or op == "CUSTOM" for op in ops), ops


@pytest.mark.skipif(importlib.util.find_spec("pyrender") is None
                    or importlib.util.find_spec("trimesh") is None,
                    reason="procedural chairs need trimesh and pyrender: pip install .[chairs]")
def test_procedural_chairs_render(tmp_path):
    data = chair_data.procedural_chairs(2, 32, seed=5, cache=tmp_path)
    assert data.rgb.shape == (124, 32, 32, 3) and data.mask.shape == (124, 32, 32, 1)
    cover = data.mask.mean() / 255
    assert 0.05 < cover < 0.6, cover
    background = data.mask[..., 0] == 0
    white = (data.rgb[background] == 255).all(-1).mean()
    assert white > 0.95, white  # white where nothing is drawn (OpenGL's multisampling
    # blends colour, not the depth the mask comes from, at the silhouette's edge)
    assert np.abs(data.rgb[:62].astype(int) - data.rgb[62:]).mean() > 5  # two chairs
    assert (tmp_path / "procedural_n2_s32_seed5.npz").is_file()


def test_runs_and_trains_under_jax():
    """keras.layers / keras.ops only: the same net builds, unpools and trains under JAX."""
    pytest.importorskip("jax")
    from conftest import run_python

    done = run_python("""
import numpy as np, keras
from zoo.models.chairs.generator import ChairsGenerator, Unpool2D, unpool_numpy, widths
x = np.random.default_rng(0).random((2, 3, 4, 5), dtype=np.float32)
assert np.array_equal(np.asarray(Unpool2D()(x)), unpool_numpy(x))
net = ChairsGenerator(num_chairs=4, **widths("small", 32))
net.compile(optimizer="adam", loss={"rgb": "mse", "mask": "mse"})
xs = [np.eye(4, dtype="float32")[[0, 1]], np.ones((2, 4), "float32"), np.zeros((2, 9), "float32")]
h = net.fit(xs, {"rgb": np.ones((2, 32, 32, 3)), "mask": np.ones((2, 32, 32, 1))}, epochs=3,
            verbose=0)
assert h.history["loss"][-1] < h.history["loss"][0]
print(keras.backend.backend(), "ok")
""", env={"KERAS_BACKEND": "jax"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "jax ok" in done.stdout
