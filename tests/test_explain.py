from __future__ import annotations

import math

import pytest

from dataerrors.analysis.dep import NEIGHBOR_WEIGHT
from dataerrors.analysis.explain import explain_sample

NAMES = ["cat", "dog", "bird"]


def explain(**overrides):
    arguments = dict(
        label=0, dep=0.9, margins=[-0.5, -0.8, -0.9], predicted=[1, 1, 2],
        neighbor_disagreement=0.8, neighbor_label=1, confident_label=1, suggested_label=1,
        is_likely_mislabeled=True, class_names=NAMES,
    )
    arguments.update(overrides)
    return explain_sample(**arguments)


def test_every_signal_raises_dep():
    result = explain()
    signals = result["signals"]
    assert signals["margin"]["aum"] == pytest.approx(-0.7333333)
    assert signals["margin"]["n_epochs_other_class"] == 3
    assert signals["margin"]["most_predicted_other_class"] == 1
    assert signals["margin"]["last_margin"] == pytest.approx(-0.9)
    # The lower of the mean and the last margin counts: -0.9.
    assert signals["margin"]["dep_part"] == pytest.approx((1 - NEIGHBOR_WEIGHT) * (1 + 0.9) / 2)
    assert signals["neighbors"]["dep_part"] == pytest.approx(NEIGHBOR_WEIGHT * 0.8)
    assert all(signal["raises_dep"] for signal in signals.values())
    assert len(result["reasons"]) == 3
    assert result["sentence"] == (
        "DEP 0.90: the model predicted another class than the given label 'cat' in 3 of 3 epoch(s), "
        "most often 'dog' (mean margin -0.73, last -0.90); 80% of its nearest neighbours in embedding space carry another "
        "label (most often 'dog'); confident learning places it in class 'dog'. Flagged as "
        "likely mislabeled; suggested label 'dog'."
    )


def test_no_signal_raises_dep():
    result = explain(dep=0.02, margins=[0.9, 0.95], predicted=[0, 0], neighbor_disagreement=0.1,
                     neighbor_label=0, confident_label=0, suggested_label=0,
                     is_likely_mislabeled=False)
    assert result["reasons"] == []
    assert result["sentence"].startswith("DEP 0.02: no signal points to a label error.")
    assert "neighbours share that label" in result["sentence"]


def test_without_neighbours():
    result = explain(neighbor_disagreement=math.nan, neighbor_label=-1)
    assert result["signals"]["neighbors"] is None
    assert result["signals"]["margin"]["dep_part"] == pytest.approx((1 + 0.9) / 2)
    assert "neighbours" not in result["sentence"]


def test_epochs_not_logged_are_skipped():
    result = explain(margins=[math.nan, -0.4], predicted=[-1, 2])
    margin = result["signals"]["margin"]
    assert margin["n_epochs"] == 1
    assert margin["per_epoch"] == [None, pytest.approx(-0.4)]
    assert "in 1 of 1 epoch(s)" in result["sentence"]


def test_without_dep():
    result = explain(dep=math.nan, margins=[], predicted=[])
    assert result["dep"] is None
    assert result["sentence"] == "No DEP: the sample is unlabeled or has no logged outputs."


def test_own_majority_label_not_named():
    # 60% of the neighbours disagree, but split over other classes: the most common label is its own.
    result = explain(neighbor_disagreement=0.6, neighbor_label=0)
    assert "60% of its nearest neighbours in embedding space carry another label;" in result["sentence"]
    assert "most often 'cat'" not in result["sentence"]


def test_unflagged_suspect_says_why():
    sentence = explain(is_likely_mislabeled=False)["sentence"]
    assert sentence.endswith(
        "Not flagged as likely mislabeled: per given class, the flag goes to the highest-DEP "
        "samples, as many as confident learning estimates that class has label errors, and this "
        "sample ranks beyond that count for class 'cat'."
    )
