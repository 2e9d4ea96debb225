"""`zoo eval`, `zoo export`, `zoo upscale` end to end, and tiled upscaling against one pass."""

import json

import numpy as np
import pytest

from zoo.image import imresize, read_image, write_image
from zoo.models.vdsr import VDSR
from zoo.sr import keras_predictor, upscale

from conftest import run_zoo


@pytest.fixture(scope="module")
def identity_weights(tmp_path_factory):
    """A full-size VDSR whose last layer is zero: it returns its bicubic input unchanged."""
    model = VDSR()
    last = model.get_layer("conv20")
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    path = tmp_path_factory.mktemp("weights") / "identity.weights.h5"
    model.save_weights(path)
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    rng = np.random.default_rng(5)
    folder = tmp_path_factory.mktemp("photos")
    for k, shape in enumerate([(60, 72), (48, 66)]):
        image = np.clip(imresize(rng.random((8, 9, 3)), output_shape=shape), 0, 1)
        write_image(folder / f"p{k}.png", image)
    return folder


def test_tiled_upscaling_equals_one_pass(rng):
    """Tiles carry the receptive field (20 px) and bicubic context: results are identical."""
    import keras

    keras.utils.set_random_seed(3)
    predict = keras_predictor(VDSR(filters=8))
    image = (rng.random((70, 90, 3)) * 255).astype(np.uint8)
    whole = upscale(image, 2, predict, tile=1000)
    tiled = upscale(image, 2, predict, tile=24)
    assert whole.shape == (140, 180, 3)
    assert np.abs(whole.astype(int) - tiled).max() <= 1  # float summation order only
    assert np.mean(whole != tiled) < 0.001


def test_upscale_keeps_alpha_and_gray(rng):
    ident = lambda y: y  # noqa: E731
    rgba = (rng.random((20, 24, 4)) * 255).astype(np.uint8)
    out = upscale(rgba, 3, ident)
    assert out.shape == (60, 72, 4)
    np.testing.assert_array_equal(out[..., 3], imresize(rgba[..., 3], 3))
    gray = rgba[..., :1]
    np.testing.assert_array_equal(upscale(gray, 2, ident)[..., 0], imresize(gray[..., 0], 2))


