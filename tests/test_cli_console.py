"""The console-era CLI options: exports of cleaned labels and Label Studio tasks."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import dataerrors
from dataerrors.cli import main
from tests.console_support import make_synthetic_run


@pytest.fixture
def run(tmp_path: Path) -> dataerrors.Run:
    created = make_synthetic_run(tmp_path / "runs", n_train=30, n_test=10)
    created.relabel("training", [1], "fish")
    created.remove("training", [2])
    created.mark_for_labeling("training", [5, 6])
    return created


def test_export_scores(run: dataerrors.Run, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(run.folder), "--out", str(tmp_path / "all.csv")])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "all.csv")
    assert len(frame) == 30
    assert "dep" in frame.columns


def test_export_cleaned_labels(run: dataerrors.Run, tmp_path: Path) -> None:
    out = tmp_path / "clean.parquet"
    result = CliRunner().invoke(main, ["export", str(run.folder), "--cleaned", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out).set_index("id")
    assert len(frame) == 29
    assert frame.loc[1, "label_name"] == "fish"
    kept = tmp_path / "kept.csv"
    CliRunner().invoke(main, ["export", str(run.folder), "--cleaned", "--include-removed", "--out", str(kept)])
    assert len(pd.read_csv(kept)) == 30


def test_export_label_studio(run: dataerrors.Run, tmp_path: Path) -> None:
    out = tmp_path / "tasks.json"
    result = CliRunner().invoke(main, ["export", str(run.folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(task["data"]["id"] for task in json.loads(out.read_text())) == [5, 6]
    assert (tmp_path / "tasks.label_config.xml").exists()
    flagged = tmp_path / "flagged.json"
    CliRunner().invoke(main, ["export", str(run.folder), "--format", "label-studio", "--samples", "all",
                              "--out", str(flagged)])
    assert len(json.loads(flagged.read_text())) == 30


def test_export_reports_invalid_input(run: dataerrors.Run, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(run.folder), "--out", str(tmp_path / "x.json"),
                                       "--images", "local-files"])
    assert result.exit_code == 2
    assert "--images local-files needs --document-root" in result.output
