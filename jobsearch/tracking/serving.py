"""The MLflow pyfunc model that turns raw job-description text into industries."""

from __future__ import annotations

import json
import pickle
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

TOP_N = 3
TEXT_COLUMN = "text"
LINEAR = "tfidf"  # the kind of an ensemble member that is a pickled TF-IDF baseline


def as_texts(model_input: Any) -> list[str]:
    """Raw texts from a DataFrame (its ``text`` column, else its only column), a list or array."""
    if isinstance(model_input, pd.DataFrame):
        if TEXT_COLUMN in model_input.columns:
            column = model_input[TEXT_COLUMN]
        elif model_input.shape[1] == 1:
            column = model_input.iloc[:, 0]
        else:
            raise ValueError(
                f"input has columns {list(model_input.columns)}; pass one column named "
                f"{TEXT_COLUMN!r}"
            )
        return column.fillna("").astype(str).tolist()
    if isinstance(model_input, (pd.Series, np.ndarray, list, tuple)):
        return ["" if t is None else str(t) for t in np.asarray(model_input, dtype=object).ravel()]
    if isinstance(model_input, str):
        return [model_input]
    raise ValueError(f"cannot read texts from {type(model_input).__name__}")


OLDER_MODEL = (
    "this model was logged by an older jobsearch (n-gram tables over the whole hash space) and "
    "cannot be loaded by this version: run the search again to retrain it"
)


def member_params(member: dict[str, Any]) -> dict[str, Any]:
    """The params a logged member ran with. Params added since take their defaults, except the
    character n-grams (off before they existed); a model with an n-gram branch logged before
    its tables were cut to the training n-grams (no ``ngram_rows``) is refused in one line."""
    from ..data.tokens import has_bag
    from ..params import PARAMS, resolve_params

    params = {k: v for k, v in member["params"].items() if k in PARAMS}
    if "ngram_width" not in params:
        params["char_ngrams"] = False
    params = resolve_params(params)
    if has_bag(params) and not member.get("ngram_rows"):
        raise ValueError(OLDER_MODEL)
    return params


class IndustryClassifier(mlflow.pyfunc.PythonModel):
    """Cleans and tokenizes raw text exactly as in training, then predicts the top industries."""

    def load_context(self, context) -> None:
        from ..data.tokens import NgramTable, Tokenizer, has_bag
        from ..model.build import build_model
        from ..model.session import quiet_tensorflow

        quiet_tensorflow()

        with open(context.artifacts["meta"], encoding="utf-8") as fh:
            meta = json.load(fh)
        self.classes = meta["classes"]
        self.vocabulary = meta["vocabulary"]
        self.tokenizer = Tokenizer(self.vocabulary)
        # a single model logged by an earlier version: one member, its weights under "weights"
        members = meta.get("members") or [
            {"params": meta["params"], "weight": 1.0, "artifact": "weights"}
        ]
        total = sum(m["weight"] for m in members)
        self.members = []
        for member in members:
            if member.get("kind") == LINEAR:
                with open(context.artifacts[member["artifact"]], "rb") as fh:
                    self.members.append((None, member["weight"] / total, pickle.load(fh)))
                continue
            params = member_params(member)
            table = NgramTable(member["ngram_rows"]) if has_bag(params) else None
            model = build_model(params, len(self.vocabulary), len(self.classes), ngram_table=table)
            model.load_weights(context.artifacts[member["artifact"]])
            self.members.append((params, member["weight"] / total, model))

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Class probabilities for raw texts (the weighted average over the members)."""
        from ..data.load import clean_text
        from ..data.tokens import char_ngram_ids, model_inputs
        from ..model.train import predict_proba

        if not texts:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        texts = [clean_text(t) for t in texts]
        flat, splits = self.tokenizer(texts)
        lstms = [params for params, _, _ in self.members if params is not None]
        chars = char_ngram_ids(texts) if any(p["char_ngrams"] for p in lstms) else None
        vocab = len(self.vocabulary)
        return sum(
            weight
            * (
                model.predict_proba(texts)
                if params is None
                else predict_proba(model, model_inputs(flat, splits, params, vocab, chars), params)
            )
            for params, weight, model in self.members
        )

    def predict(
        self, context, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Top industries for each text. MLflow hands over a DataFrame after checking the
        explicit signature (the hint tells it so, and keeps its "add type hints" notice quiet)."""
        probs = self.predict_proba(as_texts(model_input))
        return top_industries(probs, self.classes)


def top_industries(probs: np.ndarray, classes: list[str], n: int = TOP_N) -> pd.DataFrame:
    """Per row: the industry and its probability, then the next ``n - 1`` with theirs."""
    order = np.argsort(-probs, axis=1)[:, :n]
    names = np.asarray(classes, dtype=object)
    out: dict[str, Any] = {}
    for rank in range(order.shape[1]):
        suffix = "" if rank == 0 else f"_{rank + 1}"
        out[f"industry{suffix}"] = names[order[:, rank]].astype(str)
        out[f"probability{suffix}"] = probs[np.arange(len(probs)), order[:, rank]].astype(float)
    return pd.DataFrame(out)
