"""The experiment parameters: names, defaults, documentation and validation.

This module is the single source of truth shared by ``run_experiment``, the YAML search spaces
and the docs. It imports nothing heavy.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


class ParamError(ValueError):
    """A parameter is unknown or has a value outside what it allows."""


@dataclass(frozen=True)
class Spec:
    """How one parameter is typed and documented."""

    kind: str  # int, float, bool, str, int_or_none, length, layers, init, vectors
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    high_inclusive: bool = True
    choices: tuple[str, ...] = ()


def _rate(default: float, doc: str) -> Spec:
    """A dropout-like rate in [0, 1)."""
    return Spec("float", default, doc, 0, 1, high_inclusive=False)


PARAMS: dict[str, Spec] = {
    "embedding_dim": Spec("int", 64, "Size of each word vector.", low=1, high=2048),
    "embedding_trainable": Spec("bool", True, "Update word vectors during training."),
    "embedding_init": Spec(
        "vectors",
        "random",
        "'random', 'ppmi' (PPMI + truncated SVD learned on the training split, no download), "
        "or the path of a GloVe/word2vec text file.",
    ),
    "spatial_dropout": _rate(0.0, "SpatialDropout1D rate on the embeddings."),
    "lstm_units": Spec("int", 64, "LSTM width (per direction).", low=1, high=4096),
    "dropout": _rate(0.0, "LSTM input dropout."),
    "recurrent_dropout": _rate(
        0.0, "LSTM recurrent dropout; anything above 0 disables the fused cuDNN kernel."
    ),
    "bidirectional": Spec("bool", False, "Wrap the LSTM in Bidirectional."),
    "lstm_output": Spec(
        "str",
        "max",
        "How the LSTM sequence becomes one vector: last state, or max/mean pooled over time.",
        choices=("last", "max", "mean"),
    ),
    "dense_layers": Spec(
        "layers",
        [],
        "Dense stack between the LSTM and the softmax: a list of {units, activation, dropout, "
        "batch_norm, initializer}; dropout is applied to the layer's input, batch norm after it.",
    ),
    "ngrams": Spec(
        "int",
        2,
        "Word n-grams in the wide branch beside the LSTM: 0 none, 1 unigrams, 2 unigrams and "
        "hashed bigrams. The branch is a TF-IDF-weighted bag of their embeddings over the whole "
        "posting (what a linear model sees), joined to the pooled LSTM output.",
        low=0,
        high=2,
    ),
    "char_ngrams": Spec(
        "bool",
        True,
        "Add the hashed character 2-5-grams of every word (fastText subwords) to the n-gram "
        "branch: typos, inflections and compound words share features.",
    ),
    "ngram_dim": Spec("int", 64, "Embedding size of the n-gram branch.", low=1, high=2048),
    "ngram_buckets": Spec(
        "int", 2**16, "Hash buckets for bigrams in the n-gram branch.", low=1, high=2**24
    ),
    "ngram_width": Spec(
        "length",
        "p99",
        "Distinct n-grams the branch reads per posting: a number, or a percentile of the "
        "training postings' counts such as 'p99' (a longer posting keeps its words first).",
        low=1,
        high=1_000_000,
    ),
    "output_dropout": _rate(0.0, "Dropout just before the softmax layer."),
    "batch_size": Spec("int", 128, "Training batch size.", low=1, high=65536),
    "top_k": Spec(
        "int_or_none",
        None,
        "Train on the mean loss of the k hardest examples of each batch (none: ordinary loss).",
        low=1,
        high=65536,
    ),
    "optimizer": Spec(
        "str", "adam", "Optimizer.", choices=("adam", "adamw", "rmsprop", "sgd", "nadam")
    ),
    "top_k_weight": Spec(
        "float",
        0.5,
        "Share of the top-k mean in the loss; the rest is the ordinary mean over the batch. "
        "1.0 is the pure top-k loss, which on noisy labels drifts to flat predictions.",
        low=0,
        high=1,
    ),
    "top_k_warmup": Spec(
        "int",
        1,
        "Epochs trained on the ordinary loss before the top-k loss takes over.",
        low=0,
        high=10000,
    ),
    "class_weight": Spec(
        "str",
        "none",
        "Weight each example's loss by its class: 'balanced' (n / (classes * class size)) or "
        "'none'; an alternative or a complement to top_k.",
        choices=("none", "balanced"),
    ),
    "learning_rate": Spec("float", 1e-2, "Optimizer learning rate.", low=1e-7, high=10.0),
    "lr_schedule": Spec(
        "str",
        "constant",
        "'constant', or 'cosine': one epoch of linear warm-up, then cosine decay to 0 at "
        "max_epochs.",
        choices=("constant", "cosine"),
    ),
    "clipnorm": Spec(
        "float", 1.0, "Clip each gradient to this norm (0: no clipping).", low=0, high=1e6
    ),
    "max_len": Spec(
        "length",
        160,
        "Tokens kept per posting: a number, or a percentile of the training texts' token "
        "lengths such as 'p95' (resolved per dataset).",
        low=1,
        high=100000,
    ),
    "truncate": Spec(
        "str",
        "auto",
        "Which tokens a long posting keeps: 'head', 'tail', 'head_tail' (first and last halves; "
        "the tail often names the employer), or 'auto' (head with 'post' padding, tail with "
        "'pre', as Keras).",
        choices=("auto", "head", "tail", "head_tail"),
    ),
    "padding": Spec(
        "str",
        "post",
        "Pad (and truncate) at the end ('post', needed for cuDNN with masking) or start ('pre').",
        choices=("post", "pre"),
    ),
    "mask_padding": Spec("bool", True, "Mask padding tokens in the LSTM."),
    "max_epochs": Spec("int", 10, "Upper bound on training epochs.", low=1, high=10000),
    "patience": Spec(
        "int", 2, "Epochs without validation improvement before stopping.", low=0, high=10000
    ),
    "seed": Spec("int", 0, "Random seed for weights and shuffling.", low=0, high=2**31 - 1),
    "mixed_precision": Spec(
        "str",
        "auto",
        "float16 compute with float32 softmax: 'auto' (on a GPU under TensorFlow), 'on' or 'off'.",
        choices=("auto", "on", "off"),
    ),
}

LAYER_FIELDS: dict[str, Spec] = {
    "units": Spec("int", None, "Width.", low=1, high=65536),
    "activation": Spec(
        "str",
        "relu",
        "Activation.",
        choices=("relu", "tanh", "sigmoid", "elu", "selu", "gelu", "swish", "linear"),
    ),
    "dropout": _rate(0.0, "Dropout on the layer's input."),
    "batch_norm": Spec("bool", False, "BatchNormalization after the layer."),
    "initializer": Spec(
        "init",
        "glorot_uniform",
        "Keras initializer name, or {name: random_normal, mean: 0, stddev: 0.05}.",
    ),
}

# Dense layers always present in logged params, so trials line up in the compare view.
MAX_LOGGED_DENSE_LAYERS = 3


def _fail(where: str, value: Any, allowed: str) -> ParamError:
    return ParamError(f"{where}={value!r} is invalid: {allowed}")


def check_value(name: str, spec: Spec, value: Any, where: str | None = None) -> Any:
    """Check one value against its spec and return it normalised (ints for whole floats)."""
    where = where or name
    kind = spec.kind
    if kind == "int_or_none":
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            return None
        kind = "int"
    if kind == "length":
        if isinstance(value, str):
            if percentile_of(value) is None:
                raise _fail(where, value, "must be a count or a percentile 'p1'..'p100'")
            return value
        kind = "int"
    if kind == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        raise _fail(where, value, "must be true or false")
    if kind == "int":
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise _fail(where, value, f"must be an integer in [{spec.low:g}, {spec.high:g}]")
        if not spec.low <= value <= spec.high:
            raise _fail(where, value, f"must be an integer in [{spec.low:g}, {spec.high:g}]")
        return int(value)
    if kind == "float":
        close = "]" if spec.high_inclusive else ")"
        allowed = f"must be a number in [{spec.low:g}, {spec.high:g}{close}"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise _fail(where, value, allowed)
        ok_high = value <= spec.high if spec.high_inclusive else value < spec.high
        if not (spec.low <= value and ok_high):
            raise _fail(where, value, allowed)
        return float(value)
    if kind == "str":
        if value not in spec.choices:
            raise _fail(where, value, f"must be one of {', '.join(map(repr, spec.choices))}")
        return value
    if kind == "vectors":
        if not isinstance(value, str) or not value:
            raise _fail(where, value, "must be 'random', 'ppmi' or a word-vector file")
        if value not in ("random", "ppmi"):
            check_vector_file(value, where)
        return value
    if kind == "init":
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and isinstance(value.get("name"), str):
            return dict(value)
        raise _fail(where, value, "must be a name, a file path, or a mapping with 'name'")
    if kind == "layers":
        return check_layers(value, where)
    raise AssertionError(kind)


def check_vector_file(path: str, where: str = "embedding_init", lines: int = 5) -> None:
    """Refuse an ``embedding_init`` that is not an existing GloVe/word2vec text file: its first
    ``lines`` lines must be a word and as many numbers each (after an optional word2vec header
    line "COUNT DIM"), before any trial trains with it."""
    allowed = "must be 'random', 'ppmi' or a GloVe/word2vec text file"
    import os.path

    if not os.path.isfile(path):  # a device or FIFO could block or never end
        missing = not os.path.exists(path)
        problem = "no such file" if missing else "not a regular file"
        raise _fail(where, path, f"{allowed}; {path}: {problem}")
    try:
        with open(path, encoding="utf-8") as fh:
            head = [fh.readline(1_000_000).rstrip("\n").split(" ") for _ in range(lines)]
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(where, path, f"{allowed}; {path}: cannot read it ({exc})") from None
    head = [parts for parts in head if parts != [""]]
    if head and len(head[0]) == 2 and all(p.isdigit() for p in head[0]):
        head = head[1:]
    widths = set()
    for parts in head:
        try:
            [float(x) for x in parts[1:]]
        except ValueError:
            widths.add(0)
        widths.add(len(parts) - 1)
    if not head or 0 in widths or len(widths) != 1:
        raise _fail(where, path, f"{allowed}; {path}: its lines are not 'word number ...'")


def percentile_of(value: Any) -> float | None:
    """The percentile a length like 'p95' asks for (None when ``value`` is not one)."""
    if isinstance(value, str) and value[:1] == "p":
        try:
            p = float(value[1:])
        except ValueError:
            return None
        return p if 0 < p <= 100 else None
    return None


def layer_problem(layer: Any) -> tuple[str | None, str] | None:
    """What is structurally wrong with one dense-layer entry: ``(field, message)`` or None.

    The one rule for a layer's shape, shared by ``resolve_params`` and the YAML spaces.
    """
    if not isinstance(layer, Mapping):
        return None, "must be a mapping like {units: 64, activation: relu}"
    unknown = sorted(set(layer) - set(LAYER_FIELDS))
    if unknown:
        return unknown[0], f"unknown layer field; known fields: {', '.join(LAYER_FIELDS)}"
    if "units" not in layer:
        return None, "'units' is required"
    return None


def top_k_problem(top_k: float | None, batch_size: float | None) -> str | None:
    """The rule that top_k never exceeds the batch size, as a message (None when it holds)."""
    if top_k is None or batch_size is None or top_k <= batch_size:
        return None
    return f"top_k={top_k:g} is invalid: must be at most batch_size={batch_size:g}"


def check_layers(value: Any, where: str = "dense_layers") -> list[dict[str, Any]]:
    """Validate a dense stack and fill each layer's defaults."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise _fail(where, value, "must be a list of layer mappings")
    layers = []
    for i, layer in enumerate(value):
        here = f"{where}[{i}]"
        if isinstance(layer, int) and not isinstance(layer, bool):
            layer = {"units": layer}
        problem = layer_problem(layer)
        if problem is not None:
            field, message = problem
            raise ParamError(f"{here}{'.' + field if field else ''}: {message}")
        layers.append(
            {
                key: check_value(key, spec, layer.get(key, spec.default), f"{here}.{key}")
                for key, spec in LAYER_FIELDS.items()
            }
        )
    return layers


