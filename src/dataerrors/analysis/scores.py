"""Per-batch scores computed when outputs are logged: probabilities, margin and top-k classes."""

from __future__ import annotations

import numpy as np

from .._types import FloatArray, IntArray


def softmax(logits: FloatArray) -> FloatArray:
    """Return row-wise softmax probabilities of ``logits`` (n_samples, n_classes) as float32."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted.astype(np.float32, copy=False)


def given_label_scores(probs: FloatArray, labels: IntArray) -> tuple[FloatArray, FloatArray]:
    """Return the given-label probability and the margin of each sample.

    Parameters
    ----------
    probs : (n_samples, n_classes) float
        Predicted probabilities; rows sum to 1.
    labels : (n_samples,) int
        Given labels; a negative label marks an unlabeled sample.

    Returns
    -------
    p_given : (n_samples,) float32 in [0, 1]
        Probability of the given label; NaN for unlabeled samples.
    margin : (n_samples,) float32 in [-1, 1]
        ``p_given`` minus the largest probability of any other class. Negative means the model
        prefers another class (Pleiss et al., "Identifying Mislabeled Data using the Area Under
        the Margin Ranking", NeurIPS 2020, with probabilities in place of logits). NaN for
        unlabeled samples.
    """
    n_samples = probs.shape[0]
    labeled = labels >= 0
    rows = np.arange(n_samples)
    safe_labels = np.where(labeled, labels, 0)
    p_given = probs[rows, safe_labels].astype(np.float32)
    others = probs.copy()
    others[rows, safe_labels] = -np.inf
    margin = (p_given - others.max(axis=1)).astype(np.float32)
    p_given[~labeled] = np.nan
    margin[~labeled] = np.nan
    return p_given, margin


def top_classes(probs: FloatArray, k: int) -> tuple[IntArray, FloatArray]:
    """Return the ``k`` most probable classes of each row and their probabilities, best first."""
    k = min(k, probs.shape[1])
    top = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    top_probs = np.take_along_axis(probs, top, axis=1)
    order = np.argsort(-top_probs, axis=1, kind="stable")
    return (
        np.take_along_axis(top, order, axis=1).astype(np.int32),
        np.take_along_axis(top_probs, order, axis=1).astype(np.float32),
    )
