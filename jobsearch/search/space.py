"""Search spaces: a small YAML grammar compiled to hyperopt, validated before any training.

A value is fixed, a list, a mapping, or a one-key mapping naming a distribution::

    lstm_units: {choice: [32, 64, 128]}
    learning_rate: {loguniform: [0.0005, 0.02]}
    dense_layers: {choice: [[], [{units: {quniform: [16, 128, 16]}, dropout: 0.2}]]}

See ``search_spaces/README.md`` for the whole grammar.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..params import (
    LAYER_FIELDS,
    PARAMS,
    ParamError,
    Spec,
    check_value,
    layer_problem,
    top_k_problem,
)


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a mapping that gives one key twice (plain YAML keeps
    the last, so a parameter written twice would be searched silently as the second one)."""

    def construct_mapping(self, node, deep=False):
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


DISTRIBUTIONS = (
    "choice",
    "pchoice",
    "uniform",
    "quniform",
    "loguniform",
    "qloguniform",
    "randint",
    "normal",
)
_ARITY = {"uniform": 2, "loguniform": 2, "quniform": 3, "qloguniform": 3, "randint": 2, "normal": 2}
_FLOAT_ONLY = ("uniform", "loguniform", "normal")


class SpaceError(ValueError):
    """A search-space file is invalid; the message names the file and the YAML path."""


@dataclass
class SearchSpace:
    """A validated space: its source, its YAML mapping and the hyperopt expression."""

    path: Path
    text: str
    raw: dict[str, Any]
    expr: dict[str, Any] = field(repr=False)
    seed_points: list[dict[str, Any]] = field(default_factory=list)

    @property
    def searched(self) -> list[str]:
        """Top-level parameters that vary."""
        return [k for k, v in self.raw.items() if _is_dist(v) or _varies(v)]


def _is_dist(node: Any) -> bool:
    return isinstance(node, Mapping) and len(node) == 1 and next(iter(node)) in DISTRIBUTIONS


def _varies(node: Any) -> bool:
    if _is_dist(node):
        return True
    if isinstance(node, Mapping):
        return any(_varies(v) for v in node.values())
    if isinstance(node, list):
        return any(_varies(v) for v in node)
    return False


