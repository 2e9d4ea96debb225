"""The chair generator of Dosovitskiy, Springenberg, Brox, "Learning to Generate Chairs with
Convolutional Neural Networks", CVPR 2015 (arXiv:1411.5928; the PAMI 2017 version with
Tatarchenko, "Learning to Generate Chairs, Tables and Cars with Convolutional Networks").

    >>> from zoo.models.chairs.generator import ChairsGenerator
    >>> net = ChairsGenerator()                   # the 128x128 network, 809 chairs
    >>> rgb, mask = net([class_one_hot, view, transform]).values()

Inputs (Sec. 3.1): the chair's one-hot class ``c`` (809 chairs in the paper's filtered
set of Aubry et al.'s 1,393), the view ``v`` = (sin az, cos az, sin el, cos el) and the
transformation parameters ``theta`` (the augmentations applied to the target: in-plane
rotation, translation x/y, zoom, stretch x/y, hue, saturation, brightness; zeros = none).
Each goes through two fully connected layers of 512, the three are concatenated, two
fully connected layers of 1024 follow, then one of 16,384 units reshaped to 8x8x256 (NHWC
here). Up-convolution stages (2x unpooling, then a 5x5 convolution) follow: shared
8->16 (256 channels) and 16->32 (92), then two streams, RGB 32->64 (92) ->128 (3) and the
segmentation mask 32->64 (48) ->128 (1). Leaky ReLU (negative slope 0.3) after every
layer but the two outputs, which are linear: the loss is squared error on both.

Sources, and what is a decision here. The layer list above is the paper's Fig. 2 (the
128x128 network) as read for this port; the PAMI text itself could not be retrieved while
writing this, so the values marked *recalled* (the 48 channels of the mask stream, the
slope 0.3, the transformation list, Adam's settings in ``zoo.training.chairs``) are from
memory of it, and all of them are arguments. The authors' CVPR 2015 Caffe release was found
later: github.com/stokasto/caffe, branch ``chairs_deconv``, commit e32d4931 (Dosovitskiy,
2015-03-19), ``examples/chairs/used_in_paper/3_128x128_train_2.prototxt`` and its solvers
(BSD-2 Caffe licence; read, not copied). Paper (as read) against that code:

=====================  ==============================  ==================================
                       here (PAMI Fig. 2, as read)     CVPR 2015 Caffe files
=====================  ==============================  ==================================
FC streams             512 x2 each, 1024 x2, 16,384    the same (843-way one-hot there)
up-sampling            2x unpooling + 5x5 conv         5x5 transposed conv, stride 2
RGB stream             256, 92 | 92, 3                 256, 92, 92, 3 (the same widths)
mask stream            split after uconv-2: 48, 1      own FC 8192 off FC-4 -> 8x8x128,
                                                       then 92, 32, 32, 3
non-linearity          leaky ReLU 0.3                  ReLU
loss                   squared error, RGB x10, mask x1 the same (Euclidean, 10 : 1)
RGB target             render on white                 image x mask (black background)
optimiser              Adam 5e-4, batch 64             SGD momentum 0.9, batch 128, 64x64
                                                       for 300k steps (2e-4 down to 2e-5),
                                                       then 128x128 50k steps (5e-5 down)
augmentations          9 parameters, fed zeros         zoom, squeeze, translate, rotate,
                                                       brightness, saturation, hue
=====================  ==============================  ==================================

The choice: the published figure's unpool+conv layout (the paper's "uconv", and what the
lecture shows) is the default, ``width="paper"``; the released definition is
``width="caffe"`` (:data:`CAFFE`: transposed convolutions, ReLU, the mask stream off FC-4
with its own FC of 8,192 units; one mask channel here where the Caffe files predict the
mask as a 3-channel image), so both can be trained with the same recipe.
``image_size=64`` (one stage fewer, the paper's 64x64 network) and all widths are
arguments, so a small net for a CPU budget is the same code.

Unpooling (Sec. 3.1, after Zeiler et al.): each value goes to the top-left of its 2x2
block, zeros elsewhere; built from RESHAPE and CONCATENATION on 4-D tensors with a static
size, which convert to TFLite builtins (:class:`Unpool2D`).
"""

