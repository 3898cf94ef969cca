from __future__ import annotations

from pathlib import Path

import pytest

import dataerrors
from dataerrors.errors import InvalidInputError
from tests.console_support import make_synthetic_run


@pytest.fixture
def run(tmp_path: Path) -> dataerrors.Run:
    return make_synthetic_run(tmp_path, n_train=40, n_test=12)


def test_relabel_by_index_and_name(run: dataerrors.Run) -> None:
    run.relabel("training", [1, 2], "fish", author="ana")
    run.relabel("training", [3], [0])
    frame = run.samples("training", apply_edits=True).set_index("id")
    assert frame.loc[[1, 2, 3], "edited_label_name"].tolist() == ["fish", "fish", "cat"]
    assert frame.loc[[1, 2, 3], "is_relabeled"].all()
    assert run.edits()["author"].tolist()[:2] == ["ana", "ana"]


def test_remove_mark_restore_and_undo(run: dataerrors.Run) -> None:
    removed = run.remove("training", [4, 5])
    run.mark_for_labeling("test", [1003])
    run.restore("training", [5])
    frame = run.samples("training", apply_edits=True).set_index("id")
    assert bool(frame.loc[4, "is_removed"])
    assert not bool(frame.loc[5, "is_removed"])
    assert bool(run.samples("test", apply_edits=True).set_index("id").loc[1003, "is_marked_for_labeling"])
    run.undo_edits(removed)
    assert not run.samples("training", apply_edits=True)["is_removed"].any()
    assert run.edits("training")["is_undone"].tolist() == [True, True, False]


def test_samples_without_edits_keep_their_columns(run: dataerrors.Run) -> None:
    plain = run.samples("training")
    assert "edited_label" not in plain.columns
    edited = run.samples("training", apply_edits=True)
    assert (edited["edited_label"] == edited["label"]).all()
    assert list(edited.columns[: len(plain.columns)]) == list(plain.columns)


def test_edits_of_one_split(run: dataerrors.Run) -> None:
    run.remove("training", [1])
    run.remove("test", [1001])
    assert run.edits("test")["id"].tolist() == [1001]
    assert len(run.edits()) == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda run: run.relabel("training", [1], "whale"), "unknown class names"),
        (lambda run: run.relabel("training", [1, 2], [0]), "expected \\(2,\\)"),
        (lambda run: run.remove("training", [1, 1]), "duplicate ids"),
        (lambda run: run.remove("nowhere", [1]), "is not a known split"),
        (lambda run: run.mark_for_labeling("training", [999]), "not logged in split"),
        (lambda run: run.undo_edits("1"), "batch='1' is not an int"),
        (lambda run: run.samples("training", apply_edits="yes"), "apply_edits='yes' is invalid"),
    ],
)
def test_invalid_edit_calls_raise(run: dataerrors.Run, call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match=message):
        call(run)
    assert run.edits().empty
