"""Bad input through the real command lines: exit code 2, one line naming the thing at fault, no
traceback, and nothing written (no store, no run, no state file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from mlflow import MlflowClient

GOOD = b"text,industry\n" + b"".join(
    b"nurse on ward %d,Health\nwelder in shop %d,Industry\n" % (i, i) for i in range(15)
)
SPACE = b"lstm_units: {choice: [4, 8]}\nmax_epochs: 1\n"
DEAD = "http://127.0.0.1:9"  # nothing listens on the discard port

# (case, command, arguments, files to create, what the one line must say, store first?)
CASES = [
    ("spark cluster with a local store", "random",
     ["--spark-master", "spark://10.0.0.1:7077", "--trials", "1"], {},
     "executors on other machines cannot write to the local store"),
    ("gpus per trial on local Spark", "random", ["--parallelism", "2", "--gpus-per-trial", "1"],
     {}, "--gpus-per-trial needs a Spark cluster"),
    # data files
    ("data missing", "random", ["--data", "nope.csv"], {}, "nope.csv: no such file"),
    ("data empty", "random", ["--data", "d.csv"], {"d.csv": b""}, "cannot be read as csv"),
    ("data header only", "random", ["--data", "d.csv"], {"d.csv": b"text,industry\n"},
     "no rows (only a header?)"),
    ("data binary", "random", ["--data", "d.csv"], {"d.csv": bytes(range(256)) * 8},
     "d.csv: binary content, not csv text"),
    ("data latin-1", "random", ["--data", "d.csv"],
     {"d.csv": "text,industry\ncaf\u00e9,x\n".encode("latin-1")}, "not UTF-8"),
    ("data extension", "random", ["--data", "d.xlsx"], {"d.xlsx": GOOD}, "unknown format"),
    ("data one class", "random", ["--data", "d.csv"],
     {"d.csv": b"text,industry\n" + b"".join(b"job %d,x\n" % i for i in range(30))},
     "1 class(es) left"),
    ("data classes too small", "random", ["--data", "d.csv"],
     {"d.csv": b"text,industry\n" + b"".join(b"job %d,c%d\n" % (i, i % 4) for i in range(20))},
     "--min-class-size"),
    ("data label empty", "random", ["--data", "d.csv"],
     {"d.csv": b"text,industry\nnurse,\nwelder,\n"}, "label column 'industry' is empty"),
    ("data 1 MB cell", "random", ["--data", "d.csv"],
     {"d.csv": b"text,industry\nchef," + b"y" * 2**20 + b"\n"}, "'yyyyy"),
    ("data numbers only", "random", ["--data", "d.csv"],
     {"d.csv": b"text,industry\n" + b"".join(b"%d,c%d\n" % (i, i % 2) for i in range(40))},
     "holds no words"),
    ("data text column", "random", ["--data", "d.csv", "--text-col", "body"], {"d.csv": GOOD},
     "missing column 'body'"),
    # flags
    ("trials 0", "random", ["--trials", "0"], {}, "--trials: must be a whole number >= 1"),
    ("trials -5", "random", ["--trials", "-5"], {}, "--trials: must be a whole number >= 1"),
    ("trials abc", "random", ["--trials", "abc"], {}, "--trials: invalid"),
    ("max-epochs 0", "tpe", ["--max-epochs", "0"], {}, "--max-epochs: must be"),
    ("timeout -1", "random", ["--timeout", "-1"], {}, "--timeout: must be a number > 0"),
    ("objective", "random", ["--objective", "f1"], {}, "--objective: invalid choice"),
    ("unknown flag", "random", ["--epochs", "3"], {}, "unrecognized arguments: --epochs"),
    ("empty experiment", "random", ["--experiment", " "], {}, "--experiment: the name is empty"),
    ("model name", "random", ["--model-name", "bad:name/x"], {}, "model name 'bad:name/x'"),
    ("resume nothing", "random", ["--resume"], {}, "--resume: no saved search"),
    # search spaces
    ("space missing", "random", ["--space", "s.yaml"], {}, "s.yaml: no such space file"),
    ("space bad YAML", "random", ["--space", "s.yaml"], {"s.yaml": b"a: [1, 2\n"},
     "not valid YAML"),
    ("space empty", "random", ["--space", "s.yaml"], {"s.yaml": b""}, "the space is empty"),
    ("space unknown param", "random", ["--space", "s.yaml"], {"s.yaml": b"lstm_size: 8\n"},
     "lstm_size"),
    ("space unknown distribution", "random", ["--space", "s.yaml"],
     {"s.yaml": b"dropout: {gauss: [0, 1]}\n"}, "gauss"),
    ("space low >= high", "random", ["--space", "s.yaml"],
     {"s.yaml": b"dropout: {uniform: [0.5, 0.1]}\n"}, "low (0.5) must be below high (0.1)"),
    ("space negative rate", "random", ["--space", "s.yaml"],
     {"s.yaml": b"learning_rate: {uniform: [-0.1, 0.1]}\n"}, "learning_rate"),
    ("space samples objective", "random", ["--space", "s.yaml"],
     {"s.yaml": b"objective: {choice: [accuracy, loss]}\n"}, "objective"),
    ("space seed point outside", "tpe", ["--space", "s.yaml"],
     {"s.yaml": SPACE + b"seed_points:\n  - {lstm_units: 99}\n"}, "lstm_units=99"),
    # tracking stores
    ("search dead server", "random", ["--tracking-uri", DEAD], {}, "does not answer"),
    ("search unknown scheme", "random", ["--tracking-uri", "foo://bar"], {}, "unknown scheme"),
    ("baseline dead server", "baseline", ["--tracking-uri", DEAD], {}, "does not answer"),
    ("baseline unknown scheme", "baseline", ["--tracking-uri", "foo://bar"], {},
     "unknown scheme"),
    ("predict dead server", "predict", ["--model", "models:/m@champion", "--tracking-uri", DEAD,
     "a nurse"], {}, "does not answer"),
    # models
    ("predict no store", "predict", ["--model", "models:/m@champion", "a nurse"], {},
     "no MLflow store at"),
    ("predict missing model", "predict", ["--model", "models:/nope@champion", "a nurse"], {},
     "cannot load model 'models:/nope@champion'", "store"),
    ("predict missing alias", "predict", ["--model", "models:/real@gone", "a nurse"], {},
     "cannot load model 'models:/real@gone'", "store"),
    # predict input
    ("predict empty text", "predict", ["--model", "models:/m@champion", ""], {},
     "argument 1 is an empty text"),
    ("predict blank row", "predict", ["--model", "models:/m@champion", "--input", "p.csv"],
     {"p.csv": b"id,text\n1,nurse\n2,  \n"}, "p.csv: row 2 is an empty text"),
    ("predict input column", "predict", ["--model", "models:/m@champion", "--input", "p.csv"],
     {"p.csv": b"body\nnurse\n"}, "missing column 'text'"),
    ("predict output folder", "predict", ["--model", "models:/m@champion", "--output",
     "no/such/out.csv", "a nurse"], {}, "folder no/such does not exist"),
]  # fmt: skip

MODULES = {
    "random": "jobsearch.random",
    "tpe": "jobsearch.tpe",
    "baseline": "jobsearch.baseline",
    "predict": "jobsearch.predict",
}


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _runs(root: Path) -> int:
    client = MlflowClient(f"sqlite:///{root}/mlruns/mlflow.db")
    return len(client.search_runs([e.experiment_id for e in client.search_experiments()]))


@pytest.mark.parametrize(
    ("command", "args", "files", "message", "store"),
    [pytest.param(*case[1:5], len(case) > 5, id=case[0]) for case in CASES],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    command, args, files, message, store, tmp_path
):
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    if store:
        MlflowClient(f"sqlite:///{tmp_path}/mlruns/mlflow.db").create_registered_model("real")
    before, runs = _tree(tmp_path), _runs(tmp_path) if store else 0
    out = run_cli(MODULES[command], *args, cwd=tmp_path, timeout=60)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, out.stderr[-2000:]
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert message in lines[0] and len(lines[0]) < 600, lines[0][:600]
    assert _tree(tmp_path) == before
    if store:
        assert _runs(tmp_path) == runs
