"""MediaPipe's face detection, face mesh and iris models, taken out of the mediapipe wheel.

The eye finder (:mod:`zoo.models.deepwarp.facemesh`) runs three TFLite files that Google
publishes under Apache-2.0 inside the ``mediapipe==0.10.21`` wheel, the last release that
bundles them (later wheels ship no face models). Installing mediapipe is not needed and
would clash with TensorFlow 2.21 (it pins ``numpy<2`` and ``protobuf<5``), so the wheel is
downloaded with ``pip download --no-deps`` into a temporary folder, its sha256 checked,
and only these files are extracted:

=========================  ====================================================  =========
name                       path inside the wheel                                 bytes
=========================  ====================================================  =========
face_detection             mediapipe/modules/face_detection/                       229,714
                           face_detection_short_range.tflite
face_landmark              mediapipe/modules/face_landmark/face_landmark.tflite  1,242,398
iris_landmark              mediapipe/modules/iris_landmark/iris_landmark.tflite  2,640,568
=========================  ====================================================  =========

They go to ``<zoo cache>/mediapipe-0.10.21/`` (the zoo's weights cache,
:func:`zoo.weights.registry.cache_dir`, ``~/.keras/models/zoo`` unless ``$KERAS_HOME``
moves it), each checked against its pinned sha256, with the wheel's ``LICENSE`` and a
``CREDITS.md`` beside them. The wheel itself is deleted; nothing here is committed to the
repository.

    from zoo.models.deepwarp.facemodels import face_model_paths
    paths = face_model_paths()      # {"face_detection": Path, "face_landmark": ..., "iris_landmark": ...}

From a script (the web app's model step)::

    python -m zoo.models.deepwarp.facemodels --out DIR    # copies the three files + CREDITS.md
    python -m zoo.models.deepwarp.facemodels --wheel mediapipe-0.10.21-...whl  # offline install

Offline with nothing cached, :func:`face_model_paths` raises :class:`FaceModelsError`
(a :class:`zoo.errors.ZooError`) in one line that says how to provide the wheel.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from zoo.errors import ZooError

VERSION = "0.10.21"
# The one wheel this module downloads (any platform's wheel holds the same three files;
# the file pins below are what is checked in the end).
WHEEL = f"mediapipe-{VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
PIP_PLATFORM = ("--python-version", "311", "--platform", "manylinux_2_28_x86_64")

FILES = {  # name: (path inside the wheel, sha256)
    "face_detection": ("mediapipe/modules/face_detection/face_detection_short_range.tflite",
                       "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"),
    "face_landmark": ("mediapipe/modules/face_landmark/face_landmark.tflite",
                      "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814"),
    "iris_landmark": ("mediapipe/modules/iris_landmark/iris_landmark.tflite",
                      "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f"),
}
LICENSE_IN_WHEEL = f"mediapipe-{VERSION}.dist-info/LICENSE"
CREDITS = "CREDITS.md"


class FaceModelsError(ZooError):
    """The face models are not cached and cannot be fetched, or a file fails its checksum."""


def model_dir() -> Path:
    """Where the three files are cached."""
    from zoo.weights.registry import cache_dir

    return cache_dir() / f"mediapipe-{VERSION}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_name(name: str) -> str:
    return FILES[name][0].rsplit("/", 1)[1]


def cached_paths() -> dict[str, Path] | None:
    """The cached, checksum-verified files, or None where one is missing or differs."""
    folder = model_dir()
    paths = {name: folder / _file_name(name) for name in FILES}
    if all(p.is_file() and _sha256(p) == FILES[n][1] for n, p in paths.items()):
        return paths
    return None


def face_model_paths(download: bool = True) -> dict[str, Path]:
    """``{"face_detection", "face_landmark", "iris_landmark"}`` -> local ``.tflite`` paths.

    Cached files are checked and returned; otherwise (with ``download``) the mediapipe
    wheel is fetched once with pip and the files extracted into :func:`model_dir`.
    """
    paths = cached_paths()
    if paths is not None:
        return paths
    if not download:
        raise FaceModelsError(f"MediaPipe's face models are not cached in {model_dir()}; run "
                              "`python -m zoo.models.deepwarp.facemodels` once (it downloads "
                              f"the mediapipe=={VERSION} wheel)")
    print(f"fetching MediaPipe's face models (the mediapipe=={VERSION} wheel, 35 MB, once) into "
          f"{model_dir()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="zoo-mediapipe-") as tmp:
        return install_from_wheel(download_wheel(Path(tmp)))


def download_wheel(folder: Path) -> Path:
    """``pip download`` the pinned wheel into ``folder``; its path, checksum verified."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-input", *PIP_PLATFORM,
               f"mediapipe=={VERSION}", "-d", str(folder)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as err:
        done = None
        why = type(err).__name__
    else:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        why = lines[-1].strip() if lines else f"pip exited with {done.returncode}"
    wheel = folder / WHEEL
    if done is None or done.returncode != 0 or not wheel.is_file():
        raise FaceModelsError(
            f"cannot download the mediapipe=={VERSION} wheel for the face models ({why}); "
            f"fetch {WHEEL} by hand and run `python -m zoo.models.deepwarp.facemodels "
            f"--wheel FILE`")
    return wheel


