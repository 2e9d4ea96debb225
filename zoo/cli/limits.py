"""Checks of sizes, levels and scales against the machine, before any model is built.

A size that cannot fit in memory is refused in one line saying the limit, rather than
dying out of memory minutes later with a traceback. The estimates are what a pixel costs
(float32 activations kept for the backward pass, their gradients), measured where noted as
the growth of the peak resident memory between two sizes on a CPU, without the fixed cost
of the runtime: a refused run would not have fitted, and one let through near the limit may
still not. NumPy and Keras are not imported here.
"""

from __future__ import annotations

import math
import os

from zoo.errors import ZooError

GIB = 2**30

GATYS_BYTES_PER_PIXEL = 4096
"""Texture and style fits, per pixel of the finest level: float32 features of a few hundred
channels at full resolution (the random backbone's 192 maps per filter size; VGG19's conv1
to pool4 summed over their resolutions), kept for the backward pass, and their gradients.
Measured: 4.4 KB a pixel (``zoo texture --backbone random --optimizer adam``, 256 and
768 pixels a side)."""

DIP_FULL_RESOLUTION_MAPS = 9
"""Deep Image Prior: the skip network holds about this many maps of its widest layer's
width at full resolution (upsampled, concatenated, convolved, normalised), each kept for
the backward pass and its gradient (2 x 4 bytes): 9.5 KB a pixel for the paper's network
(128 maps); measured 9.1 KB (``zoo dip denoise``, 128 and 384 pixels a side)."""

UPSCALE_BYTES_PER_CHANNEL = 2
"""``zoo upscale``: the uint8 result (one byte per channel and pixel) and its copy in the
image writer."""

SMALLEST_LEVEL = 8
"""The coarsest level of a coarse-to-fine fit must be at least this many pixels a side
(``zoo.models.texture_nets.gatys``: smaller levels are clamped to it)."""


def memory_bytes() -> int:
    """This machine's physical memory (0 where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return 0


def check_memory(what: str, needed: float, advice: str) -> None:
    """Refuse ``what`` (e.g. ``--size 100000``) when ``needed`` bytes exceed the memory."""
    have = memory_bytes()
    if have and needed > have:
        raise ZooError(f"{what} needs about {_gib(needed)} of memory, more than this "
                       f"machine's {_gib(have)}; {advice}")


def _gib(count: float) -> str:
    gib = count / GIB
    return f"{gib:.1f} GiB" if gib < 100 else f"{gib:,.0f} GiB"


def largest_side(bytes_per_pixel: float, aspect: float = 1.0) -> int:
    """The longest side (of an image ``aspect`` times as wide as high, or the inverse)
    whose pixels fit in this machine's memory at ``bytes_per_pixel``."""
    pixels = memory_bytes() / bytes_per_pixel
    return int(math.sqrt(pixels * max(aspect, 1 / aspect)))


def check_gatys(what: str, size: tuple[int, int], option: str = "--size") -> None:
    """A texture or style fit of an image of ``size`` (H, W) fits in memory; ``what`` names
    it (``--size 100000``), ``option`` is the one to change."""
    needed = size[0] * size[1] * GATYS_BYTES_PER_PIXEL
    side = largest_side(GATYS_BYTES_PER_PIXEL, size[1] / size[0])
    check_memory(what, needed, f"use a smaller {option} (at most about {side} here)")


def check_levels(levels: int | None, size: tuple[int, int]) -> None:
    """``levels`` coarse-to-fine levels of ``size`` (H, W), each half the next, keep the
    coarsest at :data:`SMALLEST_LEVEL` pixels a side or more."""
    if levels is None:
        return
    most = max_levels(size)
    if levels > most:
        h, w = size
        raise ZooError(f"--levels {levels}: a {w}x{h} output has at most {most} levels "
                       f"(each halves the size; the coarsest must be at least "
                       f"{SMALLEST_LEVEL} pixels a side)")


def max_levels(size: tuple[int, int]) -> int:
    """The most levels whose coarsest keeps both sides at :data:`SMALLEST_LEVEL` or more."""
    levels, side = 1, min(size)
    while round(side / 2**levels) >= SMALLEST_LEVEL:
        levels += 1
    return levels


def check_dip(size: tuple[int, int], task, scale: int = 1) -> None:
    """A Deep Image Prior fit of an output of ``size`` (H, W) with ``task``'s network
    (``scale``: super-resolution's factor, named in the message)."""
    network = task.network
    widest = max([*network.get("channels_down", (128,)), *network.get("channels_up", (128,))])
    per_pixel = 8 * (task.input_depth + DIP_FULL_RESOLUTION_MAPS * widest)
    h, w = size
    side = largest_side(per_pixel, w / h)
    what = f"a {w}x{h} result" if scale == 1 else f"--scale {scale} (a {w}x{h} result)"
    check_memory(what, h * w * per_pixel, "give a smaller image"
                 + (" or --scale" if scale > 1 else "") + f" (the longer side at most about "
                 f"{side} here)")


def check_upscale(image_shape, scale: int) -> None:
    """The upscaled image (``image_shape`` (H, W, C) times ``scale``) fits in memory."""
    h, w, channels = image_shape[0] * scale, image_shape[1] * scale, image_shape[2]
    per_pixel = channels * UPSCALE_BYTES_PER_CHANNEL
    side = largest_side(per_pixel, w / h)
    check_memory(f"--scale {scale} (a {w}x{h} result)", h * w * per_pixel,
                 f"use a smaller --scale or image (the longer side at most about {side} here)")


def check_training(config) -> None:
    """A patch recipe's batch (``batch_size`` examples of ``patch_size`` pixels a side through
    ``depth`` layers of ``filters`` maps: VDSR's fields) fits in memory; recipes without
    those fields pass."""
    batch, patch = getattr(config, "batch_size", None), getattr(config, "patch_size", None)
    if not (isinstance(batch, int) and isinstance(patch, int)):
        return
    maps = getattr(config, "depth", 1) * getattr(config, "filters", 1)
    per_example = patch * patch * maps * 8  # float32 activations and their gradients
    most = int(memory_bytes() // per_example)
    check_memory(f"--batch-size {batch} of {patch}x{patch} patches", batch * per_example,
                 f"use a smaller --batch-size (at most about {most} here)")
