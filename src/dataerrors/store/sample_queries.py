"""DuckDB queries over one split's analysis and samples files: pages, single samples, inputs.

The analysis table ``analysis/<split>.parquet`` has one row per sample in log order. A sample's
``row`` is its position there, which is also the index of its point on the embedding map.
Filters and sorting run in DuckDB over that file, so a page costs one scan of the columns
involved, whatever the split's size. The SQL of filters is built in :mod:`.sample_filters`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InvalidInputError, RunNotFoundError
from .layout import SCORES_PREFIX, RunLayout, list_parts
from .reader import analysis_path
# FLAGS, SampleFilter and SampleOrder are part of this module's interface; they live with the SQL
# they become.
from .sample_filters import FLAGS, FilteredQuery, SampleFilter, SampleOrder, quote_name, sort_key  # noqa: F401

#: Column types a page can be sorted by.
_SORTABLE_TYPES = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean)
#: Largest page a query returns.
MAX_PAGE_ROWS = 1000


@dataclass
class SamplePage:
    """One page of samples: analysis columns, ``row``, and the edit state when one was given."""

    rows: pa.Table
    n_matching: int
    n_samples: int


def analysis_schema(layout: RunLayout, split: str) -> pa.Schema:
    """Return the schema of ``analysis/<split>.parquet``, raising if the split was not analyzed."""
    return pq.read_schema(analysis_path(layout, split))


def count_samples(layout: RunLayout, split: str) -> int:
    """Return the number of rows of the split's analysis table, from the file's footer."""
    return int(pq.ParquetFile(analysis_path(layout, split)).metadata.num_rows)


def sortable_columns(schema: pa.Schema) -> list[str]:
    """Return the names of the columns a page can be sorted by (numbers and flags, and ``row``)."""
    names = [f.name for f in schema if any(check(f.type) for check in _SORTABLE_TYPES)]
    return names + ["row"]


def read_columns(layout: RunLayout, split: str, columns: Sequence[str]) -> pa.Table:
    """Return whole columns of the split's analysis table, in row order."""
    return pq.read_table(analysis_path(layout, split), columns=list(columns))


