"""``npm run icons``: draws the app's icons (an eye on the zoo's blue) with Pillow into icons/."""

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[1] / "icons"


def icon(size: int) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    s = size * scale
    im = Image.new("RGB", (s, s), "#1d3557")
    d = ImageDraw.Draw(im)
    cx, cy = s / 2, s / 2
    # the eye: the lens where two large discs overlap (their centres above and below)
    radius, offset = 0.5 * s, 0.38 * s
    upper = Image.new("L", (s, s), 0)
    ImageDraw.Draw(upper).ellipse((cx - radius, cy + offset - radius, cx + radius,
                                   cy + offset + radius), fill=255)
    lower = Image.new("L", (s, s), 0)
    ImageDraw.Draw(lower).ellipse((cx - radius, cy - offset - radius, cx + radius,
                                   cy - offset + radius), fill=255)
    from PIL import ImageChops

    im.paste("#f1faee", mask=ImageChops.multiply(upper, lower))
    r = 0.13 * s
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill="#e63946")
    r2 = 0.055 * s
    d.ellipse((cx - r2, cy - r2, cx + r2, cy + r2), fill="#000000")
    return im.resize((size, size), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    ICONS.mkdir(exist_ok=True)
    for size in (180, 192, 512):
        icon(size).save(ICONS / f"icon-{size}.png", optimize=True)
    print(f"wrote {ICONS}/icon-180.png, icon-192.png, icon-512.png")
