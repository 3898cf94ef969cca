"""Exact cosine nearest neighbours within one set of embeddings, by FAISS brute force.

NOTE: a stopgap for the neighbour signal of DEP, to be replaced by the run's shared
nearest-neighbour index. Its cost grows as n_samples squared times n_dims, so the caller skips it
above :data:`MAX_EXACT_SAMPLES`.
"""

from __future__ import annotations

import numpy as np

from .._types import FloatArray, IntArray

#: Largest set searched exactly (an estimate: 200,000 x 200,000 x 128-d inner products take
#: minutes on 2 CPU cores).
MAX_EXACT_SAMPLES = 200_000
_QUERY_ROWS = 4096


def exact_neighbors(embeddings: FloatArray, k: int) -> IntArray:
    """Return the ``k`` most cosine-similar other samples of each sample, most similar first.

    Parameters
    ----------
    embeddings : (n_samples, n_dims) float
    k : int >= 1

    Returns
    -------
    (n_samples, min(k, n_samples - 1)) int64
        Row positions of the neighbours; the sample itself is never among them.
    """
    import faiss

    vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.maximum(norms, np.finfo(np.float32).tiny)
    n_samples = vectors.shape[0]
    k = min(k, n_samples - 1)
    if k < 1:
        return np.empty((n_samples, 0), dtype=np.int64)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    found = np.empty((n_samples, k), dtype=np.int64)
    for start in range(0, n_samples, _QUERY_ROWS):
        stop = min(start + _QUERY_ROWS, n_samples)
        _, candidates = index.search(vectors[start:stop], k + 1)
        found[start:stop] = _drop_self(candidates, np.arange(start, stop), k)
    return found


def _drop_self(candidates: IntArray, rows: IntArray, k: int) -> IntArray:
    """Remove each row's own position from its k + 1 candidates (or the last, if absent).

    Duplicated embeddings can rank the sample itself after a copy, so it is looked up, not
    assumed first.
    """
    is_self = candidates == rows[:, None]
    is_self[~is_self.any(axis=1), -1] = True
    kept = candidates[~is_self]
    return kept.reshape(candidates.shape[0], k)