class RunQueries:
    """DuckDB queries over the splits of one run folder.

    One in-memory DuckDB database is opened per instance and each query runs on its own cursor,
    so one instance may serve many threads at once. Opening a database costs tens of
    milliseconds, a cursor microseconds, so long-lived callers (the console) keep an instance.
    """

    def __init__(self, layout: RunLayout) -> None:
        self.layout = layout
        self._database = duckdb.connect()

    def close(self) -> None:
        self._database.close()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        return self._database.cursor()

    def query_samples(
        self,
        split: str,
        sample_filter: SampleFilter,
        order: SampleOrder,
        offset: int,
        limit: int,
        edit_state: pa.Table | None = None,
        text_search: bool = False,
    ) -> SamplePage:
        """Return one page of the samples of ``split`` that match ``sample_filter``, sorted by ``order``.

        Parameters
        ----------
        offset, limit : int
            Rows to skip and rows to return (at most :data:`MAX_PAGE_ROWS`).
        edit_state : pyarrow.Table, optional
            Columns ``id``, ``edit_action``, ``edit_label``: the current edit of each edited sample.
            Its columns are added to each row and the edit flags of :data:`FLAGS` test them.
        text_search : bool
            Whether ``sample_filter.search`` also matches input texts (text runs).

        Returns
        -------
        SamplePage
            ``rows`` has every analysis column plus ``row`` (the position in the analysis table);
            ``n_matching`` counts every matching sample, ``n_samples`` every sample of the split.
        """
        if offset < 0 or not 0 < limit <= MAX_PAGE_ROWS:
            raise InvalidInputError(
                f"offset={offset}, limit={limit} is invalid; use offset >= 0 and 1 <= limit <= "
                f"{MAX_PAGE_ROWS}."
            )
        schema = analysis_schema(self.layout, split)
        sortable = sortable_columns(schema)
        if order.column not in sortable:
            raise InvalidInputError(
                f"sort={order.column!r} is not a sortable column of split {split!r}; use one of "
                f"{', '.join(sortable)}."
            )
        with FilteredQuery(self._cursor(), self.layout, analysis_path(self.layout, split), split,
                               schema, sample_filter, edit_state, text_search) as query:
            direction = "DESC" if order.descending else "ASC"
            rows = query.run(
                f"SELECT {query.columns} FROM {query.source} WHERE {query.where} "
                f"ORDER BY {sort_key(order.column)} {direction} NULLS LAST, a.file_row_number "
                "LIMIT $limit OFFSET $offset",
                limit=limit,
                offset=offset,
            ).to_arrow_table()
            n_matching = query.run(
                f"SELECT count(*) FROM {query.source} WHERE {query.where}"
            ).fetchall()[0][0]
        return SamplePage(rows, int(n_matching), count_samples(self.layout, split))

    def matching_ids(
        self,
        split: str,
        sample_filter: SampleFilter,
        limit: int,
        edit_state: pa.Table | None = None,
        text_search: bool = False,
    ) -> tuple[list[Any], int]:
        """Return the ids of up to ``limit`` matching samples (highest DEP first) and the full count."""
        schema = analysis_schema(self.layout, split)
        with FilteredQuery(self._cursor(), self.layout, analysis_path(self.layout, split), split,
                               schema, sample_filter, edit_state, text_search) as query:
            ids = query.run(
                f"SELECT a.id FROM {query.source} WHERE {query.where} "
                f"ORDER BY {sort_key('dep') if 'dep' in schema.names else 'a.file_row_number'} "
                "DESC NULLS LAST, a.file_row_number LIMIT $limit",
                limit=limit,
            ).fetchnumpy()["id"]
            n_matching = query.run(f"SELECT count(*) FROM {query.source} WHERE {query.where}").fetchall()[0][0]
        return [value.item() if hasattr(value, "item") else value for value in ids], int(n_matching)

    def matching_rows(
        self,
        split: str,
        sample_filter: SampleFilter,
        edit_state: pa.Table | None = None,
        text_search: bool = False,
    ) -> np.ndarray:
        """Return the analysis-table rows of every matching sample, ascending, as int64."""
        schema = analysis_schema(self.layout, split)
        with FilteredQuery(self._cursor(), self.layout, analysis_path(self.layout, split), split,
                               schema, sample_filter, edit_state, text_search) as query:
            rows = query.run(
                f"SELECT a.file_row_number AS row FROM {query.source} WHERE {query.where} "
                "ORDER BY row"
            ).fetchnumpy()["row"]
        return np.asarray(rows, dtype=np.int64)

    def sample_record(self, split: str, sample_id: Any) -> dict[str, Any] | None:
        """Return the analysis row of one sample with its ``row`` number, or None if it is not there."""
        path = analysis_path(self.layout, split)
        with self._cursor() as connection:
            table = connection.sql(
                "SELECT *, file_row_number AS row FROM read_parquet($path, file_row_number=true) "
                "WHERE id = $id",
                params={"path": str(path), "id": sample_id},
            ).to_arrow_table()
        if table.num_rows == 0:
            return None
        record = table.drop_columns(["file_row_number"]).to_pylist()[0]
        return record

    def id_at_row(self, split: str, row: int) -> Any | None:
        """Return the id of the sample at ``row`` of the analysis table (a map point), or None."""
        path = analysis_path(self.layout, split)
        with self._cursor() as connection:
            found = connection.sql(
                "SELECT id FROM read_parquet($path, file_row_number=true) "
                "WHERE file_row_number = $row",
                params={"path": str(path), "row": row},
            ).fetchall()
        return found[0][0] if found else None

    def sample_inputs(
        self, split: str, ids: Sequence[Any], include_image: bool = False
    ) -> pa.Table:
        """Return the logged inputs and metadata of the samples ``ids`` (``id``, ``input``, ...).

        The ``image`` column (PNG bytes stored inside the run) is included only on request.
        Unknown ids are left out; rows come in no particular order.
        """
        parts = list_parts(self.layout.samples_folder(split))
        if not parts or not ids:
            return pa.table({"id": pa.array([], pa.int64())})
        schema = pq.read_schema(parts[0])
        skipped = {"label"} if include_image else {"label", "image"}
        columns = ", ".join(quote_name(name) for name in schema.names if name not in skipped)
        wanted = pa.table({"id": pa.array(list(ids), type=schema.field("id").type)})
        with self._cursor() as connection:
            connection.register("wanted_ids", wanted)
            return connection.sql(
                f"SELECT {columns} FROM read_parquet($parts) WHERE id IN (SELECT id FROM wanted_ids)",
                params={"parts": [str(part) for part in parts]},
            ).to_arrow_table()

    def sample_image(self, split: str, sample_id: Any) -> tuple[bytes | None, str | None] | None:
        """Return one sample's stored PNG bytes and logged input (an image path in image runs).

        Returns None when ``sample_id`` was not logged in ``split``; either value may be None when the
        sample was logged without it.
        """
        parts = list_parts(self.layout.samples_folder(split))
        if not parts:
            return None
        with self._cursor() as connection:
            found = connection.sql(
                "SELECT image, input FROM read_parquet($parts) WHERE id = $id LIMIT 1",
                params={"parts": [str(part) for part in parts], "id": sample_id},
            ).fetchall()
        if not found:
            return None
        image, path = found[0]
        return (bytes(image) if image is not None else None), path

    def sample_history(self, split: str, sample_id: Any) -> pa.Table:
        """Return one sample's logged scores per epoch, oldest first.

        Columns: epoch, p_given (probability of the given label), margin (p_given minus the largest
        other probability, in [-1, 1]), predicted, top_classes, top_probs.
        """
        parts = [
            str(part)
            for epoch in self.layout.epochs(split)
            for part in list_parts(self.layout.epoch_folder(split, epoch), SCORES_PREFIX)
        ]
        if not parts:
            return pa.table({"epoch": pa.array([], pa.int64())})
        with self._cursor() as connection:
            return connection.sql(
                "SELECT CAST(epoch AS BIGINT) AS epoch, p_given, margin, predicted, top_classes, "
                "top_probs FROM read_parquet($parts, hive_partitioning=true) WHERE id = $id "
                "ORDER BY epoch",
                params={"parts": parts, "id": sample_id},
            ).to_arrow_table()

    def group_counts(
        self, split: str, column: str, rows: np.ndarray | None = None
    ) -> pa.Table:
        """Count samples per value of ``column``.

        Returns columns ``value``, ``n_samples``, ``mean_dep`` and ``n_likely_mislabeled``, sorted
        by value. With ``rows``, only those rows of the analysis table are counted.
        """
        names = analysis_schema(self.layout, split).names
        dep = "avg(a.dep)" if "dep" in names else "NULL"
        flagged = "count_if(a.is_likely_mislabeled)" if "is_likely_mislabeled" in names else "0"
        return self._grouped(
            split, column, rows,
            f"count(*) AS n_samples, {dep} AS mean_dep, {flagged} AS n_likely_mislabeled",
            "ORDER BY value",
        )

    def group_label_counts(
        self, split: str, column: str, rows: np.ndarray | None = None
    ) -> pa.Table:
        """Count samples per value of ``column`` and given label (``value``, ``label``, ``n_samples``).

        Sorted by value, then by count, largest first.
        """
        return self._grouped(
            split, column, rows, "a.label AS label, count(*) AS n_samples",
            "ORDER BY value, n_samples DESC, label",
        )

    def _grouped(
        self, split: str, column: str, rows: np.ndarray | None, aggregates: str, order: str
    ) -> pa.Table:
        names = analysis_schema(self.layout, split).names
        if column not in names:
            raise InvalidInputError(
                f"column={column!r} is not in the analysis of split {split!r}; available: "
                f"{', '.join(names)}."
            )
        with self._cursor() as connection:
            where = "TRUE"
            if rows is not None:
                connection.register("selected_rows", pa.table({"row": pa.array(rows, pa.int64())}))
                where = "a.file_row_number IN (SELECT row FROM selected_rows)"
            return connection.sql(
                f"SELECT a.{quote_name(column)} AS value, {aggregates} "
                "FROM read_parquet($path, file_row_number=true) a "
                f"WHERE {where} GROUP BY ALL {order}",
                params={"path": str(analysis_path(self.layout, split))},
            ).to_arrow_table()


