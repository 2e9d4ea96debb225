"""TensorFlow's C++ start-up lines are dropped; nothing else written to stderr is lost."""

import os

import pytest

from zoo.native_output import QUANTIZER_SETTINGS, TENSORFLOW_STARTUP, held_stderr

from conftest import run_zoo

STARTUP = (b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
           b"I0000 00:00:1795777699.541847    9147 port.cc:153] oneDNN custom operations are on.\n"
           b"I0000 00:00:1795777699.543815    9147 cudart_stub.cc:31] Could not find cuda drivers\n")
ERROR = b"E0000 00:00:1795777748.622582    9233 cuda_platform.cc:52] failed call to cuInit\n"


def test_held_stderr_drops_only_the_noise(capfd):
    with held_stderr(drop=TENSORFLOW_STARTUP):
        os.write(2, STARTUP + b"a real warning\n" + ERROR)
    assert capfd.readouterr().err == "a real warning\n" + ERROR.decode()
    with held_stderr(drop=QUANTIZER_SETTINGS):
        os.write(2, b"fully_quantize: 0, inference_type: 6, input_inference_type: FLOAT32\n")
    assert capfd.readouterr().err == ""


def test_held_stderr_writes_everything_back_when_the_block_fails(capfd):
    with pytest.raises(ImportError):
        with held_stderr(drop=TENSORFLOW_STARTUP):
            os.write(2, STARTUP)
            raise ImportError("libtensorflow_cc.so.2: cannot open shared object file")
    assert capfd.readouterr().err == STARTUP.decode()


def test_cli_tensorflow_import_is_quiet_but_its_failure_is_not(tmp_path):
    """`zoo` drops TensorFlow's start-up lines only: a broken TensorFlow shows them and its error.

    (A stand-in ``tensorflow`` package that prints like the real one, then fails, keeps this fast;
    the real start-up lines are checked in test_sr_cli's upscale test.)
    """
    from PIL import Image

    fake = tmp_path / "site" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        f"import os\nos.write(2, {STARTUP!r})\nraise ImportError('libtensorflow_cc.so.2: missing')\n")
    Image.new("RGB", (8, 8)).save(tmp_path / "in.png")
    missing = run_zoo("upscale", str(tmp_path / "nope.png"), str(tmp_path / "out.png"),
                      "--scale", "2", env={"PYTHONPATH": str(tmp_path / "site")})
    assert missing.stderr.strip() == f"zoo: error: {tmp_path / 'nope.png'}: no such file"
    broken = run_zoo("upscale", str(tmp_path / "in.png"), str(tmp_path / "out.png"),
                     "--scale", "2", env={"PYTHONPATH": str(tmp_path / "site")})
    assert broken.returncode != 0
    assert STARTUP.decode() in broken.stderr and "libtensorflow_cc.so.2: missing" in broken.stderr
