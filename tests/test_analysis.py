"""Pure analysis functions: hand-computed cases and invariants shared by every score."""

from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis import mislabel
from dataerrors.analysis.dep import data_error_potential, dep_thresholds
from dataerrors.analysis.dynamics import training_dynamics
from dataerrors.analysis.metrics import (
    class_metrics,
    confusion_matrix,
    top_confused_pairs,
    underperforming_classes,
)
from dataerrors.analysis.scores import given_label_scores, softmax, top_classes
from dataerrors.errors import DegenerateInputWarning


def _random_probs(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return softmax(rng.normal(0, 2, (n, k)).astype(np.float32))


def test_softmax_rows_sum_to_one() -> None:
    probs = softmax(np.array([[1000.0, 0.0], [0.0, 0.0]], dtype=np.float32))
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert np.allclose(probs[1], [0.5, 0.5])
    assert probs[0, 0] == pytest.approx(1.0)


def test_margin_hand_computed() -> None:
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]], dtype=np.float32)
    p_given, margin = given_label_scores(probs, np.array([0, 2]))
    assert p_given.tolist() == pytest.approx([0.7, 0.3])
    assert margin.tolist() == pytest.approx([0.5, -0.3])


def test_margin_unlabeled_is_nan() -> None:
    p_given, margin = given_label_scores(np.full((1, 2), 0.5, np.float32), np.array([-1]))
    assert np.isnan(p_given[0])
    assert np.isnan(margin[0])


def test_top_classes_sorted() -> None:
    classes, probs = top_classes(np.array([[0.1, 0.5, 0.15, 0.25]], np.float32), 3)
    assert classes.tolist() == [[1, 3, 2]]
    assert probs.tolist()[0] == pytest.approx([0.5, 0.25, 0.15])


def test_dynamics_hand_computed() -> None:
    p_given = np.array([[0.9, 0.2], [0.7, np.nan]], np.float32)
    margins = np.array([[0.8, -0.6], [0.4, np.nan]], np.float32)
    correct = np.array([[True, False], [False, False]])
    dynamics = training_dynamics(p_given, margins, correct)
    assert dynamics.aum.tolist() == pytest.approx([0.6, -0.6])
    assert dynamics.confidence.tolist() == pytest.approx([0.8, 0.2])
    assert dynamics.variability.tolist() == pytest.approx([0.1, 0.0])
    assert dynamics.correctness.tolist() == pytest.approx([0.5, 0.0])
    assert dynamics.n_epochs.tolist() == [2, 1]


def test_dynamics_never_logged_is_nan() -> None:
    empty = np.full((2, 1), np.nan, np.float32)
    dynamics = training_dynamics(empty, empty, np.zeros((2, 1), bool))
    assert np.isnan(dynamics.aum[0])
    assert dynamics.n_epochs[0] == 0


def test_dep_hand_computed_and_range() -> None:
    aum = np.array([1.0, 0.0, -1.0, np.nan], np.float32)
    dep = data_error_potential(aum, aum)
    assert dep[:3].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert np.isnan(dep[3])


def test_dep_invariants_random() -> None:
    rng = np.random.default_rng(0)
    n, k, epochs = 500, 7, 4
    labels = rng.integers(0, k, n)
    per_epoch = [given_label_scores(_random_probs(rng, n, k), labels) for _ in range(epochs)]
    p_given = np.stack([p for p, _ in per_epoch])
    margins = np.stack([m for _, m in per_epoch])
    dep = data_error_potential(training_dynamics(p_given, margins, margins > 0).aum, margins[-1])
    assert dep.shape == (n,)
    assert not np.isnan(dep).any()
    assert dep.min() >= 0.0
    assert dep.max() <= 1.0
    permutation = rng.permutation(n)
    permuted = data_error_potential(
        training_dynamics(p_given[:, permutation], margins[:, permutation],
                          margins[:, permutation] > 0).aum,
        margins[-1, permutation],
    )
    assert np.array_equal(permuted, dep[permutation])


def test_dep_thresholds_bimodal() -> None:
    rng = np.random.default_rng(1)
    dep = np.r_[rng.uniform(0.0, 0.1, 900), rng.uniform(0.8, 1.0, 100)].astype(np.float32)
    easy, hard = dep_thresholds(dep)
    assert 0.1 <= hard <= 0.8
    assert easy <= hard


def test_dep_thresholds_constant_fallback() -> None:
    assert dep_thresholds(np.full(10, 0.2, np.float32)) == pytest.approx((1 / 3, 2 / 3))


