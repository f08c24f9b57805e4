"""Text to token ids, once: the ``Dataset`` every trial uses, tokenized with a vocabulary
adapted on the training split and cached on disk.

The cache holds every split's token ids, and the hashed character n-grams of its words, as
ragged arrays (flat ids + row offsets), so trials with different ``max_len``, padding or n-gram
settings only slice and pad numpy arrays; nothing is re-tokenized. The cache key is a hash of
the split texts, labels and preprocessing settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..params import percentile_of
from ..util import atomic_write, fault_point
from .load import MIN_CLASS_SIZE, Split, load_split

STANDARDIZE = "lower_and_strip_punctuation"
OOV_ID = 1
CACHE_VERSION = 2
CHAR_BUCKETS = 2**16
CHAR_NGRAMS = (2, 5)
PARTS = ("train", "val", "test")
OOV_TOKEN = "[UNK]"
# TextVectorization's 'lower_and_strip_punctuation' pattern: for the tokens (on UTF-8 bytes, as
# TensorFlow applies it) and the character n-grams
_PUNCTUATION = re.compile(r"[!\"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~']")
_PUNCTUATION_BYTES = re.compile(_PUNCTUATION.pattern.encode())


def default_cache_dir() -> Path:
    """``$JOBSEARCH_CACHE_DIR``, else ``~/.cache/jobsearch``."""
    return Path(os.environ.get("JOBSEARCH_CACHE_DIR", Path.home() / ".cache" / "jobsearch"))


@dataclass
class Dataset:
    """A split, tokenized: what every trial of a search trains and evaluates on."""

    split: Split
    vocabulary: list[str]
    tokens: dict[str, tuple[np.ndarray, np.ndarray]]
    chars: dict[str, tuple[np.ndarray, np.ndarray]]
    fingerprint: str
    cache_hit: bool
    prep_seconds: float
    cache_dir: Path
    vocab_size: int = 20000
    _bags: dict[tuple, Bag] = field(default_factory=dict, repr=False)

    @property
    def classes(self) -> list[str]:
        return self.split.classes

    @property
    def labels(self) -> dict[str, np.ndarray]:
        return self.split.labels

    @property
    def summary(self) -> dict[str, Any]:
        return self.split.summary

    def merged(self, parts: Sequence[str]) -> Dataset:
        """The rows of ``parts`` as one training split (validation and test empty), tokenized
        afresh: its vocabulary, n-gram tables and idf follow those rows (what a refit learns
        from)."""
        texts = [t for p in parts for t in self.split.texts[p]]
        labels = np.concatenate([self.labels[p] for p in parts])
        empty = np.zeros(0, dtype=labels.dtype)
        split = Split(
            {"train": texts, "val": [], "test": []},
            {"train": labels, "val": empty, "test": empty},
            self.classes,
            {**self.summary, "learned_from": "+".join(parts)},
        )
        return vectorize(split, self.vocab_size, self.cache_dir)

    def resolve_lengths(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with ``max_len`` and ``ngram_width`` as counts (percentiles resolved)."""
        params = {**params, "max_len": self.length_at(params["max_len"])}
        if has_bag(params):
            params["ngram_width"] = self.bag_width(params)
        return params

    def inputs(self, part: str, params: dict[str, Any]) -> dict[str, np.ndarray]:
        """The model inputs of one split for ``params`` (see :func:`model_inputs`)."""
        params = self.resolve_lengths(params)
        bag = self.bag(part, params) if has_bag(params) else None
        return model_inputs(*self.tokens[part], params, len(self.vocabulary), bag=bag)

    def bag(self, part: str, params: dict[str, Any]) -> Bag:
        """The distinct n-grams of each posting of one split (computed once per setting)."""
        key = (part, params["ngrams"], params["ngram_buckets"], params["char_ngrams"])
        if key not in self._bags:
            chars = self.chars[part] if params["char_ngrams"] else None
            self._bags[key] = distinct_ngrams(
                *self.tokens[part], chars, params, len(self.vocabulary)
            )
        return self._bags[key]

    def bag_width(self, params: dict[str, Any]) -> int:
        """``ngram_width`` as a count: numbers as they are, 'p99' from the training split."""
        p = percentile_of(params["ngram_width"])
        if p is None:
            return int(params["ngram_width"])
        counts = np.diff(self.bag("train", params).splits)
        return max(1, int(np.ceil(np.percentile(counts, p))))

    def ngram_table(self, params: dict[str, Any]) -> NgramTable:
        """The n-gram branch's frozen tables, from the n-grams of the training split."""
        bag = self.bag("train", params)
        seen, df = np.unique(bag.ids, return_counts=True)
        n = len(bag.splits) - 1
        row = np.zeros(bag_rows(params, len(self.vocabulary)), np.int32)
        row[seen] = np.arange(1, len(seen) + 1)
        idf = np.concatenate([[0.0], np.log((1 + n) / (1 + df)) + 1]).astype(np.float32)
        return NgramTable(len(seen) + 1, row, idf)

    def length_at(self, spec: int | str) -> int:
        """A ``max_len`` as a token count: numbers as they are, 'p95' from the training split."""
        p = percentile_of(spec)
        if p is None:
            return int(spec)
        lengths = np.diff(self.tokens["train"][1])
        return max(1, int(np.ceil(np.percentile(lengths, p))))


