"""The command line on a real run folder, through click's test runner."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import dataerrors
from dataerrors.cli import main

from .conftest import synthetic_logits


@pytest.fixture
def logged_folder(run: dataerrors.Run):
    rng = np.random.default_rng(0)
    for epoch in range(2):
        run.log_outputs("training", epoch, np.arange(40),
                        logits=synthetic_logits(np.arange(40) % 4, rng))
        run.log_outputs("test", epoch, np.arange(100, 120),
                        logits=synthetic_logits(np.arange(20) % 4, rng))
    run.flush()
    return run.folder


def test_analyze_finishes_crashed_run(logged_folder) -> None:
    result = CliRunner().invoke(main, ["analyze", "--quiet", str(logged_folder)])
    assert result.exit_code == 0, result.output
    assert "== training: 40 samples, epochs [0, 1]" in result.output
    assert "top 10 suspects by DEP" in result.output
    assert "so a high DEP can stay unflagged" in result.output
    assert dataerrors.open_run(logged_folder).status == "analyzed"


def test_summary_json(logged_folder) -> None:
    CliRunner().invoke(main, ["analyze", "--quiet", str(logged_folder)])
    result = CliRunner().invoke(main, ["summary", "--json", str(logged_folder)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data["splits"]) == {"training", "test"}


def test_summary_before_analysis(logged_folder) -> None:
    result = CliRunner().invoke(main, ["summary", str(logged_folder)])
    assert result.exit_code == 1
    assert "dataerrors analyze" in result.output


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_export(logged_folder, tmp_path, suffix) -> None:
    CliRunner().invoke(main, ["analyze", "--quiet", str(logged_folder)])
    out = tmp_path / f"scores.{suffix}"
    result = CliRunner().invoke(main, ["export", str(logged_folder), "--split", "test", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out) if suffix == "csv" else pd.read_parquet(out)
    assert len(frame) == 20
    assert {"id", "dep", "suggested_label", "is_likely_mislabeled"} <= set(frame.columns)


def test_export_unknown_suffix(logged_folder, tmp_path) -> None:
    CliRunner().invoke(main, ["analyze", "--quiet", str(logged_folder)])
    result = CliRunner().invoke(main, ["export", str(logged_folder), "--out", str(tmp_path / "x.txt")])
    assert result.exit_code == 1
    assert "cannot tell the file format" in result.output


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--format", "csv", "--out", "{tmp}/x.parquet"], "--format csv does not match --out"),
        (["--include-removed", "--out", "{tmp}/x.csv"], "--include-removed only applies to --cleaned"),
        (["--images", "local-files", "--out", "{tmp}/tasks.json"], "--images local-files needs --document-root"),
        (["--out", "{tmp}/missing/x.csv"], "does not exist; create it first"),
        (["--samples", "all", "--out", "{tmp}/x.csv"], "--samples only applies to Label Studio"),
        (["--images", "embed", "--format", "parquet", "--out", "{tmp}/x.parquet"],
         "--images only applies to Label Studio"),
        (["--cleaned", "--out", "{tmp}/tasks.json"], "--cleaned writes CSV or Parquet"),
    ],
)
def test_export_conflicting_options(logged_folder, tmp_path, options, message) -> None:
    CliRunner().invoke(main, ["analyze", "--quiet", str(logged_folder)])
    arguments = [option.format(tmp=tmp_path) for option in options]
    result = CliRunner().invoke(main, ["export", str(logged_folder), *arguments])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "missing").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["runs"]  # nothing written


def test_analyze_not_a_run(tmp_path) -> None:
    result = CliRunner().invoke(main, ["analyze", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a dataerrors run" in result.output


def test_demo_help_lists_units() -> None:
    result = CliRunner().invoke(main, ["demo", "--help"])
    assert result.exit_code == 0
    assert "--epochs" in result.output
    assert "--out" in result.output


def test_next_command_outside_path(monkeypatch, tmp_path) -> None:
    from dataerrors import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli.shutil, "which", lambda name: None)
    monkeypatch.setattr(cli.sys, "argv", [str(tmp_path / ".venv" / "bin" / "dataerrors"), "demo"])
    assert cli._command() == ".venv/bin/dataerrors"
    monkeypatch.setattr(cli.shutil, "which", lambda name: "/usr/bin/dataerrors")
    assert cli._command() == "dataerrors"


def test_console_on_empty_folder_says_so(monkeypatch, tmp_path) -> None:
    from dataerrors import cli

    served = []
    monkeypatch.setattr(cli, "_serve_console", lambda folder, *args: served.append(folder))
    result = CliRunner().invoke(main, ["console", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"No runs in {tmp_path} yet" in result.output
    assert served == [tmp_path]
