#!/usr/bin/env bash
# Issue 24's GPU figures in one command on the lent machine (the `device` tool), after
# `bash benchmarks/wheelhouse.sh` here; the call carries wheelhouse/ and runs, e.g.:
#
#   BENCH_COMMIT=<hash> bash benchmarks/gpu_run.sh bench            # gpu.py under JAX and PyTorch
#   BENCH_COMMIT=<hash> bash benchmarks/gpu_run.sh bench --steps 20 --cases lstm,default
#   BENCH_COMMIT=<hash> bash benchmarks/gpu_run.sh search jax 20    # a 20-trial demo search
#   BENCH_COMMIT=<hash> bash benchmarks/gpu_run.sh search torch 20 --data FILE ...
#
# bench: benchmarks/gpu.py (examples/s, every case, float32 and mixed precision, or the gpu.py
# flags given) under each backend. search: `python -m jobsearch.random --trials N` on the demo
# (with the flags after N) through benchmarks/search_speed.py (trials per hour, where a
# trial's time goes, the device and cuDNN per trial), the model registered, then `predict` on
# one posting; SEARCHES=K runs K such searches at once (seeds 0..K-1), to see what one GPU
# gives several trials. Everything lands in $OUT (the device tool's folder; ./gpu-out
# elsewhere) with nvidia-smi's memory and utilisation every second. Rehearse it here on CPU
# with this machine's Python:
#
#   bash benchmarks/wheelhouse.sh 3.11 /tmp/wh && python3 -m venv /tmp/sim &&
#   /tmp/sim/bin/pip install numpy pandas scikit-learn scipy pyarrow jax packaging &&
#   PYTHON=/tmp/sim/bin/python WHEELS=/tmp/wh bash benchmarks/gpu_run.sh search jax 2 --max-epochs 1
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${1:?"stage: bench or search"}
OUT=${OUT:-$PWD/gpu-out}
PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-wheelhouse}
SITE=${SITE:-/tmp/jobsearch-site}
mkdir -p "$OUT"
if [ ! -d "$SITE/keras" ]; then
  "$PYTHON" -m pip install --quiet --no-index --no-deps --target "$SITE" "$WHEELS"/*.whl
fi
export PYTHONPATH="$SITE:$PWD" XLA_PYTHON_CLIENT_PREALLOCATE=false
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used,memory.total \
    --format=csv -l 1 > "$OUT/nvidia-smi-$stage.csv" &
  trap 'kill $! 2> /dev/null || true' EXIT
fi
case "$stage" in
  bench)
    shift
    for backend in jax torch; do
      KERAS_BACKEND=$backend "$PYTHON" benchmarks/gpu.py --out "$OUT/gpu-$backend.json" "$@" \
        > "$OUT/gpu-$backend.log" 2>&1 || echo "gpu.py under $backend failed: $OUT/gpu-$backend.log"
    done
    ;;
  search)
    backend=${2:-jax}
    trials=${3:-20}
    shift $(($# < 3 ? $# : 3))
    export KERAS_BACKEND=$backend
    for i in $(seq 0 $((${SEARCHES:-1} - 1))); do  # SEARCHES=K: K searches at once
      name=search-$backend-$i
      "$PYTHON" benchmarks/search_speed.py --json "$OUT/$name.json" -- \
        --trials "$trials" --seed "$i" "$@" > "$OUT/$name.log" 2>&1 &
    done
    wait
    for i in $(seq 0 $((${SEARCHES:-1} - 1))); do
      name=search-$backend-$i
      folder=$("$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))[0]['folder'])" \
        "$OUT/$name.json")
      (cd "$folder" && "$PYTHON" -m jobsearch.predict --model models:/bench@champion \
        "Staff nurse for our acute medical ward") > "$OUT/predict-$backend-$i.txt" 2>&1
      cp "$folder/mlruns/searches/bench/state.json" "$OUT/state-$backend-$i.json"
    done
    ;;
  *)
    echo "unknown stage $stage (bench or search)" >&2
    exit 2
    ;;
esac
ls -la "$OUT"
