"""Density clusters on the 2-D embedding map, and what each cluster contains.

Clusters come from HDBSCAN (Campello, Moulavi, Sander, "Density-Based Clustering Based on
Hierarchical Density Estimates", PAKDD 2013; the ``hdbscan`` package of McInnes, Healy, Astels)
fitted on the map positions of the samples the map was fitted on. Other samples join the cluster
whose dense region they fall in (``hdbscan.approximate_predict``), or the noise (-1).
A cluster whose mean DEP is well above its split's mean is a region where labels are often wrong
or the classes are ambiguous.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from .._types import FloatArray, IntArray
from ..errors import InvalidInputError

NOISE = -1
#: Default smallest cluster, as a share of the fitted samples (and at least MIN_CLUSTER_SIZE).
MIN_CLUSTER_SHARE = 0.005
MIN_CLUSTER_SIZE = 10
#: A cluster whose mean DEP reaches this multiple of its split's mean DEP is high-DEP.
HIGH_DEP_RATIO = 2.0
N_MAIN_CLASSES = 3


def fit_clusters(
    coordinates: FloatArray, min_cluster_size: int | None = None, n_jobs: int = 1
) -> tuple[Any, np.ndarray]:
    """Find density clusters among map positions.

    Parameters
    ----------
    coordinates : (n_samples, 2) float
        Map positions of the samples the map was fitted on.
    min_cluster_size : int >= 2, optional
        Smallest group that counts as a cluster. Default: ``MIN_CLUSTER_SHARE`` of the samples,
        at least ``MIN_CLUSTER_SIZE``.
    n_jobs : int >= 1
        Threads for HDBSCAN's core distances.

    Returns
    -------
    model : hdbscan.HDBSCAN or None
        The fitted clusterer, for :func:`assign_clusters`; None when no cluster was found.
    clusters : (n_samples,) int32
        Cluster of each sample, numbered from 0; -1 is noise (no cluster).
    """
    import hdbscan

    coordinates = _check_coordinates(coordinates)
    n_samples = coordinates.shape[0]
    if min_cluster_size is None:
        min_cluster_size = max(MIN_CLUSTER_SIZE, round(MIN_CLUSTER_SHARE * n_samples))
    if isinstance(min_cluster_size, bool) or not isinstance(min_cluster_size, (int, np.integer)) or (
        min_cluster_size < 2
    ):
        raise InvalidInputError(
            f"min_cluster_size={min_cluster_size!r} is invalid; expected an integer >= 2."
        )
    if n_samples < 2 * min_cluster_size:
        # Too few samples to find two clusters, so every sample is labelled noise.
        return None, np.full(n_samples, NOISE, dtype=np.int32)
    model = hdbscan.HDBSCAN(
        min_cluster_size=int(min_cluster_size),
        min_samples=min(int(min_cluster_size), MIN_CLUSTER_SIZE),
        prediction_data=True,
        core_dist_n_jobs=int(n_jobs),
    )
    model.fit(coordinates)
    clusters = model.labels_.astype(np.int32)
    if (clusters == NOISE).all():
        # Without a cluster there is nothing to assign new points to.
        return None, clusters
    return model, clusters


def assign_clusters(model: Any, coordinates: FloatArray) -> np.ndarray:
    """Return the cluster (or -1, noise) of new map positions under a fitted clusterer.

    ``model`` is the first result of :func:`fit_clusters`; None (no clusters found) gives noise.
    """
    coordinates = _check_coordinates(coordinates)
    if model is None:
        return np.full(coordinates.shape[0], NOISE, dtype=np.int32)
    import hdbscan

    clusters, _ = hdbscan.approximate_predict(model, coordinates)
    return np.asarray(clusters, dtype=np.int32)


def summarize_clusters(
    clusters: IntArray,
    labels: IntArray,
    predicted: IntArray,
    dep: FloatArray,
    flagged: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Describe each cluster: size, mean DEP, main classes and most confused pair.

    Parameters
    ----------
    clusters : (n_samples,) int
        Cluster of each sample, -1 for noise (left out).
    labels : (n_samples,) int
        Given labels, -1 where unlabelled; main classes fall back to ``predicted`` then.
    predicted : (n_samples,) int
        Predicted class, -1 where unknown.
    dep : (n_samples,) float
        DEP in [0, 1], NaN where not scored.
    flagged : (n_samples,) bool, optional
        Likely-mislabeled flags, counted per cluster.

    Returns
    -------
    list of dict
        One entry per cluster, highest mean DEP first (largest first where DEP is missing): ``cluster``, ``size``, ``mean_dep`` (None
        without scored samples), ``error_rate`` (share of labelled samples predicted as another
        class), ``n_likely_mislabeled``, ``main_classes`` (up to three ``{"label", "count",
        "share"}``, by given label, or by predicted class where unlabelled) and
        ``top_confused_pair`` (``{"label", "predicted", "count"}`` or None).
    """
    clusters = _check_vector(clusters, "clusters", "iu")
    n_samples = clusters.shape[0]
    labels = _check_vector(labels, "labels", "iu", n_samples)
    predicted = _check_vector(predicted, "predicted", "iu", n_samples)
    dep = _check_vector(dep, "dep", "f", n_samples)
    if flagged is not None:
        flagged = _check_vector(flagged, "flagged", "b", n_samples)
    entries = []
    for cluster in np.unique(clusters[clusters != NOISE]):
        members = np.flatnonzero(clusters == cluster)
        entries.append(_describe(int(cluster), members, labels, predicted, dep, flagged))
    entries.sort(key=lambda entry: (entry["mean_dep"] is not None, entry["mean_dep"] or 0.0, entry["size"]),
                 reverse=True)
    return entries


