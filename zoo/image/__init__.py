"""Image reading and writing, MATLAB-compatible resizing and colour, SR metrics.

Pure NumPy and Pillow: nothing here imports TensorFlow or Keras.
"""

from zoo.image.color import luminance, rgb2ycbcr, ycbcr2rgb
from zoo.image.io import as_rgb, as_rgb01, list_images, read_image, to_uint8, write_image
from zoo.image.metrics import modcrop, psnr, shave, ssim
from zoo.image.resize import imresize

__all__ = ["as_rgb", "as_rgb01", "imresize", "list_images", "luminance", "modcrop", "psnr", "read_image",
           "rgb2ycbcr", "shave", "ssim", "to_uint8", "write_image", "ycbcr2rgb"]
