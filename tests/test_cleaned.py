from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import dataerrors
from dataerrors.errors import InvalidInputError
from dataerrors.exporters.cleaned import cleaned_labels, export_cleaned_labels
from tests.console_support import make_synthetic_run


@pytest.fixture
def run(tmp_path: Path) -> dataerrors.Run:
    created = make_synthetic_run(tmp_path / "runs", n_train=30, n_test=10)
    created.relabel("training", [1, 2], "fish")
    created.remove("training", [3])
    created.mark_for_labeling("training", [4])
    return created


def test_cleaned_labels_apply_edits(run: dataerrors.Run) -> None:
    table = cleaned_labels(run, "training").to_pandas().set_index("id")
    assert len(table) == 29
    assert 3 not in table.index
    assert table.loc[1, "label"] == 3
    assert table.loc[1, "label_name"] == "fish"
    assert table.loc[1, "given_label"] == 1
    assert bool(table.loc[4, "is_marked_for_labeling"])
    assert "is_removed" not in table.columns


def test_cleaned_labels_can_keep_removed(run: dataerrors.Run) -> None:
    table = cleaned_labels(run, "training", include_removed=True).to_pandas().set_index("id")
    assert len(table) == 30
    assert bool(table.loc[3, "is_removed"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_writes_each_format(run: dataerrors.Run, tmp_path: Path, suffix: str) -> None:
    path = export_cleaned_labels(run, "training", tmp_path / f"out/labels{suffix}")
    frame = pd.read_csv(path) if suffix == ".csv" else pq.read_table(path).to_pandas()
    assert len(frame) == 29
    assert frame.set_index("id").loc[2, "label_name"] == "fish"


def test_export_rejects_unknown_format(run: dataerrors.Run, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot tell the file format"):
        export_cleaned_labels(run, "training", tmp_path / "labels.txt")


def test_include_removed_must_be_bool(run: dataerrors.Run) -> None:
    with pytest.raises(InvalidInputError, match="include_removed='no' is invalid"):
        cleaned_labels(run, "training", include_removed="no")  # type: ignore[arg-type]