def _describe(
    cluster: int, members: np.ndarray, labels: np.ndarray, predicted: np.ndarray,
    dep: np.ndarray, flagged: np.ndarray | None,
) -> dict[str, Any]:
    member_labels = labels[members]
    member_predicted = predicted[members]
    member_dep = dep[members]
    scored = ~np.isnan(member_dep)
    labelled = member_labels >= 0
    classes = np.where(labelled, member_labels, member_predicted)
    counts = Counter(int(value) for value in classes if value >= 0)
    size = int(members.shape[0])
    compared = labelled & (member_predicted >= 0)
    confused = compared & (member_predicted != member_labels)
    pairs = Counter(zip(member_labels[confused].tolist(), member_predicted[confused].tolist()))
    top_pair = pairs.most_common(1)
    return {
        "cluster": cluster,
        "size": size,
        "mean_dep": float(member_dep[scored].mean()) if scored.any() else None,
        "error_rate": float(confused.sum() / compared.sum()) if compared.any() else None,
        "n_likely_mislabeled": int(flagged[members].sum()) if flagged is not None else 0,
        "main_classes": [
            {"label": label, "count": count, "share": count / size}
            for label, count in counts.most_common(N_MAIN_CLASSES)
        ],
        "top_confused_pair": (
            {"label": top_pair[0][0][0], "predicted": top_pair[0][0][1], "count": top_pair[0][1]}
            if top_pair
            else None
        ),
    }


def _check_coordinates(coordinates: Any) -> np.ndarray:
    array = np.asarray(coordinates)
    if array.ndim != 2 or array.shape[1] != 2 or array.dtype.kind != "f":
        raise InvalidInputError(
            f"coordinates has shape {array.shape} and dtype {array.dtype}; expected (n_samples, 2) "
            "floats from the map."
        )
    if not np.isfinite(array).all():
        raise InvalidInputError("coordinates contains NaN or infinite values; pass finite map positions.")
    return array


def _check_vector(values: Any, argument: str, kinds: str, n_samples: int | None = None) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or array.dtype.kind not in kinds or (
        n_samples is not None and array.shape[0] != n_samples
    ):
        expected = f"({n_samples},)" if n_samples is not None else "(n_samples,)"
        raise InvalidInputError(
            f"{argument} has shape {array.shape} and dtype {array.dtype}; expected a {expected} "
            "array, one value per sample."
        )
    return array
