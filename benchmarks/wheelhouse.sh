#!/usr/bin/env bash
# Wheels for the lent GPU machine (Python 3.12, JAX and PyTorch, no network, no Keras):
# Keras 3.15.1 and what it needs beyond that machine's stack, about 11 MB, in wheelhouse/
# (git-ignored; a device call carries it with carry=["wheelhouse"]). Then, on that machine:
#
#   python3 -m pip install -q --no-index --no-deps -t /tmp/site wheelhouse/*.whl
#   for b in jax torch; do
#     KERAS_BACKEND=$b PYTHONPATH=/tmp/site:. python3 benchmarks/gpu.py --out $OUT/gpu-$b.json
#   done
#
# benchmarks/gpu.py needs nothing else (no MLflow, hyperopt, YAML or TensorFlow). A whole search
# there also needs hyperopt, MLflow's tracking client with its SQLite store, PyYAML, tqdm,
# pydantic and matplotlib: about 75 MiB with MLflow's server stack, over the 64 MiB a call
# carries, so that step still has to choose what to leave out (issue 24).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf wheelhouse && mkdir wheelhouse
python3 -m pip download --quiet --dest wheelhouse --only-binary=:all: --implementation cp \
  --python-version 3.12 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 keras==3.15.1 filelock
# the machine has these already (numpy's wheel would replace its own)
rm -f wheelhouse/numpy-* wheelhouse/packaging-* wheelhouse/typing_extensions-*
du -sh wheelhouse && ls wheelhouse
