"""A 2-D map of the embeddings: UMAP fitted once on training samples, other samples placed on it.

Embeddings are L2-normalised (the neighbour index compares directions too) and, when wider than
:data:`MAP_PCA_DIMS`, reduced by PCA. UMAP (McInnes, Healy, Melville, "UMAP: Uniform Manifold
Approximation and Projection for Dimension Reduction", arXiv:1802.03426, 2018) is fitted on at most
:data:`MAP_FIT_MAX_SAMPLES` training samples, with exact nearest neighbours from FAISS. Every
other sample, of any split, is placed at a weighted mean of the map positions of its
:data:`N_MAP_NEIGHBORS` nearest fitted samples. umap-learn's own ``transform`` starts from such
a weighted mean too, then refines it with further optimisation epochs. All splits therefore
share one coordinate system.

Note: placed samples are not refined by further UMAP epochs, so a placed sample lies inside the
hull of its neighbours: an outlier lands next to its nearest training samples instead of far away.
Coverage distances, not map positions, tell how far from the training data a sample is.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._types import FloatArray
from ..errors import InvalidInputError
from .neighbors import CHUNK_ROWS

#: UMAP is fitted on at most this many training samples; the rest are placed.
MAP_FIT_MAX_SAMPLES = 20_000
#: Embeddings wider than this are reduced by PCA before the map.
MAP_PCA_DIMS = 50
#: Neighbours of the UMAP graph and of the placement of other samples.
N_MAP_NEIGHBORS = 15
#: Below this many fitted samples the map is the first two principal components.
MIN_UMAP_SAMPLES = 30
#: UMAP optimisation epochs (the umap-learn default for more than 10,000 samples).
UMAP_EPOCHS = 200


@dataclass
class EmbeddingMap:
    """A fitted map: the reduction, the fitted samples and their 2-D positions.

    ``coordinates`` (n_fit, 2) float32 are the positions of the fitted samples, in the order
    they were passed to :func:`fit_map`. ``method`` is "umap" or "pca".
    """

    n_dims: int
    mean: np.ndarray
    components: np.ndarray | None
    coordinates: np.ndarray
    method: str
    index: Any

    def reduce(self, embeddings: np.ndarray) -> np.ndarray:
        """Normalise and PCA-reduce a chunk of embeddings like the fitted ones."""
        reduced = _normalize(embeddings)
        if self.components is not None:
            reduced = (reduced - self.mean) @ self.components
        return np.ascontiguousarray(reduced, dtype=np.float32)


def fit_map(
    embeddings: FloatArray,
    seed: int = 0,
    n_neighbors: int = N_MAP_NEIGHBORS,
    pca_dims: int = MAP_PCA_DIMS,
) -> EmbeddingMap:
    """Fit a 2-D UMAP map on a sample of training embeddings.

    Parameters
    ----------
    embeddings : (n_fit, n_dims) float
        The samples to fit on, usually at most :data:`MAP_FIT_MAX_SAMPLES` training embeddings.
    seed : int
        Seed of UMAP's initialisation and optimisation; the same data and seed give the same map.
    n_neighbors : int >= 2
        Neighbours per sample in UMAP's graph: lower keeps more local detail.
    pca_dims : int >= 2
        Embeddings wider than this are reduced to this many principal components first.

    Returns
    -------
    EmbeddingMap
        ``coordinates`` contains the position of each fitted sample.

    Notes
    -----
    With fewer than :data:`MIN_UMAP_SAMPLES` samples, the map is the first two principal
    components instead (UMAP needs a neighbourhood graph to work on).
    """
    import faiss

    embeddings = _check_embeddings(embeddings, "embeddings")
    n_neighbors = _check_int(n_neighbors, "n_neighbors", 2)
    pca_dims = _check_int(pca_dims, "pca_dims", 2)
    n_fit, n_dims = embeddings.shape
    normalized = _normalize(embeddings)
    mean = normalized.mean(axis=0)
    components = None
    if n_dims > pca_dims:
        components = _principal_components(normalized - mean, pca_dims)
        reduced = (normalized - mean) @ components
    else:
        reduced = normalized
    reduced = np.ascontiguousarray(reduced, dtype=np.float32)
    index = faiss.IndexFlatL2(reduced.shape[1])
    index.add(reduced)

    if n_fit < MIN_UMAP_SAMPLES:
        coordinates = _first_two_components(reduced)
        method = "pca"
    else:
        coordinates = _fit_umap(reduced, index, min(n_neighbors, n_fit - 1), seed)
        method = "umap"
    return EmbeddingMap(n_dims, mean, components, coordinates.astype(np.float32), method, index)


def place_on_map(
    embedding_map: EmbeddingMap,
    embeddings: FloatArray,
    n_neighbors: int = N_MAP_NEIGHBORS,
    chunk_rows: int = CHUNK_ROWS,
) -> np.ndarray:
    """Place samples on a fitted map at the weighted mean position of their nearest fitted samples.

    Parameters
    ----------
    embedding_map : EmbeddingMap
        From :func:`fit_map`.
    embeddings : (n_samples, n_dims) float
        Embeddings of the same layer as the fitted ones.
    n_neighbors : int >= 1
        Fitted samples averaged per placed sample.
    chunk_rows : int
        Samples searched per FAISS call.

    Returns
    -------
    (n_samples, 2) float32
        Map coordinates in the fitted map's coordinate system. The weight of the j-th nearest
        fitted sample is ``exp(-(d_j - d_1) / s)``, where ``d`` are distances in the reduced
        space and ``s`` is the mean of ``d_j - d_1`` over the neighbours.
    """
    if not isinstance(embedding_map, EmbeddingMap):
        raise InvalidInputError(
            f"embedding_map={embedding_map!r} is invalid; pass the result of fit_map()."
        )
    embeddings = _check_embeddings(embeddings, "embeddings")
    if embeddings.shape[1] != embedding_map.n_dims:
        raise InvalidInputError(
            f"embeddings has width {embeddings.shape[1]} but the map was fitted on width "
            f"{embedding_map.n_dims}; pass embeddings of the same layer."
        )
    n_neighbors = _check_int(n_neighbors, "n_neighbors", 1)
    chunk_rows = _check_int(chunk_rows, "chunk_rows", 1)
    k = min(n_neighbors, embedding_map.coordinates.shape[0])
    placed = np.empty((embeddings.shape[0], 2), dtype=np.float32)
    for start in range(0, embeddings.shape[0], chunk_rows):
        chunk = embedding_map.reduce(embeddings[start : start + chunk_rows])
        squared, rows = embedding_map.index.search(chunk, k)
        distances = np.sqrt(np.maximum(squared, 0.0))
        beyond_nearest = distances - distances[:, :1]
        scale = beyond_nearest.mean(axis=1, keepdims=True) + 1e-12
        weights = np.exp(-beyond_nearest / scale)
        weights /= weights.sum(axis=1, keepdims=True)
        placed[start : start + chunk.shape[0]] = np.einsum(
            "nk,nkd->nd", weights, embedding_map.coordinates[rows]
        )
    return placed


def _fit_umap(reduced: np.ndarray, index: Any, n_neighbors: int, seed: int) -> np.ndarray:
    import umap

    squared, rows = index.search(reduced, n_neighbors)
    distances = np.sqrt(np.maximum(squared, 0.0)).astype(np.float32)
    model = umap.UMAP(
        n_neighbors=n_neighbors,
        n_components=2,
        metric="euclidean",
        n_epochs=UMAP_EPOCHS,
        random_state=seed,
        n_jobs=1,
        precomputed_knn=(rows.astype(np.int64), distances, None),
    )
    with warnings.catch_warnings():
        # The search index of precomputed neighbours is only needed by UMAP.transform, which
        # place_on_map replaces.
        warnings.filterwarnings("ignore", message=".*knn_search_index.*")
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        coordinates = model.fit_transform(reduced)
    return np.asarray(coordinates, dtype=np.float32)


def _principal_components(centered: np.ndarray, n_components: int) -> np.ndarray:
    covariance = (centered.T @ centered) / max(centered.shape[0] - 1, 1)
    values, vectors = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1][:n_components]
    components = vectors[:, order]
    # Fix each component's sign so the map does not flip between runs of the same data.
    signs = np.sign(components[np.abs(components).argmax(axis=0), np.arange(components.shape[1])])
    return (components * signs).astype(np.float32)


def _first_two_components(reduced: np.ndarray) -> np.ndarray:
    centered = reduced - reduced.mean(axis=0)
    coordinates = np.zeros((reduced.shape[0], 2), dtype=np.float32)
    if reduced.shape[0] > 1:
        components = _principal_components(centered, min(2, reduced.shape[1]))
        coordinates[:, : components.shape[1]] = centered @ components
    return coordinates


def _normalize(embeddings: np.ndarray) -> np.ndarray:
    array = np.array(embeddings, dtype=np.float32, copy=True)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    np.divide(array, norms, out=array, where=norms > 0)
    return array


def _check_embeddings(embeddings: Any, argument: str) -> np.ndarray:
    array = np.asarray(embeddings)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise InvalidInputError(
            f"{argument} has shape {array.shape}; expected (n_samples, n_dims) with at least "
            "one sample and one dimension."
        )
    if array.dtype.kind not in "fiu" or (array.dtype.kind == "f" and not np.isfinite(array).all()):
        raise InvalidInputError(
            f"{argument} has dtype {array.dtype} or non-finite values; expected finite floats."
        )
    return array


def _check_int(value: Any, argument: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidInputError(f"{argument}={value!r} is invalid; expected an integer >= {minimum}.")
    return int(value)
