"""Scores from the given labels of a sample's nearest training neighbours.

The neighbours come from :mod:`dataerrors.analysis.neighbors`; a training sample is never its
own neighbour, so its score reflects only the other samples around it.
"""

from __future__ import annotations

import numpy as np

from .._types import IntArray
from ..errors import InvalidInputError


def neighbor_disagreement(labels: IntArray, neighbor_labels: IntArray) -> np.ndarray:
    """Share of each sample's neighbours whose given label differs from the sample's label.

    Parameters
    ----------
    labels : (n_samples,) int
        Given labels; -1 (unlabelled) gives NaN.
    neighbor_labels : (n_samples, k) int
        Given labels of each sample's k nearest training neighbours; -1 marks a missing neighbour,
        which is left out of the share.

    Returns
    -------
    (n_samples,) float32 in [0, 1]
        Higher means the neighbourhood disagrees more with the given label, a sign of a label
        error or of an ambiguous sample. NaN where the sample is unlabelled or has no neighbour.
    """
    labels = np.asarray(labels)
    neighbor_labels = np.asarray(neighbor_labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise InvalidInputError(
            f"labels has shape {labels.shape} and dtype {labels.dtype}; expected a 1-D integer array."
        )
    if neighbor_labels.ndim != 2 or neighbor_labels.shape[0] != labels.shape[0] or (
        neighbor_labels.dtype.kind not in "iu"
    ):
        raise InvalidInputError(
            f"neighbor_labels has shape {neighbor_labels.shape} and dtype {neighbor_labels.dtype}; "
            f"expected ({labels.shape[0]}, k) integers, one row of neighbour labels per sample."
        )
    present = neighbor_labels >= 0
    n_present = present.sum(axis=1)
    n_different = (present & (neighbor_labels != labels[:, None])).sum(axis=1)
    share = np.full(labels.shape[0], np.nan, dtype=np.float32)
    valid = (labels >= 0) & (n_present > 0)
    share[valid] = n_different[valid] / n_present[valid]
    return share
