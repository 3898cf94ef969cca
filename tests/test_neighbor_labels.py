from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis.neighbor_labels import (
    neighbor_label_disagreement,
    neighbor_majority_label,
)

LABELS = np.array([0, 0, 1, 1, -1])
# Sample 0: neighbours 1 (same), 2 (other), 4 (unlabeled). Sample 2: 3 (same), -1 (missing).
NEIGHBORS = np.array([[1, 2, 4], [0, 2, 3], [3, -1, -1], [2, 0, 1], [0, 1, 2]])


def test_disagreement_hand_computed():
    share = neighbor_label_disagreement(NEIGHBORS, LABELS)
    assert share[0] == pytest.approx(0.5)  # unlabeled neighbour 4 is left out
    assert share[1] == pytest.approx(2 / 3)
    assert share[2] == pytest.approx(0.0)  # missing neighbours are left out
    assert share[3] == pytest.approx(2 / 3)
    assert np.isnan(share[4])  # unlabeled sample
    assert share.dtype == np.float32


def test_disagreement_without_labelled_neighbours_is_nan():
    share = neighbor_label_disagreement(
        np.array([[-1, -1], [2, 2]]), np.array([0, 1]), reference_labels=np.array([0, 1, -1])
    )
    assert np.isnan(share).all()


def test_disagreement_against_reference_labels():
    reference = np.array([5, 5, 2])
    share = neighbor_label_disagreement(np.array([[0, 1], [0, 2]]), np.array([5, 2]), reference)
    assert share.tolist() == [0.0, 0.5]


def test_disagreement_permutation_of_samples():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 50)
    neighbors = np.stack([rng.choice(np.delete(np.arange(50), i), 5, replace=False)
                          for i in range(50)])
    order = rng.permutation(50)
    inverse = np.argsort(order)
    permuted = inverse[neighbors[order]]
    original = neighbor_label_disagreement(neighbors, labels)
    assert np.array_equal(neighbor_label_disagreement(permuted, labels[order]), original[order])


def test_majority_label_hand_computed():
    majority, share = neighbor_majority_label(NEIGHBORS, LABELS, n_classes=2)
    assert majority.tolist() == [0, 1, 1, 0, 0]  # sample 0 ties 0 and 1: the smaller class wins
    assert share[1] == pytest.approx(2 / 3)
    assert share[2] == pytest.approx(1.0)


def test_majority_label_without_neighbours():
    majority, share = neighbor_majority_label(np.array([[-1, -1]]), np.array([0]), n_classes=3)
    assert majority.tolist() == [-1]
    assert np.isnan(share[0])


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_majority_label_any_integer_dtype(dtype):
    majority, share = neighbor_majority_label(NEIGHBORS.astype(dtype), LABELS.astype(dtype), n_classes=2)
    assert majority.tolist() == [0, 1, 1, 0, 0]
    assert share[1] == pytest.approx(2 / 3)


def test_majority_label_matches_a_per_class_count():
    rng = np.random.default_rng(0)
    labels = rng.integers(-1, 5, 2000).astype(np.int32)
    neighbors = rng.integers(-1, 2000, (2000, 10))
    majority, share = neighbor_majority_label(neighbors, labels, n_classes=5)
    neighbor_labels = np.where(neighbors >= 0, labels[np.maximum(neighbors, 0)], -1)
    for row in range(2000):
        counts = np.bincount(neighbor_labels[row][neighbor_labels[row] >= 0], minlength=5)
        expected = int(counts.argmax()) if counts.sum() else -1
        assert majority[row] == expected
