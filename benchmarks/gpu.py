"""Training examples/s on the Keras backend in use (``KERAS_BACKEND``), CPU or GPU: the default
model's LSTM part (Embedding 64 -> LSTM 64 -> max-pool, 160 steps, no n-gram branch), the whole
default model, and the question's three models as written and with the fused-kernel-friendly
change (``recurrent_dropout`` 0), each in float32 and mixed precision.

    KERAS_BACKEND=jax python benchmarks/gpu.py                       # every case, 50 steps each
    python benchmarks/gpu.py --steps 3 --cases lstm,default          # a quick look on a CPU

Real demo postings (the bundled set), real models (``build_model`` + ``compile_model``), one
``train_on_batch`` a step after a warm-up step (its compile time is reported apart). A case that
fails (JAX's LSTM in float16, say) is reported with its error. Writes JSON to --out
(default benchmarks/results/gpu-<backend>-<device type>.json).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from machine import commit

ROOT = Path(__file__).resolve().parents[1]
LSTM_PART = {"ngrams": 0, "char_ngrams": False, "max_len": 160, "mask_padding": True}


def cases() -> dict[str, dict]:
    """The cases by name: run_experiment params."""
    from jobsearch.presets import MODEL_1, MODEL_2, MODEL_3

    fused = {"recurrent_dropout": 0.0}
    return {
        "lstm": LSTM_PART,
        "default": {},
        "model_1": MODEL_1,
        "model_1_fused": {**MODEL_1, **fused},
        "model_2": MODEL_2,
        "model_3": MODEL_3,
        "model_3_fused": {**MODEL_3, **fused},
    }


def measure(name: str, params: dict, data, steps: int, mixed: bool) -> dict:
    """Examples/s of ``steps`` training steps after one warm-up step."""
    from jobsearch.data.tokens import has_bag
    from jobsearch.model.build import build_model, compile_model, cudnn_compatible
    from jobsearch.model.session import keras_session
    from jobsearch.params import resolve_params

    params = data.resolve_lengths(resolve_params({**params, "mixed_precision": "off"}))
    row = {"case": name, "precision": "mixed_float16" if mixed else "float32"}
    row |= {"cudnn_eligible": cudnn_compatible(params), "batch": params["batch_size"]}
    row |= {"max_len": params["max_len"], "lstm_units": params["lstm_units"]}
    try:
        with keras_session(0, mixed):
            table = data.ngram_table(params) if has_bag(params) else None
            model = build_model(params, len(data.vocabulary), len(data.classes), None, table)
            compile_model(model, params, steps_per_epoch=steps)
            x, y = data.inputs("train", params), data.labels["train"]
            batch = params["batch_size"]
            starts = [(i * batch) % (len(y) - batch) for i in range(steps + 1)]
            batches = [
                ({k: v[s : s + batch] for k, v in x.items()}, y[s : s + batch]) for s in starts
            ]
            t = time.perf_counter()
            model.train_on_batch(*batches[0])
            row["warmup_seconds"] = time.perf_counter() - t
            t = time.perf_counter()
            for bx, by in batches[1:]:
                loss = model.train_on_batch(bx, by)
            seconds = time.perf_counter() - t
            row["examples_per_second"] = steps * batch / seconds
            row["final_loss"] = float(np.ravel(loss)[0])
    except Exception as exc:  # a backend that cannot run a case says why
        row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    from jobsearch import prepare_dataset
    from jobsearch.device import device_info, library_versions

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="timed steps per case")
    parser.add_argument("--cases", default=",".join(cases()), help="comma-separated")
    parser.add_argument("--precision", default="float32,mixed_float16", help="comma-separated")
    parser.add_argument("--out", type=Path, help="JSON file to write")
    args = parser.parse_args()
    device = device_info()
    data = prepare_dataset()
    report = {
        **device,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit(),
        "versions": library_versions(),
        "steps": args.steps,
        "rows": [
            measure(name, cases()[name], data, args.steps, precision != "float32")
            for name in args.cases.split(",")
            for precision in args.precision.split(",")
        ],
    }
    kind = device["device_type"].lower()
    out = args.out or ROOT / "benchmarks" / "results" / f"gpu-{device['backend']}-{kind}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
