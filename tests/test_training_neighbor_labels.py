"""neighbor_disagreement: the training-neighbour label signal of the coverage step."""

from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis.neighbor_labels import neighbor_disagreement
from dataerrors.errors import InvalidInputError


def test_neighbor_disagreement_hand_computed():
    labels = np.array([0, 1, -1, 2])
    neighbor_labels = np.array([[0, 1, 1, -1], [1, 1, 1, 1], [0, 0, 0, 0], [-1, -1, -1, -1]])
    share = neighbor_disagreement(labels, neighbor_labels)
    np.testing.assert_allclose(share[:2], [2 / 3, 0.0])
    assert np.isnan(share[2])
    assert np.isnan(share[3])


def test_neighbor_disagreement_range():
    rng = np.random.default_rng(0)
    share = neighbor_disagreement(rng.integers(0, 5, 1000), rng.integers(0, 5, (1000, 10)))
    assert share.dtype == np.float32
    assert ((share >= 0) & (share <= 1)).all()


def test_neighbor_disagreement_rejects_bad_shapes():
    with pytest.raises(InvalidInputError, match=r"neighbor_labels has shape \(3, 2\)"):
        neighbor_disagreement(np.array([0, 1]), np.zeros((3, 2), dtype=int))
    with pytest.raises(InvalidInputError, match="labels has shape"):
        neighbor_disagreement(np.array([0.5, 1.0]), np.zeros((2, 2), dtype=int))
