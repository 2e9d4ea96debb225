"""The ported preset ``vdsr_port_pytorch_vdsr`` and its conversion (tools/port_pytorch_vdsr.py).

The conversion reads PyTorch's legacy (non-zip) serialization with a restricted unpickler and
no PyTorch. The files converted here are written by this test, opcode by opcode, in the two
shapes that format takes: a whole model pickled by PyTorch 0.3 (the shape of pytorch-vdsr's
released ``model_epoch_50.pth``) and a state dict of later versions (``_rebuild_tensor_v2``).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import pickle
import struct
import sys

import numpy as np
import pytest
from conftest import REPO

import zoo
from zoo.errors import WeightsError
from zoo.models.vdsr.presets import BICUBIC_SET5, DEFAULT, PRESETS, SET5
from zoo.weights import registry

PORTED = "vdsr_port_pytorch_vdsr"


def _load_tool():
    spec = importlib.util.spec_from_file_location("port_pytorch_vdsr",
                                                  REPO / "tools" / "port_pytorch_vdsr.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


port = _load_tool()


# ------------------------------------------------- a writer of the legacy format (opcodes)
def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _str(s: str) -> bytes:
    return b"X" + struct.pack("<I", len(s.encode())) + s.encode()


def _int(n: int) -> bytes:
    return b"J" + struct.pack("<i", n)


def _tuple(*items: bytes) -> bytes:
    return b"(" + b"".join(items) + b"t"


def _ordered_dict(items: list[tuple[str, bytes]]) -> bytes:
    body = b"".join(_str(k) + v for k, v in items)
    return _global("collections", "OrderedDict") + b")R" + (b"(" + body + b"u" if items else b"")


class LegacyWriter:
    """Builds a legacy torch file: five pickles, then the storages' raw data."""

    def __init__(self):
        self.storages: list[tuple[str, np.ndarray]] = []

    def storage(self, flat: np.ndarray) -> bytes:
        key = str(1000 + len(self.storages))
        self.storages.append((key, np.asarray(flat, "<f4").ravel()))
        return _tuple(_str("storage"), _global("torch", "FloatStorage"), _str(key),
                      _str("cpu"), _int(flat.size), b"N") + b"Q"

    def tensor_v1(self, storage: bytes, offset, size, stride) -> bytes:  # PyTorch 0.3
        return _global("torch._utils", "_rebuild_tensor") + _tuple(
            storage, _int(offset), _tuple(*map(_int, size)), _tuple(*map(_int, stride))) + b"R"

    def tensor_v2(self, storage: bytes, offset, size, stride) -> bytes:  # PyTorch >= 0.4
        return _global("torch._utils", "_rebuild_tensor_v2") + _tuple(
            storage, _int(offset), _tuple(*map(_int, size)), _tuple(*map(_int, stride)),
            b"\x89", _ordered_dict([])) + b"R"

    def parameter_v1(self, array: np.ndarray) -> bytes:
        strides = [s // 4 for s in np.zeros(array.shape, np.float32).strides]
        tensor = self.tensor_v1(self.storage(array), 0, array.shape, strides)
        return (_global("torch.nn.parameter", "Parameter") + _tuple(tensor) + b"R"
                + b"\x88\x89N\x87b")  # BUILD (requires_grad, volatile, hooks), as 0.3 did

    def module(self, cls: str, parameters: dict, modules: dict) -> bytes:
        module, name = cls.rsplit(".", 1)
        new = _tuple(_str("module"), _global(module, name), _str("file.py"), _str("source")) \
            + b"Q)\x81"
        state = (b"}(" + _str("_parameters") + _ordered_dict(list(parameters.items()))
                 + _str("_buffers") + _ordered_dict([])
                 + _str("_modules") + _ordered_dict(list(modules.items()))
                 + _str("training") + b"\x88u")
        return new + state + b"b"

    def file(self, main: bytes) -> bytes:
        head = b"".join(pickle.dumps(x, protocol=2) for x in (
            port.MAGIC_NUMBER, port.PROTOCOL_VERSION,
            {"protocol_version": 1001, "little_endian": True,
             "type_sizes": {"int": 4, "short": 2, "long": 4}}))
        keys = pickle.dumps([k for k, _ in self.storages], protocol=2)
        data = b"".join(struct.pack("<q", a.size) + a.tobytes() for _, a in self.storages)
        return head + b"\x80\x02" + main + b"." + keys + data


def pytorch_vdsr_file(kernels: list[np.ndarray]) -> bytes:
    """A whole ``Net`` of pytorch-vdsr as PyTorch 0.3 pickled it, with these OIHW kernels."""
    w = LegacyWriter()

    def conv(kernel):
        return w.module("torch.nn.modules.conv.Conv2d",
                        {"weight": w.parameter_v1(kernel), "bias": b"N"}, {})

    relu = w.module("torch.nn.modules.activation.ReLU", {}, {})
    blocks = {str(i): w.module("vdsr.Conv_ReLU_Block", {}, {"conv": conv(k), "relu": relu})
              for i, k in enumerate(kernels[1:-1])}
    net = w.module("vdsr.Net", {}, {
        "residual_layer": w.module("torch.nn.modules.container.Sequential", {}, blocks),
        "input": conv(kernels[0]), "output": conv(kernels[-1]), "relu": relu})
    return w.file(b"}(" + _str("epoch") + _int(50) + _str("model") + net + b"u")


def he_kernels(seed=0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = [(64, 1, 3, 3)] + [(64, 64, 3, 3)] * 18 + [(1, 64, 3, 3)]
    return [(rng.standard_normal(s) * np.sqrt(2 / (9 * s[0]))).astype(np.float32) for s in shapes]


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path, port.sha256_of(data)


# ------------------------------------------------------------------ the restricted reader
def test_the_unpickler_refuses_any_other_global_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    evil = b"\x80\x02" + _global("os", "system") + _tuple(_str(f"touch {marker}")) + b"R."
    with pytest.raises(pickle.UnpicklingError,
                       match=r"^refusing to load global os\.system: not one of the names"):
        port.RestrictedUnpickler(io.BytesIO(evil)).load()
    path, digest = write(tmp_path, "evil.pth", evil)
    with pytest.raises(port.ConversionError) as info:
        port.read_legacy(path, digest)
    assert "refusing to load global os.system" in str(info.value)
    assert "\n" not in str(info.value)
    for module, name in [("builtins", "eval"), ("__builtin__", "getattr"), ("torch", "load"),
                         ("numpy", "load"), ("vdsr", "main")]:
        data = b"\x80\x02" + _global(module, name) + b"."
        with pytest.raises(pickle.UnpicklingError, match=f"refusing to load global {module}"):
            port.RestrictedUnpickler(io.BytesIO(data)).load()
    assert not marker.exists()


def test_a_file_with_another_sha256_is_not_read(tmp_path):
    path, _ = write(tmp_path, "model.pth", b"\x80\x02" + _global("os", "system") + b".")
    with pytest.raises(port.ConversionError, match="is not " + port.SHA256):
        port.read_legacy(path, port.SHA256)
    assert port.main([str(path), "--out", str(tmp_path / "x.weights.h5")]) == 2
    assert not (tmp_path / "x.weights.h5").exists()


def test_a_legacy_state_dict_reads_to_the_arrays_written(tmp_path):
    """Two tensors: one contiguous, one a transposed view at an offset of a shared storage."""
    w = LegacyWriter()
    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    shared = np.arange(10, dtype=np.float32) - 4.5
    storage = w.storage(shared)
    main = _ordered_dict([
        ("module.a", w.tensor_v2(w.storage(a), 0, (2, 3), (3, 1))),
        ("module.b", w.tensor_v2(storage, 1, (3, 2), (1, 3))),  # shared[1:7].reshape(2, 3).T
        ("module.c", w.tensor_v2(storage, 4, (2,), (1,)))])
    path, digest = write(tmp_path, "state.pth", w.file(main))
    state = port.state_dict(port.read_legacy(path, digest))
    assert list(state) == ["a", "b", "c"]  # the DataParallel prefix dropped
    np.testing.assert_array_equal(state["a"], a)
    np.testing.assert_array_equal(state["b"], shared[1:7].reshape(2, 3).T)
    np.testing.assert_array_equal(state["c"], shared[4:6])


def test_a_tensor_past_its_storage_or_a_cut_file_is_refused(tmp_path):
    w = LegacyWriter()
    main = _ordered_dict([("a", w.tensor_v2(w.storage(np.zeros(4, np.float32)), 2, (3,), (1,)))])
    path, digest = write(tmp_path, "past.pth", w.file(main))
    with pytest.raises(port.ConversionError, match="runs past its storage"):
        port.state_dict(port.read_legacy(path, digest))
    data = path.read_bytes()[:-3]
    cut, digest = write(tmp_path, "cut.pth", data)
    with pytest.raises(port.ConversionError, match="cut short"):
        port.read_legacy(cut, digest)


# ------------------------------------------------------------------ conversion and parity
def test_a_pytorch_vdsr_model_converts_and_matches_its_numpy_forward_pass(tmp_path):
    """The 0.3 whole-model pickle of ``Net`` -> the zoo's VDSR, the same function to 1e-5."""
    kernels = he_kernels()
    path, digest = write(tmp_path, "model_epoch_50.pth", pytorch_vdsr_file(kernels))
    state = port.state_dict(port.read_legacy(path, digest))
    assert sorted(state) == sorted(port.pytorch_vdsr_names())
    for got, want in zip(port.oihw_kernels(state), kernels):
        np.testing.assert_array_equal(got, want)
    out = tmp_path / "ported.weights.h5"
    report = port.convert(path, out, sha256=digest)
    assert report["parity_max_abs"] < 1e-5
    model = zoo.load("vdsr", weights=out)
    y = port.parity_input(32)
    reference = port.numpy_net(y, kernels)
    np.testing.assert_allclose(np.asarray(model(y[None, :, :, None]))[0, :, :, 0], reference,
                               atol=1e-5)
    for i in range(1, 21):
        assert not np.any(model.get_layer(f"conv{i}").bias.numpy())
    # the conversion is deterministic: the same file gives the same bytes
    again = port.convert(path, tmp_path / "again.weights.h5", sha256=digest)
    assert again["sha256"] == report["sha256"]


def test_the_shipped_port_matches_its_numpy_forward_pass():
    """The shipped file, read back into OIHW, against pytorch-vdsr's forward pass in NumPy."""
    model = zoo.load(PORTED)
    kernels = [model.get_layer(f"conv{i}").kernel.numpy().transpose(3, 2, 0, 1)
               for i in range(1, 21)]
    assert all(not np.any(model.get_layer(f"conv{i}").bias.numpy()) for i in range(1, 21))
    assert port.parity(model, kernels, port.parity_input()) < 1e-5


# ------------------------------------------------------------------ the preset
def test_the_ported_preset_is_checked_by_its_sha256():
    preset = registry.available_presets()[PORTED]
    assert registry.resolve_weights(preset).name == "vdsr_port_pytorch_vdsr.weights.h5"
    wrong = dataclasses.replace(preset, sha256="0" * 64)
    with pytest.raises(WeightsError, match="does not match preset"):
        registry.resolve_weights(wrong)
    assert preset.origin == "ported from twtygqyy/pytorch-vdsr@5ea721f (MIT)"
    card = (REPO / "zoo" / "weights" / "cards" / preset.card).read_text()
    for needed in (preset.sha256, port.SHA256, port.BLOB, port.COMMIT, "MIT License",
                   "Copyright (c) 2017-     Jiu XU"):
        assert needed in card, needed


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PRESETS))
def test_each_vdsr_preset_gives_its_set5_figures(set5, name):
    """The Set5 PSNRs (x2, x3, x4) in the preset's metrics and card, measured by zoo eval's code."""
    from zoo.image import list_images
    from zoo.sr import evaluate, keras_predictor

    table = evaluate(list_images(set5), [2, 3, 4], keras_predictor(zoo.load(name)),
                     progress=False)
    measured = [table[str(s)]["model"]["psnr"] for s in (2, 3, 4)]
    assert [table[str(s)]["bicubic"]["psnr"] for s in (2, 3, 4)] == pytest.approx(
        BICUBIC_SET5, abs=0.01)
    assert measured == pytest.approx(PRESETS[name]["metrics"][SET5], abs=0.01)
    card = (REPO / "zoo" / "weights" / "cards" / PRESETS[name]["card"]).read_text()
    assert " / ".join(f"{v:.2f}" for v in PRESETS[name]["metrics"][SET5]) in card


def test_the_default_is_the_preset_with_the_best_set5_figures_at_every_scale(capsys):
    default = registry.presets("vdsr")[0]
    assert default.name == DEFAULT == PORTED
    for other in PRESETS.values():
        assert all(a >= b for a, b in zip(default.metrics[SET5], other["metrics"][SET5]))
    from zoo.cli.main import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert (f"    default: {PORTED} (best Set5 PSNR of the VDSR presets at x2, x3 and x4: "
            "37.59 / 33.75 / 31.43 dB") in out
    assert "[bundled; ported from twtygqyy/pytorch-vdsr@5ea721f (MIT)]" in out
    assert "vdsr_291_h200    [bundled; trained here]" in out
