"""Classification metrics per class, confused label pairs and underperforming classes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._types import IntArray

#: A class underperforms when its F1 is more than this many standard deviations below the mean F1,
UNDERPERFORMING_STD = 1.0
#: and more than this much below it: smaller gaps are noise when every class is nearly perfect,
MIN_F1_GAP = 0.02
#: or when its F1 is below this share of the mean F1, however spread out the classes are.
LOW_F1_SHARE = 0.5
#: A class smaller than this share of the mean class size is reported as a likely imbalance cause.
SMALL_CLASS_RATIO = 0.5


@dataclass(frozen=True)
class ClassMetrics:
    """Per-class metrics; every array has shape (n_classes,).

    ``precision``, ``recall`` and ``f1`` are in [0, 1], higher is better; 0 where the denominator
    is zero (a class never predicted or never present). Per-class accuracy, the share of a class's
    samples predicted as that class, equals ``recall``.
    """

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    n_predicted: np.ndarray


def confusion_matrix(labels: IntArray, predicted: IntArray, n_classes: int) -> np.ndarray:
    """Return the (n_classes, n_classes) counts of given label (rows) by predicted class (columns).

    Samples with a negative label or prediction (unlabeled, never logged) are left out.
    """
    keep = (labels >= 0) & (predicted >= 0)
    cells = labels[keep].astype(np.int64) * n_classes + predicted[keep]
    return np.bincount(cells, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def class_metrics(confusion: np.ndarray) -> ClassMetrics:
    """Compute precision, recall, F1, support and prediction counts from a confusion matrix."""
    true_positives = np.diag(confusion).astype(np.float64)
    support = confusion.sum(axis=1)
    n_predicted = confusion.sum(axis=0)
    precision = np.divide(
        true_positives, n_predicted, out=np.zeros_like(true_positives), where=n_predicted > 0
    )
    recall = np.divide(true_positives, support, out=np.zeros_like(true_positives), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)
    return ClassMetrics(precision, recall, f1, support, n_predicted)


def top_confused_pairs(confusion: np.ndarray, k: int = 20) -> list[dict[str, Any]]:
    """Return the ``k`` largest off-diagonal cells: given label, predicted class, count, share.

    ``share`` is the count divided by the given label's support, in [0, 1]. Pairs are sorted by
    count, largest first; empty cells are left out.
    """
    off_diagonal = confusion.copy()
    np.fill_diagonal(off_diagonal, 0)
    flat = off_diagonal.reshape(-1)
    k = min(k, int((flat > 0).sum()))
    if k == 0:
        return []
    top = np.argpartition(-flat, k - 1)[:k]
    top = top[np.argsort(-flat[top], kind="stable")]
    n_classes = confusion.shape[0]
    support = confusion.sum(axis=1)
    pairs = []
    for cell in top:
        label, predicted = divmod(int(cell), n_classes)
        pairs.append(
            {
                "label": label,
                "predicted": predicted,
                "count": int(flat[cell]),
                "share": float(flat[cell] / max(support[label], 1)),
            }
        )
    return pairs


def underperforming_classes(
    metrics: ClassMetrics, confusion: np.ndarray
) -> list[dict[str, Any]]:
    """Return the classes whose F1 is far below the mean F1 over classes.

    A class underperforms when its F1 is more than one standard deviation and more than 0.02
    below the mean, or below half the mean. The standard-deviation rule alone flags classes
    0.005 below the mean when every class is near 1, so the 0.02 floor keeps such gaps out. It
    also misses classes with F1 0 when many classes fail and the spread is large, so the
    half-the-mean rule catches those.

    Only classes with at least one sample take part. Each entry gives the class's F1, its support
    against the mean support (``size_ratio``; below 0.5 the class is flagged as small, so imbalance
    is a likely cause) and the class its samples are most often predicted as. Sorted by F1,
    worst first.
    """
    present = metrics.support > 0
    if present.sum() < 2:
        return []
    f1 = metrics.f1[present]
    cutoff = max(
        f1.mean() - max(UNDERPERFORMING_STD * f1.std(), MIN_F1_GAP), LOW_F1_SHARE * f1.mean()
    )
    mean_support = metrics.support[present].mean()
    off_diagonal = confusion.copy()
    np.fill_diagonal(off_diagonal, 0)
    found = []
    for label in np.flatnonzero(present & (metrics.f1 < cutoff)):
        size_ratio = float(metrics.support[label] / mean_support)
        confused_with = int(off_diagonal[label].argmax()) if off_diagonal[label].any() else None
        found.append(
            {
                "label": int(label),
                "f1": float(metrics.f1[label]),
                "mean_f1": float(f1.mean()),
                "support": int(metrics.support[label]),
                "size_ratio": size_ratio,
                "is_small_class": size_ratio < SMALL_CLASS_RATIO,
                "most_confused_with": confused_with,
            }
        )
    return sorted(found, key=lambda entry: entry["f1"])