def pad_ids(
    flat: np.ndarray, splits: np.ndarray, max_len: int, padding: str = "post", keep: str = "auto"
) -> np.ndarray:
    """Pad or truncate ragged ids to a ``(rows, max_len)`` int32 matrix.

    ``keep`` says which tokens a long row keeps: 'head', 'tail', 'head_tail' (the first half and
    the last half), or 'auto' (the head with 'post' padding, the tail with 'pre', as Keras).
    """
    return _pad(*truncate_ids(flat, splits, max_len, _keep(keep, padding)), max_len, padding)


def _pad(flat: np.ndarray, splits: np.ndarray, max_len: int, padding: str) -> np.ndarray:
    """Ragged rows of at most ``max_len`` ids (or counts) as a zero-padded ``(rows, max_len)``
    int32 (float32) matrix."""
    n = len(splits) - 1
    kept = np.diff(splits)
    out = np.zeros((n, max_len), dtype=np.float32 if flat.dtype.kind == "f" else np.int32)
    rows = np.repeat(np.arange(n), kept)
    offset = np.arange(len(flat)) - np.repeat(splits[:-1], kept)
    cols = offset if padding == "post" else offset + np.repeat(max_len - kept, kept)
    out[rows, cols] = flat
    return out


def _keep(keep: str, padding: str) -> str:
    if keep == "auto":
        return "head" if padding == "post" else "tail"
    return keep


def truncate_ids(
    flat: np.ndarray, splits: np.ndarray, max_len: int, keep: str
) -> tuple[np.ndarray, np.ndarray]:
    """Ragged ids with each row cut to at most ``max_len`` tokens ('head', 'tail', 'head_tail')."""
    lengths = np.diff(splits)
    pos = np.arange(len(flat)) - np.repeat(splits[:-1], lengths)
    length = np.repeat(lengths, lengths)
    if keep == "head":
        mask = pos < max_len
    elif keep == "tail":
        mask = pos >= length - max_len
    else:
        head = (max_len + 1) // 2
        mask = (length <= max_len) | (pos < head) | (pos >= length - (max_len - head))
    kept = np.minimum(lengths, max_len)
    return flat[mask], np.concatenate([[0], np.cumsum(kept)]).astype(np.int64)


