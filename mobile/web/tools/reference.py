"""Python reference outputs for the browser tests (``node --test`` runs this first).

Writes ``test/out/`` (git-ignored) from the same ``.tflite`` files the app loads, run by
``ai_edge_litert``:

* ``parity/<id>/``: seeded inputs and the outputs of every model in ``models/index.json``
  (``input_K.bin`` / ``output_K.bin``, float32, and ``case.json`` with the shapes);
* ``gaze/``: a face photo at 640 x 480 (``face.png``, also ``face.y4m`` for Chromium's fake
  camera), the Python face pipeline's eye landmarks (:mod:`zoo.models.deepwarp.facemesh`),
  and DeepWarp's redirection at +-ANGLE with the .tflite through eyes.py's crop and
  gaze.py's feathered blend (``up.png``, ``down.png``, ``gaze.json``);
* ``style/``: a content photo and each stylizer's output on its centred square, sampled
  as the app does (``facemesh.sample_region``), float32 ``.bin``;
* ``adain/``: where ``models/index.json`` lists an AdaIN pair (``npm run models --
  --adain-weights F``): seeded inputs and outputs of its style encoder and stylizer (the
  stylizer fed the encoder's statistics of a random image), and the whole app pipeline on a
  content photo and a style photo (statistics of the style photo's centred square, then the
  stylizer at ``ADAIN_ALPHA`` on the content's); else ``skip.json`` with the reason.

    python tools/reference.py [--face PHOTO]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

WEB = Path(__file__).resolve().parents[1]
MODELS = WEB / "models"
OUT = WEB / "test" / "out"
FACE_PHOTOS = [Path(p) for p in os.environ.get("ZOO_WEB_FACE_PHOTOS", os.pathsep.join([
    "/work/shared/data/eyes/interpgaze/_MG_0568.jpg",
    "/work/shared/data/eyes/rt_gene/gaze_center.jpg"])).split(os.pathsep)]
"""The face photos tried in order (the shared data set's; $ZOO_WEB_FACE_PHOTOS replaces them)."""
ANGLE = 15.0
SEED = 20261205
ADAIN_ALPHA = 0.75  # the pipeline's content-style trade-off (the app's slider)
ADAIN_PARITY_ALPHA = 0.6


def lite(path):
    from zoo.export.tflite import LiteModel

    return LiteModel(path)


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")


def parity(index: dict) -> None:
    """Seeded inputs in each input's range; DeepWarp gets a real-looking case."""
    rng = np.random.default_rng(SEED)
    for entry in index["models"]:
        if entry["family"] == "adain":  # adain() feeds the pair inputs that belong together
            continue
        model = lite(MODELS / entry["file"])
        folder = OUT / "parity" / entry["id"]
        folder.mkdir(parents=True, exist_ok=True)
        inputs = []
        for d in model.inputs:
            shape = tuple(int(v) for v in d["shape"])
            if d["name"].split(":")[0] == "landmarks":
                x = rng.uniform(5, 45, shape).astype(np.float32)
            elif d["name"].split(":")[0] == "angle":
                x = np.full(shape, 10.0, np.float32)
            elif entry["family"] == "mediapipe" and "face_detection" in entry["id"]:
                x = rng.uniform(-1, 1, shape).astype(np.float32)
            else:
                x = rng.uniform(0, 1, shape).astype(np.float32)
            inputs.append(x)
        outputs = model.all_outputs(*inputs)
        for k, x in enumerate(inputs):
            (folder / f"input_{k}.bin").write_bytes(x.tobytes())
        for k, y in enumerate(outputs):
            (folder / f"output_{k}.bin").write_bytes(np.asarray(y, np.float32).tobytes())
        quantized = entry.get("quantization") == "int8"
        write_json(folder / "case.json", {
            "id": entry["id"], "file": entry["file"], "metadata": entry["metadata"],
            "inputs": [list(x.shape) for x in inputs], "outputs": [list(y.shape) for y in outputs],
            "int8": quantized, "steps": output_steps(model) if quantized else None})
        print(f"parity {entry['id']}: {len(inputs)} inputs, {len(outputs)} outputs")


def output_steps(model) -> list[float]:
    """One quantization step of each output of an int8 model with float outputs: the scale of
    the int8 tensor its DEQUANTIZE reads."""
    interpreter = model.interpreter
    tensors = {d["index"]: d for d in interpreter.get_tensor_details()}
    producers = {op["outputs"][0]: op for op in interpreter._get_ops_details() if len(op["outputs"])}
    steps = []
    for index in model.output_indices:
        op = producers.get(index)
        scale = 0.0
        if op is not None and op["op_name"] == "DEQUANTIZE":
            scale = float(tensors[op["inputs"][0]]["quantization"][0])
        steps.append(scale)
    return steps


def face_photo(path: Path):
    """The photo's centred 4:3 crop at 640 x 480 (Lanczos), uint8 RGB."""
    from PIL import Image

    im = Image.open(path).convert("RGB")
    w, h = im.size
    cw = min(w, h * 4 // 3)
    ch = cw * 3 // 4
    left, top = (w - cw) // 2, (h - ch) // 2
    return np.asarray(im.crop((left, top, left + cw, top + ch)).resize(
        (640, 480), Image.Resampling.LANCZOS))


def write_y4m(image: np.ndarray, path: Path, frames: int = 1) -> None:
    """A y4m video of ``image`` for Chromium's --use-file-for-fake-video-capture (4:2:0, full
    range JPEG YCbCr, Pillow's conversion)."""
    from PIL import Image

    h, w = image.shape[:2]
    ycc = np.asarray(Image.fromarray(image).convert("YCbCr"), np.float64)
    y = ycc[..., 0].astype(np.uint8)
    sub = lambda c: np.round(ycc[..., c].reshape(h // 2, 2, w // 2, 2).mean((1, 3))).astype(np.uint8)  # noqa: E731
    frame = b"FRAME\n" + y.tobytes() + sub(1).tobytes() + sub(2).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)


def redirect(image: np.ndarray, marks, angle: float, model) -> np.ndarray:
    """gaze.redirect_gaze with the .tflite: eyes.py's box and crop, gaze.py's blend."""
    from zoo.models.deepwarp import eyes
    from zoo.models.deepwarp.gaze import blend_eye

    size = tuple(int(v) for v in model.inputs[0]["shape"][1:3])
    photo = image.astype(np.float64) / 255.0
    for m in marks:
        box = eyes.eye_box(m, size)
        patch = eyes.crop_eye(image, box, size)
        out, flow, warp = model.all_outputs(patch[None], eyes.box_landmarks(m, box, size)[None],
                                            np.full((1, 1), angle, np.float32))
        photo = blend_eye(photo, box, flow[0], out[0] - warp[0])
    return np.clip(np.round(photo * 255), 0, 255).astype(np.uint8)


def gaze(face: Path) -> None:
    from PIL import Image

    from zoo.models.deepwarp import eyes, facemesh
    from zoo.models.deepwarp.facemodels import face_model_paths

    folder = OUT / "gaze"
    folder.mkdir(parents=True, exist_ok=True)
    image = face_photo(face)
    Image.fromarray(image).save(folder / "face.png")
    write_y4m(image, folder / "face.y4m")
    mesh = facemesh.face_mesh(image, face_model_paths())
    marks = facemesh.eye_landmarks(mesh)
    model = lite(MODELS / "deepwarp.tflite")
    size = tuple(int(v) for v in model.inputs[0]["shape"][1:3])
    results = {}
    for name, angle in (("up", ANGLE), ("down", -ANGLE)):
        out = redirect(image, marks, angle, model)
        Image.fromarray(out).save(folder / f"{name}.png")
        results[name] = angle
    write_json(folder / "gaze.json", {
        "photo": str(face), "angles": results, "marks": np.asarray(marks).tolist(),
        "boxes": [list(eyes.eye_box(m, size)) for m in marks],
        "points": mesh.points[:, :2].tolist(), "detection_box": mesh.detection.box.tolist(),
        "contours": [c.tolist() for c in mesh.contours], "irises": [i.tolist() for i in mesh.irises]})
    print(f"gaze: {face.name}, eyes at {np.round(np.asarray(marks)[:, 6], 1).tolist()}")


def style(index: dict) -> None:
    from PIL import Image

    from zoo.demo import bundled_images_dir
    from zoo.models.deepwarp.facemesh import Region, sample_region

    folder = OUT / "style"
    folder.mkdir(parents=True, exist_ok=True)
    content = np.asarray(Image.open(Path(bundled_images_dir()) / "chelsea.png").convert("RGB"))
    Image.fromarray(content).save(folder / "content.png")
    h, w = content.shape[:2]
    cases = []
    for entry in index["models"]:
        if entry["use"] != "style":
            continue
        model = lite(MODELS / entry["file"])
        side = int(model.inputs[0]["shape"][1])
        x = sample_region(content, Region((w / 2, h / 2), float(min(w, h))), side) / 255.0
        y = model(x[None].astype(np.float32))
        (folder / f"{entry['id']}.bin").write_bytes(np.asarray(y, np.float32).tobytes())
        cases.append({"id": entry["id"], "side": side})
    write_json(folder / "style.json", {"content": "chelsea.png", "cases": cases})
    print(f"style: {', '.join(c['id'] for c in cases)}")


def square(image: np.ndarray, side: int, tensor: dict) -> np.ndarray:
    """The photo's centred square at side x side as the app samples it, in ``tensor``'s
    ``value_range`` (the metadata JSON's), float32 (1, side, side, 3)."""
    from zoo.models.deepwarp.facemesh import Region, sample_region

    h, w = image.shape[:2]
    lo, hi = tensor.get("value_range", [0, 1])
    x = sample_region(image, Region((w / 2, h / 2), float(min(w, h))), side) / 255.0
    return (lo + x * (hi - lo))[None].astype(np.float32)


def adain(index: dict) -> None:
    """The first AdaIN pair of the index: parity cases and the whole pipeline (docstring)."""
    from PIL import Image

    from zoo.demo import bundled_images_dir

    folder = OUT / "adain"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    entries = {e["id"]: e for e in index["models"]}
    pairs = [e for e in index["models"]
             if e["use"] == "adain" and e.get("style_encoder") in entries]
    if not pairs:
        write_json(folder / "skip.json", {"reason": "models/index.json lists no AdaIN pair "
                                          "(npm run models -- --adain-weights F.weights.h5)"})
        print("adain: skipped (no pair in models/index.json)")
        return
    stylizer_entry = pairs[0]
    encoder_entry = entries[stylizer_entry["style_encoder"]]
    encoder, stylizer = (lite(MODELS / e["file"]) for e in (encoder_entry, stylizer_entry))
    enc_meta, sty_meta = (json.loads((MODELS / e["metadata"]).read_text())
                          for e in (encoder_entry, stylizer_entry))
    rng = np.random.default_rng(SEED + 1)
    shape = lambda d: tuple(int(v) for v in d["shape"])  # noqa: E731
    style_x = rng.uniform(0, 1, shape(encoder.inputs[0])).astype(np.float32)
    stats = encoder(style_x)
    named = {"style_statistics": stats,
             "content": rng.uniform(0, 1, shape(stylizer.inputs[
                 stylizer.input_names.index("content")])).astype(np.float32),
             "alpha": np.full((1, 1, 1, 1), ADAIN_PARITY_ALPHA, np.float32)}
    out = stylizer(named)
    (folder / "encoder_input_0.bin").write_bytes(style_x.tobytes())
    (folder / "encoder_output_0.bin").write_bytes(np.asarray(stats, np.float32).tobytes())
    for k, name in enumerate(stylizer.input_names):
        (folder / f"stylizer_input_{k}.bin").write_bytes(named[name].tobytes())
    (folder / "stylizer_output_0.bin").write_bytes(np.asarray(out, np.float32).tobytes())

    images = Path(bundled_images_dir())
    content = np.asarray(Image.open(images / "chelsea.png").convert("RGB"))
    style_photo = np.asarray(Image.open(images / "astronaut.png").convert("RGB"))
    Image.fromarray(content).save(folder / "content.png")
    Image.fromarray(style_photo).save(folder / "style.png")
    tensors = {t["name"]: t for t in sty_meta["inputs"]}
    photo_stats = encoder(square(style_photo, shape(encoder.inputs[0])[1], enc_meta["inputs"][0]))
    side = shape(tensors["content"])[1]
    image = stylizer({"content": square(content, side, tensors["content"]),
                      "style_statistics": photo_stats,
                      "alpha": np.full((1, 1, 1, 1), ADAIN_ALPHA, np.float32)})
    lo, hi = sty_meta["outputs"][0].get("value_range", [0, 1])
    image = np.clip((np.asarray(image, np.float32) - lo) / (hi - lo), 0, 1)
    (folder / "statistics.bin").write_bytes(np.asarray(photo_stats, np.float32).tobytes())
    (folder / "output.bin").write_bytes(image.astype(np.float32).tobytes())
    write_json(folder / "adain.json", {
        "stylizer": stylizer_entry["id"], "style_encoder": encoder_entry["id"],
        "stylizer_file": stylizer_entry["file"], "stylizer_metadata": stylizer_entry["metadata"],
        "encoder_file": encoder_entry["file"], "encoder_metadata": encoder_entry["metadata"],
        "stylizer_inputs": stylizer.input_names, "alpha": ADAIN_ALPHA, "side": side,
        "parity_alpha": ADAIN_PARITY_ALPHA, "content": "chelsea.png", "style": "astronaut.png"})
    print(f"adain: {encoder_entry['id']} + {stylizer_entry['id']}, {side}x{side}, "
          f"alpha {ADAIN_ALPHA}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--face", type=Path, help="a face photo (default: the first of "
                   + ", ".join(map(str, FACE_PHOTOS)) + " that exists)")
    args = p.parse_args(argv)
    index_path = MODELS / "index.json"
    if not index_path.exists():
        print("models/index.json is missing: run `npm run models`", file=sys.stderr)
        return 2
    index = json.loads(index_path.read_text())
    parity(index)
    style(index)
    adain(index)
    face = args.face or next((f for f in FACE_PHOTOS if f.exists()), None)
    if face is None:
        shutil.rmtree(OUT / "gaze", ignore_errors=True)
        write_json(OUT / "gaze" / "skip.json", {"reason": "no face photo: none of "
                                               + ", ".join(map(str, FACE_PHOTOS)) + " exists"})
        print("gaze: skipped (no face photo)")
    else:
        (OUT / "gaze" / "skip.json").unlink(missing_ok=True)
        gaze(face)
    return 0


if __name__ == "__main__":
    sys.exit(main())
