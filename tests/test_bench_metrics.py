from __future__ import annotations

import numpy as np
import pytest

from sklearn.metrics import average_precision_score

from bench.metrics import (
    bootstrap_counts,
    flag_metrics,
    percentile_interval,
    ranking_metrics,
    resampled_average_precision,
    top_rows,
)

SCORES = np.array([0.9, 0.8, 0.7, 0.6])
IS_ERROR = np.array([True, False, True, False])
IS_CANDIDATE = np.array([True, True, True, False])


def test_ranking_metrics_hand_computed():
    metrics = ranking_metrics(SCORES, IS_ERROR, IS_CANDIDATE, top_n=3)
    # Errors at ranks 1 and 3: AP = (1/1 + 2/3) / 2.
    assert metrics["average_precision"] == pytest.approx((1 + 2 / 3) / 2)
    # 3 of the 4 (error, non-error) pairs are ordered correctly.
    assert metrics["auroc"] == pytest.approx(0.75)
    assert metrics["precision_at_k"] == pytest.approx(0.5)
    assert metrics["recall_top_n"] == pytest.approx(1.0)
    assert metrics["candidate_recall_top_n"] == pytest.approx(1.0)


def test_ranking_metrics_perfect_ranking():
    metrics = ranking_metrics(np.array([4.0, 3.0, 2.0, 1.0]), np.array([True, True, False, False]),
                              np.array([True, True, True, False]), top_n=2)
    assert metrics["average_precision"] == pytest.approx(1.0)
    assert metrics["auroc"] == pytest.approx(1.0)
    assert metrics["precision_at_k"] == pytest.approx(1.0)
    assert metrics["candidate_recall_top_n"] == pytest.approx(2 / 3)


def test_ranking_metrics_reject_nan():
    with pytest.raises(ValueError, match="1 NaN value"):
        ranking_metrics(np.array([0.1, np.nan, 0.3]), np.array([True, False, False]),
                        np.array([True, False, False]))


def test_top_rows_breaks_ties_by_order():
    assert top_rows(np.array([1.0, 2.0, 2.0, 1.0]), 3).tolist() == [1, 2, 0]


def test_flag_metrics_hand_computed():
    metrics = flag_metrics(np.array([True, True, False, False]), IS_ERROR)
    assert metrics == {"n_flagged": 2, "precision": 0.5, "recall": 0.5}


def test_flag_metrics_nothing_flagged():
    metrics = flag_metrics(np.zeros(4, dtype=bool), IS_ERROR)
    assert metrics == {"n_flagged": 0, "precision": 0.0, "recall": 0.0}


def test_bootstrap_counts_are_resamples():
    counts = bootstrap_counts(50, n_draws=20, seed=3)
    assert counts.shape == (20, 50)
    assert (counts.sum(axis=1) == 50).all()
    assert np.array_equal(counts, bootstrap_counts(50, n_draws=20, seed=3))
    assert not np.array_equal(counts, bootstrap_counts(50, n_draws=20, seed=4))


def test_resampled_ap_matches_sklearn_with_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 8, 300).astype(float)  # many ties
    is_error = rng.random(300) < 0.1
    counts = bootstrap_counts(300, n_draws=5, seed=1)
    draws = resampled_average_precision(scores, is_error, counts)
    for draw, weights in zip(draws, counts):
        assert draw == pytest.approx(average_precision_score(is_error, scores, sample_weight=weights))


def test_resampled_ap_when_top_sample_not_drawn():
    rng = np.random.default_rng(1)
    scores = rng.random(200)  # no ties
    is_error = rng.random(200) < 0.2
    counts = bootstrap_counts(200, n_draws=50, seed=2)
    top = int(np.argmax(scores))
    assert (counts[:, top] == 0).any()  # some resamples leave the top-ranked sample out
    draws = resampled_average_precision(scores, is_error, counts)
    assert np.isfinite(draws).all()
    for draw, weights in zip(draws, counts):
        assert draw == pytest.approx(average_precision_score(is_error, scores, sample_weight=weights))


def test_resampled_ap_unit_weights():
    draws = resampled_average_precision(SCORES, IS_ERROR, np.ones((1, 4), dtype=np.int32))
    assert draws[0] == pytest.approx((1 + 2 / 3) / 2)


def test_resample_without_errors_is_nan():
    counts = np.array([[0, 4, 0, 0]], dtype=np.int32)  # only the non-error at rank 2 drawn
    assert np.isnan(resampled_average_precision(SCORES, IS_ERROR, counts)[0])


def test_percentile_interval_skips_nan():
    draws = np.r_[np.arange(101, dtype=float), np.nan]
    assert percentile_interval(draws, level=0.9) == pytest.approx((5.0, 95.0))
