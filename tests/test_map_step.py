from __future__ import annotations

import numpy as np
import pytest

import dataerrors
from dataerrors.analysis.clusters import HIGH_DEP_RATIO

pytestmark = pytest.mark.slow


def test_map_columns_cover_every_split(mnist_fashion_run: dataerrors.Run):
    assert mnist_fashion_run.summary()["map"]["status"] == "done"
    for split in ("training", "test", "inference"):
        samples = mnist_fashion_run.samples(split)
        assert np.isfinite(samples[["x", "y"]].to_numpy()).all()
        clusters = samples["cluster"].to_numpy()
        assert (clusters >= -1).all()
        assert clusters.max() >= 0


def test_splits_share_map_coordinates(mnist_fashion_run: dataerrors.Run):
    training = mnist_fashion_run.samples("training")
    test = mnist_fashion_run.samples("test")
    points = training[["x", "y"]].to_numpy()
    placed = test[["x", "y"]].to_numpy()
    nearest = np.linalg.norm(placed[:, None] - points[None], axis=2).argmin(axis=1)
    # A test digit lands among training digits of its class.
    assert (training["label"].to_numpy()[nearest] == test["label"].to_numpy()).mean() > 0.9


def test_cluster_summary_orders_by_mean_dep(mnist_fashion_run: dataerrors.Run):
    entry = mnist_fashion_run.summary()["splits"]["training"]["clusters"]
    clusters = entry["clusters"]
    assert entry["n_clusters"] == len(clusters) >= 2
    means = [cluster["mean_dep"] for cluster in clusters]
    assert means == sorted(means, reverse=True)
    expected = [c["cluster"] for c in clusters if c["dep_ratio"] >= HIGH_DEP_RATIO]
    assert entry["high_dep_clusters"] == expected
    training = mnist_fashion_run.samples("training")
    for cluster in clusters:
        members = training[training["cluster"] == cluster["cluster"]]
        assert cluster["size"] == len(members)
        assert cluster["mean_dep"] == pytest.approx(members["dep"].mean(), rel=1e-5)
        assert cluster["main_classes"][0]["label_name"] == members["label_name"].mode()[0]
    # Digit clusters are mostly one class.
    largest = max(clusters, key=lambda cluster: cluster["size"])
    assert largest["main_classes"][0]["share"] > 0.8


def test_map_is_reproducible(mnist_fashion_run: dataerrors.Run):
    before = mnist_fashion_run.samples("test")[["x", "y", "cluster"]]
    mnist_fashion_run.analyze()
    after = mnist_fashion_run.samples("test")[["x", "y", "cluster"]]
    np.testing.assert_array_equal(before.to_numpy(), after.to_numpy())