from __future__ import annotations

import keras
from keras import layers, ops

NUM_CHAIRS = 809  # the paper's chairs after removing near-duplicates (Sec. 4)
VIEW_DIM = 4  # sin/cos of azimuth and elevation (Sec. 3.1)
TRANSFORMS = ("rotation", "shift_x", "shift_y", "zoom", "stretch_x", "stretch_y", "hue",
              "saturation", "brightness")  # Sec. 3.3 (recalled); the Caffe data_aug layer's set
FC_UNITS = 512  # FC-1..FC-3, one stream per input (Fig. 2)
JOINT_UNITS = 1024  # FC-4, FC-5 (Fig. 2)
START = (8, 256)  # FC-6: 16,384 units reshaped to 8x8x256 (Fig. 2)
SHARED = (256, 92)  # uconv-1, uconv-2 (Fig. 2; the Caffe files' deconv6/7)
RGB = (92,)  # uconv-3 of the RGB stream, then 3 channels (Caffe deconv8: 92)
MASK = (48,)  # uconv-3 of the mask stream, then 1 (recalled; Caffe: 92, 32, 32 off FC-4)
KERNEL = 5  # 5x5 convolutions after each unpooling (Sec. 3.1)
SLOPE = 0.3  # leaky ReLU's negative slope (recalled; the Caffe files use ReLU)

PAPER = dict(num_chairs=NUM_CHAIRS, image_size=128, fc_units=FC_UNITS,
             joint_units=JOINT_UNITS, start_channels=START[1], shared=SHARED, rgb=RGB,
             mask=MASK)

CAFFE = dict(num_chairs=NUM_CHAIRS, image_size=128, fc_units=FC_UNITS,
             joint_units=JOINT_UNITS, start_channels=START[1], shared=(),
             rgb=(256, 92, 92),  # deconv6, deconv7, deconv8_new, then deconv9_new to RGB
             mask=(92, 32, 32),  # deconv6_segm .. deconv8_segm_new, then to the mask
             mask_fc=8192,  # fc5_segm off fc4, reshaped to 8x8x128
             upsampling="transposed", slope=0.0)
"""The authors' released CVPR 2015 definition (stokasto/caffe ``chairs_deconv`` e32d4931,
``examples/chairs/used_in_paper/3_128x128_train_2.prototxt``); their one-hot has 843
chairs, the paper's text 809."""
UPSAMPLING = ("unpool", "transposed")


@keras.saving.register_keras_serializable(package="zoo")
class Unpool2D(layers.Layer):
    """2x unpooling: ``out[2i, 2j] = x[i, j]``, the other three of each 2x2 block zero.

    Needs a static height, width and channels (the generator's are fixed); the batch may be
    dynamic. Only RESHAPE, ZEROS_LIKE and CONCATENATION of 4-D tensors: TFLite builtins.
    """

    def call(self, x):
        _, h, w, c = x.shape
        x = ops.reshape(x, (-1, h * w, 1, c))
        x = ops.concatenate([x, ops.zeros_like(x)], axis=2)  # each pixel then a zero
        x = ops.reshape(x, (-1, h, 1, 2 * w * c))
        x = ops.concatenate([x, ops.zeros_like(x)], axis=2)  # each row then a zero row
        return ops.reshape(x, (-1, 2 * h, 2 * w, c))

    def compute_output_shape(self, shape):
        b, h, w, c = shape
        return (b, 2 * h, 2 * w, c)


WIDTHS = ("paper", "small", "caffe")


