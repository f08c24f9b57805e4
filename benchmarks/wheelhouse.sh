#!/usr/bin/env bash
# Wheels for the lent GPU machine (Python 3.12 with JAX, PyTorch, numpy, pandas, scikit-learn,
# scipy and pyarrow; no TensorFlow, Keras, MLflow or hyperopt; no network): what a whole search
# needs beyond that, about 59 MiB, in wheelhouse/ (git-ignored). A device call carries it with
# carry=["wheelhouse"] (64 MiB at most) and runs benchmarks/gpu_run.sh, which installs it.
#
#   bash benchmarks/wheelhouse.sh                 # cp312 wheels, for the GPU machine
#   bash benchmarks/wheelhouse.sh 3.11 /tmp/wh    # the same set for this machine's Python, to
#                                                 # rehearse gpu_run.sh here (see its header)
#
# MLflow comes as mlflow-skinny (its client and SQLite store, no server); the rest of MLflow's
# server stack, git and Google auth are left out (a search never imports them); fastapi,
# starlette, anyio, databricks-sdk, cryptography and h5py stay: MLflow's client or Keras's
# weights import them.
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER=${1:-3.12}
DEST=${2:-wheelhouse}
rm -rf "$DEST" && mkdir -p "$DEST"
platform=()
if [ "$PYVER" != "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" ]; then
  platform=(--implementation cp --python-version "$PYVER" --platform manylinux_2_28_x86_64
            --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
fi
# pyproject's dependencies, TensorFlow's place taken by Keras (which it brings) and MLflow's by
# its client, plus the SQL store's packages
mapfile -t requirements < <(python3 - <<'PY'
import tomllib

for dep in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    if dep.startswith("tensorflow"):
        print("keras==3.15.1")
    else:
        print(dep.replace("mlflow", "mlflow-skinny", 1) if dep.startswith("mlflow") else dep)
print("sqlalchemy>=2")
print("alembic")
PY
)
python3 -m pip download --quiet --dest "$DEST" --only-binary=:all: "${platform[@]}" \
  "${requirements[@]}"
# the machine has these (numpy's or scipy's wheel would replace its own; typing_extensions
# stays, 0.1 MiB: pydantic-core needs 4.14's Sentinel, and which version is there is unknown) ...
rm -f "$DEST"/{numpy,scipy,pandas,scikit_learn,pyarrow,joblib,threadpoolctl}-*
rm -f "$DEST"/{packaging,python_dateutil,tzdata}-*
# ... and a search never imports these
rm -f "$DEST"/{google_auth,pyasn1,pyasn1_modules,uvicorn,h11,gitpython,gitdb,smmap}-*
size=$(du -sm "$DEST" | cut -f1)
echo "$DEST: $(ls "$DEST" | wc -l) wheels, ${size} MiB"
if [ "$size" -gt 62 ]; then
  echo "over the 62 MiB left for it in a device call's 64 MiB" >&2
  exit 1
fi
