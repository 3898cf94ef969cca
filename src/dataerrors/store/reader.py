"""Read the Parquet files of a run folder, and write its analysis results atomically."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterator, Sequence

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..errors import RunNotFoundError
from .layout import SCORES_PREFIX, VECTORS_PREFIX, RunLayout, list_parts, temporary_path
from .writer import write_table_atomically


def read_samples(
    layout: RunLayout, split: str, columns: Sequence[str] | None = None
) -> pa.Table:
    """Return every logged sample of ``split`` (id, label, input, image, metadata), in log order."""
    return _read_parts(list_parts(layout.samples_folder(split)), columns)


def read_epoch_scores(
    layout: RunLayout, split: str, epoch: int, columns: Sequence[str] | None = None
) -> pa.Table:
    """Return the per-sample scores logged for ``split`` at ``epoch``."""
    return _read_parts(list_parts(layout.epoch_folder(split, epoch), SCORES_PREFIX), columns)


def read_sample_scores(
    layout: RunLayout, split: str, sample_id: int | str, columns: Sequence[str]
) -> dict[int, dict[str, Any]]:
    """Return, per epoch in which ``sample_id`` was logged, its per-epoch scores as a dict."""
    history: dict[int, dict[str, Any]] = {}
    for epoch in layout.epochs(split):
        parts = list_parts(layout.epoch_folder(split, epoch), SCORES_PREFIX)
        if not parts:
            continue
        dataset = ds.dataset([str(path) for path in parts], format="parquet")
        rows = dataset.to_table(columns=list(columns), filter=ds.field("id") == sample_id)
        if rows.num_rows:
            history[epoch] = {name: rows[name][0].as_py() for name in columns}
    return history


def read_analysis_row(
    layout: RunLayout, split: str, sample_id: int | str
) -> dict[str, Any] | None:
    """Return the analysis row of ``sample_id`` as a dict, or None if the split has no such id."""
    path = layout.analysis(split)
    if not path.exists():
        raise RunNotFoundError(
            f"no analysis for split {split!r} in {layout.folder}; run `dataerrors analyze "
            f"{layout.folder}` or run.finish() first."
        )
    rows = ds.dataset(str(path), format="parquet").to_table(filter=ds.field("id") == sample_id)
    return rows.to_pylist()[0] if rows.num_rows else None


def has_vectors(layout: RunLayout, split: str, epoch: int) -> bool:
    return bool(list_parts(layout.epoch_folder(split, epoch), VECTORS_PREFIX))


def vectors_schema(layout: RunLayout, split: str, epoch: int) -> pa.Schema | None:
    parts = list_parts(layout.epoch_folder(split, epoch), VECTORS_PREFIX)
    return pq.read_schema(parts[0]) if parts else None


def count_vectors(layout: RunLayout, split: str, epoch: int) -> int:
    """Return the number of rows in the vector parts of one epoch, from the Parquet footers."""
    parts = list_parts(layout.epoch_folder(split, epoch), VECTORS_PREFIX)
    return sum(pq.ParquetFile(path).metadata.num_rows for path in parts)


def iter_vectors(
    layout: RunLayout,
    split: str,
    epoch: int,
    columns: Sequence[str],
    batch_rows: int = 65536,
) -> Iterator[pa.RecordBatch]:
    """Yield the probability and embedding vectors of one epoch in batches of ``batch_rows``.

    Memory stays bounded by the batch size whatever the split's size.
    """
    parts = list_parts(layout.epoch_folder(split, epoch), VECTORS_PREFIX)
    if not parts:
        return
    dataset = ds.dataset([str(path) for path in parts], format="parquet")
    # Little readahead: a few batches in flight keep the reading fast and the memory bounded.
    yield from dataset.to_batches(columns=list(columns), batch_size=batch_rows,
                                  batch_readahead=4, fragment_readahead=2)


def remove_vectors(layout: RunLayout, split: str, epoch: int) -> int:
    """Delete the vector parts of one epoch; return how many files were removed."""
    parts = list_parts(layout.epoch_folder(split, epoch), VECTORS_PREFIX)
    for path in parts:
        path.unlink(missing_ok=True)
    return len(parts)


def write_analysis(layout: RunLayout, split: str, table: pa.Table) -> Path:
    """Replace ``analysis/<split>.parquet`` in one rename, so readers see the old or the new file."""
    return _replace_table(layout.analysis(split), table)


def write_neighbors(layout: RunLayout, split: str, table: pa.Table) -> Path:
    """Replace the neighbours table of ``split`` (see :func:`tables.neighbors_table`) in one rename."""
    return _replace_table(layout.neighbors(split), table)


def _replace_table(final: Path, table: pa.Table) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    write_table_atomically(table, temporary_path(final), final)
    return final


def remove_neighbors(layout: RunLayout, split: str) -> None:
    """Delete the neighbours table of ``split``, if any (its embeddings are gone)."""
    layout.neighbors(split).unlink(missing_ok=True)


def read_neighbors(layout: RunLayout, split: str, sample_id: int | str) -> pa.Table:
    """Return the row of the neighbours table of ``split`` with ``id == sample_id`` (0 or 1 rows).

    Raises :class:`RunNotFoundError` if the split has no neighbours table.
    """
    path = layout.neighbors(split)
    if not path.exists():
        raise RunNotFoundError(
            f"no nearest neighbours for split {split!r} in {layout.folder}: the run was not "
            "analyzed since embeddings were logged, or no training embeddings were logged. Log "
            "embeddings with run.log_outputs(..., embeddings=...) for the training split and run "
            f"`dataerrors analyze {layout.folder}`."
        )
    dataset = ds.dataset(str(path), format="parquet")
    return dataset.to_table(filter=ds.field("id") == sample_id)


def read_analysis(
    layout: RunLayout, split: str, columns: Sequence[str] | None = None
) -> pa.Table:
    path = analysis_path(layout, split)
    return pq.read_table(path, columns=list(columns) if columns is not None else None)


def read_analysis_rows(
    layout: RunLayout, split: str, ids: Sequence[int] | Sequence[str], columns: Sequence[str]
) -> pa.Table:
    """Return the analysis rows of ``split`` whose id is in ``ids``, in file order."""
    path = analysis_path(layout, split)
    dataset = ds.dataset(str(path), format="parquet")
    available = [name for name in columns if name in dataset.schema.names]
    return dataset.to_table(columns=available, filter=ds.field("id").isin(list(ids)))


def write_summary(layout: RunLayout, summary: dict[str, Any]) -> None:
    layout.analysis_folder.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(layout.summary)
    temporary.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, layout.summary)


def read_summary(layout: RunLayout) -> dict[str, Any]:
    if not layout.summary.exists():
        raise RunNotFoundError(
            f"no analysis summary in {layout.folder}; run `dataerrors analyze {layout.folder}` "
            "or run.finish() first."
        )
    result: dict[str, Any] = json.loads(layout.summary.read_text(encoding="utf-8"))
    return result


def clear_run_folder(layout: RunLayout) -> None:
    """Delete a run folder, for ``init(..., mode="overwrite")``."""
    if layout.folder.exists():
        shutil.rmtree(layout.folder)


def _read_parts(parts: list[Path], columns: Sequence[str] | None) -> pa.Table:
    if not parts:
        return pa.table({})
    dataset = ds.dataset([str(path) for path in parts], format="parquet")
    return dataset.to_table(columns=list(columns) if columns is not None else None)


def analysis_path(layout: RunLayout, split: str) -> Path:
    """Return the analysis file of ``split``, raising if the run was not analyzed yet."""
    path = layout.analysis(split)
    if not path.exists():
        raise RunNotFoundError(
            f"no analysis for split {split!r} in {layout.folder}; run `dataerrors analyze "
            f"{layout.folder}` or run.finish() first."
        )
    return path
