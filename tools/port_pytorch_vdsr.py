"""Convert the released weights of twtygqyy/pytorch-vdsr into the zoo's VDSR: how
``vdsr_port_pytorch_vdsr`` was made.

    git -C pytorch-vdsr cat-file blob 9ad1ea201a6dd0408a6999356b7425b54dbf8838 > model_epoch_50.pth
    python tools/port_pytorch_vdsr.py model_epoch_50.pth \\
        --out zoo/weights/files/vdsr_port_pytorch_vdsr.weights.h5

The source is ``model/model_epoch_50.pth`` of https://github.com/twtygqyy/pytorch-vdsr
(MIT licence), git blob ``9ad1ea20...``, added at commit ``5ea721f`` (2018-03-09) and
unchanged up to that repository's last commit, ``514b021``. It is a whole-model pickle of
PyTorch 0.3 in the old (non-zip) serialization: ``{"epoch": 50, "model": Net}``, with the
network's 20 bias-free 3x3 convolutions as float32 storages after the pickles.

**What it reads, and what it does not run.** A ``.pth`` file is a pickle, and loading a
pickle may run any code that the file names (``torch.load(path, weights_only=False,
encoding="latin1")``, which this format needs, does exactly that). This script never calls
``torch.load`` and needs no PyTorch:

1. it refuses any file whose sha256 is not that of the known blob (``SHA256`` below), before
   reading anything else from it (the functions take the expected sha256 as an argument, so
   that the tests can convert small files of their own);
2. it unpickles with :class:`RestrictedUnpickler`, whose ``find_class`` allows only the names
   this file uses (``collections.OrderedDict``, torch's ``_rebuild_tensor`` /
   ``_rebuild_tensor_v2`` / ``_rebuild_parameter``, ``Parameter``, ``FloatStorage``, the
   ``torch.nn`` module classes and the repository's ``Net`` / ``Conv_ReLU_Block``), each
   mapped to a small inert stand-in defined here, and refuses every other global in one line
   (``os.system``, ``builtins.eval``, ...). No code from the file or from torch runs;
3. the storages are read as raw little-endian float32 after the pickles (an int64 element
   count, then the data, in the order of the storage-key list), as torch's legacy loader does.

The converted network: pytorch-vdsr's ``Net`` (vdsr.py) is ``input`` (1 -> 64), 18
``Conv_ReLU_Block`` (64 -> 64), ``output`` (64 -> 1), each a 3x3 convolution with padding 1
and no bias, ReLU after all but the last, and the input added to the output: the zoo's
``VDSR()`` layer for layer. Kernels go from PyTorch's OIHW to Keras' HWIO (both
cross-correlate, so no flip), and the zoo's biases are set to zero. The parity check runs the
repository's forward pass in NumPy (float64) on the OIHW weights as read and compares it with
the converted Keras model on a bicubic-upsampled crop of a bundled demo image.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import pickle
import struct
import sys
from pathlib import Path

import numpy as np

SOURCE = "twtygqyy/pytorch-vdsr"
COMMIT = "5ea721fbcc7cc1c5fff12dc805c660d9fc957985"  # added the blob; unchanged up to 514b021
BLOB = "9ad1ea201a6dd0408a6999356b7425b54dbf8838"  # model/model_epoch_50.pth
SHA256 = "eab4d79ae5a6e5acef4c55e46015aed225ade207679bcb6695b07af8fb18e876"

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # torch/serialization.py, legacy format
PROTOCOL_VERSION = 1001
DEPTH = 20


class ConversionError(Exception):
    """A file this script will not read or convert; the message is one line."""


# ------------------------------------------------------------------ inert stand-ins
class Module:
    """Stands in for a ``torch.nn.Module`` subclass: only its pickled ``__dict__`` is kept."""

    torch_name = "torch.nn.Module"

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise pickle.UnpicklingError(f"{self.torch_name}: unexpected state {type(state)}")
        self.__dict__.update(state)


def _module_class(qualified: str) -> type:
    return type(qualified.rsplit(".", 1)[-1], (Module,), {"torch_name": qualified})


class StorageType:
    """Stands in for ``torch.FloatStorage`` (the only element type this file holds)."""

    def __init__(self, name: str, dtype: str):
        self.name, self.dtype = name, np.dtype(dtype)


class Storage:
    """A storage named in the pickle; ``data`` is read from the file after the pickles."""

    def __init__(self, key: str, dtype: np.dtype, numel: int):
        self.key, self.dtype, self.numel, self.data = key, dtype, numel, None


class Tensor:
    """A strided view of a storage, made into an array once the storages are read."""

    def __init__(self, storage, offset, size, stride):
        if not isinstance(storage, Storage):
            raise pickle.UnpicklingError("a tensor whose storage is not a storage")
        self.storage, self.offset = storage, int(offset)
        self.size, self.stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)

    def array(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise ConversionError(f"storage {self.storage.key} was never read")
        if len(self.size) != len(self.stride) or self.offset < 0 or min(self.stride, default=1) < 0:
            raise ConversionError(f"bad tensor layout {self.size} / {self.stride}")
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if 0 in self.size:
            return np.zeros(self.size, data.dtype)
        if last >= data.size:
            raise ConversionError(f"tensor {self.size} at {self.offset} runs past its storage "
                                  f"of {data.size} elements")
        view = np.lib.stride_tricks.as_strided(
            data[self.offset:], shape=self.size,
            strides=[s * data.itemsize for s in self.stride], writeable=False)
        return np.array(view)


class Parameter:
    """Stands in for ``torch.nn.Parameter``: keeps the tensor, ignores the autograd state."""

    def __init__(self, data=None, requires_grad=True):
        self.data = data

    def __setstate__(self, state):  # PyTorch 0.3: (requires_grad, volatile, backward_hooks)
        pass


def _rebuild_tensor(storage, storage_offset, size, stride):
    return Tensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return Tensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=True, backward_hooks=None):
    return Parameter(data)


def _no_backend():
    """``torch.nn.backends.thnn._get_thnn_function_backend()``, which 0.3 pickled per module."""
    return None


_MODULES = ["torch.nn.modules.conv.Conv2d", "torch.nn.modules.container.Sequential",
            "torch.nn.modules.activation.ReLU", "torch.nn.parallel.data_parallel.DataParallel",
            "vdsr.Net", "vdsr.Conv_ReLU_Block"]
ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch.nn.parameter", "Parameter"): Parameter,
    ("torch", "FloatStorage"): StorageType("FloatStorage", "<f4"),
    ("torch.cuda", "FloatStorage"): StorageType("FloatStorage", "<f4"),
    ("torch.nn.backends.thnn", "_get_thnn_function_backend"): _no_backend,
    **{tuple(name.rsplit(".", 1)): _module_class(name) for name in _MODULES},
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the names in :data:`ALLOWED`, to inert stand-ins.

    Storages named by the pickle (persistent ids) are collected in ``storages``, in the
    order first met; their data is read from the file afterwards (:func:`read_legacy`).
    """

    def __init__(self, file, storages: dict | None = None):
        super().__init__(file, encoding="latin1")
        self.storages = {} if storages is None else storages

    def find_class(self, module, name):
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: not one of the names a "
                "pytorch-vdsr checkpoint needs") from None

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid:
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        kind = pid[0].decode("latin1") if isinstance(pid[0], bytes) else pid[0]
        if kind == "module":  # ("module", class, source file, source): the class only
            if not (isinstance(pid[1], type) and issubclass(pid[1], Module)):
                raise pickle.UnpicklingError("a module record that names no module class")
            return pid[1]
        if kind == "storage" and len(pid) == 6:
            _, storage_type, key, _location, numel, view = pid
            if not isinstance(storage_type, StorageType):
                raise pickle.UnpicklingError(f"unexpected storage type {storage_type!r}")
            if view is not None:
                raise pickle.UnpicklingError("storage views are not supported")
            if not isinstance(numel, int) or numel < 0:
                raise pickle.UnpicklingError(f"bad storage size {numel!r}")
            key = str(key)
            if key not in self.storages:
                self.storages[key] = Storage(key, storage_type.dtype, numel)
            elif self.storages[key].numel != numel:
                raise pickle.UnpicklingError(f"storage {key} named with two sizes")
            return self.storages[key]
        raise pickle.UnpicklingError(f"unexpected persistent id of kind {kind!r}")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_legacy(path: str | Path, sha256: str):
    """The object saved in a legacy (non-zip) torch file, its tensors as :class:`Tensor`.

    The file's sha256 must equal ``sha256``, checked before anything else is read.
    """
    data = Path(path).read_bytes()
    actual = sha256_of(data)
    if actual != sha256:
        raise ConversionError(f"{path}: sha256 {actual} is not {sha256}; this script converts "
                              "only the known file and reads nothing else")
    if data[:2] == b"PK":
        raise ConversionError(f"{path}: a zip-format torch file; this reads the legacy format")
    f = io.BytesIO(data)
    try:
        if RestrictedUnpickler(f).load() != MAGIC_NUMBER:
            raise ConversionError(f"{path}: not a legacy torch file (bad magic number)")
        if RestrictedUnpickler(f).load() != PROTOCOL_VERSION:
            raise ConversionError(f"{path}: unknown torch protocol version")
        info = RestrictedUnpickler(f).load()
        if not (isinstance(info, dict) and info.get("little_endian") is True):
            raise ConversionError(f"{path}: not saved on a little-endian machine")
        storages: dict[str, Storage] = {}
        result = RestrictedUnpickler(f, storages).load()
        keys = RestrictedUnpickler(f).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as err:
        raise ConversionError(f"{path}: {err}") from None
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(storages):
        raise ConversionError(f"{path}: the storage list does not match the pickle")
    for key in map(str, keys):
        storage = storages[key]
        header = f.read(8)
        if len(header) != 8:
            raise ConversionError(f"{path}: cut short before storage {key}")
        (numel,) = struct.unpack("<q", header)
        if numel != storage.numel:
            raise ConversionError(f"{path}: storage {key} holds {numel} elements, "
                                  f"the pickle says {storage.numel}")
        raw = f.read(numel * storage.dtype.itemsize)
        if len(raw) != numel * storage.dtype.itemsize:
            raise ConversionError(f"{path}: cut short in storage {key}")
        storage.data = np.frombuffer(raw, storage.dtype).astype(np.float32)
    if f.read(1):
        raise ConversionError(f"{path}: unexpected data after the last storage")
    return result


