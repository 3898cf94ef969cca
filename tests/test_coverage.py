from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis.coverage import coverage_distance, coverage_threshold, is_out_of_coverage
from dataerrors.analysis.neighbors import build_index, search_neighbors
from dataerrors.errors import InvalidInputError


def auroc(inside: np.ndarray, outside: np.ndarray) -> float:
    """Probability that an outside sample scores above an inside one (ties count half)."""
    scores = np.r_[inside, outside]
    ranks = np.argsort(np.argsort(scores, kind="stable"), kind="stable") + 1.0
    for value in np.unique(scores):
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    outside_ranks = ranks[len(inside) :].sum()
    return float((outside_ranks - len(outside) * (len(outside) + 1) / 2) / (len(inside) * len(outside)))


def test_coverage_distance_takes_kth_column():
    distances = np.array([[0.1, 0.2, 0.3], [0.0, np.nan, np.nan]], dtype=np.float32)
    np.testing.assert_allclose(coverage_distance(distances, 2), [0.2, np.nan])
    np.testing.assert_allclose(coverage_distance(distances, 1), [0.1, 0.0])


def test_coverage_threshold_hand_computed():
    reference = np.arange(1, 101, dtype=np.float64)
    assert coverage_threshold(reference, 0.05) == pytest.approx(95.05)
    assert coverage_threshold(np.r_[reference, np.nan], 0.5) == pytest.approx(50.5)


def test_is_out_of_coverage_treats_nan_as_covered():
    flags = is_out_of_coverage(np.array([0.1, 0.5, np.nan, 0.3]), 0.3)
    assert flags.tolist() == [False, True, False, False]


def test_calibrated_threshold_flags_stated_share():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (10, 8))
    train = centres[rng.integers(0, 10, 4000)] + rng.normal(0, 0.4, (4000, 8))
    fresh = centres[rng.integers(0, 10, 4000)] + rng.normal(0, 0.4, (4000, 8))
    index = build_index(train)
    held_out = search_neighbors(index, train, 10, self_positions=np.arange(4000))
    threshold = coverage_threshold(coverage_distance(held_out.distances, 10), 0.05)
    flags = is_out_of_coverage(coverage_distance(search_neighbors(index, fresh, 10).distances, 10), threshold)
    assert 0.03 < flags.mean() < 0.07


def test_coverage_separates_unseen_clusters():
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 1, (12, 8))
    train = centres[rng.integers(0, 10, 3000)] + rng.normal(0, 0.3, (3000, 8))
    inside = centres[rng.integers(0, 10, 500)] + rng.normal(0, 0.3, (500, 8))
    outside = centres[rng.integers(10, 12, 500)] + rng.normal(0, 0.3, (500, 8))
    index = build_index(train)
    inside_distance = coverage_distance(search_neighbors(index, inside, 10).distances, 10)
    outside_distance = coverage_distance(search_neighbors(index, outside, 10).distances, 10)
    assert auroc(inside_distance, outside_distance) > 0.95


def test_auroc_helper_hand_computed():
    assert auroc(np.array([0.1, 0.2]), np.array([0.3, 0.4])) == 1.0
    assert auroc(np.array([0.1, 0.3]), np.array([0.2, 0.4])) == 0.75
    assert auroc(np.array([0.5]), np.array([0.5])) == 0.5


@pytest.mark.parametrize("k", [0, 4, 1.5, True])
def test_coverage_distance_rejects_bad_k(k):
    with pytest.raises(InvalidInputError, match=f"k={k!r} is invalid"):
        coverage_distance(np.zeros((2, 3)), k)


def test_coverage_distance_rejects_bad_shape():
    with pytest.raises(InvalidInputError, match=r"neighbor_distances has shape \(3,\)"):
        coverage_distance(np.zeros(3), 1)


@pytest.mark.parametrize("share", [0, 1, -0.1, 1.5, True, "5%"])
def test_coverage_threshold_rejects_bad_share(share):
    with pytest.raises(InvalidInputError, match="flag_share=.* is invalid"):
        coverage_threshold(np.ones(10), share)


def test_coverage_threshold_rejects_empty_reference():
    with pytest.raises(InvalidInputError, match="no finite value"):
        coverage_threshold(np.array([np.nan, np.nan]))
    with pytest.raises(InvalidInputError, match=r"reference_distances has shape \(2, 2\)"):
        coverage_threshold(np.ones((2, 2)))


def test_is_out_of_coverage_rejects_bad_threshold():
    with pytest.raises(InvalidInputError, match="threshold=nan is invalid"):
        is_out_of_coverage(np.ones(3), float("nan"))