def resolve_params(params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``params`` over the defaults and validate every value.

    Raises ParamError naming the parameter and what it allows, or listing the known names.
    """
    params = dict(params or {})
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise ParamError(f"unknown param {unknown[0]!r}; known params: {', '.join(PARAMS)}")
    resolved = {
        name: check_value(name, spec, params.get(name, copy.deepcopy(spec.default)))
        for name, spec in PARAMS.items()
    }
    problem = top_k_problem(resolved["top_k"], resolved["batch_size"])
    if problem:
        raise ParamError(problem)
    return resolved


def flatten_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten params to scalar keys (``dense_layers.0.units``) with a fixed key set.

    Dense stacks are padded to MAX_LOGGED_DENSE_LAYERS layers with ``None`` so that every
    trial of a search has the same keys in the MLflow compare view.
    """
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if key == "dense_layers":
            flat["n_dense_layers"] = len(value)
            for i in range(max(MAX_LOGGED_DENSE_LAYERS, len(value))):
                layer = value[i] if i < len(value) else {}
                for field in LAYER_FIELDS:
                    v = layer.get(field)
                    flat[f"dense_layers.{i}.{field}"] = str(v) if isinstance(v, Mapping) else v
        elif isinstance(value, Mapping):
            flat[key] = str(dict(value))
        else:
            flat[key] = value
    return flat


def describe_params() -> str:
    """A plain-text table of every parameter, its default and meaning."""
    lines = [f"{name:<20} default={spec.default!r:<10} {spec.doc}" for name, spec in PARAMS.items()]
    return "\n".join(lines)
