"""Faults a real run meets: a full disk, a folder edited by hand, two logging processes, tiny splits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import dataerrors
from dataerrors.errors import DegenerateInputWarning
from dataerrors.store.layout import list_parts

from .conftest import CLASS_NAMES, synthetic_logits

FULL_DISK_LOGGER = textwrap.dedent(
    """
    import resource, signal, sys
    import numpy as np
    import dataerrors

    run = dataerrors.init("p", "full", 10, root=sys.argv[1])
    rng = np.random.default_rng(0)
    run.log_samples("training", np.arange(20_000), rng.integers(0, 10, 20_000))
    run.flush()
    # From here on no file may grow past 1 MB, as if the disk were full.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))
    try:
        for start in range(0, 20_000, 1000):
            run.log_outputs("training", 0, np.arange(start, start + 1000),
                            logits=rng.normal(size=(1000, 10)),
                            embeddings=rng.normal(size=(1000, 512)))
            run.flush()
            print("flushed", start + 1000, flush=True)
    except dataerrors.WriterError as error:
        print("error", error, flush=True)
    """
)


def three_epoch_run(root: Path, name: str, n_samples: int) -> dataerrors.Run:
    """Return an unfinished run whose training split has 3 epochs of synthetic logits."""
    run = dataerrors.init("p", name, CLASS_NAMES, root=root)
    labels = np.arange(n_samples) % len(CLASS_NAMES)
    run.log_samples("training", np.arange(n_samples), labels)
    rng = np.random.default_rng(0)
    for epoch in range(3):
        run.log_outputs("training", epoch, np.arange(n_samples), logits=synthetic_logits(labels, rng))
    return run


def test_full_disk_clear_error_readable_run(tmp_path: Path) -> None:
    completed = subprocess.run([sys.executable, "-c", FULL_DISK_LOGGER, str(tmp_path)],
                               capture_output=True, text=True, timeout=120)
    lines = completed.stdout.strip().splitlines()
    assert lines[-1].startswith("error writing logged data failed"), completed.stdout + completed.stderr
    assert "free disk space" in lines[-1]
    flushed = [int(line.split()[1]) for line in lines if line.startswith("flushed")]
    run = dataerrors.open_run(tmp_path / "p" / "full")
    run.finish(progress=False)
    frame = run.samples("training")
    assert len(frame) == 20_000
    stored = int((frame["n_epochs"] > 0).sum())
    assert stored >= (flushed[-1] if flushed else 0)
    assert not list(run.folder.rglob(".tmp-*"))


def test_deleted_samples_part_warns(root: Path) -> None:
    run = dataerrors.init("p", "edited", CLASS_NAMES, root=root)
    run.log_samples("training", np.arange(20), np.arange(20) % 4)
    run.flush()
    run.log_samples("training", np.arange(20, 40), np.arange(20) % 4)
    run.log_outputs("training", 0, np.arange(40), logits=np.zeros((40, 4)))
    run.finish(analyze=False, progress=False)
    list_parts(run.layout.samples_folder("training"))[1].unlink()
    with pytest.warns(DegenerateInputWarning, match="20 outputs of split 'training'.*left out"):
        run.analyze()
    assert len(run.samples("training")) == 20


def test_deleted_outputs_part_keeps_other_epochs(root: Path) -> None:
    run = three_epoch_run(root, "edited", n_samples=40)
    run.finish(analyze=False, progress=False)
    list_parts(run.layout.epoch_folder("training", 1))[0].unlink()
    run.analyze()
    assert (run.samples("training")["n_epochs"] == 2).all()


TWO_SPLITS_LOGGER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import dataerrors

    run = dataerrors.init("p", "shared", 4, root=sys.argv[1], mode="resume")
    split = sys.argv[2]
    rng = np.random.default_rng(len(split))
    run.log_samples(split, np.arange(500), np.arange(500) % 4)
    for epoch in range(3):
        for start in range(0, 500, 50):
            run.log_outputs(split, epoch, np.arange(start, start + 50), logits=rng.normal(size=(50, 4)))
    run.finish(analyze=False, progress=False)
    """
)


def test_two_processes_log_different_splits(root: Path) -> None:
    dataerrors.init("p", "shared", 4, root=root)
    processes = [
        subprocess.Popen([sys.executable, "-c", TWO_SPLITS_LOGGER, str(root), split])
        for split in ("training", "validation")
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    run = dataerrors.open_run(root / "p" / "shared")
    assert run.splits == ["training", "validation"]
    summary = run.analyze()
    for split in ("training", "validation"):
        assert summary["splits"][split]["epochs"] == [0, 1, 2]
        assert (run.samples(split)["n_epochs"] == 3).all()


def test_split_with_one_sample(root: Path) -> None:
    run = dataerrors.init("p", "one", CLASS_NAMES, root=root)
    run.log_samples("test", ["only"], ["dog"])
    run.log_outputs("test", 0, ["only"], logits=np.array([[0.0, 3.0, 0.0, 0.0]]))
    with pytest.warns(DegenerateInputWarning):
        run.finish(progress=False)
    frame = run.samples("test")
    assert frame["dep"].between(0, 1).all()
    assert frame["predicted_name"].tolist() == ["dog"]


def test_split_with_one_class(root: Path) -> None:
    run = dataerrors.init("p", "mono", CLASS_NAMES, root=root)
    run.log_samples("training", np.arange(30), np.zeros(30, int))
    rng = np.random.default_rng(0)
    run.log_outputs("training", 0, np.arange(30), logits=synthetic_logits(np.zeros(30, int), rng))
    with pytest.warns(DegenerateInputWarning, match="3 class\\(es\\) have no labelled sample"):
        run.finish(progress=False)
    summary = run.summary()["splits"]["training"]
    assert summary["underperforming_classes"] == []
    assert summary["classes"][1]["support"] == 0


def test_readers_during_reanalysis_see_whole_tables(root: Path) -> None:
    import threading

    run = three_epoch_run(root, "busy", n_samples=2000)
    run.finish(progress=False)
    reader = dataerrors.open_run(run.folder)
    stop = threading.Event()
    errors: list[BaseException] = []

    def reanalyze() -> None:
        try:
            while not stop.is_set():
                run.analyze()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    writer = threading.Thread(target=reanalyze)
    writer.start()
    try:
        for _ in range(30):
            frame = reader.samples("training")
            assert len(frame) == 2000
            assert frame["dep"].notna().all()
            assert reader.summary()["splits"]["training"]["n_samples"] == 2000
    finally:
        stop.set()
        writer.join()
    assert errors == []