def ngram_ids(
    flat: np.ndarray, splits: np.ndarray, vocab_size: int, order: int, buckets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ragged n-gram ids: each token (a unigram) followed by its hashed bigram with the next.

    Bigram ids are ``vocab_size + hash(a, b) % buckets``, so one embedding table of
    ``vocab_size + buckets`` rows holds both (fastText's hashing trick). ``order`` 1 gives the
    unigrams alone.
    """
    if order < 2:
        return flat, splits
    n = len(splits) - 1
    lengths = np.diff(splits)
    doc = np.repeat(np.arange(n), lengths)
    index = np.arange(len(flat))
    out = np.zeros(2 * len(flat) - n, dtype=np.int64)
    out[2 * index - doc] = flat
    pair = index[:-1][doc[:-1] == doc[1:]]
    hashed = (flat[pair].astype(np.int64) * 1_000_003 + flat[pair + 1]) % buckets
    out[2 * pair - doc[pair] + 1] = vocab_size + hashed
    return out.astype(np.int32), np.concatenate([[0], np.cumsum(2 * lengths - 1)]).astype(np.int64)


def char_ngram_ids(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Ragged hashed character 2-5-grams of every word (fastText's subwords), in
    ``[0, CHAR_BUCKETS)``. Words are lower-cased and stripped of punctuation as the tokenizer
    does, then padded with a space each side (scikit-learn's 'char_wb'); the hash is CRC-32, the
    same on every machine."""
    known: dict[str, list[int]] = {}
    flat: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    low, high = CHAR_NGRAMS
    for row, text in enumerate(texts):
        start = len(flat)
        for word in _PUNCTUATION.sub("", text.lower()).split():
            grams = known.get(word)
            if grams is None:
                w = f" {word} "
                grams = [
                    zlib.crc32(w[i : i + n].encode("utf-8", "surrogatepass")) % CHAR_BUCKETS
                    for n in range(low, high + 1)
                    for i in range(len(w) - n + 1)
                ]
                known[word] = grams
            flat.extend(grams)
        lengths[row] = len(flat) - start
    return np.asarray(flat, dtype=np.int32), np.concatenate([[0], np.cumsum(lengths)])


@dataclass
class Bag:
    """The distinct n-gram ids of each posting (ascending) with how often each occurs."""

    ids: np.ndarray
    counts: np.ndarray
    splits: np.ndarray


@dataclass
class NgramTable:
    """The n-gram branch's frozen tables, from the training split: ``row`` maps every bag id
    (word, hashed bigram or character n-gram) to its row of the trained tables, 0 for n-grams
    no training posting has (they count for nothing, as in TfidfVectorizer); ``idf`` is each
    row's smoothed inverse document frequency. Only rows that training can move are trained,
    so the tables are the size of the training n-grams, not of the hash space. A model about
    to load its weights needs only ``size``."""

    size: int
    row: np.ndarray | None = None
    idf: np.ndarray | None = None


def has_bag(params: dict[str, Any]) -> bool:
    """Whether a model built from ``params`` has the n-gram branch."""
    return bool(params["ngrams"] or params["char_ngrams"])


def bag_rows(params: dict[str, Any], vocab_size: int) -> int:
    """Rows of the n-gram branch's tables: words, then hashed bigrams, then character n-grams."""
    rows = vocab_size if params["ngrams"] else 0
    if params["ngrams"] >= 2:
        rows += params["ngram_buckets"]
    return rows + (CHAR_BUCKETS if params["char_ngrams"] else 0)


def distinct_ngrams(
    flat: np.ndarray,
    splits: np.ndarray,
    chars: tuple[np.ndarray, np.ndarray] | None,
    params: dict[str, Any],
    vocab_size: int,
) -> Bag:
    """The bag of each whole posting: its word n-grams, then its character n-grams
    (offset past the word rows), each id once with its count."""
    rows = bag_rows(params, vocab_size)
    parts = []
    if params["ngrams"]:
        parts.append(ngram_ids(flat, splits, vocab_size, params["ngrams"], params["ngram_buckets"]))
    if params["char_ngrams"]:
        parts.append((chars[0].astype(np.int64) + rows - CHAR_BUCKETS, chars[1]))
    n = len(splits) - 1
    doc = np.concatenate([np.repeat(np.arange(n, dtype=np.int64), np.diff(s)) for _, s in parts])
    ids = np.concatenate([f.astype(np.int64) for f, _ in parts])
    keys, counts = np.unique(doc * rows + ids, return_counts=True)
    per_doc = np.bincount(keys // rows, minlength=n)
    return Bag(
        (keys % rows).astype(np.int32),
        counts.astype(np.float32),
        np.concatenate([[0], np.cumsum(per_doc)]).astype(np.int64),
    )


def bag_inputs(bag: Bag, width: int) -> dict[str, np.ndarray]:
    """The bag as two ``(rows, width)`` matrices, ids and counts; a posting with more distinct
    n-grams keeps the lowest ids (frequent words first, then bigrams, then characters)."""
    kept, splits = truncate_ids(np.arange(len(bag.ids)), bag.splits, width, "head")
    return {
        "ngram_ids": _pad(bag.ids[kept], splits, width, "post"),
        "ngram_counts": _pad(bag.counts[kept], splits, width, "post"),
    }


def model_inputs(
    flat: np.ndarray,
    splits: np.ndarray,
    params: dict[str, Any],
    vocab_size: int,
    chars: tuple[np.ndarray, np.ndarray] | None = None,
    bag: Bag | None = None,
) -> dict[str, np.ndarray]:
    """The arrays a model built from ``params`` takes, from ragged token ids and (with
    ``char_ngrams``) character n-gram ids, or a precomputed ``bag`` (train or serve)."""
    max_len, padding = params["max_len"], params["padding"]
    keep = _keep(params["truncate"], padding)
    inputs = {"token_ids": _pad(*truncate_ids(flat, splits, max_len, keep), max_len, padding)}
    if has_bag(params):
        bag = bag or distinct_ngrams(flat, splits, chars, params, vocab_size)
        inputs.update(bag_inputs(bag, params["ngram_width"]))
    return inputs


def words(text: str) -> list[bytes]:
    """The tokens of one text, as Keras's TextVectorization ('lower_and_strip_punctuation',
    whitespace split) makes them in TensorFlow: on UTF-8 bytes, ASCII letters lower-cased,
    ASCII punctuation removed, split on ASCII whitespace."""
    return _PUNCTUATION_BYTES.sub(b"", text.encode("utf-8", "surrogatepass").lower()).split()


class Tokenizer:
    """Raw text to token ids with a fixed vocabulary (index 0 padding, 1 out-of-vocabulary),
    in numpy and plain Python, so any Keras backend can train and serve from it."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.vocabulary = list(vocabulary)
        self.index = {w.encode("utf-8", "surrogatepass"): i for i, w in enumerate(self.vocabulary)}

    @classmethod
    def adapt(cls, texts: Sequence[str], max_tokens: int) -> Tokenizer:
        """Padding, OOV, then the ``max_tokens - 2`` most frequent tokens of ``texts``; ties
        go to the token that sorts last, as in TextVectorization."""
        counts = Counter(w for text in texts for w in words(text))
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        learned = [w.decode("utf-8", "surrogatepass") for w, _ in ranked[: max_tokens - 2]]
        return cls(["", OOV_TOKEN, *learned])

    def __call__(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Ragged token ids (flat ids, row offsets); a text with no tokens is one OOV token."""
        get, rows = self.index.get, []
        for text in texts:
            rows.append([get(w, OOV_ID) for w in words(text)] or [OOV_ID])
        lengths = np.fromiter((len(r) for r in rows), np.int64, len(rows))
        flat = np.fromiter((i for r in rows for i in r), np.int32, int(lengths.sum()))
        return flat, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def fingerprint(split: Split, settings: dict[str, Any]) -> str:
    """Hash of the split's texts and labels and the preprocessing settings."""
    h = hashlib.sha256(json.dumps({**settings, "v": CACHE_VERSION}, sort_keys=True).encode())
    h.update(json.dumps(split.classes).encode())
    for part in PARTS:
        h.update(part.encode())
        h.update(split.labels[part].tobytes())
        for text in split.texts[part]:
            h.update(text.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
    return h.hexdigest()[:16]


def vectorize(split: Split, vocab_size: int = 20000, cache_dir: Path | None = None) -> Dataset:
    """Tokenize a split, reusing the on-disk cache when the same data was seen before."""
    start = time.perf_counter()
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    settings = {"vocab_size": vocab_size, "standardize": STANDARDIZE, "chars": CHAR_BUCKETS}
    key = fingerprint(split, settings)
    path = cache_dir / f"tokens-{key}.npz"
    hit = path.is_file()
    if hit:
        with np.load(path, allow_pickle=False) as z:
            vocabulary = [str(w) for w in z["vocabulary"]]
            tokens = {p: (z[f"{p}_ids"], z[f"{p}_splits"]) for p in PARTS}
            chars = {p: (z[f"{p}_chars"], z[f"{p}_char_splits"]) for p in PARTS}
    else:
        tokenizer = Tokenizer.adapt(split.texts["train"], vocab_size)
        vocabulary = tokenizer.vocabulary
        tokens = {p: tokenizer(split.texts[p]) for p in PARTS}
        chars = {p: char_ngram_ids(split.texts[p]) for p in PARTS}
        cache_dir.mkdir(parents=True, exist_ok=True)
        arrays = {}
        for p in PARTS:
            arrays[f"{p}_ids"], arrays[f"{p}_splits"] = tokens[p]
            arrays[f"{p}_chars"], arrays[f"{p}_char_splits"] = chars[p]
        atomic_write(
            path, lambda tmp: np.savez(tmp, vocabulary=np.array(vocabulary, dtype=str), **arrays)
        )
    return Dataset(
        split=split,
        vocabulary=vocabulary,
        tokens=tokens,
        chars=chars,
        fingerprint=key,
        cache_hit=hit,
        prep_seconds=time.perf_counter() - start,
        cache_dir=cache_dir,
        vocab_size=vocab_size,
    )


def prepare_dataset(
    path: str | Path | None = None,
    text_cols: Sequence[str] = ("text",),
    label_col: str = "industry",
    vocab_size: int = 20000,
    min_class_size: int = MIN_CLASS_SIZE,
    small_classes: str = "drop",
    seed: int = 0,
    cache_dir: Path | None = None,
) -> Dataset:
    """Load, clean, split and tokenize postings (the bundled demo set when ``path`` is None)."""
    start = time.perf_counter()
    split = load_split(path, text_cols, label_col, min_class_size, small_classes, seed=seed)
    fault_point("prepare")
    data = vectorize(split, vocab_size, cache_dir)
    data.prep_seconds = time.perf_counter() - start
    return data
