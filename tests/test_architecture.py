"""The layout's rules, read from the source: data flows one way and each library has a home."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "jobsearch"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth, except under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                prefix = package[: len(package) - node.level + 1]
                base = ".".join([*prefix, *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


FILES = {_module(p): p for p in PACKAGE.rglob("*.py")}
IMPORTS = {name: _imports(path) for name, path in FILES.items()}


def _uses(name: str, library: str) -> bool:
    return any(i == library or i.startswith(library + ".") for i in IMPORTS[name])


def test_no_import_cycle():
    graph = {m: {i for i in imps if i in FILES and i != m} for m, imps in IMPORTS.items()}
    # a package's __init__ importing its own submodules is not a cycle of stages
    graph = {m: {i for i in deps if not m.startswith(i + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in graph[node]:
            assert state.get(dep) != 1, "import cycle: " + " -> ".join([*path, node, dep])
            if dep not in state:
                visit(dep, [*path, node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_each_library_has_one_home():
    for name in IMPORTS:
        if _uses(name, "mlflow"):
            assert name.startswith("jobsearch.tracking."), f"{name} calls MLflow"
        if _uses(name, "hyperopt"):
            assert name.startswith("jobsearch.search."), f"{name} imports hyperopt"


def test_model_knows_no_search_or_tracking_and_metrics_no_keras():
    for name in IMPORTS:
        if name.startswith("jobsearch.model"):
            for other in ("hyperopt", "mlflow", "jobsearch.search", "jobsearch.tracking"):
                assert not _uses(name, other), f"{name} imports {other}"
    for library in ("keras", "tensorflow"):
        assert not _uses("jobsearch.model.metrics", library)
        assert not _uses("jobsearch.baseline", library)
        assert not _uses("jobsearch.tracking.registry", library)


def test_tensorflow_only_where_it_is_the_backend():
    """Three TensorFlow-only paths, each behind a check of the backend: the device's name and
    threads, the sparse n-gram bag and the tf.data batches; nothing else imports it."""
    users = {name for name in IMPORTS if _uses(name, "tensorflow")}
    assert users == {"jobsearch.device", "jobsearch.model.build", "jobsearch.model.train"}


def test_report_neither_trains_nor_registers():
    for name in IMPORTS:
        if name.startswith("jobsearch.report"):
            for other in (
                "keras",
                "tensorflow",
                "mlflow",
                "jobsearch.trial",
                "jobsearch.tracking",
                "jobsearch.baseline",
            ):
                assert not _uses(name, other), f"{name} imports {other}"
            # from the model package, only the Keras-free metrics (scores and their labels)
            model = {i for i in IMPORTS[name] if i.startswith("jobsearch.model")}
            assert all(i.startswith("jobsearch.model.metrics") for i in model), f"{name}: {model}"


def test_the_rules_see_real_imports():
    # guards the checks above against passing vacuously
    assert _uses("jobsearch.tracking.mlflow", "mlflow")
    assert _uses("jobsearch.search.samplers.base", "hyperopt")
    assert "jobsearch.trial" in IMPORTS["jobsearch.search.run"]
    assert "jobsearch.params" in IMPORTS["jobsearch.report.summary"]
