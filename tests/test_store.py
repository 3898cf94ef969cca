"""Run folder: atomic parts, crash safety of the writer, manifest versions."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import dataerrors
from dataerrors.errors import RunNotFoundError, SchemaVersionError, WriterError
from dataerrors.store.layout import RunLayout, list_parts, remove_temporary_files
from dataerrors.store.writer import PartWriter, write_part

CRASHING_LOGGER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import dataerrors

    run = dataerrors.init("p", "crash", 10, root=sys.argv[1])
    rng = np.random.default_rng(0)
    run.log_samples("training", np.arange(100_000), rng.integers(0, 10, 100_000))
    batch = 0
    for epoch in range(1000):
        for start in range(0, 100_000, 500):
            ids = np.arange(start, start + 500)
            run.log_outputs("training", epoch, ids, logits=rng.normal(size=(500, 10)),
                            embeddings=rng.normal(size=(500, 32)))
            batch += 1
            if batch % 20 == 0:
                run.flush()
                print(f"flushed {epoch} {start + 500}", flush=True)
    """
)


def _run_until_killed(root: Path, n_flushes: int) -> tuple[int, int]:
    process = subprocess.Popen(
        [sys.executable, "-c", CRASHING_LOGGER, str(root)], stdout=subprocess.PIPE, text=True
    )
    last = (0, 0)
    try:
        for _ in range(n_flushes):
            line = process.stdout.readline()
            assert line.startswith("flushed"), line
            _, epoch, end = line.split()
            last = (int(epoch), int(end))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    return last


@pytest.mark.parametrize("n_flushes", [1, 3, 7])
def test_killed_writer_leaves_readable_run(tmp_path: Path, n_flushes: int) -> None:
    epoch, end = _run_until_killed(tmp_path, n_flushes)
    run = dataerrors.open_run(tmp_path / "p" / "crash")
    folder = run.layout.epoch_folder("training", epoch)
    for part in list_parts(folder) + list_parts(folder, "vectors"):
        pq.read_table(part)  # every listed part is whole
    run.finish(progress=False)
    assert not list(run.folder.rglob(".tmp-*"))
    frame = run.samples("training")
    logged_in_last_epoch = frame["n_epochs"] > epoch
    # Every batch logged before the last completed flush is stored.
    assert logged_in_last_epoch[:end].all()
    assert frame["dep"][:end].notna().all()


def test_part_written_atomically(tmp_path: Path) -> None:
    table = pa.table({"id": [1, 2]})
    path = write_part(tmp_path, "part", table)
    assert path.name == "part-00000.parquet"
    assert write_part(tmp_path, "part", table).name == "part-00001.parquet"
    (tmp_path / ".tmp-999999999-abc-part-00002.parquet").write_bytes(b"half")
    assert [p.name for p in list_parts(tmp_path)] == ["part-00000.parquet", "part-00001.parquet"]
    assert remove_temporary_files(tmp_path) == 1


def test_writer_error_reported_on_flush(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    writer = PartWriter()
    writer.submit("key", blocker / "sub", "part", lambda: pa.table({"id": [1]}))
    with pytest.raises(WriterError, match="writing logged data failed"):
        writer.flush()
    writer.submit("key", tmp_path / "ok", "part", lambda: pa.table({"id": [1]}))
    writer.close()
    assert len(list_parts(tmp_path / "ok")) == 1


def test_writer_bounded_parts(tmp_path: Path) -> None:
    writer = PartWriter(part_bytes=1000)
    for start in range(0, 1000, 100):
        writer.submit("key", tmp_path, "part",
                      lambda start=start: pa.table({"id": np.arange(start, start + 100)}))
    writer.close()
    parts = list_parts(tmp_path)
    assert len(parts) > 1
    ids = pa.concat_tables([pq.read_table(p) for p in parts])["id"].to_pylist()
    assert ids == list(range(1000))


def test_newer_schema_rejected(run: dataerrors.Run) -> None:
    manifest = json.loads(run.layout.manifest.read_text())
    manifest["schema_version"] = 99
    run.layout.manifest.write_text(json.dumps(manifest))
    with pytest.raises(SchemaVersionError, match="schema_version=99.*upgrade dataerrors"):
        dataerrors.open_run(run.folder)


def test_open_missing_run(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="run.json is missing"):
        dataerrors.open_run(tmp_path)
    with pytest.raises(RunNotFoundError, match="the folder does not exist"):
        dataerrors.open_run(tmp_path / "nope" / "run")


def test_open_runs_root_names_runs(tmp_path: Path) -> None:
    dataerrors.init("mnist", "cnn", ["a", "b"], root=tmp_path).finish(analyze=False)
    with pytest.raises(RunNotFoundError, match=r"Runs found below it: .*mnist/cnn\."):
        dataerrors.open_run(tmp_path)


def test_vectors_kept_for_last_epoch_only(run: dataerrors.Run) -> None:
    rng = np.random.default_rng(0)
    for epoch in range(3):
        run.log_outputs("training", epoch, np.arange(40), logits=rng.normal(size=(40, 4)),
                        embeddings=rng.normal(size=(40, 3)))
    run.finish(progress=False)
    layout = RunLayout(run.folder)
    kept = [epoch for epoch in range(3) if list_parts(layout.epoch_folder("training", epoch), "vectors")]
    assert kept == [2]
    assert all(list_parts(layout.epoch_folder("training", epoch)) for epoch in range(3))


def test_vectors_dropped_while_logging(run: dataerrors.Run) -> None:
    rng = np.random.default_rng(0)
    for epoch in range(4):
        run.log_outputs("training", epoch, np.arange(40), logits=rng.normal(size=(40, 4)))
    run.flush()
    layout = RunLayout(run.folder)
    kept = [epoch for epoch in range(4) if list_parts(layout.epoch_folder("training", epoch), "vectors")]
    assert kept == [2, 3]
