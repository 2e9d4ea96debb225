"""Chen and Koltun's cascaded refinement network (zoo.models.crn, zoo.training.crn): shapes
and parameter counts by hand, layer norm and upsampling against NumPy, the diversity loss
against a NumPy reference, the Cityscapes loaders on fake folders, a short CPU run whose
loss falls and resumes exactly, Keras against TFLite, and ``zoo synth``'s errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from zoo.models.crn import labels, procedural

TINY = {"height": 16, "width": "8", "outputs": 3, "scenes": 16, "steps_per_epoch": 10}


# ---------------------------------------------------------------- the network

def conv_norm(c_in: int, c_out: int) -> int:
    """A 3x3 conv without bias (slim drops it before a normalizer) + layer norm's gamma, beta."""
    return 9 * c_in * c_out + 2 * c_out


def crn_parameters(widths, classes: int, outputs: int) -> int:
    total, previous = 0, 0
    for d in widths:
        total += conv_norm(previous + classes, d) + conv_norm(d, d)
        previous = d
    return total + previous * 3 * outputs + 3 * outputs  # the 1x1 conv to 3k, with bias


def test_small_net_shapes_and_parameters_by_hand():
    import keras

    from zoo.models.crn import CRN, resolution_of, size_multiple

    net = CRN(height=16, classes=20, outputs=3, width=(8, 8, 4))
    # M0: 9*20*8 + 16 = 1,456; 9*8*8 + 16 = 592. M1: 9*28*8 + 16 = 2,032; 592.
    # M2: 9*28*4 + 8 = 1,016; 9*4*4 + 8 = 152. to_rgb: 4*9 + 9 = 45. Sum 5,885.
    assert net.count_params() == 5_885 == crn_parameters((8, 8, 4), 20, 3)
    assert resolution_of(net) == (16, 32) and size_multiple(net) == 4
    probe = keras.Model(net.input, [net.get_layer(f"m{i}_conv2_lrelu").output for i in range(3)])
    shapes = [tuple(o.shape) for o in probe(np.zeros((2, 16, 32, 20), np.float32))]
    assert shapes == [(2, 4, 8, 8), (2, 8, 16, 8), (2, 16, 32, 4)]  # 4 x 8 doubled per module
    assert tuple(net(np.zeros((2, 16, 32, 20), np.float32)).shape) == (2, 16, 32, 9)


def test_paper_widths_and_parameter_count():
    from zoo.models.crn import module_heights, widths

    # the code's rule: 1024 up to 64 rows, 512 at 128 and 256, 128 at 512, 32 at 1024
    assert widths("paper", 1024) == (1024,) * 5 + (512, 512, 128, 32)
    assert module_heights(256) == [4, 8, 16, 32, 64, 128, 256]
    assert widths(32, 1024) == (32,) * 5 + (16, 16, 4, 4)  # paper x 32/1024, at least 4
    # 256 x 512, k = 9, 20 channels: the net of demo_256p.py
    assert crn_parameters(widths("paper", 256), 20, 9) == 97_875_483


def test_layer_norm_against_numpy(rng):
    from zoo.models.crn import LayerNorm

    x = rng.normal(3, 2, (2, 5, 6, 4)).astype(np.float32)
    layer = LayerNorm()
    layer.build(x.shape)
    gamma, beta = rng.normal(size=4).astype(np.float32), rng.normal(size=4).astype(np.float32)
    layer.set_weights([gamma, beta])
    mean = x.mean(axis=(1, 2, 3), keepdims=True)  # per example over H, W and C
    var = x.var(axis=(1, 2, 3), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-12) * gamma + beta  # per-channel scale, offset
    np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-5)


def bilinear_x2(x: np.ndarray) -> np.ndarray:
    """NumPy half-pixel bilinear x2 (edge clamped), as tf.image.resize."""
    for axis in (1, 2):
        n = x.shape[axis]
        src = (np.arange(2 * n) + 0.5) / 2 - 0.5
        lo = np.clip(np.floor(src).astype(int), 0, n - 1)
        hi = np.clip(lo + 1, 0, n - 1)
        t = np.clip(src - np.floor(src), 0, 1)
        t = np.where(src < 0, 0.0, t)
        shape = [1] * x.ndim
        shape[axis] = -1
        x = (np.take(x, lo, axis) * (1 - t).reshape(shape) + np.take(x, hi, axis)
             * t.reshape(shape))
    return x