def widths(width: str = "paper", image_size: int = 128) -> dict:
    """The builder's width arguments: ``"paper"`` (Fig. 2; at 64 px the last shared stage
    is dropped, a decision: the paper's 64x64 net is not described layer by layer) or
    ``"small"`` (a CPU budget: FC 128 / 256, 8x8x32, then 64 (48) / 32 / 16 channels) or
    ``"caffe"`` (:data:`CAFFE`; smaller sizes keep the first stages, as the Caffe files'
    64x64 net: RGB 256, 92 and mask 92, 32), for ``image_size`` 32, 64 or 128."""
    n = stages(image_size, (), (), ()) if image_size in (32, 64, 128) else None
    if n is None:
        raise ValueError(f"image_size must be 32, 64 or 128, got {image_size}")
    if width == "paper":
        base = dict(fc_units=FC_UNITS, joint_units=JOINT_UNITS, start_channels=START[1],
                    shared=SHARED, rgb=RGB, mask=MASK)
    elif width == "small":
        base = dict(fc_units=128, joint_units=256, start_channels=32, shared=(64, 48),
                    rgb=(32,), mask=(16,))
    elif width == "caffe":
        base = {k: v for k, v in CAFFE.items() if k not in ("num_chairs", "image_size")}
        base["rgb"], base["mask"] = base["rgb"][:n - 1], base["mask"][:n - 1]
        return {**base, "image_size": image_size}
    else:
        raise ValueError(f"width must be one of {WIDTHS}, got {width!r}")
    keep = n - 1 - len(base["rgb"])  # the shared stages this size has room for
    base["shared"] = base["shared"][:keep] if keep > 0 else ()
    return {**base, "image_size": image_size}


def unpool_numpy(x):
    """The reference: NumPy's ``out[:, ::2, ::2] = x``."""
    import numpy as np

    b, h, w, c = x.shape
    out = np.zeros((b, 2 * h, 2 * w, c), x.dtype)
    out[:, ::2, ::2] = x
    return out


def _activation(x, name, slope):
    """Leaky ReLU, or ReLU where the slope is 0 (the Caffe files)."""
    if slope == 0:
        return layers.ReLU(name=f"{name}_relu")(x)
    return layers.LeakyReLU(negative_slope=slope, name=f"{name}_lrelu")(x)


def _dense(x, units, name, slope):
    return _activation(layers.Dense(units, name=name)(x), name, slope)


def _uconv(x, filters, name, slope, kernel, upsampling="unpool", activation=True):
    """2x up: unpooling + a ``kernel`` convolution (the paper's figure), or one transposed
    convolution of stride 2 (the Caffe files' DECONVOLUTION, 5x5, pad 2, output 2x)."""
    if upsampling == "transposed":
        x = layers.Conv2DTranspose(filters, kernel, strides=2, padding="same", name=name)(x)
    else:
        x = Unpool2D(name=f"{name}_unpool")(x)
        x = layers.Conv2D(filters, kernel, padding="same", name=name)(x)
    return _activation(x, name, slope) if activation else x


def stages(image_size: int, shared, rgb, mask) -> int:
    """How many unpooling stages ``image_size`` needs from 8x8, checked against the widths."""
    if not shared and not rgb and not mask:  # only the count
        n, size = 0, image_size
        while size > START[0] and size % 2 == 0:
            size, n = size // 2, n + 1
        return n
    n, size = 0, image_size
    while size > START[0] and size % 2 == 0:
        size, n = size // 2, n + 1
    if size != START[0]:
        raise ValueError(f"image_size must be 8 times a power of 2, got {image_size}")
    if len(shared) + len(rgb) + 1 != n or len(rgb) != len(mask):
        raise ValueError(f"{image_size}x{image_size} needs {n} up-convolutions: len(shared) + "
                         f"len(rgb) + 1 == {n} and len(rgb) == len(mask), got {len(shared)}, "
                         f"{len(rgb)}, {len(mask)}")
    return n


