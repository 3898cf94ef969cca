"""Out-of-coverage detection: is a sample far from every training sample in embedding space?

A sample's coverage distance is its cosine distance to its k-th nearest training embedding
(Sun, Ming, Zhu, Li, "Out-of-Distribution Detection with Deep Nearest Neighbors", ICML 2022, use
the same k-th neighbour distance of normalised features). The threshold is the
``1 - flag_share`` quantile of the same distance over training samples, each searched without
itself, so that about ``flag_share`` of samples drawn like the training data are flagged.

Note: training embeddings logged during an epoch come from a model that kept changing during
that epoch, while a test split logged after it sees the final model; that drift makes test
samples look farther away, so more than ``flag_share`` of an in-distribution test split may be
flagged (on MNIST, 7.3% instead of 5%; ``docs/benchmarks.md``).
"""

from __future__ import annotations

import numpy as np

from .._types import FloatArray
from ..errors import InvalidInputError

#: The neighbour whose distance is the coverage distance (k-th nearest).
DEFAULT_K = 10
#: Share of in-distribution samples that the calibrated threshold flags.
DEFAULT_FLAG_SHARE = 0.05


def coverage_distance(neighbor_distances: FloatArray, k: int = DEFAULT_K) -> np.ndarray:
    """Return each sample's distance to its k-th nearest training sample.

    Parameters
    ----------
    neighbor_distances : (n_samples, n_neighbors) float
        Cosine distances to the nearest training samples in ascending order, NaN where missing.
    k : int, 1 <= k <= n_neighbors

    Returns
    -------
    (n_samples,) float32 in [0, 2]
        Higher means farther from the training data. NaN where the k-th neighbour is missing.
    """
    distances = np.asarray(neighbor_distances)
    if distances.ndim != 2 or distances.dtype.kind != "f":
        raise InvalidInputError(
            f"neighbor_distances has shape {distances.shape} and dtype {distances.dtype}; expected "
            "(n_samples, n_neighbors) floats."
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= distances.shape[1]:
        raise InvalidInputError(
            f"k={k!r} is invalid; expected an integer from 1 to {distances.shape[1]}, the number "
            "of neighbours found per sample."
        )
    return distances[:, k - 1].astype(np.float32)


def coverage_threshold(
    reference_distances: FloatArray, flag_share: float = DEFAULT_FLAG_SHARE
) -> float:
    """Return the distance above which a sample counts as out of coverage.

    Parameters
    ----------
    reference_distances : (n_reference,) float
        Coverage distances of held-out in-distribution samples (training samples searched
        without themselves); NaN values are ignored.
    flag_share : float in (0, 1), default 0.05
        Share of in-distribution samples that the threshold should flag.

    Returns
    -------
    float
        The ``1 - flag_share`` quantile of ``reference_distances``.
    """
    reference = np.asarray(reference_distances, dtype=np.float64)
    if reference.ndim != 1:
        raise InvalidInputError(
            f"reference_distances has shape {reference.shape}; expected a 1-D array of distances."
        )
    if isinstance(flag_share, bool) or not isinstance(flag_share, (float, int)) or not 0 < flag_share < 1:
        raise InvalidInputError(
            f"flag_share={flag_share!r} is invalid; expected a share strictly between 0 and 1, "
            "such as 0.05 to flag about 5% of in-distribution samples."
        )
    reference = reference[~np.isnan(reference)]
    if reference.size == 0:
        raise InvalidInputError(
            "reference_distances has no finite value; pass the coverage distances of at least "
            "one held-out in-distribution sample."
        )
    return float(np.quantile(reference, 1.0 - flag_share))


def is_out_of_coverage(distances: FloatArray, threshold: float) -> np.ndarray:
    """Return True where a coverage distance is above ``threshold`` (False where it is NaN)."""
    distances = np.asarray(distances)
    if distances.ndim != 1:
        raise InvalidInputError(f"distances has shape {distances.shape}; expected a 1-D array.")
    if not np.isfinite(threshold):
        raise InvalidInputError(
            f"threshold={threshold!r} is invalid; pass the finite value from coverage_threshold()."
        )
    with np.errstate(invalid="ignore"):
        return np.asarray(distances > threshold)
