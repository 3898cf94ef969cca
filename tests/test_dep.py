from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis.dep import NEIGHBOR_WEIGHT, data_error_potential, dep_thresholds


def test_dep_from_margins_alone():
    aum = np.array([1.0, -1.0, 0.0, 0.5, 0.5, np.nan])
    last_margin = np.array([1.0, -1.0, 0.0, 0.9, -0.3, np.nan])
    dep = data_error_potential(aum, last_margin)
    # The lower of the two margins counts: 0.5 for the fourth sample, -0.3 for the fifth.
    assert dep[:5] == pytest.approx([0.0, 1.0, 0.5, 0.25, 0.65])
    assert np.isnan(dep[5])


def test_dep_blends_neighbour_disagreement():
    aum = np.array([0.6, 0.6, -0.2])
    last_margin = np.array([0.8, 0.6, 0.4])
    disagreement = np.array([0.0, 0.8, np.nan])
    dep = data_error_potential(aum, last_margin, disagreement)
    weight = NEIGHBOR_WEIGHT
    assert dep[0] == pytest.approx((1 - weight) * 0.2)
    assert dep[1] == pytest.approx((1 - weight) * 0.2 + weight * 0.8)
    assert dep[2] == pytest.approx(0.6)  # no neighbour signal: the margin alone


def test_dep_neighbour_weight_extremes():
    aum = np.array([0.6])
    disagreement = np.array([0.8])
    assert data_error_potential(aum, aum, disagreement, neighbor_weight=0.0) == pytest.approx(0.2)
    assert data_error_potential(aum, aum, disagreement, neighbor_weight=1.0) == pytest.approx(0.8)


def test_dep_range():
    rng = np.random.default_rng(1)
    dep = data_error_potential(
        rng.uniform(-1, 1, 1000), rng.uniform(-1, 1, 1000), rng.uniform(0, 1, 1000)
    )
    assert dep.min() >= 0.0
    assert dep.max() <= 1.0


def test_dep_thresholds_ordered():
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.uniform(0.0, 0.1, 900), rng.uniform(0.6, 1.0, 100)])
    easy, hard = dep_thresholds(values.astype(np.float32))
    assert 0.0 <= easy <= hard <= 1.0
    assert 0.1 <= hard <= 0.6


def test_dep_thresholds_constant_input():
    assert dep_thresholds(np.full(5, 0.2, dtype=np.float32)) == (1 / 3, 2 / 3)