def test_eval_of_an_identity_model_equals_bicubic(photos, identity_weights, tmp_path):
    out = tmp_path / "table.json"
    result = run_zoo("eval", "vdsr", "--data", str(photos), "--scales", "2,3",
                     "--weights", str(identity_weights), "--json", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    table = json.loads(out.read_text())
    assert set(table) == {"2", "3"}
    for s in ("2", "3"):
        assert set(table[s]) == {"bicubic", "model"}
        assert table[s]["model"]["psnr"] == pytest.approx(table[s]["bicubic"]["psnr"], abs=1e-6)
        assert table[s]["model"]["ssim"] == pytest.approx(table[s]["bicubic"]["ssim"], abs=1e-6)
    assert "bicubic" in result.stdout and "x3 PSNR" in result.stdout


def test_eval_bicubic_row_on_set5_matches_the_paper(set5, tmp_path):
    out = tmp_path / "set5.json"
    result = run_zoo("eval", "vdsr", "--data", str(set5), "--bicubic-only", "--json", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    table = json.loads(out.read_text())
    for s, paper in {"2": 33.66, "3": 30.39, "4": 28.42}.items():
        assert abs(table[s]["bicubic"]["psnr"] - paper) < 0.05


def test_export_then_eval_tflite(photos, identity_weights, tmp_path):
    lite = tmp_path / "vdsr.tflite"
    exported = run_zoo("export", "vdsr", "--quantize", "float32", "--weights",
                       str(identity_weights), "--out", str(lite))
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert "max |diff|" in exported.stdout and lite.stat().st_size > 2_000_000
    out = tmp_path / "lite.json"
    evaluated = run_zoo("eval", "vdsr", "--data", str(photos), "--scales", "2",
                        "--tflite", str(lite), "--json", str(out))
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    table = json.loads(out.read_text())
    assert table["2"]["model"]["psnr"] == pytest.approx(table["2"]["bicubic"]["psnr"], abs=0.01)


def test_upscale_command(photos, identity_weights, tmp_path):
    out = tmp_path / "big.png"
    result = run_zoo("upscale", str(photos / "p1.png"), str(out), "--scale", "3",
                     "--weights", str(identity_weights), "--tile", "32")
    assert result.returncode == 0, result.stderr[-2000:]
    assert read_image(out).shape == (144, 198, 3)
    # TensorFlow's C++ start-up lines (absl, oneDNN, CUDA probing) are dropped by `zoo`.
    assert "InitializeLog" not in result.stderr and "I0000" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["missing.png", "out.png"], "no such file"),
    (["{bad}", "out.png"], "not an image"),
    (["{good}", "out.gif"], "output must end in"),
    (["{good}", "{bad}/out.png"], "bad.png is a file, not a folder"),
    (["{good}", "out.png", "--scale", "1"], "--scale must be an integer from 2 to 8"),
    (["{good}", "{folder}"], "folder.png: is a folder; give a file name"),
    (["{rgba}", "out.jpg"], "JPEG has no alpha channel"),  # before the work, not after
    (["{rgba}", "{rgba}"], "rgba.png: is already one of this command's files"),
])
def test_upscale_refuses_bad_input_in_one_line(tmp_path, photos, args, message):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG broken")
    (tmp_path / "folder.png").mkdir()
    write_image(tmp_path / "rgba.png", np.full((20, 24, 4), 200, np.uint8))
    args = [a.format(bad=tmp_path / "bad.png", good=photos / "p0.png", rgba=tmp_path / "rgba.png",
                     folder=tmp_path / "folder.png") for a in args]
    result = run_zoo("upscale", *args, "--weights", "unused.weights.h5", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: error:") and message in lines[0], lines


def test_upscale_takes_weights_or_tflite_not_both(photos, tmp_path):
    result = run_zoo("upscale", str(photos / "p0.png"), str(tmp_path / "out.png"),
                     "--weights", "a.weights.h5", "--tflite", "a.tflite")
    assert result.returncode == 2 and "--tflite: not allowed with argument --weights" in (
        result.stderr)


def test_eval_json_goes_into_new_folders_and_not_onto_a_folder(photos, tmp_path):
    out = tmp_path / "new" / "sub" / "table.json"
    result = run_zoo("eval", "vdsr", "--data", str(photos), "--scales", "2", "--bicubic-only",
                     "--json", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(json.loads(out.read_text())) == {"2"}
    result = run_zoo("eval", "vdsr", "--data", str(photos), "--bicubic-only", "--json",
                     str(tmp_path / "new"))
    assert result.returncode == 2 and result.stderr.strip() == (
        f"zoo: error: {tmp_path / 'new'}: is a folder; give a file name")


def test_eval_names_an_image_too_small_for_the_protocol(tmp_path):
    """x4 removes a border of 4 pixels and SSIM needs an 11x11 window inside: 19x19 is too
    small once cropped to 16x16 (16 - 8 < 11); a 1x1 image does not reach the resizer."""
    from zoo.errors import ImageError
    from zoo.sr import evaluate

    write_image(tmp_path / "a.png", np.random.default_rng(0).integers(0, 256, (19, 19, 3),
                                                                      dtype=np.uint8))
    with pytest.raises(ImageError, match=r"a.png: 19x19 pixels is too small to evaluate at x4"):
        evaluate([tmp_path / "a.png"], [4], None, progress=False)
    table = evaluate([tmp_path / "a.png"], [2], None, progress=False)  # 18 - 4 >= 11: fine
    assert 0 < table["2"]["bicubic"]["psnr"] < 40
    write_image(tmp_path / "b.png", np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(ImageError, match="b.png: 1x1 pixels is too small"):
        evaluate([tmp_path / "b.png"], [2], None, progress=False)


@pytest.mark.parametrize("scale", [2, 3])
def test_eval_scores_without_the_scale_pixel_border(tmp_path, scale):
    """SRCNN/VDSR protocol (shared/notes/sr-evaluation-protocol): PSNR and SSIM on Y after
    cropping to a multiple of the scale and removing ``scale`` pixels on every side.

    A predictor that returns the ground truth everywhere but in that band (inverted there)
    must score a perfect PSNR (inf) and SSIM (1); one pixel of the band counted fails both.
    """
    from zoo.sr import evaluate

    gray = np.random.default_rng(scale).integers(0, 256, (31, 34), dtype=np.uint8)
    write_image(tmp_path / "g.png", gray)  # gray: its own Y
    truth = gray[:31 - 31 % scale, :34 - 34 % scale].astype(np.float64)  # modcrop

    def predict(bicubic):
        assert bicubic.shape == truth.shape
        out = 1.0 - truth / 255.0  # wrong everywhere ...
        inside = (slice(scale, -scale), slice(scale, -scale))
        out[inside] = truth[inside] / 255.0  # ... but inside the border band
        return out.astype(np.float32)

    table = evaluate([tmp_path / "g.png"], [scale], predict, progress=False)
    assert table[str(scale)]["model"]["psnr"] == float("inf")
    assert table[str(scale)]["model"]["ssim"] == pytest.approx(1.0, abs=1e-12)
    assert table[str(scale)]["bicubic"]["psnr"] < 30  # random pixels: bicubic is poor


def test_weights_option_takes_a_preset_name(photos, tmp_path):
    """`zoo upscale` without --weights uses the family's default preset, as naming it does."""
    from zoo.models.vdsr.presets import DEFAULT

    runs = {}
    for name, extra in (("default", []), ("named", ["--weights", DEFAULT])):
        runs[name] = tmp_path / f"{name}.png"
        result = run_zoo("upscale", str(photos / "p0.png"), str(runs[name]), *extra)
        assert result.returncode == 0, result.stderr[-2000:]
    np.testing.assert_array_equal(read_image(runs["default"]), read_image(runs["named"]))
