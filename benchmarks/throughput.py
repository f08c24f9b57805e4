"""Training throughput: the project's default model against the question's Model_1 as written.

Model_1 runs exactly as in the question (3000 tokens, front padding, no masking,
recurrent_dropout 0.2); its epochs are capped by --model1-epochs because each one is slow on a
CPU. Prints examples/s for both, their ratio, validation accuracy, this machine's float32
matmul GFLOP/s and the LSTMs' achieved GFLOP/s.

    python benchmarks/throughput.py [--data FILE --text-col text --label-col industry]
"""

from __future__ import annotations

import argparse

import numpy as np
from machine import description, matmul_gflops


def lstm_train_flops_per_example(params: dict, input_dim: int) -> float:
    """Approximate LSTM training FLOPs per example (forward matmuls x3 for backward)."""
    units = params["lstm_units"]
    per_step = 2 * 4 * units * (input_dim + units)
    directions = 2 if params["bidirectional"] else 1
    return 3 * per_step * params["max_len"] * directions


def main() -> None:
    from jobsearch import prepare_dataset, resolve_params, run_experiment
    from jobsearch.presets import MODEL_1

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--text-col", action="append", dest="text_cols")
    parser.add_argument("--label-col", default="industry")
    parser.add_argument("--model1-epochs", type=int, default=2)
    args = parser.parse_args()
    data = prepare_dataset(args.data, args.text_cols or ["text"], args.label_col)
    print(f"machine: {description()}, data: {data.summary['source']} {data.summary['splits']}")
    gflops = matmul_gflops()
    print(f"float32 matmul: {gflops:.1f} GFLOP/s")
    runs = {
        "default": resolve_params({}),
        "model_1": resolve_params({**MODEL_1, "max_epochs": args.model1_epochs}),
    }
    results = {}
    for name, params in runs.items():
        r = run_experiment(params, data=data, track=False)
        assert r.ok, r.error
        achieved = (
            lstm_train_flops_per_example(params, params["embedding_dim"])
            * r.examples_per_second
            / 1e9
        )
        results[name] = r
        print(
            f"{name:<8} examples/s {r['examples_per_second']:8.1f}  epochs {r['epochs']:>2}  "
            f"val acc {r['val_accuracy']:.4f}  test acc {r['test_accuracy']:.4f}  "
            f"LSTM {achieved:6.2f} GFLOP/s ({achieved / gflops:.1%} of matmul)"
        )
    ratio = results["default"].examples_per_second / results["model_1"].examples_per_second
    print(f"throughput ratio default / model_1: {ratio:.1f}x")
    print(np.round([results[n].val_accuracy for n in results], 4))


if __name__ == "__main__":
    main()
