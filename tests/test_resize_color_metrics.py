"""zoo.image against slow, independently written NumPy references and published values."""

import math

import numpy as np
import pytest

from zoo.image import imresize, luminance, modcrop, psnr, read_image, rgb2ycbcr, ssim, ycbcr2rgb
from zoo.image.resize import cubic


def reference_resize_1d(signal: np.ndarray, scale: float, out_length: int) -> np.ndarray:
    """MATLAB's imresize along one axis, written as a plain loop over output pixels."""
    n = len(signal)
    width = 4.0 / scale if scale < 1 else 4.0
    out = np.zeros(out_length)
    for x in range(1, out_length + 1):
        u = x / scale + 0.5 * (1 - 1 / scale)
        total, weight_sum = 0.0, 0.0
        for j in range(math.floor(u - width / 2) - 1, math.ceil(u + width / 2) + 2):
            t = u - j
            w = scale * cubic(scale * t) if scale < 1 else cubic(t)
            k = j  # 1-based; reflect into 1..n as 1 2 .. n n .. 2 1 (period 2n)
            k = (k - 1) % (2 * n)
            k = k if k < n else 2 * n - 1 - k
            total += w * signal[k]
            weight_sum += w
        out[x - 1] = total / weight_sum
    return out


def reference_imresize(image: np.ndarray, scale: float) -> np.ndarray:
    rows, cols = (math.ceil(scale * n - 1e-9) for n in image.shape)
    tmp = np.stack([reference_resize_1d(image[:, c], scale, rows) for c in range(image.shape[1])], 1)
    return np.stack([reference_resize_1d(tmp[r], scale, cols) for r in range(rows)], 0)


@pytest.mark.parametrize("scale", [2, 3, 4, 1 / 2, 1 / 3, 1 / 4, 0.7])
def test_imresize_matches_loop_reference(rng, scale):
    image = rng.random((13, 17))
    np.testing.assert_allclose(imresize(image, scale), reference_imresize(image, scale),
                               atol=1e-12)


def test_cubic_kernel_is_keys_with_a_minus_half():
    # Keys (1981): values at 0, 0.5, 1, 1.5, 2 for a = -0.5
    np.testing.assert_allclose(cubic(np.array([0, 0.5, 1, 1.5, 2])), [1, 0.5625, 0, -0.0625, 0])


def test_imresize_properties(rng):
    flat = np.full((12, 9), 0.3)
    np.testing.assert_allclose(imresize(flat, 1 / 3), 0.3)  # weights sum to one
    np.testing.assert_allclose(imresize(flat, 2.5), 0.3)
    image = rng.random((12, 9, 3))
    assert imresize(image, 1 / 3).shape == (4, 3, 3)
    assert imresize(image, output_shape=(7, 20)).shape == (7, 20, 3)
    # uint8 in, rounded uint8 out, as MATLAB
    levels = (image * 255).round()
    as_uint8 = imresize(levels.astype(np.uint8), 2)
    assert as_uint8.dtype == np.uint8
    expected = np.clip(imresize(levels, 2), 0, 255)
    assert np.abs(as_uint8 - expected).max() <= 0.5 + 1e-9


def test_rgb2ycbcr_matches_matlab_documented_values():
    rgb = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]],
                   np.uint8)
    np.testing.assert_array_equal(rgb2ycbcr(rgb)[0], [[235, 128, 128], [16, 128, 128],
                                                      [81, 90, 240], [145, 54, 34],
                                                      [41, 240, 110]])


