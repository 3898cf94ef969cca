from __future__ import annotations

import numpy as np
import pytest

import dataerrors
from dataerrors.report import format_summary

from .test_coverage import auroc


@pytest.mark.slow
def test_coverage_separates_fashion_from_mnist(mnist_fashion_run: dataerrors.Run):
    test = mnist_fashion_run.samples("test")
    fashion = mnist_fashion_run.samples("inference")
    # A CNN trained this briefly separates them less than the full demo (AUROC 0.995).
    assert auroc(test["coverage_distance"].to_numpy(), fashion["coverage_distance"].to_numpy()) > 0.9
    assert fashion["is_out_of_coverage"].mean() > 0.5
    assert test["is_out_of_coverage"].mean() < 0.15


@pytest.mark.slow
def test_coverage_columns_and_summary(mnist_fashion_run: dataerrors.Run):
    summary = mnist_fashion_run.summary()
    assert summary["coverage"]["status"] == "done"
    assert summary["coverage"]["flag_share"] == 0.05
    training = mnist_fashion_run.samples("training")
    assert training["is_out_of_coverage"].isna().all()
    # Left out of its own neighbours, 5% of the training samples lie beyond the threshold.
    beyond = (training["coverage_distance"] > summary["coverage"]["threshold"]).mean()
    assert beyond == pytest.approx(0.05, abs=0.002)
    for split in ("test", "inference"):
        samples = mnist_fashion_run.samples(split)
        distances = samples["coverage_distance"].to_numpy()
        assert not np.isnan(distances).any()
        assert ((distances >= 0) & (distances <= 2)).all()
        entry = summary["splits"][split]["coverage"]
        assert entry["n_scored"] == len(samples)
        assert entry["out_of_coverage_share"] == pytest.approx(samples["is_out_of_coverage"].mean())


@pytest.mark.slow
def test_report_shows_coverage_and_clusters(mnist_fashion_run: dataerrors.Run):
    text = format_summary(mnist_fashion_run.summary())
    assert "Coverage: out of coverage beyond cosine distance" in text
    assert "out of coverage: " in text
    assert "map clusters: " in text


def test_coverage_skipped_without_embeddings(run: dataerrors.Run):
    rng = np.random.default_rng(0)
    run.log_outputs("training", 0, np.arange(40), probs=rng.dirichlet(np.ones(4), 40))
    run.log_outputs("test", 0, np.arange(100, 120), probs=rng.dirichlet(np.ones(4), 20))
    run.finish(progress=False)
    summary = run.summary()
    assert summary["coverage"] == {"status": "skipped", "reason": "no training embeddings were logged"}
    assert summary["map"]["status"] == "skipped"
    samples = run.samples("test")
    assert samples["coverage_distance"].isna().all()
    assert samples["is_out_of_coverage"].isna().all()
    assert samples["x"].isna().all()
    assert samples["cluster"].isna().all()
    assert "Coverage: not computed (no training embeddings were logged)." in format_summary(summary)