def ChairsGenerator(num_chairs: int = NUM_CHAIRS, image_size: int = 128,
                    fc_units: int = FC_UNITS, joint_units: int = JOINT_UNITS,
                    start_channels: int = START[1], shared=SHARED, rgb=RGB, mask=MASK,
                    transform_dim: int = len(TRANSFORMS), kernel: int = KERNEL,
                    slope: float = SLOPE, upsampling: str = "unpool", mask_fc: int = 0,
                    name: str = "chairs_generator") -> keras.Model:
    """The generator: ``[class (B, num_chairs), view (B, 4), transform (B, transform_dim)]``
    -> ``{"rgb": (B, S, S, 3), "mask": (B, S, S, 1)}``, ``S = image_size``.

    ``mask_fc`` > 0 gives the mask stream its own FC layer of that many units off the last
    joint layer, reshaped to 8x8x(mask_fc / 64), instead of branching after ``shared``
    (the Caffe files); ``upsampling`` is ``"unpool"`` or ``"transposed"``."""
    shared, rgb, mask = tuple(shared), tuple(rgb), tuple(mask)
    stages(image_size, shared, rgb, mask)
    if upsampling not in UPSAMPLING:
        raise ValueError(f"upsampling must be one of {UPSAMPLING}, got {upsampling!r}")
    if mask_fc and mask_fc % (START[0] * START[0]):
        raise ValueError(f"mask_fc must be a multiple of {START[0] * START[0]}, got {mask_fc}")
    c = keras.Input((num_chairs,), name="chair")
    v = keras.Input((VIEW_DIM,), name="view")
    t = keras.Input((transform_dim,), name="transform")
    streams = []
    for tensor, label in ((c, "class"), (v, "view"), (t, "transform")):
        x = _dense(tensor, fc_units, f"fc_{label}_1", slope)
        streams.append(_dense(x, fc_units, f"fc_{label}_2", slope))
    x = layers.Concatenate(name="joint")(streams)
    x = _dense(x, joint_units, "fc_joint_1", slope)
    joint = _dense(x, joint_units, "fc_joint_2", slope)
    x = _dense(joint, START[0] * START[0] * start_channels, "fc_image", slope)
    x = layers.Reshape((START[0], START[0], start_channels), name="reshape")(x)
    for i, filters in enumerate(shared):
        x = _uconv(x, filters, f"uconv_{i + 1}", slope, kernel, upsampling)
    starts = {"rgb": x, "mask": x}
    if mask_fc:
        m = _dense(joint, mask_fc, "fc_mask", slope)
        starts["mask"] = layers.Reshape((START[0], START[0], mask_fc // START[0] ** 2),
                                        name="reshape_mask")(m)
    outputs = {}
    for label, widths, channels in (("rgb", rgb, 3), ("mask", mask, 1)):
        y = starts[label]
        for i, filters in enumerate(widths):
            y = _uconv(y, filters, f"uconv_{label}_{len(shared) + i + 1}", slope, kernel,
                       upsampling)
        outputs[label] = _uconv(y, channels, label, slope, kernel, upsampling,
                                activation=False)
    return keras.Model([c, v, t], outputs, name=name)


def build(**config) -> keras.Model:
    """``zoo.load("chairs")``'s builder: :func:`ChairsGenerator` with ``config``."""
    return ChairsGenerator(**config)


def config_of(model: keras.Model) -> dict:
    """What the net takes and gives: chairs, image size, transformation parameters."""
    chair, _, transform = model.inputs
    return {"num_chairs": int(chair.shape[-1]), "image_size": int(model.outputs[0].shape[1]),
            "transform_dim": int(transform.shape[-1])}


__all__ = ["ChairsGenerator", "Unpool2D", "build", "config_of", "stages", "unpool_numpy",
           "CAFFE", "NUM_CHAIRS", "PAPER", "TRANSFORMS", "UPSAMPLING", "VIEW_DIM", "WIDTHS",
           "widths"]
