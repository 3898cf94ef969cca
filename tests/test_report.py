"""The plain-text summary printed by the command line and the demos."""

from __future__ import annotations

from typing import Any

from dataerrors.report import format_summary


def _summary(underperforming: list[dict[str, Any]], clusters: dict[str, Any] | None = None) -> dict[str, Any]:
    split = {
        "n_samples": 100, "epochs": [0], "n_scored": 100, "accuracy": 0.9, "mean_f1": 0.9,
        "mean_dep": 0.1, "dep_thresholds": {"easy": 0.1, "hard": 0.5},
        "difficulty_counts": {"easy": 80, "ambiguous": 15, "hard": 5},
        "n_likely_mislabeled": 3, "estimated_label_errors": 3.0, "estimated_error_rate": 0.03,
        "top_confused_pairs": [], "top_suspects": [], "underperforming_classes": underperforming,
        "clusters": clusters,
    }
    return {"project": "p", "run": "r", "analyzed_at": "now", "splits": {"training": split}}


def test_class_without_confusion_reads_as_precision():
    entry = {"label_name": "cat", "f1": 0.4, "mean_f1": 0.9, "support": 10, "size_ratio": 1.0,
             "is_small_class": False, "most_confused_with_name": None}
    text = format_summary(_summary([entry]))
    assert "low precision: samples of other classes are predicted as it" in text
    assert "most confused with None" not in text


def test_cluster_ratio_shows_two_decimals():
    cluster = {"cluster": 7, "size": 20, "mean_dep": 0.198, "dep_ratio": 1.98, "main_classes": [],
               "top_confused_pair": None}
    clusters = {"n_clusters": 1, "noise_share": 0.0, "high_dep_clusters": [], "clusters": [cluster]}
    text = format_summary(_summary([], clusters))
    assert "0 with mean DEP at least 2x" in text
    assert "(1.98x the split)" in text
