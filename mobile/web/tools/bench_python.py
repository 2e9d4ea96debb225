"""The Python side of ``npm run bench``: the same .tflite files with ``ai_edge_litert`` (2
threads) on the same inputs: the whole gaze pipeline on a 640 x 480 face photo (face
detection, mesh, both irises, both eyes through DeepWarp, the feathered blend) and each
stylizer. Prints JSON: ``{name: {"ms": median, "fps": ...}}``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import MODELS, OUT, lite, redirect  # noqa: E402


def timed(fn, rounds: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1000


def main() -> int:
    from PIL import Image

    from zoo.models.deepwarp import facemesh
    from zoo.models.deepwarp.facemodels import face_model_paths

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    index = json.loads((MODELS / "index.json").read_text())
    results = {}
    face = np.asarray(Image.open(OUT / "gaze" / "face.png").convert("RGB"))
    paths = face_model_paths()
    deepwarp = lite(MODELS / "deepwarp.tflite")

    def gaze():
        marks = facemesh.eye_landmarks(facemesh.face_mesh(face, paths))
        redirect(face, marks, 10.0, deepwarp)

    def faces_only():
        facemesh.eye_landmarks(facemesh.face_mesh(face, paths))

    ms = timed(gaze, rounds)
    results["gaze 640x480"] = {"ms": ms, "fps": 1000 / ms}
    results["gaze 640x480: landmarks only"] = {"ms": timed(faces_only, rounds)}
    rng = np.random.default_rng(0)
    for entry in index["models"]:
        if entry["use"] not in ("style", "texture"):
            continue
        model = lite(MODELS / entry["file"])
        inputs = [rng.uniform(0, 1, tuple(d["shape"])).astype(np.float32) for d in model.inputs]
        ms = timed(lambda: model(*inputs), rounds)
        results[entry["id"]] = {"ms": ms, "fps": 1000 / ms}
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
