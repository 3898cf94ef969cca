"""The logging and read API end to end on synthetic outputs with injected label flips."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import dataerrors
from dataerrors.errors import InvalidInputError, RunNotFoundError

from .conftest import CLASS_NAMES, synthetic_logits


def _log_noisy_run(root, ids, n_flips: int = 30, seed: int = 0) -> tuple[dataerrors.Run, set]:
    rng = np.random.default_rng(seed)
    n = len(ids)
    true = rng.integers(0, 4, n)
    given = true.copy()
    flipped = rng.choice(n, n_flips, replace=False)
    given[flipped] = (given[flipped] + rng.integers(1, 4, n_flips)) % 4
    run = dataerrors.init("p", "noisy", CLASS_NAMES, root=root)
    run.log_samples("training", ids, given, metadata={"source": np.where(np.arange(n) % 2, "a", "b")})
    for epoch in range(4):
        order = rng.permutation(n)
        for start in range(0, n, 64):
            batch = order[start:start + 64]
            run.log_outputs("training", epoch, [ids[i] for i in batch],
                            logits=synthetic_logits(true[batch], rng, strength=2.0 + epoch),
                            embeddings=rng.normal(size=(len(batch), 6)))
    run.finish(progress=False)
    return run, {ids[i] for i in flipped}


def test_flips_rank_at_top(root) -> None:
    run, flipped = _log_noisy_run(root, list(range(600)))
    frame = run.samples("training").sort_values("dep", ascending=False)
    top = set(frame["id"].head(30))
    assert len(top & flipped) >= 24
    flagged = set(frame.loc[frame["is_likely_mislabeled"], "id"])
    assert len(flagged & flipped) / max(len(flagged), 1) >= 0.8


def test_samples_columns(root) -> None:
    run, _ = _log_noisy_run(root, list(range(200)), n_flips=10)
    frame = run.samples("training")
    for column in ("id", "label", "label_name", "predicted", "predicted_name", "suggested_label",
                   "suggested_label_name", "dep", "aum", "confidence", "variability",
                   "correctness", "is_likely_mislabeled", "source"):
        assert column in frame.columns, column
    assert frame["id"].tolist() == list(range(200))
    assert frame["dep"].between(0, 1).all()
    assert set(frame["label_name"]) <= set(CLASS_NAMES)
    assert (frame["n_epochs"] == 4).all()
    assert frame.to_arrow().num_rows == 200


def test_string_ids(root) -> None:
    ids = [f"img-{i:04d}.jpg" for i in range(200)]
    run, flipped = _log_noisy_run(root, ids, n_flips=10)
    frame = run.samples("training").sort_values("dep", ascending=False)
    assert frame["id"].iloc[0] in ids
    assert len(set(frame["id"].head(10)) & flipped) >= 7


def test_summary_contents(root) -> None:
    run, _ = _log_noisy_run(root, list(range(400)), n_flips=20)
    summary = run.summary()["splits"]["training"]
    assert summary["n_samples"] == 400
    assert summary["epochs"] == [0, 1, 2, 3]
    assert 0 < summary["accuracy"] <= 1
    assert 5 <= summary["estimated_label_errors"] <= 60
    assert len(summary["classes"]) == 4
    assert summary["classes"][0]["label_name"] == "cat"
    assert np.array(summary["confusion_matrix"]).sum() == 400
    assert summary["top_suspects"][0]["dep"] >= summary["top_suspects"][-1]["dep"]
    thresholds = summary["dep_thresholds"]
    assert 0 <= thresholds["easy"] <= thresholds["hard"] <= 1


def test_inference_split_without_labels(run: dataerrors.Run) -> None:
    rng = np.random.default_rng(0)
    run.log_samples("inference", ["u1", "u2", "u3"])
    run.log_outputs("inference", 0, ["u3", "u1", "u2"], logits=rng.normal(size=(3, 4)))
    run.log_outputs("training", 0, np.arange(40), logits=rng.normal(size=(40, 4)))
    run.finish(progress=False)
    frame = run.samples("inference")
    assert frame["label"].tolist() == [-1, -1, -1]
    assert frame["label_name"].isna().all()
    assert frame["dep"].isna().all()
    assert not frame["is_likely_mislabeled"].any()
    assert (frame["predicted"] >= 0).all()


def test_images_stored_once_as_png(root) -> None:
    images = np.random.default_rng(0).integers(0, 255, (5, 8, 8), dtype=np.uint8)
    run = dataerrors.init("p", "images", 2, root=root)
    run.log_samples("training", np.arange(5), [0, 1, 0, 1, 0], inputs=images)
    run.log_outputs("training", 0, np.arange(5), logits=np.zeros((5, 2)))
    run.finish(progress=False)
    frame = run.samples("training", include_images=True)
    from io import BytesIO

    from PIL import Image

    decoded = np.asarray(Image.open(BytesIO(frame["image"].iloc[3])))
    assert np.array_equal(decoded, images[3])
    assert "image" not in run.samples("training").columns


def test_image_paths_stored_absolute(root, tmp_path) -> None:
    from PIL import Image

    path = tmp_path / "a.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)
    run = dataerrors.init("p", "paths", 2, root=root)
    run.log_samples("training", [0], [1], inputs=[path])
    run.log_outputs("training", 0, [0], logits=np.zeros((1, 2)))
    run.finish(progress=False)
    assert run.samples("training")["input"].tolist() == [str(path)]


def test_torch_tensors_accepted(run: dataerrors.Run) -> None:
    torch = pytest.importorskip("torch")
    logits = torch.randn(40, 4, requires_grad=True) * 2
    embeddings = torch.randn(40, 5, dtype=torch.bfloat16)
    run.log_outputs("training", 0, torch.arange(40), logits=logits.half(), embeddings=embeddings)
    run.finish(progress=False)
    assert run.samples("training")["n_epochs"].tolist() == [1] * 40


def test_samples_before_analysis(run: dataerrors.Run) -> None:
    with pytest.raises(RunNotFoundError, match="run.finish"):
        run.samples("training")


def test_samples_unknown_split(run: dataerrors.Run) -> None:
    with pytest.raises(InvalidInputError, match="split='valid' is not a known split"):
        run.samples("valid")


def test_stale_analysis_detected(run: dataerrors.Run) -> None:
    run.log_outputs("training", 0, np.arange(40), logits=np.zeros((40, 4)))
    run.finish(progress=False)
    run.log_samples("training", [1000], [0])
    run.flush()
    with pytest.raises(RunNotFoundError, match="out of date"):
        run.samples("training")


def test_finish_without_analysis_warns_stale(run: dataerrors.Run) -> None:
    rng = np.random.default_rng(0)
    run.log_outputs("training", 0, np.arange(40), logits=synthetic_logits(np.arange(40) % 4, rng))
    run.finish(progress=False)
    run.finish(analyze=False)  # nothing logged since: the analysis stays current
    assert run.status == "analyzed"
    with warnings.catch_warnings():
        warnings.simplefilter("error", dataerrors.StaleAnalysisWarning)
        run.samples("training")
    run.log_outputs("training", 1, np.arange(40), logits=synthetic_logits(np.arange(40) % 4, rng))
    run.finish(analyze=False)
    assert run.status == "finished"
    with pytest.warns(dataerrors.StaleAnalysisWarning, match="was logged to after its last analysis"):
        frame = dataerrors.open_run(run.folder).samples("training")
    assert (frame["n_epochs"] == 1).all()


def test_finish_again_after_reopen(run: dataerrors.Run) -> None:
    run.log_outputs("training", 0, np.arange(40), logits=np.zeros((40, 4)))
    run.flush()
    reopened = dataerrors.open_run(run.folder)
    reopened.finish(progress=False)
    reopened.finish(progress=False)
    assert reopened.status == "analyzed"
    assert isinstance(reopened.samples("training"), pd.DataFrame)


def test_logging_after_finish_warns_on_read(run: dataerrors.Run) -> None:
    rng = np.random.default_rng(0)
    run.log_outputs("training", 0, np.arange(40), logits=synthetic_logits(np.arange(40) % 4, rng))
    run.finish(progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", dataerrors.StaleAnalysisWarning)
        run.samples("training")  # an up-to-date analysis reads without a warning
    run.log_outputs("training", 1, np.arange(40), logits=synthetic_logits(np.arange(40) % 4, rng))
    run.flush()
    with pytest.warns(dataerrors.StaleAnalysisWarning, match="was logged to after its last analysis"):
        frame = run.samples("training")
    assert (frame["n_epochs"] == 1).all()  # still the earlier analysis
    with pytest.warns(dataerrors.StaleAnalysisWarning, match="dataerrors analyze"):
        run.summary()
    run.finish(progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", dataerrors.StaleAnalysisWarning)
        assert (run.samples("training")["n_epochs"] == 2).all()