def state_dict(saved) -> dict[str, np.ndarray]:
    """``{name: array}`` as torch's ``state_dict()`` names them, ``module.`` prefixes dropped.

    ``saved`` is a checkpoint ``{"model": module, ...}``, a module, or a state dict.
    """
    if isinstance(saved, dict) and "model" in saved:
        saved = saved["model"]
    out: dict[str, np.ndarray] = {}

    def walk(module, prefix):
        for name, value in module.__dict__.get("_parameters", {}).items():
            if value is not None:
                out[prefix + name] = _array(value, prefix + name)
        for name, value in module.__dict__.get("_buffers", {}).items():
            if value is not None:
                out[prefix + name] = _array(value, prefix + name)
        for name, child in module.__dict__.get("_modules", {}).items():
            if child is not None:
                walk(child, f"{prefix}{name}.")

    if isinstance(saved, Module):
        walk(saved, "")
    elif isinstance(saved, dict):
        out = {str(k): _array(v, k) for k, v in saved.items()}
    else:
        raise ConversionError(f"no network in the file (found {type(saved).__name__})")
    return {k.removeprefix("module."): v for k, v in out.items()}


def _array(value, name) -> np.ndarray:
    if isinstance(value, Parameter):
        value = value.data
    if not isinstance(value, Tensor):
        raise ConversionError(f"{name}: not a tensor")
    return value.array()


