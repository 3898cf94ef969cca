from __future__ import annotations

import numpy as np
import pytest

import dataerrors
from dataerrors.errors import InvalidInputError, RunNotFoundError


def clustered_run(root, embeddings: bool = True, seed: int = 0):
    """A run of 200 samples in 4 clusters; samples 0-9 carry the next class's label."""
    rng = np.random.default_rng(seed)
    true = np.arange(200) % 4
    labels = true.copy()
    labels[:10] = (true[:10] + 1) % 4
    centers = rng.normal(0, 4, (4, 6))
    features = centers[true] + rng.normal(0, 1, (200, 6))
    run = dataerrors.init("project", "clusters", ["a", "b", "c", "d"], root=root)
    run.log_samples("training", np.arange(200), labels)
    for epoch in range(3):
        logits = 3.0 * np.eye(4)[true] + rng.normal(0, 1, (200, 4))
        run.log_outputs("training", epoch, np.arange(200), logits=logits,
                        embeddings=features if embeddings else None)
    run.finish(progress=False)
    return run


def test_analysis_columns_and_top_suspects(root):
    run = clustered_run(root)
    samples = run.samples("training")
    for column in ("dep", "neighbor_disagreement", "neighbor_label", "neighbor_label_share"):
        assert column in samples.columns
    assert samples["dep"].between(0, 1).all()
    assert samples["neighbor_disagreement"].between(0, 1).all()
    top = samples.sort_values("dep", ascending=False)["id"].head(10)
    assert set(top) == set(range(10))
    summary = run.summary()["splits"]["training"]
    assert summary["neighbor_signal"].startswith("10 nearest neighbours")
    suspect = summary["top_suspects"][0]
    assert suspect["id"] < 10
    assert suspect["explanation"].startswith(f"DEP {suspect['dep']:.2f}: the model predicted another class")
    assert len(suspect["reasons"]) >= 2


def test_analysis_without_embeddings(root):
    run = clustered_run(root, embeddings=False)
    samples = run.samples("training")
    assert samples["neighbor_disagreement"].isna().all()
    assert (samples["neighbor_label"] == -1).all()
    assert "no embeddings" in run.summary()["splits"]["training"]["neighbor_signal"]


def test_explain_flipped_sample(root):
    run = clustered_run(root)
    explanation = run.explain("training", 3)
    assert explanation["id"] == 3
    assert explanation["label_name"] == "a"  # sample 3 is truly 'd', labelled 'a'
    margin = explanation["signals"]["margin"]
    assert margin["epochs"] == [0, 1, 2]
    assert len(margin["per_epoch"]) == 3
    assert margin["raises_dep"]
    assert explanation["signals"]["neighbors"]["majority_label"] == 3
    assert "'d'" in explanation["sentence"]
    row = run.samples("training").set_index("id").loc[3]
    assert explanation["dep"] == pytest.approx(row["dep"])


def test_explain_without_confident_label(root):
    from tests.console_support import drop_analysis_columns

    run = clustered_run(root)
    drop_analysis_columns(run, ("confident_label", "neighbor_label"))
    explanation = run.explain("training", 3)
    assert explanation["signals"]["confident_label"]["raises_dep"] is False
    assert explanation["signals"]["margin"]["raises_dep"]


def test_explain_clean_sample(root):
    run = clustered_run(root)
    explanation = run.explain("training", 150)
    assert explanation["reasons"] == []
    assert "no signal points to a label error" in explanation["sentence"]


@pytest.mark.parametrize(
    ("split", "sample_id", "message"),
    [
        ("training", 999, "id=999 is not a sample of split 'training'"),
        ("training", "7", "was logged with int ids"),
        ("training", 2.5, "has type float"),
        ("test", 1, "split 'test' has no logged samples"),
        ("train", 1, "train"),
    ],
)
def test_explain_invalid_input(root, split, sample_id, message):
    run = clustered_run(root)
    with pytest.raises(InvalidInputError, match=message):
        run.explain(split, sample_id)


def test_explain_before_analysis(root):
    run = dataerrors.init("project", "raw", 2, root=root)
    run.log_samples("training", np.arange(4), [0, 1, 0, 1])
    run.log_outputs("training", 0, np.arange(4), logits=np.zeros((4, 2)))
    run.finish(analyze=False, progress=False)
    with pytest.raises(RunNotFoundError, match="no analysis for split 'training'"):
        run.explain("training", 0)
