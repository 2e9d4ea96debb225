import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from zoo.errors import ImageError
from zoo.image import read_image, to_uint8, write_image


@pytest.mark.parametrize("ext", [".png", ".bmp"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_lossless_round_trip(tmp_path, rng, ext, channels):
    if ext == ".bmp" and channels == 4:
        pytest.skip("Pillow writes BMP without alpha")
    image = rng.integers(0, 256, (17, 23, channels), dtype=np.uint8)
    path = write_image(tmp_path / f"x{ext}", image)
    np.testing.assert_array_equal(read_image(path), image)


def test_jpeg_round_trip_is_close(tmp_path, rng):
    smooth = np.clip(np.add.outer(np.arange(32), np.arange(48))[:, :, None] * 2
                     + np.array([0, 30, 60]), 0, 255).astype(np.uint8)
    back = read_image(write_image(tmp_path / "x.jpg", smooth, quality=98))
    assert back.shape == smooth.shape
    assert np.abs(back.astype(int) - smooth).mean() < 2


def test_palette_and_bilevel_images(tmp_path):
    Image.new("P", (5, 4), color=3).save(tmp_path / "p.png")
    Image.new("1", (5, 4), color=1).save(tmp_path / "b.png")
    assert read_image(tmp_path / "p.png").shape == (4, 5, 3)
    bilevel = read_image(tmp_path / "b.png")
    assert bilevel.shape == (4, 5, 1) and bilevel.max() == 255


def test_float_images_are_rounded_like_im2uint8():
    np.testing.assert_array_equal(to_uint8(np.array([0.0, 0.5, 1.0, 1.7, -0.2, 0.501 / 255])),
                                  [0, 128, 255, 255, 0, 1])


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        read_image(tmp_path / "nope.png")


def test_a_folder_is_not_called_missing(tmp_path):
    (tmp_path / "photos.png").mkdir()
    with pytest.raises(ImageError, match="photos.png: is a folder, not an image file"):
        read_image(tmp_path / "photos.png")


def test_not_an_image(tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    with pytest.raises(ImageError, match="not an image"):
        read_image(tmp_path / "notes.png")


def test_truncated_image(tmp_path, rng):
    path = write_image(tmp_path / "x.png", rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ImageError, match="corrupt or truncated"):
        read_image(path)


def _png16(path, pixels):
    """A PNG of 16 bits per channel (Pillow writes 16-bit gray only): uint16 (H, W, C)."""
    h, w, c = pixels.shape
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in pixels)
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16,
                     color_type, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_sixteen_bits_per_channel_refused(tmp_path, channels):
    """Pillow opens 16-bit colour PNGs as 8-bit RGB(A), dropping the low byte: refused too."""
    path = _png16(tmp_path / "deep.png", np.full((4, 5, channels), 40000, np.uint16))
    with pytest.raises(ImageError, match="16 bits per channel"):
        read_image(path)


def test_packed_16_bit_bmp_reads_as_rgb(tmp_path):
    """A 16-bit BMP packs 5-6-5 bits into each pixel: 8-bit channels once read, accepted."""
    h, w = 2, 2
    pixels = np.array([[0xF800, 0x07E0], [0x001F, 0xFFFF]], "<u2")  # red, green; blue, white
    masks = struct.pack("<III", 0xF800, 0x07E0, 0x001F)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h, 1, 16, 3, pixels.nbytes, 0, 0, 0, 0)
    offset = 14 + len(info) + len(masks)
    header = b"BM" + struct.pack("<IHHI", offset + pixels.nbytes, 0, 0, offset)
    path = tmp_path / "565.bmp"
    path.write_bytes(header + info + masks + pixels.tobytes())
    image = read_image(path)
    assert image.shape == (2, 2, 3)
    np.testing.assert_array_equal(image[0, 0], [255, 0, 0])
    np.testing.assert_array_equal(image[1, 1], [255, 255, 255])


def test_unsupported_format(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "x.ppm")
    with pytest.raises(ImageError, match="unsupported image format PPM"):
        read_image(tmp_path / "x.ppm")


def test_bad_output_extension_and_shape(tmp_path):
    with pytest.raises(ImageError, match="cannot write .gif"):
        write_image(tmp_path / "x.gif", np.zeros((4, 4), np.uint8))
    with pytest.raises(ImageError, match="shape"):
        write_image(tmp_path / "x.png", np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ImageError, match="alpha"):
        write_image(tmp_path / "x.jpg", np.zeros((4, 4, 4), np.uint8))


# EXIF orientation tag -> the np.rot90/flip that shows the stored pixels upright.
_UPRIGHT = {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: np.rot90(a, 2),
            6: lambda a: np.rot90(a, -1), 8: lambda a: np.rot90(a, 1)}


@pytest.mark.parametrize("orientation", sorted(_UPRIGHT))
def test_exif_orientation_is_applied(tmp_path, rng, orientation):
    stored = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation  # what a phone writes for a photo taken upright
    Image.fromarray(stored).save(tmp_path / "photo.png", exif=exif)
    np.testing.assert_array_equal(read_image(tmp_path / "photo.png"),
                                  _UPRIGHT[orientation](stored))


def test_upscale_keeps_a_portrait_photo_upright(tmp_path, rng):
    from zoo.sr import upscale

    stored = rng.integers(0, 256, (12, 20, 3), dtype=np.uint8)  # landscape pixels
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "portrait.jpg", exif=exif, quality=95)
    result = upscale(read_image(tmp_path / "portrait.jpg"), 2, lambda y: y)
    assert result.shape == (40, 24, 3)


def test_images_over_the_pixel_limit_are_refused_in_one_line(tmp_path, rng, monkeypatch):
    """Over Pillow's limit it warns, over twice its limit it raises: both are refused, in one
    line and before decoding (tests/test_fuzz.py: headers that claim 30000x30000 pixels)."""
    import PIL.Image

    monkeypatch.setattr(PIL.Image, "MAX_IMAGE_PIXELS", 100)  # stands in for Pillow's 89 M
    exact = rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)
    np.testing.assert_array_equal(read_image(write_image(tmp_path / "exact.png", exact)), exact)
    write_image(tmp_path / "large.png", np.zeros((12, 12, 3), np.uint8))  # Pillow warns
    with pytest.raises(ImageError, match=r"large.png: 0.000144 megapixels is more than the zoo "
                                         r"reads \(limit 0.0001\); a decompression bomb"):
        read_image(tmp_path / "large.png")
    write_image(tmp_path / "huge.png", np.zeros((15, 14, 3), np.uint8))  # Pillow raises
    with pytest.raises(ImageError, match=r"huge.png: 0.00021 megapixels is more than"):
        read_image(tmp_path / "huge.png")


def test_unwritable_output_is_one_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ImageError, match="cannot write"):
        write_image(tmp_path / "file" / "out.png", np.zeros((4, 4, 3), np.uint8))


def test_folders_list_every_readable_format(tmp_path):
    from zoo.image import list_images

    for name in ("a.gif", "b.PNG", "c.webp", "d.tif", "notes.txt"):
        Image.new("RGB", (4, 4)).save(tmp_path / name, format="PNG" if name.endswith(
            ("PNG", ".txt")) else None)
    assert [p.name for p in list_images(tmp_path)] == ["a.gif", "b.PNG", "c.webp", "d.tif"]
