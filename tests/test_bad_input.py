"""Bad input through the real command lines' entry functions (in-process: a new interpreter
costs seconds a case): exit code 2, one line naming the thing at fault, no traceback, no
password shown, and nothing written (no store, run, state or token cache; no file replaced)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

GOOD = b"text,industry\n" + b"".join(
    b"nurse on ward %d,Health\nwelder in shop %d,Industry\n" % (i, i) for i in range(15)
)
SPACE = b"lstm_units: {choice: [4, 8]}\nmax_epochs: 1\n"
DEAD = "http://127.0.0.1:9"  # nothing listens on the discard port
SECRET = "S3cret-pw"  # never printed, whatever the URI that holds it
STATE = "mlruns/searches/demo-random/state.json"
JSONL = b"".join(b'{"text": "nurse on ward %d", "industry": "Health"}\n' % i for i in range(20))

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
    ("data UTF-16", "random", ["--data", "d.csv"], {"d.csv": GOOD.decode().encode("utf-16")},
     "d.csv: UTF-16 text"),
    ("data separated by semicolons", "random", ["--data", "d.csv"],
     {"d.csv": GOOD.replace(b",", b";")}, "is the file separated by ';'?"),
    ("data zstd", "random", ["--data", "d.csv.zst"], {"d.csv.zst": GOOD},
     "unknown format '.csv.zst'"),
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
    ("pruner", "tpe", ["--pruner", "hyperband"], {}, "--pruner: invalid choice"),
    ("eta 1", "random", ["--pruner", "asha", "--eta", "1"], {}, "--eta: must be a whole number"),
    ("refit", "random", ["--refit", "everything"], {}, "--refit: invalid choice"),
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
    ("predict labels without input", "predict", ["--model", "models:/m@champion", "--label-col",
     "industry", "a nurse"], {}, "--label-col scores the predictions of an --input file"),
    ("predict label column", "predict", ["--model", "models:/m@champion", "--input", "p.csv",
     "--label-col", "sector"], {"p.csv": b"text\nnurse\n"}, "p.csv: missing column 'sector'"),
    ("predict output folder", "predict", ["--model", "models:/m@champion", "--output",
     "no/such/out.csv", "a nurse"], {}, "folder no/such does not exist"),
    # --- hostile input beyond the first table ---
    # credentials in URIs are masked; http user:password@host is not read as a host name
    ("search password in http URI", "random",
     ["--tracking-uri", f"http://alice:{SECRET}@127.0.0.1:9"], {},
     "tracking server http://alice:***@127.0.0.1:9 does not answer ([Errno 111]"),
    ("search password in postgres URI", "random",
     ["--tracking-uri", f"postgresql://u:{SECRET}@127.0.0.1:9/db"], {},
     "tracking URI postgresql://u:***@127.0.0.1:9/db:"),
    ("baseline password in URI", "baseline",
     ["--tracking-uri", f"postgresql://u:{SECRET}@127.0.0.1:9/db"], {}, "u:***@127.0.0.1"),
    ("predict password in URI", "predict", ["--model", "models:/m@champion", "--tracking-uri",
     f"https://bob:{SECRET}@127.0.0.1:9", "a nurse"], {}, "https://bob:***@127.0.0.1:9"),
    ("tracking URI in the environment", "random", [], {}, "unknown scheme 'foo://'",
     False, {"MLFLOW_TRACKING_URI": "foo://bar"}),
    ("tracking URI bad IPv6", "random", ["--tracking-uri", "http://[::1"], {}, "tracking URI"),
    ("tracking URI file store", "random", ["--tracking-uri", "file:///tmp/x"], {},
     "no longer writes folder (file) stores"),
    ("tracking URI bare folder", "baseline", ["--tracking-uri", "some/folder"], {},
     "no longer writes folder (file) stores"),
    ("sqlite store not a database", "random", ["--tracking-uri", "sqlite:///d.csv"],
     {"d.csv": GOOD}, "d.csv is not an SQLite database"),
    ("sqlite store a device", "baseline", ["--tracking-uri", "sqlite:////dev/null"], {},
     "/dev/null is not a regular file"),
    ("sqlite store under a file", "predict", ["--model", "models:/m@champion",
     "--tracking-uri", "sqlite:///d.csv/mlflow.db", "a nurse"], {"d.csv": GOOD},
     "d.csv is not a writable folder"),
    ("sqlite store climbing into a device", "random",
     ["--tracking-uri", "sqlite:///no/such" + "/.." * 40 + "/dev/full/x.db"], {},
     "/dev/full is not a writable folder"),
    ("experiment with a newline", "random", ["--experiment", "a\nb"], {},
     "--experiment: the name holds a control character"),
    ("experiment 300 characters", "random", ["--experiment", "x" * 300], {},
     "the name is 300 characters long"),
    ("baseline experiment with a tab", "baseline", ["--experiment", "a\tb"], {},
     "control character"),
    # saved state
    ("state truncated", "random", [], {STATE: b'{"format": 1, "parent_run_id": "ab'},
     "state.json: damaged or not a saved search"),
    ("state truncated, --resume", "random", ["--resume"],
     {STATE: b'{"format": 1, "parent_run_id": "ab'}, "to start this search afresh"),
    ("state hand-edited types", "random", [],
     {STATE: json.dumps({"format": 1, "parent_run_id": "x", "identity": {},
                          "trials": [{"tid": "one"}]}).encode()}, "trials.0.tid"),
    ("state not an object", "random", [], {STATE: b"[]"}, "not a saved search of format 1"),
    ("state binary", "random", [], {STATE: bytes(range(256))}, "damaged or not a saved search"),
    # seeds and numbers
    ("seed -1", "random", ["--seed", "-1"], {}, "--seed: must be a whole number from 0 to"),
    ("seed 2**32", "tpe", ["--seed", "4294967296"], {}, "--seed: must be a whole number"),
    ("baseline seed -1", "baseline", ["--seed", "-1"], {}, "--seed: must be a whole number"),
    ("baseline seed 2**32", "baseline", ["--seed", "4294967296"], {}, "--seed: must be"),
    ("seed 1.5", "random", ["--seed", "1.5"], {}, "--seed: invalid"),
    ("timeout nan", "random", ["--timeout", "nan"], {}, "--timeout: must be a number > 0"),
    ("timeout inf", "random", ["--timeout", "inf"], {}, "--timeout: must be a number > 0"),
    ("gpus per trial nan", "random", ["--gpus-per-trial", "nan"], {}, "--gpus-per-trial: must"),
    ("gpus per trial 0", "random", ["--gpus-per-trial", "0"], {}, "--gpus-per-trial: must"),
    ("parallelism 0", "random", ["--parallelism", "0"], {}, "--parallelism: must be"),
    ("stop-after 0", "random", ["--stop-after", "0"], {}, "--stop-after: must be"),
    ("startup trials 0", "tpe", ["--startup-trials", "0"], {}, "--startup-trials: must be"),
    ("max-epochs 1e3", "random", ["--max-epochs", "1e3"], {}, "--max-epochs: invalid"),
    ("min-class-size 0", "random", ["--min-class-size", "0"], {}, "--min-class-size: must be"),
    ("startup trials on random", "random", ["--startup-trials", "3"], {},
     "unrecognized arguments: --startup-trials"),
    # search spaces
    ("space duplicate key", "random", ["--space", "s.yaml"],
     {"s.yaml": SPACE + b"lstm_units: 16\n"}, "line 3: not valid YAML ('lstm_units' is given"),
    ("space duplicate nested key", "random", ["--space", "s.yaml"],
     {"s.yaml": b"dropout: {uniform: [0, 0.5], uniform: [0, 0.1]}\n"}, "is given twice"),
    ("space not UTF-8", "random", ["--space", "s.yaml"], {"s.yaml": b"dropout: 0.1 # \xe9\n"},
     "s.yaml: bytes that are not UTF-8"),
    ("space a list", "random", ["--space", "s.yaml"], {"s.yaml": b"- 1\n- 2\n"},
     "the top level must be a mapping"),
    ("space python tag", "random", ["--space", "s.yaml"],
     {"s.yaml": b"dropout: !!python/object/apply:os.system [echo hi]\n"}, "not valid YAML"),
    ("space a folder", "random", ["--space", "folder"], {"folder/x": b""},
     "folder: not a regular space file"),
    ("space a device", "random", ["--space", "/dev/zero"], {}, "not a regular space file"),
    ("embedding file missing", "random", ["--space", "s.yaml"],
     {"s.yaml": b"embedding_init: vectors.txt\n"}, "word2vec text file; vectors.txt: no such file"),
    ("embedding file not vectors", "random", ["--space", "s.yaml"],
     {"s.yaml": b"embedding_init: v.txt\n", "v.txt": b"hello world\nthis is prose\n"},
     "v.txt: its lines are not 'word number ...'"),
    ("embedding file a device", "random", ["--space", "s.yaml"],
     {"s.yaml": b"embedding_init: /dev/zero\n"}, "/dev/zero: not a regular file"),
    ("embedding file in a choice", "tpe", ["--space", "s.yaml"],
     {"s.yaml": b"embedding_init: {choice: [random, gone.txt]}\n"}, "gone.txt: no such file"),
    # data files
    ("data duplicate column", "random", ["--data", "d.csv"],
     {"d.csv": b"text,industry,text\n" + b"nurse,Health,x\n" * 30},
     "d.csv: column 'text' appears twice in the header"),
    ("data duplicate label column", "random", ["--data", "d.tsv"],
     {"d.tsv": b"text\tindustry\tindustry\nnurse\tHealth\tx\n"}, "'industry' appears twice"),
    ("jsonl label a list", "random", ["--data", "d.jsonl"],
     {"d.jsonl": JSONL + b'{"text": "welder", "industry": ["Industry", "Other"]}\n'},
     "column 'industry' holds a list in row 21"),
    ("jsonl text an object", "random", ["--data", "d.jsonl"],
     {"d.jsonl": b'{"text": {"title": "nurse"}, "industry": "Health"}\n' + JSONL},
     "column 'text' holds an object in row 1"),
    ("jsonl not JSON", "random", ["--data", "d.jsonl"], {"d.jsonl": b"{text: nurse\n"},
     "cannot be read as jsonl"),
    ("gzip that is not", "random", ["--data", "d.csv.gz"], {"d.csv.gz": GOOD},
     "cannot be read as csv"),
    ("parquet that is not", "random", ["--data", "d.parquet"], {"d.parquet": GOOD},
     "cannot be read as parquet"),
    ("csv ragged rows", "random", ["--data", "d.csv"],
     {"d.csv": b"text,industry\nnurse,Health\nwelder,Industry,extra,more\n"},
     "cannot be read as csv"),
    ("data a folder", "random", ["--data", "d.csv"], {"d.csv/x": b""},
     "d.csv: not a regular file"),
    ("data a device", "baseline", ["--data", "/dev/zero.csv"], {}, "no such file"),
    ("data label column missing", "random", ["--data", "d.csv", "--label-col", "sector"],
     {"d.csv": GOOD}, "missing column 'sector'"),
    ("label column is a text column", "random", ["--data", "d.csv", "--text-col", "industry"],
     {"d.csv": GOOD}, "--label-col 'industry' is also a --text-col"),
    ("text column twice", "random", ["--data", "d.csv", "--text-col", "text", "--text-col",
     "text"], {"d.csv": GOOD}, "--text-col 'text' is given twice"),
    ("max-epochs above the limit", "random", ["--max-epochs", "100000"], {}, "max_epochs"),
    ("baseline data missing", "baseline", ["--data", "nope.csv"], {}, "nope.csv: no such file"),
    ("baseline empty experiment", "baseline", ["--experiment", " "], {}, "the name is empty"),
    # models and predict
    ("predict s3 without boto3", "predict", ["--model", "s3://bucket/m", "a nurse"], {},
     "cannot load model 's3://bucket/m'", "store"),
    ("predict run that does not exist", "predict", ["--model", "runs:/0123abc/model", "nurse"],
     {}, "cannot load model 'runs:/0123abc/model'", "store"),
    ("predict no text at all", "predict", ["--model", "models:/m@champion"], {},
     "give job descriptions as arguments or --input FILE"),
    ("predict input missing", "predict", ["--model", "models:/m@champion", "--input", "p.csv"],
     {}, "p.csv: no such file"),
    ("predict input binary", "predict", ["--model", "models:/m@champion", "--input", "p.csv"],
     {"p.csv": bytes(range(256))}, "binary content"),
    ("predict output is the input", "predict", ["--model", "models:/m@champion", "--input",
     "p.csv", "--output", "./p.csv"], {"p.csv": b"text\nnurse\n"},
     "--output p.csv: is the --input file"),
    ("predict output format", "predict", ["--model", "models:/m@champion", "--output", "p.xlsx",
     "a nurse"], {}, "--output p.xlsx: unknown format '.xlsx'"),
    ("predict output parquet.gz", "predict", ["--model", "models:/m@champion", "--output",
     "p.parquet.gz", "a nurse"], {}, "Parquet is compressed inside"),
    ("predict output a folder", "predict", ["--model", "models:/m@champion", "--output", "out",
     "a nurse"], {"out/x": b""}, "--output out: is a folder"),
    ("predict whitespace text", "predict", ["--model", "models:/m@champion", "nurse", " \t "],
     {}, "argument 2 is an empty text"),
    ("predict html-only text", "predict", ["--model", "models:/m@champion", "<br/>&nbsp;"], {},
     "argument 1 is an empty text"),
    ("predict model flag missing", "predict", ["a nurse"], {}, "the following arguments are"),
    # the leaderboard
    ("report without a store", "report", ["demo-random"], {}, "no MLflow store at"),
    ("report unknown experiment", "report", ["nope"], {}, "experiment 'nope' does not exist",
     "store"),
    ("report experiment without a search", "report", ["Default"], {}, "holds no search yet",
     "store"),
    ("report run that is not a search", "report", ["Default", "--run", "abc"], {},
     "run 'abc' is not a search", "store"),
    ("report top 0", "report", ["--top", "0"], {}, "--top: must be a whole number >= 1"),
    ("report dead server", "report", ["--tracking-uri", DEAD], {}, "does not answer"),
]  # fmt: skip

MODULES = {
    "random": "jobsearch.random",
    "tpe": "jobsearch.tpe",
    "baseline": "jobsearch.cli.baseline",
    "predict": "jobsearch.cli.predict",
    "report": "jobsearch.cli.report",
}


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path below ``root`` with its size and modification time (nothing replaced)."""
    return {
        str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in root.rglob("*")
    }