def test_bilinear_upsampling_static_and_dynamic_against_numpy(rng):
    import keras

    from zoo.models.crn import BilinearUpsampling2D

    x = rng.random((2, 3, 5, 4)).astype(np.float32)
    expected = bilinear_x2(x.astype(np.float64))
    static = np.asarray(BilinearUpsampling2D()(x))
    inputs = keras.Input((None, None, 4))
    dynamic = keras.Model(inputs, BilinearUpsampling2D()(inputs))(x)
    np.testing.assert_allclose(static, expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(dynamic), expected, atol=1e-6)


# ---------------------------------------------------------------- the loss

def numpy_loss(fakes, reals, masks, weights, k, a=0.999, b=0.001):
    """demo_256p.py's G_loss per example, from features ``(B k, h, w, C)`` / ``(B, h, w, C)``."""
    batch = reals[0].shape[0]
    totals = np.zeros((batch, k, masks[0].shape[-1]))
    for fake, real, mask, weight in zip(fakes, reals, masks, weights):
        fake = fake.reshape(batch, k, *fake.shape[1:])
        error = np.abs(fake - real[:, None]).mean(axis=-1)  # (B, k, h, w)
        totals += weight * (error[..., None] * mask[:, None]).mean(axis=(2, 3))
    return a * totals.min(axis=1).sum(axis=-1) + b * totals.mean(axis=1).sum(axis=-1)


def random_masks(rng, batch, sizes, classes):
    ids = rng.integers(0, classes, (batch, sizes[0][0], sizes[0][1]))
    full = np.eye(classes)[ids]
    masks = []
    for h, w in sizes:  # area downsampling of the one-hot layout
        f = full.shape[1] // h
        masks.append(full.reshape(batch, h, f, w, f, classes).mean(axis=(2, 4)))
    return masks


def test_diversity_loss_against_numpy(rng):
    from zoo.training.crn import CRNLoss

    batch, k, classes = 2, 3, 5
    sizes, channels = [(8, 8), (4, 4)], [3, 6]
    fakes = [rng.normal(size=(batch * k, h, w, c)).astype(np.float32)
             for (h, w), c in zip(sizes, channels)]
    reals = [rng.normal(size=(batch, h, w, c)).astype(np.float32)
             for (h, w), c in zip(sizes, channels)]
    masks = [m.astype(np.float32) for m in random_masks(rng, batch, sizes, classes)]
    weights = (1.0, 2.5)
    loss = CRNLoss(k, weights + (0.0,) * 4)([fakes, reals, masks])
    np.testing.assert_allclose(np.asarray(loss["total"]),
                               numpy_loss(fakes, reals, masks, weights, k), rtol=1e-5)
    # the min/mean mixture: all weight on the min, or on the mean
    only_min = CRNLoss(k, weights + (0.0,) * 4, 1.0, 0.0)([fakes, reals, masks])["total"]
    np.testing.assert_allclose(np.asarray(only_min),
                               numpy_loss(fakes, reals, masks, weights, k, 1.0, 0.0), rtol=1e-5)


def test_one_output_is_the_plain_mean_absolute_loss(rng):
    """k = 1: the masks sum to one, so the per-class loss is demo_512p.py's reduce_mean."""
    from zoo.training.crn import CRNLoss

    sizes = [(8, 8), (4, 4)]
    fakes = [rng.normal(size=(2, h, w, 3)).astype(np.float32) for h, w in sizes]
    reals = [rng.normal(size=(2, h, w, 3)).astype(np.float32) for h, w in sizes]
    masks = [m.astype(np.float32) for m in random_masks(rng, 2, sizes, 4)]
    loss = np.asarray(CRNLoss(1, (1.0, 0.5, 0, 0, 0, 0))([fakes, reals, masks])["total"])
    plain = sum(w * np.abs(f - r).mean(axis=(1, 2, 3)) for f, r, w in zip(fakes, reals, (1, .5)))
    np.testing.assert_allclose(loss, plain, rtol=1e-5)


# ---------------------------------------------------------------- layouts and data