def has_logged_inputs(layout: RunLayout, split: str, columns: Sequence[str]) -> bool:
    """Return whether any sample of ``split`` has a value in one of ``columns`` (inputs).

    Reads only the Parquet footers: a column chunk whose null count is below its row count
    contains a value. A chunk without statistics counts as containing one.
    """
    for part in list_parts(layout.samples_folder(split)):
        metadata = pq.ParquetFile(part).metadata
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            for index in range(row_group.num_columns):
                chunk = row_group.column(index)
                if chunk.path_in_schema not in columns:
                    continue
                statistics = chunk.statistics
                if statistics is None or not statistics.has_null_count:
                    return True
                if statistics.null_count < row_group.num_rows:
                    return True
    return False


def sample_ids(layout: RunLayout, split: str) -> pa.ChunkedArray:
    """Return the ids of every logged sample of ``split``, in log order."""
    parts = list_parts(layout.samples_folder(split))
    if not parts:
        return pa.chunked_array([], pa.int64())
    return pq.ParquetDataset([str(part) for part in parts]).read(columns=["id"])["id"]


def id_type(layout: RunLayout, split: str) -> pa.DataType:
    """Return the Arrow type of the split's sample ids (int64 or string)."""
    parts = list_parts(layout.samples_folder(split))
    if not parts:
        raise RunNotFoundError(f"no samples were logged for split {split!r} in {layout.folder}.")
    return pq.read_schema(parts[0]).field("id").type
