"""Conditions and sort keys of sample queries, and the SQL they become.

User values always travel as bound parameters, and column names come from the analysis file's
schema or from :data:`FLAGS`, so no request can inject SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from ..errors import InvalidInputError
from .layout import RunLayout, list_parts

#: Flags a page can be filtered by: the SQL condition and the analysis columns it needs.
#: Edit flags read the ``edit_action`` column that the edit state adds.
FLAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "likely_mislabeled": ("a.is_likely_mislabeled", ("is_likely_mislabeled",)),
    "misclassified": ("a.predicted >= 0 AND a.label >= 0 AND a.predicted <> a.label", ("predicted",)),
    "hard": ("a.difficulty = 'hard'", ("difficulty",)),
    "ambiguous": ("a.difficulty = 'ambiguous'", ("difficulty",)),
    "easy": ("a.difficulty = 'easy'", ("difficulty",)),
    "out_of_coverage": ("a.is_out_of_coverage", ("is_out_of_coverage",)),
    "edited": ("e.edit_action IS NOT NULL", ()),
    "not_edited": ("e.edit_action IS NULL", ()),
    "relabeled": ("e.edit_action = 'relabel'", ()),
    "removed": ("e.edit_action = 'remove'", ()),
    "marked_for_labeling": ("e.edit_action = 'mark_for_labeling'", ()),
}

@dataclass(frozen=True)
class SampleFilter:
    """Conditions on the samples of a split; every condition given must hold.

    Attributes
    ----------
    labels, predicted, clusters : tuple of int
        Keep samples whose given label, predicted class or cluster is one of these (empty: any).
    dep_min, dep_max : float, optional
        Inclusive bounds on DEP (in [0, 1], higher = more likely a data error).
    flags : tuple of str
        Names from :data:`FLAGS`; a sample must have every flag.
    out_of_coverage : bool, optional
        Keep only samples flagged out of coverage (True) or only those within it (False).
    search : str, optional
        Matches a sample id exactly, and in text runs any input text containing it (case-insensitive).
    ids : tuple of int or str, optional
        Keep only these sample ids.
    rows : (n,) int64 array, optional
        Keep only these rows of the analysis table (a selection on the map).
    """

    labels: tuple[int, ...] = ()
    predicted: tuple[int, ...] = ()
    clusters: tuple[int, ...] = ()
    dep_min: float | None = None
    dep_max: float | None = None
    flags: tuple[str, ...] = ()
    out_of_coverage: bool | None = None
    search: str | None = None
    ids: tuple[Any, ...] | None = None
    rows: np.ndarray | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SampleOrder:
    """Sort key of a page: an analysis column, then the row for a stable order."""

    column: str = "dep"
    descending: bool = True


class FilteredQuery:
    """The FROM and WHERE parts of a filtered query, with the tables they refer to registered."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        layout: RunLayout,
        analysis_path: Path,
        split: str,
        schema: pa.Schema,
        sample_filter: SampleFilter,
        edit_state: pa.Table | None,
        text_search: bool,
    ) -> None:
        self._connection = connection
        self._params: dict[str, Any] = {"analysis": str(analysis_path)}
        self.columns = "a.* EXCLUDE (file_row_number), a.file_row_number AS row"
        self.source = "read_parquet($analysis, file_row_number=true) a"
        conditions = _conditions(schema, sample_filter, self._params, split)
        needs_edits = any(name in FLAGS and FLAGS[name][0].startswith("e.")
                          for name in sample_filter.flags)
        if edit_state is not None or needs_edits:
            state = edit_state if edit_state is not None else _empty_edit_state(schema)
            self._connection.register("edit_state", state)
            self.source += " LEFT JOIN edit_state e ON e.id = a.id"
            self.columns += ", e.edit_action, e.edit_label"
        if sample_filter.search:
            search_conditions = ["CAST(a.id AS VARCHAR) = $search"]
            self._params["search"] = sample_filter.search
            if text_search:
                parts = list_parts(layout.samples_folder(split))
                self._params["samples"] = [str(part) for part in parts]
                self.source += (
                    " LEFT JOIN (SELECT id, input FROM read_parquet($samples)) s ON s.id = a.id"
                )
                search_conditions.append("contains(lower(s.input), lower($search))")
            conditions.append("(" + " OR ".join(search_conditions) + ")")
        if sample_filter.ids is not None:
            id_type = schema.field("id").type
            self._connection.register(
                "selected_ids", pa.table({"id": _id_array(sample_filter.ids, id_type)})
            )
            conditions.append("a.id IN (SELECT id FROM selected_ids)")
        if sample_filter.rows is not None:
            self._connection.register(
                "selected_rows", pa.table({"row": pa.array(sample_filter.rows, pa.int64())})
            )
            conditions.append("a.file_row_number IN (SELECT row FROM selected_rows)")
        self.where = " AND ".join(conditions) if conditions else "TRUE"

    def run(self, sql: str, **params: Any) -> duckdb.DuckDBPyRelation:
        used = {name: value for name, value in {**self._params, **params}.items()
                if f"${name}" in sql}
        return self._connection.sql(sql, params=used)

    def __enter__(self) -> "FilteredQuery":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._connection.close()


def _conditions(
    schema: pa.Schema, sample_filter: SampleFilter, params: dict[str, Any], split: str
) -> list[str]:
    names = set(schema.names)
    conditions: list[str] = []

    def require(column: str, argument: str) -> None:
        if column not in names:
            raise InvalidInputError(
                f"{argument} needs the column {column!r}, which the analysis of split {split!r} "
                "does not have; run `dataerrors analyze` with a version that computes it, or drop "
                "this filter."
            )

    for argument, column, values in (
        ("label", "label", sample_filter.labels),
        ("predicted", "predicted", sample_filter.predicted),
        ("cluster", "cluster", sample_filter.clusters),
    ):
        if values:
            require(column, argument)
            params[argument] = list(values)
            conditions.append(f"list_contains(${argument}, a.{column})")
    for argument, operator, value in (
        ("dep_min", ">=", sample_filter.dep_min),
        ("dep_max", "<=", sample_filter.dep_max),
    ):
        if value is not None:
            require("dep", argument)
            params[argument] = float(value)
            conditions.append(f"a.dep {operator} ${argument}")
    for flag in sample_filter.flags:
        if flag not in FLAGS:
            raise InvalidInputError(
                f"flag={flag!r} is not a known flag; use one of {', '.join(FLAGS)}."
            )
        condition, columns = FLAGS[flag]
        for column in columns:
            require(column, f"flag={flag!r}")
        conditions.append(f"({condition})")
    if sample_filter.out_of_coverage is not None:
        require("is_out_of_coverage", "out_of_coverage")
        conditions.append(
            "a.is_out_of_coverage" if sample_filter.out_of_coverage else "NOT a.is_out_of_coverage"
        )
    return conditions


def sort_key(column: str) -> str:
    return "a.file_row_number" if column == "row" else f"a.{quote_name(column)}"


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _id_array(ids: Sequence[Any], id_type: pa.DataType) -> pa.Array:
    try:
        return pa.array(list(ids), type=id_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
        kind = "integers" if pa.types.is_integer(id_type) else "strings"
        raise InvalidInputError(
            f"ids {list(ids)[:5]} do not match the id type of this split ({kind}); pass {kind}."
        ) from error


def _empty_edit_state(schema: pa.Schema) -> pa.Table:
    return pa.table(
        {
            "id": pa.array([], schema.field("id").type),
            "edit_action": pa.array([], pa.string()),
            "edit_label": pa.array([], pa.int32()),
        }
    )