class _Compiler:
    """Walks the YAML, checks it and builds hyperopt nodes labelled by their YAML path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, path: str, message: str) -> SpaceError:
        return SpaceError(f"{self.source}: {path}: {message}")

    def param(self, node: Any, path: str, spec: Spec) -> Any:
        """A node whose values must satisfy ``spec`` (a layer list when spec.kind == 'layers')."""
        from hyperopt import hp

        if _is_dist(node):
            ((dist, args),) = node.items()
            if dist in ("choice", "pchoice"):
                options = self.options(dist, args, path)
                compiled = [
                    self.param(opt, f"{path}/{i}", spec) for i, (_, opt) in enumerate(options)
                ]
                if dist == "choice":
                    return hp.choice(path, compiled)
                return hp.pchoice(path, [(p, c) for (p, _), c in zip(options, compiled)])
            return self.numeric(dist, args, path, spec)
        if isinstance(node, Mapping) and spec.kind not in ("init",):
            key = next(iter(node), None)
            raise self.error(
                path,
                f"unknown distribution {key!r}; allowed: {', '.join(DISTRIBUTIONS)}"
                if len(node) == 1
                else "a mapping here must have exactly one key, a distribution name",
            )
        if spec.kind == "layers":
            return self.layers(node, path)
        try:
            return check_value(path, spec, node)
        except ParamError as exc:
            raise self.error(path, str(exc).split(" is invalid: ", 1)[-1]) from None

    def options(self, dist: str, args: Any, path: str) -> list[tuple[float, Any]]:
        if not isinstance(args, list) or not args:
            raise self.error(path, f"{dist} needs a non-empty list of options")
        if dist == "choice":
            return [(1.0, a) for a in args]
        pairs = []
        for i, item in enumerate(args):
            if not (
                isinstance(item, list) and len(item) == 2 and isinstance(item[0], numbers.Real)
            ):
                raise self.error(f"{path}/{i}", "pchoice options are [probability, value] pairs")
            pairs.append((float(item[0]), item[1]))
        if abs(sum(p for p, _ in pairs) - 1) > 1e-6:
            raise self.error(path, "pchoice probabilities must sum to 1")
        return pairs

    def numeric(self, dist: str, args: Any, path: str, spec: Spec) -> Any:
        from hyperopt import hp

        n = _ARITY[dist]
        if not (
            isinstance(args, list)
            and len(args) == n
            and all(isinstance(a, numbers.Real) and not isinstance(a, bool) for a in args)
        ):
            names = {2: "[low, high]", 3: "[low, high, q]"}[n]
            if dist == "normal":
                names = "[mu, sigma]"
            raise self.error(path, f"{dist} takes {names} as numbers, got {args!r}")
        kind = "int" if spec.kind in ("int_or_none", "length") else spec.kind
        if kind not in ("int", "float"):
            raise self.error(path, f"{dist} gives numbers, but this parameter is a {spec.kind}")
        if kind == "int" and dist in _FLOAT_ONLY:
            raise self.error(
                path,
                f"{dist} gives fractions but an integer is needed; use quniform, "
                "qloguniform, randint or choice",
            )
        if dist == "normal":
            if args[1] <= 0:
                raise self.error(path, "normal's sigma must be > 0")
            return hp.normal(path, args[0], args[1])
        low, high = args[0], args[1]
        if low >= high:
            raise self.error(path, f"low ({low}) must be below high ({high})")
        if dist.endswith("loguniform") and low <= 0:
            raise self.error(path, f"{dist} needs low > 0, got {low}")
        if n == 3 and args[2] <= 0:
            raise self.error(path, f"q must be > 0, got {args[2]}")
        for bound in (low, high):
            try:
                check_value(path, spec, int(bound) if kind == "int" else bound)
            except ParamError as exc:
                raise self.error(path, str(exc).split(" is invalid: ", 1)[-1]) from None
        if dist == "uniform":
            return hp.uniform(path, low, high)
        if dist == "quniform":
            return hp.quniform(path, low, high, args[2])
        if dist == "loguniform":
            return hp.loguniform(path, math.log(low), math.log(high))
        if dist == "qloguniform":
            return hp.qloguniform(path, math.log(low), math.log(high), args[2])
        return hp.randint(path, int(low), int(high))

    def layers(self, node: Any, path: str) -> list[dict[str, Any]]:
        if node is None:
            return []
        if not isinstance(node, list):
            raise self.error(path, "a dense stack is a list of layer mappings")
        out = []
        for i, layer in enumerate(node):
            here = f"{path}/{i}"
            problem = (
                (None, "each layer is a mapping like {units: 64, activation: relu}")
                if _is_dist(layer)
                else layer_problem(layer)
            )
            if problem is not None:
                field, message = problem
                raise self.error(f"{here}/{field}" if field else here, message)
            out.append({k: self.param(v, f"{here}/{k}", LAYER_FIELDS[k]) for k, v in layer.items()})
        return out


def _bound(node: Any, pick) -> float | None:
    """The smallest (pick=min) or largest (pick=max) number a node can produce."""
    if _is_dist(node):
        ((dist, args),) = node.items()
        if dist == "choice":
            values = [_bound(a, pick) for a in args]
        elif dist == "pchoice":
            values = [_bound(a[1], pick) for a in args if isinstance(a, list) and len(a) == 2]
        elif dist == "normal":
            return -math.inf if pick is min else math.inf
        else:
            values = [args[0], args[1] - (1 if dist == "randint" else 0)]
        values = [v for v in values if v is not None]
        return pick(values) if values else None
    if isinstance(node, numbers.Real) and not isinstance(node, bool):
        return float(node)
    return None


def compile_space(raw: Any, source: str = "<space>", overrides: Mapping[str, Any] | None = None):
    """Validate a parsed YAML mapping and return the hyperopt expression."""
    if not isinstance(raw, Mapping):
        raise SpaceError(f"{source}: the top level must be a mapping of parameter names")
    raw = {**raw, **(overrides or {})}
    compiler = _Compiler(source)
    expr = {}
    for name, node in raw.items():
        if name == "objective":
            raise SpaceError(
                f"{source}: objective: is a search setting, not a parameter to sample; "
                "remove it and pass --objective (accuracy, macro_f1 or loss)"
            )
        if name not in PARAMS:
            raise SpaceError(
                f"{source}: {name}: unknown parameter; known parameters: {', '.join(PARAMS)}"
            )
        expr[name] = compiler.param(node, name, PARAMS[name])
    batch = (
        PARAMS["batch_size"].default if "batch_size" not in raw else _bound(raw["batch_size"], min)
    )
    top_k = _bound(raw.get("top_k"), max)
    if top_k_problem(top_k, batch):
        raise SpaceError(
            f"{source}: top_k: can reach {top_k:g} but batch_size can be as small as {batch:g}; "
            "top_k must never exceed the batch size"
        )
    return raw, expr


def load_space(path: str | Path, overrides: Mapping[str, Any] | None = None) -> SearchSpace:
    """Read, validate and compile a YAML space file, or a bundled space by name (``seed``);
    ``overrides`` fix parameters (CLI flags)."""
    from . import SPACES

    path = Path(path)
    bundled = SPACES / f"{path.stem}.yaml"
    named = path.parent == Path() and path.suffix in ("", ".yaml")
    if not path.exists() and named and bundled.is_file():
        path = bundled
    if path.exists() and not path.is_file():
        raise SpaceError(f"{path}: not a regular space file")
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in SPACES.glob("*.yaml")))
        raise SpaceError(f"{path}: no such space file (or name a bundled one: {names})")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpaceError(f"{path}: bytes that are not UTF-8 at position {exc.start}") from None
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise SpaceError(
            f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(doc, Mapping):
        raise SpaceError(f"{path}: the top level must be a mapping of parameter names")
    if not doc:
        raise SpaceError(f"{path}: the space is empty; name at least one parameter")
    doc = dict(doc)
    seeds = doc.pop("seed_points", []) or []
    raw, expr = compile_space(doc, str(path), overrides)
    points = []
    for i, point in enumerate(seeds):
        if not isinstance(point, Mapping):
            raise SpaceError(f"{path}: seed_points/{i}: must be a mapping of parameter values")
        unknown = sorted(set(point) - set(PARAMS))
        if unknown:
            raise SpaceError(f"{path}: seed_points/{i}/{unknown[0]}: unknown parameter")
        encode_point(raw, point, f"{path}: seed_points/{i}")
        points.append(dict(point))
    return SearchSpace(path=path, text=text, raw=raw, expr=expr, seed_points=points)


def encode_point(raw: Mapping[str, Any], point: Mapping[str, Any], source: str = "<space>"):
    """hyperopt's label -> value encoding (choice indices) of a concrete parameter set.

    Parameters the point leaves out take the space's first option (or fixed value). Raises
    SpaceError when the point lies outside the space.
    """
    vals: dict[str, Any] = {}
    for name, node in raw.items():
        if name in point:
            if not _encode(node, point[name], name, vals):
                raise SpaceError(
                    f"{source}: seed point value {name}={point[name]!r} is not in the space"
                )
        else:
            _encode_first(node, name, vals)
    extra = sorted(set(point) - set(raw))
    if extra:
        raise SpaceError(f"{source}: seed point sets {extra[0]!r}, which the space does not have")
    return vals


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    return a == b


def _encode(node: Any, value: Any, path: str, vals: dict[str, Any]) -> bool:
    if _is_dist(node):
        ((dist, args),) = node.items()
        if dist in ("choice", "pchoice"):
            options = args if dist == "choice" else [a[1] for a in args]
            for i, opt in enumerate(options):
                trial: dict[str, Any] = {}
                if _encode(opt, value, f"{path}/{i}", trial):
                    vals[path] = i
                    vals.update(trial)
                    return True
            return False
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            return False
        if dist != "normal" and not args[0] <= value <= args[1]:
            return False
        vals[path] = value
        return True
    if isinstance(node, Mapping):
        if not isinstance(value, Mapping):
            return False
        for key, sub in node.items():
            if key in value:
                if not _encode(sub, value[key], f"{path}/{key}", vals):
                    return False
            else:
                _encode_first(sub, f"{path}/{key}", vals)
        return not set(value) - set(node)
    if isinstance(node, list):
        if not isinstance(value, list) or len(value) != len(node):
            return False
        return all(_encode(n, v, f"{path}/{i}", vals) for i, (n, v) in enumerate(zip(node, value)))
    return _same(node, value)


def _encode_first(node: Any, path: str, vals: dict[str, Any]) -> None:
    if _is_dist(node):
        ((dist, args),) = node.items()
        if dist in ("choice", "pchoice"):
            vals[path] = 0
            _encode_first(args[0] if dist == "choice" else args[0][1], f"{path}/0", vals)
        else:
            vals[path] = args[0]
    elif isinstance(node, Mapping):
        for key, sub in node.items():
            _encode_first(sub, f"{path}/{key}", vals)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            _encode_first(sub, f"{path}/{i}", vals)
