from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis.dep import NEIGHBOR_WEIGHT, data_error_potential, dep_thresholds


def test_dep_from_margin_alone():
    dep = data_error_potential(np.array([1.0, -1.0, 0.0, 0.5, np.nan]))
    assert dep[:4] == pytest.approx([0.0, 1.0, 0.5, 0.25])
    assert np.isnan(dep[4])


def test_dep_blends_neighbour_disagreement():
    aum = np.array([0.6, 0.6, -0.2])
    disagreement = np.array([0.0, 0.8, np.nan])
    dep = data_error_potential(aum, disagreement)
    weight = NEIGHBOR_WEIGHT
    assert dep[0] == pytest.approx((1 - weight) * 0.2)
    assert dep[1] == pytest.approx((1 - weight) * 0.2 + weight * 0.8)
    assert dep[2] == pytest.approx(0.6)  # no neighbour signal: the margin alone


def test_dep_range():
    rng = np.random.default_rng(1)
    dep = data_error_potential(rng.uniform(-1, 1, 1000), rng.uniform(0, 1, 1000))
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
