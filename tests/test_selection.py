from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis.selection import points_in_polygon, y_order
from dataerrors.errors import InvalidInputError

SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def brute_force(x: np.ndarray, y: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Crossing-number test over every edge for every point, as a reference."""
    inside = np.zeros(x.shape[0], dtype=bool)
    for (x0, y0), (x1, y1) in zip(polygon, np.roll(polygon, -1, axis=0)):
        spans = ((y0 <= y) & (y < y1)) | ((y1 <= y) & (y < y0))
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= spans & (x < crossing)
    return inside


def test_square_inside_and_outside() -> None:
    x = np.array([0.5, 1.5, -0.1, 0.2, 0.99], dtype=np.float32)
    y = np.array([0.5, 0.5, 0.5, 1.2, 0.01], dtype=np.float32)
    assert points_in_polygon(x, y, SQUARE).tolist() == [True, False, False, False, True]


def test_concave_polygon_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=20_000).astype(np.float32)
    y = rng.normal(size=20_000).astype(np.float32)
    angles = np.linspace(0, 2 * np.pi, 300, endpoint=False)
    radius = 1.5 + 0.8 * np.sin(7 * angles)
    polygon = np.c_[radius * np.cos(angles), radius * np.sin(angles)]
    expected = brute_force(x.astype(np.float64), y.astype(np.float64), polygon)
    assert expected.sum() > 1000
    assert np.array_equal(points_in_polygon(x, y, polygon), expected)


def test_precomputed_order_gives_same_mask() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 2, (2, 5000))
    polygon = np.array([[0.0, 0.0], [1.5, 0.2], [0.3, 1.4]])
    assert np.array_equal(points_in_polygon(x, y, polygon, y_order(y)), points_in_polygon(x, y, polygon))


def test_self_intersecting_polygon_uses_even_odd_rule() -> None:
    bow_tie = np.array([[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0]])
    x = np.array([0.2, 1.0, 1.8, 1.0])
    y = np.array([1.0, 0.2, 1.0, 1.8])
    assert points_in_polygon(x, y, bow_tie).tolist() == [True, False, True, False]


def test_nan_points_are_never_inside() -> None:
    x = np.array([0.5, np.nan, 0.5], dtype=np.float32)
    y = np.array([0.5, 0.5, np.nan], dtype=np.float32)
    assert points_in_polygon(x, y, SQUARE).tolist() == [True, False, False]


def test_selection_does_not_depend_on_point_order() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-0.5, 1.5, (2, 3000))
    permutation = rng.permutation(3000)
    mask = points_in_polygon(x, y, SQUARE)
    assert np.array_equal(points_in_polygon(x[permutation], y[permutation], SQUARE), mask[permutation])


def test_empty_points() -> None:
    empty = np.zeros(0, dtype=np.float32)
    assert points_in_polygon(empty, empty, SQUARE).shape == (0,)


@pytest.mark.parametrize(
    ("polygon", "message"),
    [
        (np.array([[0.0, 0.0], [1.0, 1.0]]), "at least 3 vertices"),
        (np.array([0.0, 1.0, 2.0]), "expected \\(n_vertices, 2\\)"),
        (np.array([[0.0, 0.0], [1.0, np.nan], [1.0, 1.0]]), "NaN or infinite"),
    ],
)
def test_invalid_polygon_raises(polygon: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        points_in_polygon(np.zeros(3), np.zeros(3), polygon)


def test_mismatched_coordinates_raise() -> None:
    with pytest.raises(InvalidInputError, match="x and y have shapes"):
        points_in_polygon(np.zeros(3), np.zeros(4), SQUARE)


def test_wrong_order_shape_raises() -> None:
    with pytest.raises(InvalidInputError, match="order has shape"):
        points_in_polygon(np.zeros(3), np.zeros(3), SQUARE, order=np.arange(2))


def test_far_polygon_on_float32_points_selects_nothing() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 5, (2, 1000)).astype(np.float32)
    wedge = np.array([[1000.0, -1e29], [1e29, 0.0], [1000.0, 1e29]])  # right of every point
    assert not points_in_polygon(x, y, wedge).any()
    box = np.array([[-1e29, -1e29], [1e29, -1e29], [1e29, 1e29], [-1e29, 1e29]])
    assert points_in_polygon(x, y, box).all()


def test_coordinates_beyond_the_limit_raise() -> None:
    huge = np.array([[-1.7e308, -1.7e308], [1.7e308, -1.7e308], [0.0, 1.7e308]])
    with pytest.raises(InvalidInputError, match="beyond 1e"):
        points_in_polygon(np.zeros(3), np.zeros(3), huge)
