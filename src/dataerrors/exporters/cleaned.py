"""The cleaned labels of a split: the logged labels with the edit log applied."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from ..errors import InvalidInputError
from .tabular import resolve_format, write_table

if TYPE_CHECKING:
    from ..run import Run

#: Columns of the cleaned labels, in order; ``is_removed`` only with ``include_removed=True``.
CLEANED_COLUMNS = (
    "id", "input", "label", "label_name", "given_label", "given_label_name", "is_relabeled",
    "is_marked_for_labeling", "is_removed", "dep", "suggested_label", "suggested_label_name",
    "is_likely_mislabeled",
)


def cleaned_labels(run: "Run", split: str, include_removed: bool = False) -> pa.Table:
    """Return one row per sample of ``split`` with its label after the edits in the edit log.

    Parameters
    ----------
    include_removed : bool, default False
        Keep removed samples, with ``is_removed`` set. By default they are left out, so the
        table is the cleaned dataset.

    Returns
    -------
    pyarrow.Table
        ``label`` and ``label_name`` are the cleaned labels; ``given_label`` and
        ``given_label_name`` the logged ones. DEP is in [0, 1], higher = more likely an error.
        Rows keep the order samples were logged in.
    """
    if not isinstance(include_removed, bool):
        raise InvalidInputError(f"include_removed={include_removed!r} is invalid; pass True or False.")
    frame = run.samples(split, apply_edits=True)
    frame = frame.rename(columns={"label": "given_label", "label_name": "given_label_name"})
    frame = frame.rename(columns={"edited_label": "label", "edited_label_name": "label_name"})
    if not include_removed:
        frame = frame[~frame["is_removed"]]
    columns = [name for name in CLEANED_COLUMNS
               if name in frame.columns and (include_removed or name != "is_removed")]
    return pa.Table.from_pandas(frame[columns], preserve_index=False)


def export_cleaned_labels(
    run: "Run",
    split: str,
    out: str | Path,
    file_format: str | None = None,
    include_removed: bool = False,
) -> Path:
    """Write :func:`cleaned_labels` to ``out`` as CSV or Parquet (by suffix by default); return it."""
    out = Path(out)
    chosen = resolve_format(out, file_format)
    return write_table(cleaned_labels(run, split, include_removed), out, chosen)
