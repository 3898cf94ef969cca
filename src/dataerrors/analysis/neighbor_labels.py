"""Label disagreement of a sample's nearest neighbours in embedding space.

A sample whose nearest neighbours carry another label than its own is a likely label error: the
model's representation places it among samples of another class. The functions here take the
neighbour indices as given (from any nearest-neighbour search) and work on any block of rows, so a
split can be processed in chunks.
"""

from __future__ import annotations

import numpy as np

from .._types import FloatArray, IntArray

#: Neighbours per sample used by the neighbour signal of DEP.
N_NEIGHBORS = 10
_CHUNK_ROWS = 65536


def neighbor_label_disagreement(
    neighbor_indices: IntArray, labels: IntArray, reference_labels: IntArray | None = None
) -> FloatArray:
    """Return, per sample, the share of its labelled neighbours whose label differs from its own.

    Parameters
    ----------
    neighbor_indices : (n_samples, k) int
        Positions in ``reference_labels`` of each sample's nearest neighbours, the sample itself
        left out. A negative index marks a missing neighbour (a search that found fewer than k).
    labels : (n_samples,) int
        Given label of each sample; a negative label marks an unlabeled sample.
    reference_labels : (n_reference,) int, optional
        Given labels of the samples the indices point to, for neighbours searched in another set
        (test samples among training samples) or for a chunk of rows. Default: ``labels``.

    Returns
    -------
    (n_samples,) float32 in [0, 1]
        0 when every labelled neighbour shares the sample's label, 1 when none does; higher means
        more likely a label error. NaN for an unlabeled sample or one without labelled neighbours.

    Notes
    -----
    Unlabeled and missing neighbours are left out of the share, so its denominator may be
    smaller than k.
    """
    neighbor_labels = _neighbor_labels(neighbor_indices, labels, reference_labels)
    counted = neighbor_labels >= 0
    n_counted = counted.sum(axis=1)
    n_other = (counted & (neighbor_labels != labels[:, None])).sum(axis=1)
    share = np.divide(
        n_other, n_counted, out=np.full(n_counted.shape, np.nan), where=n_counted > 0
    )
    share[labels < 0] = np.nan
    return share.astype(np.float32)


def neighbor_majority_label(
    neighbor_indices: IntArray,
    labels: IntArray,
    n_classes: int,
    reference_labels: IntArray | None = None,
) -> tuple[IntArray, FloatArray]:
    """Return the most common label among each sample's labelled neighbours and its share.

    Parameters are as for :func:`neighbor_label_disagreement`.

    Returns
    -------
    majority : (n_samples,) int32
        The most frequent neighbour label (the smallest class index among ties), -1 when the
        sample has no labelled neighbour.
    share : (n_samples,) float32 in [0, 1]
        The share of labelled neighbours carrying ``majority``; NaN when ``majority`` is -1.
    """
    neighbor_labels = _neighbor_labels(neighbor_indices, labels, reference_labels)
    n_samples = neighbor_labels.shape[0]
    majority = np.full(n_samples, -1, dtype=np.int32)
    share = np.full(n_samples, np.nan, dtype=np.float32)
    # Counting by pairs of neighbours (k x k per sample) instead of one count per class keeps the
    # memory at n_samples x k^2 booleans per chunk, whatever the number of classes.
    for start in range(0, n_samples, _CHUNK_ROWS):
        block = neighbor_labels[start : start + _CHUNK_ROWS].astype(np.int64)
        counted = block >= 0
        same = (block[:, :, None] == block[:, None, :]) & counted[:, None, :]
        counts = np.where(counted, same.sum(axis=2), 0)
        n_counted = counted.sum(axis=1)
        top = counts.max(axis=1)
        # Among the most frequent labels, the smallest class index wins.
        candidates = np.where((counts == top[:, None]) & counted, block, np.iinfo(np.int64).max)
        found = n_counted > 0
        majority[start : start + _CHUNK_ROWS][found] = candidates.min(axis=1)[found]
        share[start : start + _CHUNK_ROWS][found] = top[found] / n_counted[found]
    return majority, share


def _neighbor_labels(
    neighbor_indices: IntArray, labels: IntArray, reference_labels: IntArray | None
) -> IntArray:
    """Return the label of every neighbour, -1 for a missing or unlabeled one."""
    reference = labels if reference_labels is None else reference_labels
    present = neighbor_indices >= 0
    found = reference[np.where(present, neighbor_indices, 0)]
    return np.where(present, found, -1)
