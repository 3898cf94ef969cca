from __future__ import annotations

import numpy as np
import pytest

import dataerrors
from dataerrors.errors import InvalidInputError, RunNotFoundError


@pytest.mark.slow
def test_training_neighbor_disagreement_column(mnist_fashion_run: dataerrors.Run):
    assert mnist_fashion_run.summary()["neighbors"]["status"] == "done"
    for split in ("training", "test"):
        share = mnist_fashion_run.samples(split)["training_neighbor_disagreement"].to_numpy()
        assert not np.isnan(share).any()
        assert ((share >= 0) & (share <= 1)).all()
        # Digits mostly sit among training digits of their own class.
        assert np.median(share) == 0.0
    assert mnist_fashion_run.samples("inference")["training_neighbor_disagreement"].isna().all()


@pytest.mark.slow
def test_similar_returns_nearest_training_samples(mnist_fashion_run: dataerrors.Run):
    test = mnist_fashion_run.samples("test")
    sample = test[test["training_neighbor_disagreement"] == 0].iloc[0]
    similar = mnist_fashion_run.similar("test", int(sample["id"]))
    assert similar.columns.tolist() == ["id", "label", "label_name", "distance", "dep"]
    assert len(similar) == 10
    assert (similar["label"] == sample["label"]).all()
    assert (np.diff(similar["distance"].to_numpy()) >= 0).all()
    assert similar["distance"].iloc[-1] == pytest.approx(sample["coverage_distance"], abs=1e-6)
    training = mnist_fashion_run.samples("training").set_index("id")
    np.testing.assert_allclose(similar["dep"], training.loc[similar["id"], "dep"], rtol=1e-6)


@pytest.mark.slow
def test_similar_leaves_training_sample_out(mnist_fashion_run: dataerrors.Run):
    similar = mnist_fashion_run.similar("training", 5, k=3)
    assert len(similar) == 3
    assert 5 not in similar["id"].tolist()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (("tests", 0), InvalidInputError, "split='tests' is not a known split"),
        (("validation", 0), InvalidInputError, "split='validation' has no logged samples"),
        (("test", "0"), InvalidInputError, "id='0' has type str"),
        (("test", 123456), InvalidInputError, "id=123456 is not a sample of split 'test'"),
        (("test", 0, 0), InvalidInputError, "k=0 is invalid"),
        (("test", 0, 11), InvalidInputError, "k=11 is invalid"),
        (("test", 0, 2.5), InvalidInputError, "k=2.5 is invalid"),
    ],
)
def test_similar_rejects_bad_arguments(mnist_fashion_run: dataerrors.Run, arguments, error, message):
    with pytest.raises(error, match=message):
        mnist_fashion_run.similar(*arguments)


def test_similar_without_embeddings_raises(run: dataerrors.Run):
    rng = np.random.default_rng(0)
    run.log_outputs("training", 0, np.arange(40), probs=rng.dirichlet(np.ones(4), 40))
    run.finish(progress=False)
    assert run.samples("training")["training_neighbor_disagreement"].isna().all()
    with pytest.raises(RunNotFoundError, match="no nearest neighbours for split 'training'"):
        run.similar("training", 0)


def test_small_run_neighbors_hand_checkable(run: dataerrors.Run):
    # Training sample i lies on direction i mod 4 with the 9 other samples of its class; left out
    # of its own neighbours, its 10 nearest are those 9 and one sample of another class.
    embeddings = np.eye(4)[np.arange(40) % 4] + 0.01
    rng = np.random.default_rng(0)
    run.log_outputs("training", 0, np.arange(40), probs=rng.dirichlet(np.ones(4), 40),
                    embeddings=embeddings)
    run.log_outputs("test", 0, np.arange(100, 120), probs=rng.dirichlet(np.ones(4), 20),
                    embeddings=np.eye(4)[(np.arange(20) + 1) % 4])
    run.finish(progress=False)
    training = run.samples("training")
    np.testing.assert_allclose(training["training_neighbor_disagreement"], 0.1)
    test = run.samples("test")
    # Test sample j is labelled j mod 4 but lies with class (j + 1) mod 4.
    assert (test["training_neighbor_disagreement"] == 1).all()
    similar = run.similar("test", 100)
    assert (similar["label"] == 1).all()
    assert similar["distance"].max() < 1e-3


def test_missing_faiss_skips_with_warning(run: dataerrors.Run, monkeypatch: pytest.MonkeyPatch):
    import importlib.util

    from dataerrors.errors import MissingDependencyWarning

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "faiss" else real_find_spec(name, *args))
    rng = np.random.default_rng(0)
    run.log_outputs("training", 0, np.arange(40), probs=rng.dirichlet(np.ones(4), 40),
                    embeddings=rng.normal(size=(40, 8)))
    with pytest.warns(MissingDependencyWarning, match="faiss not installed, so the neighbour search step"):
        run.finish(progress=False)
    summary = run.summary()
    assert summary["neighbors"] == {"status": "skipped", "reason": "faiss is not installed"}
    assert summary["coverage"]["reason"] == "faiss is not installed"
    assert run.samples("training")["training_neighbor_disagreement"].isna().all()
