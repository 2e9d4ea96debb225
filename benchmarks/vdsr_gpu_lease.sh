#!/usr/bin/env bash
# VDSR training on a GPU machine lent for minutes: prepare here, run there in one call.
#
#   bash benchmarks/vdsr_gpu_lease.sh prepare     # here, with the dev venv active: fills .gpu/
#
# then one call of the device tool, with carry [".gpu"] and timeout_s 600:
#
#   bash benchmarks/vdsr_gpu_lease.sh A 520       # pytorch-vdsr's recipe (vdsr_gpu.py's docstring)
#   bash benchmarks/vdsr_gpu_lease.sh B 520       # fallback: fine-tune the shipped vdsr_291_h200
#
# The number is the deadline in seconds after benchmarks/vdsr_gpu.py starts; keep it 60-80 s
# under timeout_s for the wheel install and the Set5 evaluation. What comes back in $OUT:
# RUN.weights.h5, command.txt (the `zoo train` command a model card quotes), timing.json,
# eval.json (Set5 packed to Y, a first look; the card's table comes from `zoo eval` here on the
# colour images) and log.txt.
#
# A dry run here, with the dev venv instead of the wheels and a short calibration (slow on a CPU):
#   LEASE_LOCAL=1 CALIBRATION_STEPS=48 OUT=/tmp/lease_out bash benchmarks/vdsr_gpu_lease.sh B 900
#
# Why each step: the GPU machine has JAX but no TensorFlow and reaches no index, so keras and
# the two packages it needs that the machine lacks (namex, optree) travel as wheels beside this
# package's own wheel; only 64 MiB travel with a call, so the 291 training images and Set5 go as
# their luminance (zoo.training.pack_luminance gives the same patches, a test checks it).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
GPU="$REPO/.gpu"

prepare() {
    local shared="${SHARED_DATA:-$REPO/../shared/data}/sr"
    [[ -d "$shared/T91" ]] || { echo "no $shared/T91: set SHARED_DATA to the shared data folder" >&2; exit 2; }
    rm -rf "$GPU" && mkdir -p "$GPU/whl"
    local keras_version
    keras_version="$(python -c 'import keras; print(keras.__version__)')"
    python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d "$GPU/whl" "keras==$keras_version" namex optree
    (cd "$REPO" && python -m pip wheel -q --no-deps --no-build-isolation -w "$GPU/whl" . && rm -rf build)
    python -m zoo.training.pack_luminance "$shared/T91" "$shared/BSD200" --out "$GPU/y291"
    python -m zoo.training.pack_luminance "$shared/Set5" --out "$GPU/set5y"
    du -sh "$GPU"
}

run_on_device() {
    local which="$1" deadline="$2"
    if [[ -z "${LEASE_LOCAL:-}" ]]; then
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/site "$GPU"/whl/*.whl
        export PYTHONPATH=/tmp/site
    fi
    export KERAS_BACKEND=jax PYTHONUNBUFFERED=1
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
    # Outside the checkout, so that `python -m zoo...` imports the installed package (whose
    # zoo.training and zoo.export live in training/ and export/ of the repository).
    local work=/tmp/vdsr_lease
    mkdir -p "$work" && cd "$work"
    local data=(--data "$GPU/y291/T91" "$GPU/y291/BSD200")
    local common=(--out "$work/$which" --deadline "$deadline" --eval "$GPU/set5y/Set5"
                  --calibration-steps "${CALIBRATION_STEPS:-480}")
    case "$which" in
        A) python3 "$REPO/benchmarks/vdsr_gpu.py" "${data[@]}" "${common[@]}" --epochs 40 -- \
               --clip norm --no-biases --downscales 1,0.7,0.5 --batch-size 128 \
               --lr-decay-epochs 10 --steps-per-execution 16 --checkpoint-every 4000 ;;
        B) python3 "$REPO/benchmarks/vdsr_gpu.py" "${data[@]}" "${common[@]}" --epochs 2 -- \
               --optimizer adam --lr 2e-5 --lr-decay-epochs 1 --stride 21 --seed 2 \
               --steps-per-execution 16 --checkpoint-every 4000 \
               --init-weights "$REPO/zoo/weights/files/vdsr_291_h200.weights.h5" ;;
    esac 2>&1 | tee "${OUT:-$work}/log.txt"
    if [[ -n "${OUT:-}" ]]; then
        cp "$work/$which/run/final.weights.h5" "$OUT/$which.weights.h5"
        cp "$work/$which"/{command.txt,timing.json,eval.json} "$OUT/" 2>/dev/null || true
    fi
}

case "${1:-}" in
    prepare) prepare ;;
    A|B) [[ $# -eq 2 ]] || { echo "usage: $0 A|B DEADLINE_SECONDS" >&2; exit 2; }
         run_on_device "$1" "$2" ;;
    *) echo "usage: $0 prepare | A DEADLINE_SECONDS | B DEADLINE_SECONDS" >&2; exit 2 ;;
esac
