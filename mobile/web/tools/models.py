"""``npm run models``: fill ``models/`` with every .tflite the web app runs, and its metadata JSON.

One ``zoo export ... --shape HxW`` per zoo model (LiteRT.js refuses dynamic dimensions), the
three MediaPipe face models, and ``models/index.json``, which the app and its service worker
read (what to load, what to pre-cache). Run it with the zoo's virtual environment active:

    cd mobile/web && npm run models            # or: python3 tools/models.py [--force]
    npm run models -- --adain-weights F.weights.h5 [--adain-shape 256x256,384x384]

A model already exported (its .tflite and .json present) is kept unless ``--force``.

AdaIN (arbitrary style) ships no trained decoder, so it is exported only from a decoder you
trained (``zoo train adain``: its ``final.weights.h5``, with the ``config.json`` beside it),
given as ``--adain-weights`` or ``$ZOO_ADAIN_WEIGHTS``: ``zoo export adain --weights F
--shape S`` writes the pair ``adain_<side>_style_encoder`` (style photo -> statistics, run
once per style) and ``adain_<side>_stylizer`` (photo, statistics, alpha -> image, run per
frame) for each square shape. The pair is kept while the weights file's sha256 (recorded in
``adain_<side>.source.json``) is the same. Without weights, ``index.json`` lists no AdaIN and
says why under ``skipped``; the app then shows AdaIN as unavailable.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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
              "`zoo train adain` and add it with `npm run models -- --adain-weights "
              "F.weights.h5` (or $ZOO_ADAIN_WEIGHTS)")
ADAIN_SHAPES = "256x256"  # the stylizer's (and the style encoder's) fixed size; few: each ~15 MB
ADAIN_QUANTIZE = "float16"  # as the Johnson nets: half the bytes, float32 arithmetic

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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def adain_sides(shapes: str) -> list[int]:
    """``"256x256,384x384"`` -> ``[256, 384]``: square only (the app feeds the photo's centred
    square, as for the Johnson nets), multiples of 8 (``zoo export adain`` checks that)."""
    sides = []
    for shape in filter(None, (s.strip() for s in shapes.split(","))):
        h, _, w = shape.partition("x")
        if not (h.isdigit() and h == w):
            sys.exit(f"--adain-shape {shape}: expected square HxW sizes such as 256x256")
        sides.append(int(h))
    return sides


def export_adain(weights: Path, side: int, force: bool) -> list[dict]:
    """The AdaIN pair at ``side`` x ``side`` from ``weights``; its two index entries."""
    stem = f"adain_{side}"
    source = MODELS / f"{stem}.source.json"
    stamp = {"weights_sha256": sha256_file(weights), "quantization": ADAIN_QUANTIZE}
    parts = [MODELS / f"{stem}_{part}.{ext}" for part in ("style_encoder", "stylizer")
             for ext in ("tflite", "json")]
    kept = (not force and all(p.exists() for p in parts) and source.exists()
            and json.loads(source.read_text()) == stamp)
    if kept:
        print(f"kept {stem}_style_encoder and {stem}_stylizer ({weights.name})")
    else:
        source.unlink(missing_ok=True)
        cmd = [*zoo_command(), "export", "adain", "--weights", str(weights), "--quantize",
               ADAIN_QUANTIZE, "--shape", f"{side}x{side}", "--out", str(MODELS / f"{stem}.tflite")]
        print("+", " ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, check=True)
        source.write_text(json.dumps(stamp) + "\n")
    entries = []
    for part, use in (("style_encoder", "adain_style_encoder"), ("stylizer", "adain")):
        entry = zoo_entry(f"{stem}_{part}", "adain", use)
        entry["weights"] = weights.name  # the file name, not this machine's path
        entry["weights_sha256"] = stamp["weights_sha256"]
        if part == "stylizer":
            entry["style_encoder"] = f"{stem}_style_encoder"  # the app needs both listed
        entries.append(entry)
    return entries


def zoo_entry(stem: str, family: str, use: str) -> dict:
    meta = json.loads((MODELS / f"{stem}.json").read_text())
    return {"id": stem, "use": use, "file": f"{stem}.tflite", "metadata": f"{stem}.json",
            "family": family, "weights": meta["weights"], "quantization": meta["quantization"],
            "fixed_shape": meta["fixed_shape"], "sha256": meta["sha256"]}


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
    p.add_argument("--adain-weights", metavar="F.weights.h5",
                   default=os.environ.get("ZOO_ADAIN_WEIGHTS") or None,
                   help="a trained AdaIN net (`zoo train adain`'s final.weights.h5, config.json "
                        "beside it) to export for the app (default: $ZOO_ADAIN_WEIGHTS; none: "
                        "no AdaIN)")
    p.add_argument("--adain-shape", metavar="HxW[,HxW]",
                   default=os.environ.get("ZOO_ADAIN_SHAPES") or ADAIN_SHAPES,
                   help=f"the AdaIN pair's square sizes (default: $ZOO_ADAIN_SHAPES or "
                        f"{ADAIN_SHAPES})")
    args = p.parse_args(argv)
    sides = adain_sides(args.adain_shape)
    weights = Path(args.adain_weights) if args.adain_weights else None
    if weights is not None and not weights.is_file():
        sys.exit(f"--adain-weights {weights}: no such file")
    MODELS.mkdir(exist_ok=True)
    entries = []
    for stem, family, preset, quantize, shape, extra, use in ZOO_MODELS:
        export(stem, family, preset, quantize, shape, extra, args.force)
        entries.append(zoo_entry(stem, family, use))
    skipped = {}
    if weights is None:
        print(ADAIN_NOTE)
        skipped["adain"] = ADAIN_NOTE
    else:
        for side in sides:
            entries.extend(export_adain(weights.resolve(), side, args.force))
    source = face_models(args.force)
    for name in FACE_MODELS:
        data = (MODELS / name).read_bytes()
        entries.append({"id": Path(name).stem, "use": "face", "file": name, "metadata": None,
                        "family": "mediapipe", "weights": MEDIAPIPE_WHEEL,
                        "sha256": hashlib.sha256(data).hexdigest(), **source})
    index = {"models": entries, "skipped": skipped}
    (MODELS / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    print(f"wrote {MODELS / 'index.json'} ({len(entries)} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
