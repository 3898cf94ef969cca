from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis.clusters import (
    NOISE,
    assign_clusters,
    fit_clusters,
    summarize_clusters,
)
from dataerrors.analysis.projection import MIN_UMAP_SAMPLES, fit_map, place_on_map
from dataerrors.errors import InvalidInputError


def blobs(n_per_blob: int, n_dims: int, seed: int, n_blobs: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(0, 1, (n_blobs, n_dims)) * 4
    blob = np.repeat(np.arange(n_blobs), n_per_blob)
    return (centres[blob] + rng.normal(0, 0.3, (blob.shape[0], n_dims))).astype(np.float32), blob


@pytest.fixture(scope="module")
def fitted():
    embeddings, blob = blobs(60, 80, seed=0)
    return embeddings, blob, fit_map(embeddings, seed=0)


def test_map_is_deterministic_with_seed(fitted):
    embeddings, _, first = fitted
    second = fit_map(embeddings, seed=0)
    np.testing.assert_array_equal(first.coordinates, second.coordinates)
    assert first.method == "umap"


def test_map_keeps_blobs_apart(fitted):
    _, blob, embedding_map = fitted
    coordinates = embedding_map.coordinates
    assert coordinates.shape == (180, 2)
    assert np.isfinite(coordinates).all()
    distances = np.linalg.norm(coordinates[:, None] - coordinates[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    assert (blob[distances.argmin(axis=1)] == blob).mean() > 0.98


def test_map_reduces_wide_embeddings(fitted):
    _, _, embedding_map = fitted
    assert embedding_map.components is not None
    assert embedding_map.components.shape == (80, 50)


def test_placed_samples_land_in_their_blob(fitted):
    _, blob, embedding_map = fitted
    new, new_blob = blobs(20, 80, seed=1)
    placed = place_on_map(embedding_map, new)
    assert placed.shape == (60, 2)
    centres = np.array([embedding_map.coordinates[blob == b].mean(axis=0) for b in range(3)])
    nearest_centre = np.linalg.norm(placed[:, None] - centres[None], axis=2).argmin(axis=1)
    assert (nearest_centre == new_blob).all()


def test_placement_ignores_chunking(fitted):
    _, _, embedding_map = fitted
    new, _ = blobs(10, 80, seed=2)
    np.testing.assert_allclose(
        place_on_map(embedding_map, new), place_on_map(embedding_map, new, chunk_rows=4), rtol=1e-5
    )


def test_small_data_uses_principal_components():
    embeddings, _ = blobs(5, 4, seed=3)
    embedding_map = fit_map(embeddings)
    assert embeddings.shape[0] < MIN_UMAP_SAMPLES
    assert embedding_map.method == "pca"
    assert np.isfinite(embedding_map.coordinates).all()
    assert embedding_map.coordinates.std(axis=0)[0] > 0


def test_fit_map_rejects_bad_arguments():
    with pytest.raises(InvalidInputError, match=r"embeddings has shape \(0, 4\)"):
        fit_map(np.zeros((0, 4)))
    with pytest.raises(InvalidInputError, match="non-finite values"):
        fit_map(np.full((40, 4), np.inf))
    with pytest.raises(InvalidInputError, match="n_neighbors=1 is invalid"):
        fit_map(np.ones((40, 4)), n_neighbors=1)


def test_place_on_map_rejects_other_width(fitted):
    _, _, embedding_map = fitted
    with pytest.raises(InvalidInputError, match="width 3 but the map was fitted on width 80"):
        place_on_map(embedding_map, np.ones((2, 3)))
    with pytest.raises(InvalidInputError, match="pass the result of fit_map"):
        place_on_map("map", np.ones((2, 3)))  # type: ignore[arg-type]


def test_clusters_find_blobs_and_assign_new_points():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = np.repeat(centres, 100, axis=0) + rng.normal(0, 0.5, (300, 2))
    model, clusters = fit_clusters(points, min_cluster_size=20)
    assert len(set(clusters.tolist()) - {NOISE}) == 3
    truth = np.repeat(np.arange(3), 100)
    for blob in range(3):
        found = clusters[(truth == blob) & (clusters != NOISE)]
        assert np.unique(found).shape == (1,)
    assigned = assign_clusters(model, np.vstack([centres, [[50.0, 50.0]]]))
    assert assigned[3] == NOISE
    assert len(set(assigned[:3].tolist())) == 3
    assert NOISE not in assigned[:3]


def test_clusters_on_too_few_points_are_noise():
    model, clusters = fit_clusters(np.zeros((5, 2)), min_cluster_size=10)
    assert model is None
    assert (clusters == NOISE).all()
    assert (assign_clusters(model, np.ones((2, 2))) == NOISE).all()


def test_summarize_clusters_hand_computed():
    clusters = np.array([0, 0, 0, 0, 1, 1, NOISE])
    labels = np.array([2, 2, 2, 1, 0, -1, 0])
    predicted = np.array([2, 2, 1, 1, 0, 3, 0])
    dep = np.array([0.1, 0.2, 0.9, 0.4, 0.05, np.nan, 0.99])
    flagged = np.array([False, False, True, False, False, False, True])
    entries = summarize_clusters(clusters, labels, predicted, dep, flagged)
    assert [entry["cluster"] for entry in entries] == [0, 1]
    first, second = entries
    assert first["size"] == 4
    assert first["mean_dep"] == pytest.approx(0.4)
    assert first["error_rate"] == pytest.approx(0.25)
    assert first["n_likely_mislabeled"] == 1
    assert first["main_classes"][0] == {"label": 2, "count": 3, "share": 0.75}
    assert first["top_confused_pair"] == {"label": 2, "predicted": 1, "count": 1}
    assert second["mean_dep"] == pytest.approx(0.05)
    assert second["top_confused_pair"] is None
    # The unlabelled sample counts under its predicted class.
    assert {item["label"] for item in second["main_classes"]} == {0, 3}


def test_summarize_clusters_rejects_mismatched_lengths():
    with pytest.raises(InvalidInputError, match=r"labels has shape \(2,\)"):
        summarize_clusters(np.zeros(3, int), np.zeros(2, int), np.zeros(3, int), np.zeros(3))
    with pytest.raises(InvalidInputError, match="dep has shape"):
        summarize_clusters(np.zeros(3, int), np.zeros(3, int), np.zeros(3, int), np.zeros(3, int))


def test_fit_clusters_rejects_bad_arguments():
    with pytest.raises(InvalidInputError, match=r"coordinates has shape \(4, 3\)"):
        fit_clusters(np.zeros((4, 3)))
    with pytest.raises(InvalidInputError, match="min_cluster_size=1 is invalid"):
        fit_clusters(np.zeros((4, 2)), min_cluster_size=1)
    with pytest.raises(InvalidInputError, match="NaN or infinite"):
        assign_clusters(None, np.full((1, 2), np.nan))


def test_clusters_on_even_grid_return_no_model():
    # An evenly spaced grid has no denser region, so HDBSCAN finds no cluster.
    grid = np.stack(np.meshgrid(np.arange(8.0), np.arange(8.0)), axis=-1).reshape(-1, 2)
    model, clusters = fit_clusters(grid, min_cluster_size=20)
    assert model is None
    assert (clusters == NOISE).all()
    assert (assign_clusters(model, grid[:3]) == NOISE).all()
