"""CSV and Parquet exports of a split's samples with every score."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InvalidInputError

if TYPE_CHECKING:
    from ..run import Run

FORMATS = {".csv": "csv", ".parquet": "parquet"}


def export_samples(run: "Run", split: str, out: str | Path, file_format: str | None = None) -> Path:
    """Write ``run.samples(split)`` to ``out`` as CSV or Parquet; return the path.

    ``file_format`` is "csv" or "parquet"; by default it follows the suffix of ``out``. Image
    bytes are left out (the ``input`` column keeps each image's path, if one was logged).
    """
    out = Path(out)
    chosen = resolve_format(out, file_format)
    return write_table(run.samples(split).to_arrow(), out, chosen)


def resolve_format(out: Path, file_format: str | None) -> str:
    """Return "csv" or "parquet": ``file_format`` if given, else the one the suffix of ``out`` names."""
    chosen = file_format or FORMATS.get(out.suffix.lower())
    if chosen not in FORMATS.values():
        raise InvalidInputError(
            f"cannot tell the file format of {str(out)!r} (format={file_format!r}); use a .csv, "
            ".parquet or .json (Label Studio) suffix, or pass --format csv, parquet or "
            "label-studio."
        )
    return str(chosen)


def write_table(table: pa.Table, out: Path, file_format: str) -> Path:
    """Write ``table`` to ``out`` as "csv" or "parquet", creating the folder; return ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "csv":
        pacsv.write_csv(table, out)
    else:
        pq.write_table(table, out)
    return out