def _runs(root: Path) -> int:
    client = MlflowClient(f"sqlite:///{root}/mlruns/mlflow.db")
    return len(client.search_runs([e.experiment_id for e in client.search_experiments()]))


def _call(command: str, args: list[str]) -> int:
    """The command's entry function, as ``python -m`` runs it (argparse's exit included)."""
    import importlib

    main = importlib.import_module(MODULES[command]).main
    try:
        return main(list(args))
    except SystemExit as exc:
        return exc.code


@pytest.mark.parametrize(
    ("command", "args", "files", "message", "store", "env"),
    [
        pytest.param(*case[1:5], len(case) > 5 and bool(case[5]), case[6] if len(case) > 6
                     else {}, id=case[0])
        for case in CASES
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    command, args, files, message, store, env, tmp_path, monkeypatch, capsys, private_cache
):
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    if store:
        MlflowClient(f"sqlite:///{tmp_path}/mlruns/mlflow.db").create_registered_model("real")
        capsys.readouterr()  # MLflow's own lines while it creates the store
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before, runs = _tree(tmp_path), _runs(tmp_path) if store else 0
    cache = _tree(private_cache)
    try:
        code = _call(command, args)
    finally:
        mlflow.set_tracking_uri(None)  # loading a model sets it for the whole process
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, err[-2000:]
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert message in lines[0] and len(lines[0]) < 600, lines[0][:600]
    assert SECRET not in out + err
    assert _tree(tmp_path) == before
    assert _tree(private_cache) == cache
    if store:
        assert _runs(tmp_path) == runs
