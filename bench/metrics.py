"""How well a ranking or a yes/no flag finds known label errors.

Every function takes one score or flag per sample and a boolean mask of the confirmed errors.
Rankings put the highest score first. Ties are broken by sample order, the same way for every
ranking, so that precision at K and recall in the top N are reproducible.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

#: Size of the review list in "recall in the top N": what a person checks by hand.
TOP_N = 100
#: Resamples behind each bootstrap interval.
N_DRAWS = 1000


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Return the positions of the ``n`` highest scores, highest first, ties in sample order."""
    order = np.argsort(-scores, kind="stable")
    return order[:n]


def ranking_metrics(
    scores: np.ndarray, is_error: np.ndarray, is_candidate: np.ndarray, top_n: int = TOP_N
) -> dict[str, float]:
    """Measure a ranking (higher score = more likely an error) against confirmed errors.

    Parameters
    ----------
    scores : (n_samples,) float, no NaN
    is_error : (n_samples,) bool
        Confirmed label errors; needs at least one error and one non-error.
    is_candidate : (n_samples,) bool
        Samples that were checked by people (confirmed or not); a superset of ``is_error``.
    top_n : int
        Length of the review list for the recall figures.

    Returns
    -------
    dict
        ``average_precision`` and ``auroc`` against the confirmed errors, in [0, 1], higher is
        better. ``precision_at_k`` is the share of errors among the top K, K being the number of
        confirmed errors. ``recall_top_n`` is the share of confirmed errors in the top
        ``top_n``, and ``candidate_recall_top_n`` the same for the checked candidates.
    """
    _check_scores(scores)
    n_errors = int(is_error.sum())
    top_k = top_rows(scores, n_errors)
    top = top_rows(scores, top_n)
    return {
        "average_precision": float(average_precision_score(is_error, scores)),
        "auroc": float(roc_auc_score(is_error, scores)),
        "precision_at_k": float(is_error[top_k].sum() / n_errors),
        "recall_top_n": float(is_error[top].sum() / n_errors),
        "candidate_recall_top_n": float(is_candidate[top].sum() / max(int(is_candidate.sum()), 1)),
    }


def bootstrap_counts(n_samples: int, n_draws: int = N_DRAWS, seed: int = 0) -> np.ndarray:
    """Return how often each sample is drawn in each of ``n_draws`` resamples with replacement.

    Returns
    -------
    (n_draws, n_samples) int32
        Row ``b`` counts each sample's copies in resample ``b``. The same arguments give the same
        resamples, so several rankings (or seeds) of one dataset are compared on the same ones.
    """
    rng = np.random.default_rng(seed)
    counts = np.empty((n_draws, n_samples), dtype=np.int32)
    for draw in range(n_draws):
        counts[draw] = np.bincount(rng.integers(0, n_samples, n_samples), minlength=n_samples)
    return counts


def resampled_average_precision(
    scores: np.ndarray, is_error: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Return the average precision of ``scores`` in each resample of :func:`bootstrap_counts`.

    Equal to ``sklearn.metrics.average_precision_score`` with the counts as sample weights: tied
    scores form one threshold, and each error adds its weight times the precision at the end of
    its tie. A resample that drew no error gives NaN.
    """
    _check_scores(scores)
    order = np.argsort(-scores, kind="stable")
    ordered = scores[order]
    errors = is_error[order].astype(np.float64)
    block_ends = np.r_[np.flatnonzero(np.diff(ordered) != 0), ordered.size - 1]
    end_of = block_ends[np.searchsorted(block_ends, np.arange(ordered.size))]
    weights = counts[:, order].astype(np.float64)
    error_weights = weights * errors
    hits = np.cumsum(error_weights, axis=1)
    drawn = np.cumsum(weights, axis=1)[:, end_of]
    # Precision is only needed where an error was drawn, and there at least that error is drawn.
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(error_weights > 0, hits[:, end_of] / drawn, 0.0)
        return (precision * error_weights).sum(axis=1) / hits[:, -1]


def percentile_interval(draws: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Return the central ``level`` interval of the finite draws (percentile bootstrap), NaN to
    NaN when no draw is finite."""
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def flag_metrics(flags: np.ndarray, is_error: np.ndarray) -> dict[str, float]:
    """Measure a yes/no flag against confirmed errors.

    Returns
    -------
    dict
        ``n_flagged``; ``precision``: the share of flagged samples that are confirmed errors (0 when
        nothing is flagged); ``recall``: the share of confirmed errors flagged.
    """
    n_flagged = int(flags.sum())
    hits = int((flags & is_error).sum())
    return {
        "n_flagged": n_flagged,
        "precision": hits / n_flagged if n_flagged else 0.0,
        "recall": hits / max(int(is_error.sum()), 1),
    }


def _check_scores(scores: np.ndarray) -> None:
    if np.isnan(scores).any():
        raise ValueError(
            f"scores contains {int(np.isnan(scores).sum())} NaN value(s); rank only scored samples."
        )
