"""Initial word vectors: PPMI + truncated SVD learned on the training split, or a vector file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..params import ParamError
from ..util import atomic_write


def ppmi_vectors(
    flat: np.ndarray, splits: np.ndarray, vocab_size: int, dim: int, window: int = 4, seed: int = 0
) -> np.ndarray:
    """Word vectors from positive PMI of windowed co-occurrences, reduced by truncated SVD."""
    from scipy import sparse
    from sklearn.decomposition import TruncatedSVD

    rows, cols = [], []
    doc = np.repeat(np.arange(len(splits) - 1), np.diff(splits))
    for shift in range(1, window + 1):
        same = doc[shift:] == doc[:-shift]
        rows += [flat[shift:][same], flat[:-shift][same]]
        cols += [flat[:-shift][same], flat[shift:][same]]
    r, c = np.concatenate(rows), np.concatenate(cols)
    counts = sparse.coo_matrix(
        (np.ones(len(r), dtype=np.float64), (r, c)), shape=(vocab_size, vocab_size)
    ).tocsr()
    total = counts.sum()
    row_sum = np.asarray(counts.sum(axis=1)).ravel()
    col_sum = np.asarray(counts.sum(axis=0)).ravel() ** 0.75
    col_sum = col_sum / col_sum.sum() * total
    coo = counts.tocoo()
    pmi = np.log(coo.data * total / (row_sum[coo.row] * col_sum[coo.col]))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape)
    k = min(dim, vocab_size - 1)
    vectors = TruncatedSVD(n_components=k, random_state=seed).fit_transform(ppmi)
    vectors = np.pad(vectors, ((0, 0), (0, dim - k)))
    scale = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(scale == 0, 1, scale) * 0.5).astype(np.float32)


def load_vector_file(
    path: str | Path, vocabulary: list[str], dim: int, seed: int = 0
) -> np.ndarray:
    """Read a GloVe or word2vec text file; words it lacks get small random vectors."""
    path = Path(path)
    if not path.is_file():
        raise ParamError(
            f"embedding_init={str(path)!r} is invalid: not 'random', 'ppmi' or an existing file"
        )
    index = {w: i for i, w in enumerate(vocabulary)}
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0, 0.05, (len(vocabulary), dim)).astype(np.float32)
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh):
            parts = line.rstrip().split(" ")
            if n == 0 and len(parts) == 2:
                continue  # word2vec header "count dim"
            if len(parts) - 1 != dim:
                raise ParamError(
                    f"embedding_init={str(path)!r}: line {n + 1} has {len(parts) - 1} numbers, "
                    f"but embedding_dim={dim}"
                )
            i = index.get(parts[0])
            if i is not None:
                matrix[i] = np.asarray(parts[1:], dtype=np.float32)
    matrix[0] = 0
    return matrix


def initial_vectors(data, init: str, dim: int, seed: int = 0) -> np.ndarray | None:
    """The embedding matrix for ``embedding_init`` (None for random), cached for PPMI."""
    if init == "random":
        return None
    if init != "ppmi":
        return load_vector_file(init, data.vocabulary, dim, seed)
    path = data.cache_dir / f"ppmi-{data.fingerprint}-{dim}.npy"
    if path.is_file():
        return np.load(path)
    flat, splits = data.tokens["train"]
    vectors = ppmi_vectors(flat, splits, len(data.vocabulary), dim, seed=seed)
    atomic_write(path, lambda tmp: np.save(tmp, vectors))
    return vectors
