from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis.neighbors import (
    IndexPlan,
    build_index,
    neighbors_within,
    plan_index,
    sample_rows,
    search_neighbors,
    train_index,
)
from dataerrors.errors import InvalidInputError


def clustered(n_samples: int, n_dims: int, seed: int, n_clusters: int = 20, rank: int = 16) -> np.ndarray:
    """Low-rank clustered embeddings, like a network's penultimate layer."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (n_clusters, rank))
    latent = centres[rng.integers(0, n_clusters, n_samples)] + rng.normal(0, 0.5, (n_samples, rank))
    mixing = np.random.default_rng(1234).normal(0, 1, (rank, n_dims))
    return (latent @ mixing + rng.normal(0, 0.01, (n_samples, n_dims))).astype(np.float32)


def exact_neighbors(train: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    a = train / np.linalg.norm(train, axis=1, keepdims=True)
    b = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    return np.argsort(1 - b @ a.T, axis=1, kind="stable")[:, :k]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(x) & set(y)) / truth.shape[1] for x, y in zip(found, truth)]))


def test_search_hand_computed_cosine_distances():
    train = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]], dtype=np.float32)
    found = search_neighbors(build_index(train), np.array([[1.0, 1.0]]), k=3)
    assert sorted(found.rows[0, :2].tolist()) == [0, 1]
    assert found.rows[0, 2] == 2
    np.testing.assert_allclose(found.distances[0], [1 - np.sqrt(0.5), 1 - np.sqrt(0.5), 1 + np.sqrt(0.5)],
                               atol=1e-6)


def test_search_ignores_embedding_scale():
    train = clustered(300, 8, seed=0)
    queries = clustered(50, 8, seed=1)
    plain = search_neighbors(build_index(train), queries, k=5)
    scaled = search_neighbors(build_index(train * 7.5), queries * 0.01, k=5)
    np.testing.assert_array_equal(plain.rows, scaled.rows)
    np.testing.assert_allclose(plain.distances, scaled.distances, atol=1e-5)


def test_search_leaves_training_sample_out():
    train = clustered(200, 8, seed=0)
    found = search_neighbors(build_index(train), train, k=4, self_positions=np.arange(200))
    assert not (found.rows == np.arange(200)[:, None]).any()
    truth = exact_neighbors(train, train, 5)[:, 1:]
    assert recall(found.rows, truth) > 0.99


def test_search_duplicate_is_neighbor_not_self():
    train = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    found = search_neighbors(build_index(train), train[:2], k=1, self_positions=np.array([0, 1]))
    assert found.rows[:, 0].tolist() == [1, 0]
    np.testing.assert_allclose(found.distances[:, 0], 0.0, atol=1e-6)


def test_search_missing_neighbors_are_marked():
    train = np.eye(3, dtype=np.float32)
    found = search_neighbors(build_index(train), train, k=3, self_positions=np.arange(3))
    assert (found.rows[:, 2] == -1).all()
    assert np.isnan(found.distances[:, 2]).all()
    assert not np.isnan(found.distances[:, :2]).any()


def test_search_results_follow_query_order():
    train = clustered(400, 16, seed=0)
    queries = clustered(60, 16, seed=2)
    order = np.random.default_rng(0).permutation(60)
    index = build_index(train)
    first = search_neighbors(index, queries, k=5)
    permuted = search_neighbors(index, queries[order], k=5, chunk_rows=7)
    np.testing.assert_array_equal(first.rows[order], permuted.rows)


def test_distances_in_range_and_sorted():
    train = clustered(500, 16, seed=3)
    found = search_neighbors(build_index(train), clustered(100, 16, seed=4), k=10)
    assert not np.isnan(found.distances).any()
    assert (found.distances >= 0).all()
    assert (found.distances <= 2).all()
    assert (np.diff(found.distances, axis=1) >= -1e-6).all()


def test_plan_exact_for_small_data():
    plan = plan_index(1000, 2048)
    assert plan.is_exact
    assert plan.n_components is None
    assert not plan.needs_training


def test_plan_ivf_for_large_data():
    plan = plan_index(1_000_000, 512)
    assert not plan.is_exact
    assert plan.n_lists & (plan.n_lists - 1) == 0
    assert 1 <= plan.n_probe <= plan.n_lists
    assert plan.n_components == 128
    assert plan.refine_factor > 0
    assert plan.n_training_rows >= plan.n_lists
    assert plan_index(1_000_000, 64).n_components is None


def test_ivf_index_close_to_exact():
    train = clustered(6000, 32, seed=5)
    queries = clustered(300, 32, seed=6)
    plan = plan_index(6000, 32, exact_max_samples=1000)
    assert not plan.is_exact
    found = search_neighbors(build_index(train, plan), queries, k=10)
    assert recall(found.rows, exact_neighbors(train, queries, 10)) > 0.9


def test_ivf_index_deterministic_with_seed():
    train = clustered(6000, 32, seed=5)
    queries = clustered(100, 32, seed=6)
    plan = plan_index(6000, 32, exact_max_samples=1000)
    first = search_neighbors(build_index(train, plan, seed=3), queries, k=10)
    second = search_neighbors(build_index(train, plan, seed=3), queries, k=10)
    np.testing.assert_array_equal(first.rows, second.rows)
    np.testing.assert_array_equal(first.distances, second.distances)


def reduced_plan(refine_factor: int):
    # Probing every list makes the IVF search exhaustive, so only the PCA changes the result.
    return plan_index(3000, 300, exact_max_samples=100, reduced_dims=14, n_probe=10**6,
                      refine_factor=refine_factor)


def test_pca_distances_are_lower_bounds():
    train = clustered(3000, 300, seed=7)
    queries = clustered(200, 300, seed=8)
    plan = reduced_plan(refine_factor=0)
    assert plan.n_components == 14
    reduced = search_neighbors(build_index(train, plan), queries, k=10)
    full = search_neighbors(build_index(train), queries, k=10)
    # A projection never lengthens a difference vector.
    assert (reduced.distances[:, 0] <= full.distances[:, 0] + 1e-4).all()


def test_pca_with_reranking_matches_full_width():
    train = clustered(3000, 300, seed=7)
    queries = clustered(200, 300, seed=8)
    reranked = search_neighbors(build_index(train, reduced_plan(refine_factor=4)), queries, k=10)
    full = search_neighbors(build_index(train), queries, k=10)
    without = search_neighbors(build_index(train, reduced_plan(refine_factor=0)), queries, k=10)
    assert recall(reranked.rows, full.rows) > 0.9
    assert recall(reranked.rows, full.rows) > recall(without.rows, full.rows) + 0.2
    relative_error = np.abs(reranked.distances[:, 0] / full.distances[:, 0] - 1)
    assert np.median(relative_error) < 0.01


def test_index_built_in_chunks_matches_one_call():
    train = clustered(1000, 16, seed=9)
    plan = plan_index(1000, 16)
    chunked = train_index(plan)
    for start in range(0, 1000, 128):
        chunked.add(train[start : start + 128])
    assert chunked.n_samples == 1000
    queries = clustered(50, 16, seed=10)
    np.testing.assert_array_equal(
        search_neighbors(chunked, queries, 5).rows, search_neighbors(build_index(train), queries, 5).rows
    )


def test_zero_embedding_is_at_half_distance():
    train = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    found = search_neighbors(build_index(train), np.zeros((1, 2)), k=2)
    np.testing.assert_allclose(found.distances[0], [0.5, 0.5], atol=1e-6)


def test_sample_rows_distinct_sorted_deterministic():
    rows = sample_rows(1000, 100, seed=1)
    assert rows.shape == (100,)
    assert (np.diff(rows) > 0).all()
    np.testing.assert_array_equal(rows, sample_rows(1000, 100, seed=1))
    np.testing.assert_array_equal(sample_rows(10, 100, seed=1), np.arange(10))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_samples": 0, "n_dims": 8}, "n_samples=0 is invalid"),
        ({"n_samples": 10, "n_dims": 2.5}, "n_dims=2.5 is invalid"),
        ({"n_samples": 10, "n_dims": 8, "n_probe": True}, "n_probe=True is invalid"),
    ],
)
def test_plan_index_rejects_bad_arguments(arguments, message):
    with pytest.raises(InvalidInputError, match=message):
        plan_index(**arguments)


def test_search_rejects_other_width():
    index = build_index(np.eye(4, dtype=np.float32))
    with pytest.raises(InvalidInputError, match="width 3 but the index contains width 4"):
        search_neighbors(index, np.ones((2, 3)), k=1)


def test_search_rejects_non_finite_embeddings():
    index = build_index(np.eye(4, dtype=np.float32))
    queries = np.ones((3, 4))
    queries[1, 2] = np.nan
    with pytest.raises(InvalidInputError, match="NaN or infinite values in 1 row"):
        search_neighbors(index, queries, k=1)


def test_search_rejects_bad_k_and_self_positions():
    index = build_index(np.eye(4, dtype=np.float32))
    with pytest.raises(InvalidInputError, match="k=0 is invalid"):
        search_neighbors(index, np.eye(4), k=0)
    with pytest.raises(InvalidInputError, match=r"self_positions has shape \(3,\)"):
        search_neighbors(index, np.eye(4), k=1, self_positions=np.arange(3))
    with pytest.raises(InvalidInputError, match="pass a NeighborIndex"):
        search_neighbors("index", np.eye(4), k=1)  # type: ignore[arg-type]


def test_build_rejects_bad_embeddings_and_plan():
    with pytest.raises(InvalidInputError, match=r"embeddings has shape \(4,\)"):
        build_index(np.ones(4))
    with pytest.raises(InvalidInputError, match="dtype <U1"):
        build_index(np.array([["a", "b"]]))
    with pytest.raises(InvalidInputError, match="plan is for width 8"):
        build_index(np.ones((10, 4)), plan=plan_index(10, 8))


def test_train_index_needs_sample_for_ivf():
    plan = plan_index(100_000, 16)
    with pytest.raises(InvalidInputError, match="training_rows is missing"):
        train_index(plan)
    with pytest.raises(InvalidInputError, match="training_rows has 5 rows"):
        train_index(plan, np.ones((5, 16)))
    with pytest.raises(InvalidInputError, match="pass the result of plan_index"):
        train_index("exact")  # type: ignore[arg-type]
    assert isinstance(plan, IndexPlan)


def test_neighbors_within_matches_exact_search():
    embeddings = clustered(500, 32, seed=5)
    found = neighbors_within(embeddings, 5)
    truth = exact_neighbors(embeddings, embeddings, 6)[:, 1:]
    assert found.rows.shape == (500, 5)
    assert not (found.rows == np.arange(500)[:, None]).any()
    assert recall(found.rows, truth) > 0.99


def test_neighbors_within_one_row_has_no_neighbours():
    found = neighbors_within(np.ones((1, 4)), 10)
    assert found.rows.shape == (1, 0)