def test_label_mapping_and_layout_images(tmp_path):
    table = labels.label_id_table()
    assert table[7] == 0 and table[26] == 13 and table[33] == 18 and table[0] == labels.VOID
    assert (table < labels.NUM_CLASSES).all() and len(set(table[table < 19])) == 19
    ids = np.array([[0, 13, 19], [10, 11, 2]], np.uint8)
    Image.fromarray(labels.colorize(ids)).save(tmp_path / "rgb.png")
    Image.fromarray(np.array([[0, 13, 255], [10, 11, 2]], np.uint8)).save(tmp_path / "ids.png")
    assert (labels.read_layout(tmp_path / "rgb.png") == ids).all()
    assert (labels.read_layout(tmp_path / "ids.png") == ids).all()
    Image.fromarray(np.array([[7, 26, 0]], np.uint8)).save(tmp_path / "labelids.png")
    assert labels.read_layout(tmp_path / "labelids.png", "label").tolist() == [[0, 13, 19]]
    palette = Image.fromarray(labels.colorize(ids)).convert("P", palette=Image.ADAPTIVE)
    palette.save(tmp_path / "palette.png")  # a palette PNG: its colours count
    assert (labels.read_layout(tmp_path / "palette.png") == ids).all()
    Image.fromarray(np.full((2, 2, 3), 5, np.uint8)).save(tmp_path / "photo.png")
    with pytest.raises(labels.ImageError, match=r"4 pixels have colours off the Cityscapes "
                                                r"palette \(first: \(5, 5, 5\)\)"):
        labels.read_layout(tmp_path / "photo.png")


def test_procedural_scenes_are_deterministic_and_have_the_classes():
    a_ids, a_photo = procedural.scene(11, (64, 128))
    b_ids, b_photo = procedural.scene(11, (64, 128))
    assert (a_ids == b_ids).all() and (a_photo == b_photo).all()
    assert a_photo.shape == (64, 128, 3) and 0 <= a_photo.min() and a_photo.max() <= 1
    ids, photos = procedural.scenes(8, (32, 64), seed=1)
    present = set(np.unique(ids))
    assert present <= set(procedural.SCENE_CLASSES) and {0, 1, 2, 10, 13} <= present
    assert photos.dtype == np.uint8 and not (procedural.scene(12, (64, 128))[0] == a_ids).all()


def fake_cityscapes(root, split="train"):
    """Two cities, one frame each: labelIds 7 (road) left half, 26 (car) right; red photos."""
    for city, frame in (("aachen", "aachen_000000_000019"), ("bremen", "bremen_000001_000019")):
        (root / "gtFine" / split / city).mkdir(parents=True)
        (root / "leftImg8bit" / split / city).mkdir(parents=True)
        label = np.full((32, 64), 7, np.uint8)
        label[:, 32:] = 26
        label[0, 0] = 0  # unlabeled: void
        Image.fromarray(label).save(root / "gtFine" / split / city
                                    / f"{frame}_gtFine_labelIds.png")
        photo = np.zeros((32, 64, 3), np.uint8)
        photo[..., 0] = 200
        Image.fromarray(photo).save(root / "leftImg8bit" / split / city
                                    / f"{frame}_leftImg8bit.png")


def test_cityscapes_folder_loader(tmp_path):
    from zoo.training import crn

    fake_cityscapes(tmp_path)
    config = crn.Config(data=str(tmp_path), height=16, batch_size=2)
    kind, pairs = crn.examples(config)
    assert kind == "folder" and [p[0].split("/")[-2] for p in pairs] == ["aachen", "bremen"]
    (inputs, targets), = [b for b, _ in zip(crn.data(config, (kind, pairs)), range(1))]
    layout, photo = inputs[0].numpy(), inputs[1].numpy()
    assert layout.shape == (2, 16, 32, 20) and photo.shape == (2, 16, 32, 3)
    assert (layout[:, :, :16, 0] == 1).all() and (layout[:, :, 16:, 13] == 1).all()
    np.testing.assert_allclose(photo[..., 0], 200 / 255, atol=1e-6)
    assert set(targets) == {"total", *crn.LAYERS}
    with pytest.raises(crn.sources.SourceError, match="no gtFine/val folder"):
        crn.examples(crn.Config(data=str(tmp_path), split="val", height=16))
    next((tmp_path / "leftImg8bit" / "train" / "bremen").iterdir()).unlink()
    with pytest.raises(crn.sources.SourceError, match="1 labelled frames have no photo"):
        crn.examples(config)


