"""Select the points of a 2D map that fall inside a polygon (a lasso or a box)."""

from __future__ import annotations

import numpy as np

from .._types import FloatArray
from ..errors import InvalidInputError

#: Largest vertex coordinate accepted. Map coordinates are small (within a few tens in the UMAP
#: maps of the runs here), and the limit keeps the crossing test far from float64 overflow.
MAX_COORDINATE = 1e30


def y_order(y: FloatArray) -> np.ndarray:
    """Return the permutation that sorts ``y`` ascending (NaN last), for :func:`points_in_polygon`.

    Computing it once per map makes every later selection cost about the number of points times
    the number of polygon edges a horizontal line crosses, instead of points times all edges.
    """
    return np.argsort(y, kind="stable")


def points_in_polygon(
    x: FloatArray,
    y: FloatArray,
    polygon: FloatArray,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Return a boolean mask of the points ``(x, y)`` inside ``polygon``.

    Parameters
    ----------
    x, y : (n_points,) float
        Point coordinates. Points with a NaN coordinate are never inside.
    polygon : (n_vertices, 2) float
        Vertices in order, n_vertices >= 3; the last vertex connects back to the first. The
        polygon may self-intersect, in which case the even-odd rule decides.
    order : (n_points,) int, optional
        ``y_order(y)``, when it was computed before.

    Returns
    -------
    (n_points,) bool
        True for points inside. A point exactly on an edge may fall on either side.

    Notes
    -----
    Crossing-number test: a point is inside when a ray from it towards +x crosses the polygon's
    edges an odd number of times. The points are sorted by y once, so each edge only visits the
    points within its y-range.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 1 or x.shape != y.shape:
        raise InvalidInputError(
            f"x and y have shapes {x.shape} and {y.shape}; expected two 1-D arrays of one length."
        )
    vertices = np.asarray(polygon, dtype=np.float64)
    if vertices.ndim != 2 or vertices.shape[1] != 2 or vertices.shape[0] < 3:
        raise InvalidInputError(
            f"polygon has shape {vertices.shape}; expected (n_vertices, 2) with at least 3 vertices."
        )
    if not np.isfinite(vertices).all():
        raise InvalidInputError("polygon contains NaN or infinite coordinates; pass finite vertices.")
    largest = float(np.abs(vertices).max())
    if largest > MAX_COORDINATE:
        raise InvalidInputError(
            f"polygon has a coordinate of magnitude {largest:g}, beyond {MAX_COORDINATE:g}; pass "
            "vertices in map coordinates."
        )
    if order is None:
        order = y_order(y)
    elif order.shape != x.shape:
        raise InvalidInputError(
            f"order has shape {order.shape}; expected {x.shape}, the result of y_order(y)."
        )
    sorted_x = x[order]
    sorted_y = y[order]
    # Parity of crossings per point, in y-sorted order so every edge touches one contiguous slice.
    parity = np.zeros(x.shape[0], dtype=bool)
    scalar = sorted_y.dtype.type if sorted_y.dtype.kind == "f" else float
    starts = vertices
    ends = np.roll(vertices, -1, axis=0)
    for (x0, y0), (x1, y1) in zip(starts.tolist(), ends.tolist()):
        if y0 == y1:
            continue
        low, high = (y0, y1) if y0 < y1 else (y1, y0)
        # Half-open span [low, high): a vertex shared by two edges is counted once.
        # Bounds in the array's dtype: a Python float would make searchsorted copy the array.
        first = int(np.searchsorted(sorted_y, scalar(low), side="left"))
        last = int(np.searchsorted(sorted_y, scalar(high), side="left"))
        if first == last:
            continue
        # In float64: with float32 map columns, steep edges far from the points would overflow.
        span_y = sorted_y[first:last].astype(np.float64)
        crossing_x = x0 + (span_y - y0) * ((x1 - x0) / (y1 - y0))
        parity[first:last] ^= sorted_x[first:last] < crossing_x
    inside = np.empty_like(parity)
    inside[order] = parity
    return inside