def install_from_wheel(wheel: str | os.PathLike) -> dict[str, Path]:
    """Extract the three models, the licence and a credits note from ``wheel`` into the cache.

    The pinned wheel is checked whole; another mediapipe wheel (another platform's) is
    accepted where each extracted file matches its own pin.
    """
    from zoo.atomic import write_bytes, write_text

    wheel = Path(wheel)
    if not wheel.is_file():
        raise FaceModelsError(f"{wheel}: no such wheel")
    if wheel.name == WHEEL and _sha256(wheel) != WHEEL_SHA256:
        raise FaceModelsError(f"{wheel}: sha256 differs from the pinned {WHEEL_SHA256[:12]}...; "
                              "refusing a corrupt or foreign wheel")
    folder = model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    try:
        with zipfile.ZipFile(wheel) as z:
            for name, (inner, sha) in FILES.items():
                data = z.read(inner)
                if hashlib.sha256(data).hexdigest() != sha:
                    raise FaceModelsError(f"{wheel.name}: {inner} differs from its pinned sha256 "
                                          f"{sha[:12]}...; refusing it")
                paths[name] = write_bytes(folder / _file_name(name), data)
            write_bytes(folder / "LICENSE", z.read(LICENSE_IN_WHEEL))
    except (zipfile.BadZipFile, KeyError) as err:
        raise FaceModelsError(f"{wheel}: not a mediapipe {VERSION} wheel ({err})") from None
    write_text(folder / CREDITS, credits_text(wheel.name))
    return paths


def credits_text(wheel_name: str = WHEEL) -> str:
    rows = "\n".join(f"| `{_file_name(n)}` | `{inner}` | `{sha}` |"
                     for n, (inner, sha) in FILES.items())
    return f"""# MediaPipe face models

These files are Google's MediaPipe models, unchanged, taken from the wheel
`{wheel_name}` (PyPI package `mediapipe=={VERSION}`), which is licensed under the
Apache License, Version 2.0 (the wheel's `LICENSE`, copied beside this file;
https://www.apache.org/licenses/LICENSE-2.0). Copyright The MediaPipe Authors.

| file | path inside the wheel | sha256 |
| --- | --- | --- |
{rows}

Model cards: BlazeFace short range (face detection), MediaPipe Face Mesh (468 landmarks) and
MediaPipe Iris (71 eye-contour and 5 iris points), published with MediaPipe's solutions.
Extracted by `zoo.models.deepwarp.facemodels` of generative-convnet-zoo.
"""


def copy_to(out: str | os.PathLike, paths: dict[str, Path] | None = None) -> list[Path]:
    """Copy the three models, ``LICENSE`` and ``CREDITS.md`` into the folder ``out``."""
    paths = paths or face_model_paths()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    folder = next(iter(paths.values())).parent
    if not (folder / CREDITS).is_file():
        from zoo.atomic import write_text

        write_text(folder / CREDITS, credits_text())
    written = []
    for source in [*paths.values(), folder / "LICENSE", folder / CREDITS]:
        if source.is_file():
            target = out / source.name
            shutil.copyfile(source, target)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m zoo.models.deepwarp.facemodels",
        description=f"Fetch MediaPipe's face detection, face mesh and iris models (Apache-2.0) "
                    f"out of the mediapipe=={VERSION} wheel into the zoo's cache, without "
                    "installing mediapipe.")
    parser.add_argument("--out", metavar="DIR",
                        help="also copy the three .tflite files, LICENSE and CREDITS.md into DIR")
    parser.add_argument("--wheel", metavar="FILE.whl",
                        help="take the files from this mediapipe wheel instead of downloading it")
    parser.add_argument("--offline", action="store_true",
                        help="use the cache only; fail if the files are not there")
    args = parser.parse_args(argv)
    try:
        if args.wheel:
            paths = install_from_wheel(args.wheel)
        else:
            paths = face_model_paths(download=not args.offline)
        for name, path in paths.items():
            print(f"{name}: {path}")
        if args.out:
            written = copy_to(args.out, paths)
            print(f"copied {len(written)} files to {args.out}")
    except (ZooError, OSError) as err:
        print(f"facemodels: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
