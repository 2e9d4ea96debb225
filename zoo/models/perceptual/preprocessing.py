"""The input conversion that ImageNet-trained VGG weights expect, as a Keras layer.

Simonyan and Zisserman's VGG networks were trained in Caffe on BGR images in
0..255 with the mean pixel of the ImageNet training set subtracted;
``keras.applications`` ports those weights and calls this ``mode="caffe"``
(``keras.applications.vgg19.preprocess_input``). The zoo's images are RGB floats
in [0, 1], so the extractors take those and convert inside the model.
"""

from __future__ import annotations

import keras
from keras import ops

IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)
"""The ImageNet mean pixel in B, G, R order on the 0..255 scale, the values of
``keras.applications.imagenet_utils.preprocess_input(mode="caffe")`` (Simonyan
and Zisserman, ICLR 2015, Sec. 2.1: "subtracting the mean RGB value, computed on
the training set, from each pixel")."""


@keras.saving.register_keras_serializable(package="zoo")
class CaffePreprocessing(keras.layers.Layer):
    """``[0, 1]`` RGB images -> 0..255 BGR minus :data:`IMAGENET_MEAN_BGR`.

    Equal to ``keras.applications.vgg19.preprocess_input(255 * images)``, built
    from ``keras.ops`` (reverse and subtract), so it runs on every backend and
    stays differentiable for image optimisation.
    """

    def call(self, images):
        bgr = ops.flip(images, axis=-1) * 255.0
        return bgr - ops.convert_to_tensor(IMAGENET_MEAN_BGR, dtype=bgr.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape
