"""The summary entry of one split: accuracy, DEP thresholds, error estimates, top suspects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis.explain import explain_sample
from ..analysis.label_errors import LabelErrorScores
from ..analysis.metrics import class_metrics, top_confused_pairs, underperforming_classes
from .context import SplitAnalysis

#: Confusion matrices up to this many classes are stored whole in the summary.
MAX_DENSE_CONFUSION = 100
N_TOP_SUSPECTS = 20


@dataclass
class EpochScores:
    """Per-epoch scalars of one split, read from the run."""

    p_given: np.ndarray  # (n_epochs, n_samples), NaN where a sample was not logged
    margins: np.ndarray
    predicted: np.ndarray  # -1 where a sample was not logged


def split_summary(
    analysis: SplitAnalysis,
    scores: LabelErrorScores,
    epoch_scores: EpochScores,
    confusion: np.ndarray,
    thresholds: np.ndarray,
    class_names: list[str],
) -> dict[str, Any]:
    """Build the summary entry of one split from its scores and confusion matrix."""
    labels = analysis.labels
    n_classes = len(class_names)
    dep = scores.dep
    metrics = class_metrics(confusion)

    labeled = (labels >= 0) & scores.has_outputs
    n_scored = int(labeled.sum())
    estimated = scores.estimated_error_count
    class_dep = np.bincount(labels[labeled], weights=dep[labeled], minlength=n_classes)
    class_n = np.bincount(labels[labeled], minlength=n_classes)
    present = metrics.support > 0

    summary: dict[str, Any] = {
        "n_samples": analysis.n_samples,
        "n_labeled": int((labels >= 0).sum()),
        "n_scored": n_scored,
        "epochs": analysis.epochs,
        "accuracy": float(np.trace(confusion) / confusion.sum()) if confusion.sum() else None,
        "mean_dep": float(np.nanmean(dep)) if n_scored else None,
        "dep_thresholds": {"easy": scores.easy_threshold, "hard": scores.hard_threshold},
        "difficulty_counts": {
            name: int((scores.difficulty == name).sum()) for name in ("easy", "ambiguous", "hard")
        },
        "n_likely_mislabeled": int(scores.is_likely_mislabeled.sum()),
        "estimated_label_errors": estimated,
        "estimated_error_rate": estimated / n_scored if n_scored else None,
        "mean_f1": float(metrics.f1[present].mean()) if present.any() else None,
        "classes": [
            {
                "label": label,
                "precision": float(metrics.precision[label]),
                "recall": float(metrics.recall[label]),
                "f1": float(metrics.f1[label]),
                "support": int(metrics.support[label]),
                "n_predicted": int(metrics.n_predicted[label]),
                "mean_dep": float(class_dep[label] / class_n[label]) if class_n[label] else None,
                "confident_learning_threshold": float(thresholds[label]),
            }
            for label in range(n_classes)
        ],
        "top_confused_pairs": top_confused_pairs(confusion),
        "underperforming_classes": underperforming_classes(metrics, confusion),
        "top_suspects": _top_suspects(analysis, scores, epoch_scores, class_names),
    }
    if n_classes <= MAX_DENSE_CONFUSION:
        summary["confusion_matrix"] = confusion.tolist()
    return summary


def _top_suspects(
    analysis: SplitAnalysis,
    scores: LabelErrorScores,
    epoch_scores: EpochScores,
    class_names: list[str],
) -> list[dict[str, Any]]:
    dep = scores.dep
    order = np.argsort(-np.nan_to_num(dep, nan=-1.0), kind="stable")[:N_TOP_SUSPECTS]
    suspects = []
    for row in order:
        if np.isnan(dep[row]):
            continue
        explanation = explain_sample(
            label=int(analysis.labels[row]),
            dep=float(dep[row]),
            margins=epoch_scores.margins[:, row].tolist(),
            predicted=epoch_scores.predicted[:, row].tolist(),
            neighbor_disagreement=float(scores.neighbor_disagreement[row]),
            neighbor_label=int(scores.neighbor_label[row]),
            confident_label=int(scores.confident_label[row]),
            suggested_label=int(scores.suggested_label[row]),
            is_likely_mislabeled=bool(scores.is_likely_mislabeled[row]),
            class_names=class_names,
        )
        suspects.append(
            {
                "id": analysis.ids[row].item(),
                "label": int(analysis.labels[row]),
                "suggested_label": int(scores.suggested_label[row]),
                "dep": float(dep[row]),
                "is_likely_mislabeled": bool(scores.is_likely_mislabeled[row]),
                "reasons": explanation["reasons"],
                "explanation": explanation["sentence"],
            }
        )
    return suspects


def name_classes(summary: dict[str, Any], class_names: list[str]) -> dict[str, Any]:
    """Add a ``*_name`` field beside every class index in the summary's lists."""
    for key in ("classes", "top_confused_pairs", "underperforming_classes", "top_suspects"):
        for entry in summary[key]:
            for field_name in ("label", "predicted", "suggested_label", "most_confused_with"):
                value = entry.get(field_name)
                if isinstance(value, int) and 0 <= value < len(class_names):
                    entry[f"{field_name}_name"] = class_names[value]
    return summary