def test_confident_learning_hand_computed() -> None:
    # Class 0: samples 0-2 (sample 2 looks like class 1); class 1: samples 3-5.
    probs = np.array(
        [[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8], [0.3, 0.7], [0.1, 0.9]], np.float32
    )
    labels = np.array([0, 0, 0, 1, 1, 1])
    sums, counts = mislabel.class_probability_sums(probs, labels, 2)
    thresholds = mislabel.class_thresholds(sums, counts)
    assert thresholds.tolist() == pytest.approx([0.6, 0.8])
    confident, excess = mislabel.confident_classes(probs, labels, thresholds)
    assert confident.tolist() == [0, 0, 1, 1, -1, 1]
    assert excess[2] == pytest.approx(0.8)
    joint = mislabel.confident_joint(labels, confident, 2)
    assert joint.tolist() == [[2, 1], [0, 2]]
    calibrated = mislabel.calibrate_joint(joint, np.array([3, 3]))
    assert mislabel.estimate_error_count(calibrated) == pytest.approx(1.0)
    dep = np.array([0.1, 0.2, 0.9, 0.3, 0.4, 0.1], np.float32)
    flags = mislabel.flag_mislabeled(labels, dep, calibrated)
    assert flags.tolist() == [False, False, True, False, False, False]
    suggested = mislabel.suggest_labels(labels, confident, probs.argmax(axis=1).astype(np.int32))
    assert suggested.tolist() == [0, 0, 1, 1, 1, 1]


def test_confident_learning_chunked_equals_whole() -> None:
    rng = np.random.default_rng(2)
    probs = _random_probs(rng, 1000, 5)
    labels = rng.integers(0, 5, 1000)
    whole = mislabel.class_thresholds(*mislabel.class_probability_sums(probs, labels, 5))
    sums = np.zeros(5)
    counts = np.zeros(5, np.int64)
    for start in range(0, 1000, 128):
        chunk_sums, chunk_counts = mislabel.class_probability_sums(
            probs[start:start + 128], labels[start:start + 128], 5)
        sums += chunk_sums
        counts += chunk_counts
    assert np.allclose(mislabel.class_thresholds(sums, counts), whole)


def test_empty_class_threshold_warns() -> None:
    with pytest.warns(DegenerateInputWarning, match="no labelled sample"):
        thresholds = mislabel.class_thresholds(np.array([1.0, 0.0]), np.array([2, 0]))
    assert thresholds.tolist() == [0.5, 1.0]


def test_metrics_hand_computed() -> None:
    labels = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 0, 1, 1, 1, 0])
    confusion = confusion_matrix(labels, predicted, 3)
    assert confusion.tolist() == [[2, 1, 0], [0, 2, 0], [1, 0, 0]]
    metrics = class_metrics(confusion)
    assert metrics.precision.tolist() == pytest.approx([2 / 3, 2 / 3, 0.0])
    assert metrics.recall.tolist() == pytest.approx([2 / 3, 1.0, 0.0])
    assert metrics.f1.tolist() == pytest.approx([2 / 3, 0.8, 0.0])
    assert metrics.support.tolist() == [3, 2, 1]


def test_confusion_skips_unlabeled() -> None:
    confusion = confusion_matrix(np.array([0, -1, 1]), np.array([0, 1, -1]), 2)
    assert confusion.sum() == 1


def test_top_confused_pairs_sorted() -> None:
    confusion = np.array([[5, 3, 0], [1, 5, 0], [0, 4, 2]])
    pairs = top_confused_pairs(confusion, k=2)
    assert [(p["label"], p["predicted"], p["count"]) for p in pairs] == [(2, 1, 4), (0, 1, 3)]
    assert pairs[0]["share"] == pytest.approx(4 / 6)


def test_underperforming_small_class() -> None:
    confusion = np.diag([100, 100, 100, 100, 2]).astype(np.int64)
    confusion[4, 0] = 8
    found = underperforming_classes(class_metrics(confusion), confusion)
    assert [entry["label"] for entry in found] == [4]
    assert found[0]["is_small_class"]
    assert found[0]["size_ratio"] == pytest.approx(10 / 82)
    assert found[0]["most_confused_with"] == 0


def test_underperforming_ignores_tiny_gaps() -> None:
    confusion = np.diag([990, 990, 985, 995]).astype(np.int64)
    confusion[2, 0] = 15  # F1 about 0.99 everywhere: a 0.005 gap is not underperformance
    confusion[0, 0] -= 10
    confusion[0, 1] = 10
    found = underperforming_classes(class_metrics(confusion), confusion)
    assert found == []


def test_underperforming_failed_classes() -> None:
    # Six of ten classes are never predicted (F1 0), so the spread is large.
    confusion = np.zeros((10, 10), dtype=np.int64)
    for label in range(10):
        confusion[label, label % 4] = 50
    found = underperforming_classes(class_metrics(confusion), confusion)
    assert sorted(entry["label"] for entry in found) == [4, 5, 6, 7, 8, 9]
    assert all(entry["f1"] == 0 for entry in found)