def test_rgb2ycbcr_float_matches_bt601(rng):
    """Float RGB in [0, 1] against Rec. ITU-R BT.601 built from its luma weights.

    Y = 16 + 219 (0.299 R + 0.587 G + 0.114 B), Cb = 128 + 224 (-0.168736 R - 0.331264 G
    + 0.5 B), Cr = 128 + 224 (0.5 R - 0.418688 G - 0.081312 B), in 8-bit levels. MATLAB
    rounds the scaled matrix to 3 decimals (at most 3e-4 levels off), hence atol 1e-3 levels,
    which the uint8 test above cannot see (it rounds away up to half a level).
    """
    rgb = np.concatenate([np.eye(3)[None], rng.random((1, 3, 3))], axis=1)  # primaries first
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    expected = np.stack([16 + 219 * (0.299 * r + 0.587 * g + 0.114 * b),
                         128 + 224 * (-0.168736 * r - 0.331264 * g + 0.5 * b),
                         128 + 224 * (0.5 * r - 0.418688 * g - 0.081312 * b)], axis=-1)
    out = rgb2ycbcr(rgb)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out * 255, expected, rtol=0, atol=1e-3)
    # white and black: the ends of studio range, Y 235 / 16 and neutral chroma 128
    ends = rgb2ycbcr(np.array([[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]]))[0]
    np.testing.assert_allclose(ends, np.array([[235, 128, 128], [16, 128, 128]]) / 255,
                               rtol=0, atol=1e-12)


def test_ycbcr_round_trip(rng):
    rgb = rng.random((5, 6, 3))
    np.testing.assert_allclose(ycbcr2rgb(rgb2ycbcr(rgb)), rgb, atol=1e-12)


def test_luminance_uses_gray_as_is():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    np.testing.assert_array_equal(luminance(gray), gray[:, :, 0])


def test_psnr_formula_and_border(rng):
    a = rng.integers(0, 256, (20, 20)).astype(np.uint8)
    b = a.copy()
    b[0, 0] = 255 - b[0, 0]  # only in the border
    b[10, 10] = a[10, 10] ^ 8  # an error of exactly 8 levels inside
    assert psnr(a, b, border=2) == pytest.approx(10 * np.log10(255**2 / (64 / 256)))
    assert psnr(a, a) == float("inf")


def reference_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of Wang et al. (2004), window by window, with a 2-D Gaussian built directly."""
    x = np.arange(11) - 5
    window = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 1.5**2))
    window /= window.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    values = []
    for i in range(a.shape[0] - 10):
        for j in range(a.shape[1] - 10):
            pa, pb = a[i:i + 11, j:j + 11], b[i:i + 11, j:j + 11]
            ma, mb = (window * pa).sum(), (window * pb).sum()
            va = (window * (pa - ma) ** 2).sum()
            vb = (window * (pb - mb) ** 2).sum()
            cov = (window * (pa - ma) * (pb - mb)).sum()
            values.append((2 * ma * mb + c1) * (2 * cov + c2) / ((ma**2 + mb**2 + c1) * (va + vb + c2)))
    return float(np.mean(values))


def test_ssim_matches_window_by_window_reference(rng):
    a = rng.integers(0, 256, (24, 30)).astype(np.float64)
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255)
    assert ssim(a, b) == pytest.approx(reference_ssim(a, b), abs=1e-10)
    assert ssim(a, a) == pytest.approx(1.0)


def test_set5_bicubic_matches_the_vdsr_paper(set5):
    """VDSR paper, Table 2, bicubic on Set5: 33.66 / 30.39 / 28.42 dB, SSIM .9299 / .8682 / .8104."""
    paper = {2: (33.66, 0.9299), 3: (30.39, 0.8682), 4: (28.42, 0.8104)}
    files = sorted(set5.glob("*.png"))
    assert len(files) == 5
    for s, (paper_psnr, paper_ssim) in paper.items():
        scores = []
        for f in files:
            y = luminance(modcrop(read_image(f), s))
            up = imresize(imresize(y / 255.0, 1 / s), s)
            up = np.round(np.clip(up, 0, 1) * 255)
            scores.append((psnr(y, up, s), ssim(y, up, s)))
        mean_psnr, mean_ssim = np.mean(scores, axis=0)
        assert abs(mean_psnr - paper_psnr) < 0.05, (s, mean_psnr)
        assert abs(mean_ssim - paper_ssim) < 0.001, (s, mean_ssim)


def test_empty_images_and_sizes_are_refused():
    with pytest.raises(ValueError, match="empty image"):
        imresize(np.zeros((0, 5)), 0.5)
    with pytest.raises(ValueError, match="output_shape must be positive"):
        imresize(np.zeros((3, 3)), output_shape=(0, 3))
