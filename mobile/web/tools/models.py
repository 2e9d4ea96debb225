"""``npm run models``: fill ``models/`` with every .tflite the web app runs, and its metadata JSON.

One ``zoo export ... --shape HxW`` per zoo model (LiteRT.js refuses dynamic dimensions), the
three MediaPipe face models, and ``models/index.json``, which the app and its service worker
read (what to load, what to pre-cache). Run it with the zoo's virtual environment active:

    cd mobile/web && npm run models            # or: python3 tools/models.py [--force]

A model already exported (its .tflite and .json present) is kept unless ``--force``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parents[1]
MODELS = WEB / "models"

# (file stem, family, preset, quantization, HxW, extra arguments, what the app uses it for)
ZOO_MODELS = [
    ("deepwarp", "deepwarp", "deepwarp_rendered_fast_cpu", "int8", "41x51",
     ["--also-output", "flow,warp"], "gaze"),
    ("johnson_shipwreck_256", "johnson", "johnson_shipwreck_phone_cpu", "float16", "256x256", [],
     "style"),
    ("johnson_shipwreck_384", "johnson", "johnson_shipwreck_phone_cpu", "float16", "384x384", [],
     "style"),
    ("texture_gravel_256", "texture_nets", "texture_nets_gravel_cpu", "float16", "256x256", [],
     "texture"),
    ("texture_gravel_384", "texture_nets", "texture_nets_gravel_cpu", "float16", "384x384", [],
     "texture"),
]
ADAIN_NOTE = ("AdaIN skipped: no trained decoder preset ships yet and `zoo export adain` refuses "
              "to export without weights (it does not export random ones); train one with "
              "`zoo train adain` and export it with --weights to add it")

FACE_MODELS = ("face_detection_short_range.tflite", "face_landmark.tflite", "iris_landmark.tflite")
MEDIAPIPE_WHEEL = "mediapipe==0.10.21"  # the wheel they come from (Apache-2.0)


def zoo_command() -> list[str]:
    exe = Path(sys.executable).with_name("zoo")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "zoo.cli.main"]


def export(stem, family, preset, quantize, shape, extra, force) -> None:
    out = MODELS / f"{stem}.tflite"
    if not force and out.exists() and out.with_suffix(".json").exists():
        print(f"kept {out.name}")
        return
    cmd = [*zoo_command(), "export", family, "--preset", preset, "--quantize", quantize,
           "--shape", shape, "--out", str(out), *extra]
    print("+", " ".join(cmd[-12:]), flush=True)
    subprocess.run(cmd, check=True)


def face_models(force: bool) -> dict:
    """The MediaPipe face detector, face mesh and iris models (and their credits), copied by
    ``python -m zoo.models.deepwarp.facemodels --out models/`` (which fetches the mediapipe
    0.10.21 wheel once into the zoo's cache, sha256-checked, without installing it)."""
    if not force and all((MODELS / f).exists() for f in FACE_MODELS):
        print("kept the face models")
    else:
        subprocess.run([sys.executable, "-m", "zoo.models.deepwarp.facemodels", "--out",
                        str(MODELS)], check=True)
    return {"source": "python -m zoo.models.deepwarp.facemodels"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--force", action="store_true", help="export again what is already there")
    args = p.parse_args(argv)
    MODELS.mkdir(exist_ok=True)
    entries = []
    for stem, family, preset, quantize, shape, extra, use in ZOO_MODELS:
        export(stem, family, preset, quantize, shape, extra, args.force)
        meta = json.loads((MODELS / f"{stem}.json").read_text())
        entries.append({"id": stem, "use": use, "file": f"{stem}.tflite", "metadata": f"{stem}.json",
                        "family": family, "weights": meta["weights"],
                        "quantization": meta["quantization"], "fixed_shape": meta["fixed_shape"],
                        "sha256": meta["sha256"]})
    print(ADAIN_NOTE)
    source = face_models(args.force)
    for name in FACE_MODELS:
        data = (MODELS / name).read_bytes()
        entries.append({"id": Path(name).stem, "use": "face", "file": name, "metadata": None,
                        "family": "mediapipe", "weights": MEDIAPIPE_WHEEL,
                        "sha256": hashlib.sha256(data).hexdigest(), **source})
    index = {"models": entries, "skipped": {"adain": ADAIN_NOTE}}
    (MODELS / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    print(f"wrote {MODELS / 'index.json'} ({len(entries)} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
