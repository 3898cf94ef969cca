from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import dataerrors
from dataerrors.cli import main
from dataerrors.pipeline.cautions import add_cautions


def _summary(rate: float, accuracy: float, test_share: float | None) -> dict:
    splits = {"training": {"estimated_error_rate": rate, "accuracy": accuracy, "n_scored": 900,
                           "coverage": {"out_of_coverage_share": 0.05}}}
    if test_share is not None:
        splits["test"] = {"estimated_error_rate": 0.01, "accuracy": 0.95, "n_scored": 200,
                          "coverage": {"out_of_coverage_share": test_share}}
    return {"coverage": {"flag_share": 0.05}, "splits": splits}


def test_no_cautions_for_a_good_model() -> None:
    summary = _summary(0.02, 0.97, 0.07)
    add_cautions(summary)
    assert summary["splits"]["training"]["cautions"] == []
    assert summary["splits"]["test"]["cautions"] == []


def test_weak_model_caution_message() -> None:
    summary = _summary(0.74, 0.286, None)
    add_cautions(summary)
    (caution,) = summary["splits"]["training"]["cautions"]
    assert caution["kind"] == "error_rate"
    assert "misclassifies 71.4% of this split" in caution["message"]
    assert "counts 74.0% of its labels as wrong" in caution["message"]


@pytest.mark.parametrize(
    ("rate", "accuracy", "cautioned"),
    [(0.22, 0.72, True), (0.10, 0.72, False), (0.15, 0.85, False), (0.005, 0.99, False)],
)
def test_weak_model_caution_rule(rate, accuracy, cautioned) -> None:
    summary = _summary(rate, accuracy, None)
    add_cautions(summary)
    assert bool(summary["splits"]["training"]["cautions"]) == cautioned


def test_coverage_caution_far_split() -> None:
    summary = _summary(0.02, 0.97, 0.436)
    add_cautions(summary)
    (caution,) = summary["splits"]["test"]["cautions"]
    assert caution["kind"] == "coverage"
    assert "43.6% of this split is out of coverage, against 5%" in caution["message"]
    assert "evaluation pass" in caution["message"]


def test_caution_without_coverage_or_scores() -> None:
    summary = {"coverage": {"status": "skipped"},
               "splits": {"test": {"estimated_error_rate": None, "accuracy": None}}}
    add_cautions(summary)
    assert summary["splits"]["test"]["cautions"] == []


def test_weak_model_summary_shows_caution(tmp_path) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 200)
    run = dataerrors.init("p", "weak", 4, root=tmp_path)
    run.log_samples("training", np.arange(200), labels)
    for epoch in range(2):  # outputs unrelated to the labels: a model that learned nothing
        run.log_outputs("training", epoch, np.arange(200), logits=rng.normal(0, 2, (200, 4)))
    run.finish(progress=False)
    assert run.summary()["splits"]["training"]["cautions"]
    result = CliRunner().invoke(main, ["summary", str(run.folder)])
    assert result.exit_code == 0
    assert "caution: The model misclassifies" in result.output


def test_console_shows_cautions(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from dataerrors.console.app import create_app

    rng = np.random.default_rng(1)
    run = dataerrors.init("p", "shifted", 4, root=tmp_path)
    labels = rng.integers(0, 4, 300)
    centers = rng.normal(0, 4, (4, 8))
    run.log_samples("training", np.arange(300), labels)
    run.log_samples("test", np.arange(100), labels[:100])
    logits = rng.normal(0, 2, (300, 4))
    # Test embeddings far from every training embedding: all of them out of coverage.
    run.log_outputs("training", 0, np.arange(300), logits=logits,
                    embeddings=centers[labels] + rng.normal(0, 1, (300, 8)))
    run.log_outputs("test", 0, np.arange(100), logits=logits[:100],
                    embeddings=rng.normal(0, 1, (100, 8)) - 40.0 * np.abs(centers[labels[:100]]))
    run.finish(progress=False)
    client = TestClient(create_app(run.folder))
    metrics = client.get("/api/runs/p/shifted/splits/training/metrics").json()
    assert [caution["kind"] for caution in metrics["cautions"]] == ["error_rate"]
    coverage = {entry["split"]: entry for entry in client.get("/api/runs/p/shifted/coverage").json()["splits"]}
    assert coverage["training"]["cautions"] == []
    assert "of this split is out of coverage" in coverage["test"]["cautions"][0]
