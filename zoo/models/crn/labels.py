"""Semantic layouts: the Cityscapes classes the paper uses, and reading layout images.

Classes. The official code (github.com/CQFIO/PhotographicImageSynthesis at a44fd22,
``datasets/cityscapes.json`` and ``helper.get_semantic_map``) feeds 20 channels: one per
colour of the 19-entry Cityscapes palette, which are the 19 evaluation classes
(``trainId`` 0-18 of cityscapesScripts' ``helpers/labels.py``), and a void channel, ``1 -
sum`` of the others (every pixel of another colour). This module numbers them the same way:
channel ``c`` is trainId ``c``, channel 19 is void.

Mapping from the ``labelIds`` of ``gtFine/*_labelIds.png`` and of TFDS's
``segmentation_label`` (cityscapesScripts' ``labels.py``: ``id -> trainId``)::

    7 road -> 0        8 sidewalk -> 1      11 building -> 2     12 wall -> 3
    13 fence -> 4      17 pole -> 5         19 traffic light -> 6  20 traffic sign -> 7
    21 vegetation -> 8 22 terrain -> 9      23 sky -> 10         24 person -> 11
    25 rider -> 12     26 car -> 13         27 truck -> 14       28 bus -> 15
    31 train -> 16     32 motorcycle -> 17  33 bicycle -> 18     every other id -> void (19)

Layout images (``zoo synth``; :func:`read_layout`), a choice:

* a one-channel (grey, mode L) PNG holds **trainIds** (0-18; 255 and every value over 18
  are void), or with ``ids="label"`` the labelIds of a ``*_gtFine_labelIds.png``;
* an RGB (or palette-mode) PNG is **colour-coded** with the Cityscapes palette (:data:`PALETTE`, the code's
  colours); black (0, 0, 0) is void. Any other colour is an error (a JPEG's blurred edges,
  a photo): save layouts as PNG with exact colours.
"""

from __future__ import annotations

import numpy as np

from zoo.errors import ImageError

CLASSES = ("road", "sidewalk", "building", "wall", "fence", "pole", "traffic light",
           "traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car", "truck",
           "bus", "train", "motorcycle", "bicycle", "void")
VOID = 19
NUM_CLASSES = len(CLASSES)  # 20: the code's label placeholder [None, None, None, 20]

PALETTE = np.array([[128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156],
                    [190, 153, 153], [153, 153, 153], [250, 170, 30], [220, 220, 0],
                    [107, 142, 35], [152, 251, 152], [70, 130, 180], [220, 20, 60],
                    [255, 0, 0], [0, 0, 142], [0, 0, 70], [0, 60, 100], [0, 80, 100],
                    [0, 0, 230], [119, 11, 32], [0, 0, 0]], np.uint8)
"""RGB per class, trainId order (datasets/cityscapes.json of the code), void black."""

LABEL_TO_TRAIN = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10,
                  24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
"""cityscapesScripts labels.py, ``id -> trainId`` for the 19 classes; the rest are void."""


def label_id_table() -> np.ndarray:
    """A 256-entry table ``labelId -> channel`` (void for every id not in the mapping)."""
    table = np.full(256, VOID, np.uint8)
    for label, train in LABEL_TO_TRAIN.items():
        table[label] = train
    return table


def train_id_table() -> np.ndarray:
    """A 256-entry table ``trainId -> channel``: 0-18 kept, everything else void."""
    table = np.full(256, VOID, np.uint8)
    table[:VOID] = np.arange(VOID)
    return table


def one_hot(ids: np.ndarray, classes: int = NUM_CLASSES) -> np.ndarray:
    """``(..., H, W)`` channel ids -> ``(..., H, W, classes)`` float32."""
    return np.eye(classes, dtype=np.float32)[np.asarray(ids, np.intp)]


def colorize(ids: np.ndarray) -> np.ndarray:
    """Channel ids ``(H, W)`` -> the palette's RGB ``(H, W, 3)`` uint8."""
    return PALETTE[np.asarray(ids, np.intp)]


def ids_from_colors(rgb: np.ndarray, name: str = "layout") -> np.ndarray:
    """A colour-coded layout ``(H, W, 3)`` uint8 -> channel ids; a one-line error for colours
    off the palette."""
    rgb = np.asarray(rgb)[..., :3].astype(np.int32)
    code = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    palette = (PALETTE[:, 0].astype(np.int32) << 16) | (PALETTE[:, 1].astype(np.int32) << 8) \
        | PALETTE[:, 2]
    order = np.argsort(palette)
    where = np.searchsorted(palette[order], code).clip(0, len(palette) - 1)
    found = palette[order][where] == code
    if not found.all():
        bad = rgb[~found][0]
        raise ImageError(f"{name}: {int((~found).sum())} pixels have colours off the Cityscapes "
                         f"palette (first: {tuple(int(v) for v in bad)}); give exact palette "
                         "colours in a PNG, or one channel of trainIds")
    return order[where].astype(np.uint8)


def layout_ids(image: np.ndarray, ids: str = "train", name: str = "layout") -> np.ndarray:
    """Channel ids ``(H, W)`` of a layout image as read (module docstring)."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ImageError(f"{name}: a layout is an 8-bit PNG (got {image.dtype} pixels)")
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        if ids not in ("train", "label"):
            raise ImageError(f"ids must be train or label, not {ids!r}")
        table = train_id_table() if ids == "train" else label_id_table()
        return table[image]
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        return ids_from_colors(image, name)
    raise ImageError(f"{name}: a layout has one channel of ids or three of palette colours "
                     f"(shape {image.shape})")


def read_layout(path, ids: str = "train") -> np.ndarray:
    """Channel ids ``(H, W)`` of the layout image at ``path``, read by
    :func:`zoo.image.read_image` (one-line errors for missing, broken, huge or 16-bit files;
    a palette-mode PNG becomes its colours, which must then be the Cityscapes palette's)."""
    from zoo.image import read_image

    return layout_ids(read_image(path), ids, str(path))


def nearest_resize(ids: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an id map (pixel centres), no new labels."""
    h, w = ids.shape
    rows = np.minimum(((np.arange(size[0]) + 0.5) * h / size[0]).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(size[1]) + 0.5) * w / size[1]).astype(np.intp), w - 1)
    return ids[rows][:, cols]


__all__ = ["CLASSES", "LABEL_TO_TRAIN", "NUM_CLASSES", "PALETTE", "VOID", "colorize",
           "ids_from_colors", "label_id_table", "layout_ids", "nearest_resize", "one_hot",
           "read_layout", "train_id_table"]