def test_tfds_cityscapes_loader(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    from zoo.training import crn

    builder = tfds.builder("cityscapes/semantic_segmentation", data_dir=str(tmp_path))
    builder.data_path.mkdir(parents=True, exist_ok=True)
    builder.info.write_to_directory(builder.data_path)  # counts as prepared
    with tfds.testing.mock_data(num_examples=2, data_dir=str(tmp_path)):
        config = crn.Config(data="tfds:cityscapes", data_dir=str(tmp_path), height=16)
        kind, source = crn.examples(config)
        assert kind == "tfds" and source.tfds.split == "train"
        (inputs, _), = [b for b, _ in zip(crn.data(config, (kind, source)), range(1))]
    layout = inputs[0].numpy()
    assert layout.shape == (1, 16, 32, 20) and (layout.sum(axis=-1) == 1).all()
    assert inputs[1].shape == (1, 16, 32, 3)


# ---------------------------------------------------------------- training, export, CLI

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Forty steps of a tiny net on procedural scenes, in two runs of 20 (the second resumes),
    and twenty more in one go, for comparison."""
    from zoo.training import crn

    out = tmp_path_factory.mktemp("crn_run")
    config = crn.Config(**TINY, steps=40)
    crn.train(crn.Config(**TINY, steps=20), {"out_dir": out / "run", "verbose": 0})
    net, history = crn.train(config, {"out_dir": out / "run", "verbose": 0})
    return config, net, out / "run"


def test_loss_falls_on_procedural_scenes(trained):
    config, _, run = trained
    rows = (run / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    totals = [float(r.split(",")[header.index("total_loss")]) for r in rows[1:]]
    assert len(totals) == 4 and totals[-1] < 0.85 * totals[0], totals
    assert (run / "logs" / "samples").is_dir() and (run / "final.weights.h5").is_file()


def test_resumed_run_equals_an_uninterrupted_one(trained, tmp_path):
    from zoo.training import crn

    config, net, _ = trained
    whole, _ = crn.train(config, {"out_dir": tmp_path / "whole", "verbose": 0,
                                  "tensorboard": False})
    for a, b in zip(net.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_keras_against_tflite(trained, tmp_path):
    from zoo.export.family import export_model

    _, net, _ = trained
    report = export_model("crn", net, "float32", tmp_path / "crn.tflite")
    assert report["max_abs"] < 1e-4 and report["psnr"] > 80, report


def test_zoo_synth_writes_images_and_refuses_bad_input_in_one_line(trained, tmp_path, capsys):
    from zoo.cli.main import main

    _, _, run = trained
    weights = str(run / "final.weights.h5")
    ids, _ = procedural.scene(3, (48, 96))
    Image.fromarray(labels.colorize(ids)).save(tmp_path / "layout.png")
    assert main(["synth", str(tmp_path / "layout.png"), "--out", str(tmp_path / "o.png"),
                 "--outputs", "3", "--weights", weights]) == 0
    assert Image.open(tmp_path / "o.png").size == (3 * 32, 16)  # resized to the net's 16 x 32
    assert "3 of 3 images, 32x16 each" in capsys.readouterr().out
    Image.fromarray(np.full((8, 8, 3), 9, np.uint8)).save(tmp_path / "photo.png")
    (tmp_path / "text.png").write_text("not a png")
    for argv, message in [
        (["photo.png"], "64 pixels have colours off the Cityscapes palette"),
        (["text.png"], "text.png: not an image"),
        (["missing.png"], "missing.png: no such file"),
        (["layout.png", "--outputs", "4"], "--outputs 4: this net draws 3 images"),
        (["layout.png", "--keep-size"], "is not a multiple of 4 on each side"),
    ]:
        args = [str(tmp_path / argv[0]), *argv[1:], "--out", str(tmp_path / "x.png"),
                "--weights", weights]
        if argv[0] == "layout.png" and "--keep-size" in argv:
            Image.fromarray(labels.colorize(ids[:46, :90])).save(tmp_path / "layout.png")
        assert main(["synth", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


def test_demo_section_without_a_preset_says_why(tmp_path, monkeypatch):
    from zoo.models.crn import PRESETS
    from zoo.models.crn.demo import crn_section

    for name in list(PRESETS):
        monkeypatch.delitem(PRESETS, name)
    section = crn_section([], tmp_path)
    assert section.status.startswith("skipped: crn has no pretrained weights")


def test_demo_section_shows_layouts_and_syntheses(tmp_path):
    from zoo.models.crn import PRESETS
    from zoo.models.crn.demo import SEEDS, crn_section

    if not PRESETS:
        pytest.skip("no CRN preset ships")
    section = crn_section([], tmp_path)
    assert section.status == "ok" and len(section.rows) == len(SEEDS)
    for _, cells in section.rows:
        assert len(cells) == len(section.columns) and cells[0].caption.startswith("layout")
        assert all((tmp_path / cell.image).is_file() for cell in cells)
    assert "procedural" in " ".join(section.notes)
