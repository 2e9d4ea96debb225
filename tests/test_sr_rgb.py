"""The RGB side of the SR protocol (zoo.sr.evaluate_rgb), used for Johnson et al.'s SR nets."""

from __future__ import annotations

import numpy as np
import pytest

from zoo.errors import ImageError
from zoo.image import imresize, luminance, psnr
from zoo.sr import degrade_rgb, evaluate, evaluate_rgb


def test_rgb_bicubic_matches_the_published_y_protocol_on_set5(set5):
    """Shrinking R, G, B instead of Y changes only rounding: Set5 x4 bicubic stays within
    0.05 dB of the Y protocol (28.42 dB, the VDSR paper's row), and a network that returns
    bicubic scores exactly the bicubic row."""
    files = sorted(set5.glob("*.png"))
    up = lambda low: imresize(low, output_shape=(low.shape[0] * 4, low.shape[1] * 4))
    rgb = evaluate_rgb(files, 4, up, progress=False)["4"]
    y = evaluate(files, [4], None, progress=False)["4"]["bicubic"]
    assert abs(rgb["bicubic"]["psnr"] - y["psnr"]) < 0.05, (rgb, y)
    assert abs(y["psnr"] - 28.42) < 0.01
    assert rgb["model"] == rgb["bicubic"]


def test_scores_are_on_y_with_the_border_removed(tmp_path, rng):
    """A network that is perfect except for a wrong frame of ``scale`` pixels scores
    infinity (the border is shaved); a constant error of 2 grey levels in R, G and B scores
    the PSNR of its Y error, computed by hand."""
    from PIL import Image

    truth = rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)
    path = tmp_path / "t.png"
    Image.fromarray(truth).save(path)

    def framed(low):
        out = truth / 255.0
        out[:4] = 0.0
        return out

    assert evaluate_rgb([path], 4, framed, progress=False)["4"]["model"]["psnr"] == float("inf")

    def shifted(low):
        return np.clip(truth.astype(np.float64) + 2.0, 0, 255) / 255.0

    score = evaluate_rgb([path], 4, shifted, progress=False)["4"]["model"]["psnr"]
    out = np.clip(truth.astype(np.int32) + 2, 0, 255).astype(np.uint8)
    expected = psnr(luminance(truth), luminance(out), border=4)
    assert score == pytest.approx(expected, abs=1e-9)
    assert 40 < score < 60


def test_degrade_rgb_and_wrong_output_size(tmp_path, rng):
    from PIL import Image

    truth = rng.integers(0, 256, (66, 50, 3), dtype=np.uint8)
    gt, low = degrade_rgb(truth, 4)
    assert gt.shape == (64, 48, 3) and low.shape == (16, 12, 3) and low.dtype == np.float32
    np.testing.assert_allclose(low, imresize(truth[:64, :48] / 255.0, 0.25), atol=1e-6)
    path = tmp_path / "t.png"
    Image.fromarray(truth).save(path)
    with pytest.raises(ImageError, match="expected"):
        evaluate_rgb([path], 4, lambda low: low, progress=False)