def pytorch_vdsr_names(depth: int = DEPTH) -> list[str]:
    """pytorch-vdsr's parameter names in the order of the zoo's conv1 ... conv{depth}."""
    return (["input.weight"] + [f"residual_layer.{i}.conv.weight" for i in range(depth - 2)]
            + ["output.weight"])


def oihw_kernels(state: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The 20 kernels (OIHW) of pytorch-vdsr's ``Net``, checked against its vdsr.py."""
    names = pytorch_vdsr_names()
    if set(state) != set(names):
        extra, missing = sorted(set(state) - set(names)), sorted(set(names) - set(state))
        raise ConversionError(f"not pytorch-vdsr's Net: extra {extra[:3]}, missing {missing[:3]}")
    kernels = [state[n] for n in names]
    shapes = [(64, 1, 3, 3)] + [(64, 64, 3, 3)] * (DEPTH - 2) + [(1, 64, 3, 3)]
    for name, kernel, shape in zip(names, kernels, shapes):
        if kernel.shape != shape:
            raise ConversionError(f"{name}: shape {kernel.shape}, expected {shape}")
        if not np.all(np.isfinite(kernel)):
            raise ConversionError(f"{name}: not finite")
    return kernels


def hwio(kernel: np.ndarray) -> np.ndarray:
    """PyTorch's (out, in, kh, kw) as Keras' (kh, kw, in, out); both cross-correlate."""
    return np.ascontiguousarray(kernel.transpose(2, 3, 1, 0), dtype=np.float32)


def keras_vdsr(kernels: list[np.ndarray]):
    """The zoo's VDSR with the OIHW ``kernels`` converted and every bias zero."""
    import zoo

    model = zoo.load("vdsr", weights=None)
    for i, kernel in enumerate(kernels, start=1):
        layer = model.get_layer(f"conv{i}")
        k = hwio(kernel)
        values = [k] + ([np.zeros(k.shape[-1], np.float32)] if layer.use_bias else [])
        layer.set_weights(values)
    return model


def _conv3x3(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``F.conv2d(x, kernel, padding=1)`` for one image, x (C, H, W), kernel OIHW."""
    c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((kernel.shape[0], h, w))
    for i in range(3):
        for j in range(3):
            out += np.einsum("oc,chw->ohw", kernel[:, :, i, j], padded[:, i:i + h, j:j + w])
    return out


def numpy_net(y: np.ndarray, kernels: list[np.ndarray]) -> np.ndarray:
    """pytorch-vdsr's ``Net.forward`` (vdsr.py) in float64 NumPy on one (H, W) image."""
    k = [np.asarray(kernel, np.float64) for kernel in kernels]
    x = np.asarray(y, np.float64)[None]
    out = np.maximum(_conv3x3(x, k[0]), 0)  # relu(input(x))
    for kernel in k[1:-1]:  # residual_layer: 18 Conv_ReLU_Block
        out = np.maximum(_conv3x3(out, kernel), 0)
    return (_conv3x3(out, k[-1]) + x)[0]  # output(out) + residual


def parity_input(size: int = 48) -> np.ndarray:
    """A bicubic-upsampled (x3) Y crop of the first bundled demo image, float32 in [0, 1]."""
    from zoo.demo import bundled_images_dir
    from zoo.image import list_images, read_image
    from zoo.sr import degrade

    _, bicubic = degrade(read_image(list_images(bundled_images_dir())[0]), 3)
    h, w = bicubic.shape
    i, j = (h - size) // 2, (w - size) // 2
    return bicubic[i:i + size, j:j + size]


def parity(model, kernels: list[np.ndarray], y: np.ndarray) -> float:
    """Max |Keras - NumPy reference| over the output of one (H, W) input."""
    keras_out = np.asarray(model(np.asarray(y, np.float32)[None, :, :, None]))[0, :, :, 0]
    return float(np.max(np.abs(keras_out - numpy_net(y, kernels))))


def convert(pth: str | Path, out: str | Path, sha256: str = SHA256) -> dict:
    """Convert ``pth`` (whose sha256 must be ``sha256``) to a Keras ``.weights.h5`` at ``out``."""
    from zoo.atomic import atomic_path

    kernels = oihw_kernels(state_dict(read_legacy(pth, sha256)))
    model = keras_vdsr(kernels)
    difference = parity(model, kernels, parity_input())
    out = Path(out)
    with atomic_path(out) as saving:  # written beside and renamed: never half a file
        model.save_weights(saving)
    return {"parity_max_abs": difference, "sha256": sha256_of(out.read_bytes()),
            "parameters": int(sum(k.size for k in kernels))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pth", help=f"{SOURCE}'s model/model_epoch_50.pth (git blob {BLOB})")
    parser.add_argument("--out", default="zoo/weights/files/vdsr_port_pytorch_vdsr.weights.h5")
    args = parser.parse_args(argv)
    try:
        report = convert(args.pth, args.out)
    except (ConversionError, OSError) as err:
        print(f"port_pytorch_vdsr: error: {err}", file=sys.stderr)
        return 2
    print(f"read {args.pth} (sha256 {SHA256}, {report['parameters']:,} weights, no biases)")
    print(f"parity, max |Keras - NumPy pytorch-vdsr| on a 48x48 crop: "
          f"{report['parity_max_abs']:.2e}")
    print(f"wrote {args.out} (sha256 {report['sha256']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
