"""The label-quality benchmark on its two quick cases (published probabilities, no training)."""

from __future__ import annotations

import json

import pytest

from bench import label_quality
from bench.ground_truth import reference_data_folder


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    try:
        reference_data_folder()
    except FileNotFoundError as error:
        pytest.skip(str(error))
    results = tmp_path_factory.mktemp("results")
    label_quality.main(["--cases", "mnist-published,cifar10-published", "--results", str(results)])
    report = (results / "label_quality.md").read_text(encoding="utf-8")
    return json.loads((results / "label_quality.json").read_text(encoding="utf-8")), report


def test_report_lists_every_case_and_ranking(figures):
    data, report = figures
    assert [case["name"] for case in data["cases"]] == ["mnist-published", "cifar10-published"]
    for name in ("dataerrors DEP", "cleanlab self_confidence", "cleanlab normalized_margin",
                 "cleanlab find_label_issues"):
        assert name in report
    assert data["neighbor_weight_study"] is None  # no case has embeddings


def test_confirmed_counts_match_the_published_ones(figures):
    data, _ = figures
    counts = {case["name"]: (case["n_errors"], case["n_candidates"]) for case in data["cases"]}
    assert counts == {"mnist-published": (15, 100), "cifar10-published": (54, 275)}


def test_dep_equals_normalized_margin_without_epochs_or_embeddings(figures):
    # One set of probabilities and no embeddings: DEP is a monotone map of cleanlab's
    # normalized margin, so the two rankings must score the same.
    data, _ = figures
    for case in data["cases"]:
        rankings = case["rankings"]
        assert rankings["dataerrors DEP"] == pytest.approx(
            rankings["cleanlab normalized_margin"], abs=1e-9
        )
        assert case["dep_ap_over_cleanlab_best"] >= 1.0 - 1e-9


def test_tied_rankings_have_a_zero_interval(figures):
    # Equal rankings give equal AP in every resample: the interval of the difference is 0 to 0.
    data, report = figures
    for summary in data["datasets"]:
        assert summary["dep_minus_best_interval"] == pytest.approx([0.0, 0.0], abs=1e-9)
        assert summary["dep_at_least_best_share"] == 1.0
    assert "+0.000 to +0.000 | 1.00" in report


def test_flag_beats_find_label_issues(figures):
    data, _ = figures
    for case in data["cases"]:
        ours = case["flags"]["dataerrors is_likely_mislabeled"]
        theirs = case["flags"]["cleanlab find_label_issues"]
        assert ours["precision"] >= theirs["precision"], case["name"]
        assert ours["recall"] >= theirs["recall"], case["name"]


@pytest.mark.parametrize(
    ("text", "seeds"),
    [("0,1,2", [0, 1, 2]), ("0-3", [0, 1, 2, 3]), ("5, 0-2, 1", [5, 0, 1, 2]), ("7-7", [7])],
)
def test_seed_lists_and_ranges(text, seeds):
    assert label_quality.parse_seeds(text) == seeds


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "names no seed"), ("a", "'a' is not a seed"), ("3-1", "ends before it starts"),
     ("-2", "'-2' is not a seed")],
)
def test_bad_seed_lists_rejected(text, message):
    with pytest.raises(ValueError, match=message):
        label_quality.parse_seeds(text)


def test_bad_seeds_exit_with_usage_error(capsys):
    with pytest.raises(SystemExit) as raised:
        label_quality.main(["--cases", "mnist-published", "--seeds", "x"])
    assert raised.value.code == 2
    assert "--seeds 'x'" in capsys.readouterr().err
