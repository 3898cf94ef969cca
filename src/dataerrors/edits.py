"""The edit log: relabel, remove or mark samples for labeling without touching the logged data.

Edits go into ``edits.sqlite`` in the run folder, an append-only SQLite log in WAL mode. Each call
to :meth:`EditLog.append` is one batch, written in one transaction with its time and author, so two
processes or browser tabs editing at once both get their batches stored in full. The current
state of a sample is its latest edit that was not undone, so the last write wins per sample.
Undoing a batch appends an undo record and deletes nothing. Reapplying an undone batch appends a
copy of its edits as a new batch, so the copy can be undone in turn.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import pandas as pd
import pyarrow as pa

from .edit_requests import (  # noqa: F401  (Edit and the actions are part of this module's API)
    ACTIONS,
    MARK_FOR_LABELING,
    MAX_BATCH_EDITS,
    RELABEL,
    REMOVE,
    RESTORE,
    Edit,
    check_author,
    check_batch_number,
    check_edits,
    default_author,
)
from .errors import InvalidInputError
from .splits import check_split

if TYPE_CHECKING:
    from .run import Run

#: How long a writer waits for another writer's transaction before it fails, in milliseconds.
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    batch INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    author TEXT NOT NULL,
    note TEXT,
    undoes INTEGER REFERENCES batches (batch),
    reapplies INTEGER REFERENCES batches (batch)
);
CREATE TABLE IF NOT EXISTS edits (
    edit INTEGER PRIMARY KEY AUTOINCREMENT,
    batch INTEGER NOT NULL REFERENCES batches (batch),
    split TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    action TEXT NOT NULL,
    label INTEGER
);
CREATE INDEX IF NOT EXISTS edits_by_sample ON edits (split, sample_id, edit);
CREATE UNIQUE INDEX IF NOT EXISTS one_undo_per_batch ON batches (undoes);
"""
# Logs written before reapply existed lack the column; it is added when such a log is opened.
_REAPPLY_SCHEMA = """
CREATE UNIQUE INDEX IF NOT EXISTS one_reapply_per_batch ON batches (reapplies);
"""

# Edits of batches that an undo batch names are inactive.
_ACTIVE_EDITS = """
SELECT e.edit, e.batch, e.split, e.sample_id, e.action, e.label, b.created_at, b.author
FROM edits e JOIN batches b ON b.batch = e.batch
WHERE e.batch NOT IN (SELECT undoes FROM batches WHERE undoes IS NOT NULL)
"""


class EditLog:
    """The edit log of one run. Opening one creates ``edits.sqlite`` on the first write only.

    Parameters
    ----------
    run : Run
        The run whose samples are edited; ids and labels are checked against it.
    """

    def __init__(self, run: "Run") -> None:
        self._run = run
        self._path: Path = run.layout.edits

    @property
    def path(self) -> Path:
        return self._path

    # ------------------------------------------------------------------ writing

    def append(
        self, edits: Sequence[Edit], author: str | None = None, note: str | None = None
    ) -> int:
        """Store ``edits`` as one batch in one transaction and return the batch number.

        Every edit is checked first (known split, logged id, valid action and label); if any is
        invalid, :class:`~dataerrors.errors.InvalidInputError` is raised and nothing is stored.
        """
        author = check_author(author)
        rows = check_edits(self._run, edits)
        with self._transaction() as connection:
            batch = _insert_batch(connection, author, note)
            connection.executemany(
                "INSERT INTO edits (batch, split, sample_id, action, label) VALUES (?, ?, ?, ?, ?)",
                [(batch, *row) for row in rows],
            )
        return batch

    def undo(self, batch: int, author: str | None = None) -> int:
        """Undo every edit of ``batch`` by appending an undo batch; return the undo batch number.

        Samples go back to their state before ``batch`` unless a later batch edited them again.
        An undo batch cannot itself be undone: reapply the undone batch instead (:meth:`reapply`).
        """
        author = check_author(author)
        batch = check_batch_number(batch)
        with self._transaction() as connection:
            undoes, undone_by = _batch_links(connection, batch)
            if undoes is not None:
                raise InvalidInputError(
                    f"batch={batch} is an undo of batch {undoes}; reapply batch {undoes} instead "
                    "of undoing the undo."
                )
            if undone_by is not None:
                raise InvalidInputError(f"batch={batch} was already undone by batch {undone_by}.")
            return _insert_batch(connection, author, f"undo batch {batch}", undoes=batch)

    def reapply(self, batch: int, author: str | None = None) -> int:
        """Apply the edits of the undone batch ``batch`` again, as a new batch; return its number.

        The new batch contains a copy of the edits of ``batch`` and can be undone like any other.
        The copy is newer than every batch before it, so where a later batch edited the same
        samples, the copy's edits now win: reapplying is not a plain redo. Each undone batch can be
        reapplied once. Undo batches cannot be reapplied.
        """
        author = check_author(author)
        batch = check_batch_number(batch)
        with self._transaction() as connection:
            undoes, undone_by = _batch_links(connection, batch)
            if undoes is not None:
                raise InvalidInputError(
                    f"batch={batch} is an undo of batch {undoes} and cannot be reapplied; to take "
                    f"the edits of batch {undoes} back again, undo the batch that reapplied them."
                )
            if undone_by is None:
                raise InvalidInputError(
                    f"batch={batch} is not undone, so it is still applied; undo it first."
                )
            reapplied = connection.execute(
                "SELECT batch FROM batches WHERE reapplies = ?", (batch,)
            ).fetchone()
            if reapplied is not None:
                raise InvalidInputError(
                    f"batch={batch} was already reapplied as batch {reapplied[0]}; undo or reapply that "
                    "batch instead."
                )
            new_batch = _insert_batch(connection, author, f"reapply batch {batch}", reapplies=batch)
            connection.execute(
                "INSERT INTO edits (batch, split, sample_id, action, label) "
                "SELECT ?, split, sample_id, action, label FROM edits WHERE batch = ? ORDER BY edit",
                (new_batch, batch),
            )
            return new_batch

    # ------------------------------------------------------------------ reading

    def history(self, split: str | None = None) -> pd.DataFrame:
        """Return every stored edit, oldest first, with its batch, time, author and whether undone.

        Columns: edit, batch, created_at, author, note, split, id, action, label, label_name,
        is_undone.
        """
        if split is not None:
            split = check_split(split)
        columns = ["edit", "batch", "created_at", "author", "note", "split", "id", "action",
                   "label", "label_name", "is_undone"]
        if not self._path.exists():
            return pd.DataFrame({name: [] for name in columns})
        query = (
            "SELECT e.edit, e.batch, b.created_at, b.author, b.note, e.split, e.sample_id, "
            "e.action, e.label, e.batch IN (SELECT undoes FROM batches WHERE undoes IS NOT NULL) "
            "FROM edits e JOIN batches b ON b.batch = e.batch"
            + (" WHERE e.split = ?" if split is not None else "")
            + " ORDER BY e.edit"
        )
        with closing(self._connect()) as connection:
            records = connection.execute(query, (split,) if split is not None else ()).fetchall()
        frame = pd.DataFrame.from_records(
            records,
            columns=["edit", "batch", "created_at", "author", "note", "split", "id", "action",
                     "label", "is_undone"],
        )
        frame["id"] = [self._typed_id(s, value) for s, value in zip(frame["split"], frame["id"])]
        frame["label"] = frame["label"].astype("Int64")
        frame["is_undone"] = frame["is_undone"].astype(bool)
        names = self._run.class_names
        frame.insert(frame.columns.get_loc("label") + 1, "label_name",
                     [names[value] if pd.notna(value) else None for value in frame["label"]])
        return frame[columns]

    def batches(self, batch: int | None = None) -> list[dict[str, Any]]:
        """Return every batch, newest first: number, time, author, note, size, undo and reapply links.

        With ``batch``, return only that batch (an empty list if there is none).
        """
        if batch is not None:
            batch = check_batch_number(batch)
        if not self._path.exists():
            return []
        with closing(self._connect()) as connection:
            records = connection.execute(
                "SELECT b.batch, b.created_at, b.author, b.note, b.undoes, "
                "(SELECT count(*) FROM edits e WHERE e.batch = b.batch), "
                "(SELECT u.batch FROM batches u WHERE u.undoes = b.batch), b.reapplies, "
                "(SELECT r.batch FROM batches r WHERE r.reapplies = b.batch) "
                "FROM batches b WHERE ? IS NULL OR b.batch = ? ORDER BY b.batch DESC",
                (batch, batch),
            ).fetchall()
        keys = ("batch", "created_at", "author", "note", "undoes", "n_edits", "undone_by",
                "reapplies", "reapplied_by")
        return [dict(zip(keys, record)) for record in records]

    def current(self, split: str) -> pa.Table:
        """Return the current edit of each edited sample of ``split``.

        Columns: id (typed like the split's ids), edit_action, edit_label (the new class for
        "relabel", else null), batch, created_at, author. Samples whose latest edit is "restore"
        are left out, because they are back to their logged state.
        """
        split = check_split(split)
        id_type = self._id_type(split)
        if not self._path.exists():
            return _state_table([], id_type)
        with closing(self._connect()) as connection:
            records = connection.execute(
                "SELECT sample_id, action, label, batch, created_at, author FROM ("
                "SELECT *, row_number() OVER (PARTITION BY sample_id ORDER BY edit DESC) AS rank "
                f"FROM ({_ACTIVE_EDITS}) WHERE split = ?) WHERE rank = 1 AND action <> ?",
                (split, RESTORE),
            ).fetchall()
        return _state_table(records, id_type)

    def apply(self, frame: pd.DataFrame, split: str) -> pd.DataFrame:
        """Return ``frame`` (samples of ``split`` with ``id`` and ``label``) with edits applied.

        Adds ``edited_label`` (the current label: the relabel target, else the logged label),
        ``edited_label_name``, ``is_relabeled``, ``is_removed`` and ``is_marked_for_labeling``.
        The logged ``label`` column is kept as it is.
        """
        state = self.current(split).to_pandas()
        by_id = state.set_index("id") if len(state) else None
        result = frame.copy()
        actions = pd.Series(None, index=result.index, dtype=object)
        new_labels = pd.Series(pd.NA, index=result.index, dtype="Int64")
        if by_id is not None:
            actions = result["id"].map(by_id["edit_action"])
            new_labels = result["id"].map(by_id["edit_label"]).astype("Int64")
        is_relabeled = (actions == RELABEL).fillna(False).astype(bool)
        edited = result["label"].astype("Int64").where(~is_relabeled, new_labels)
        names = pd.Series(self._run.class_names + [None])
        codes = edited.fillna(-1).astype(int).where(edited.fillna(-1) >= 0, len(names) - 1)
        result["edited_label"] = edited
        result["edited_label_name"] = names.iloc[codes.to_numpy()].to_numpy()
        result["is_relabeled"] = is_relabeled.to_numpy()
        result["is_removed"] = (actions == REMOVE).fillna(False).astype(bool).to_numpy()
        result["is_marked_for_labeling"] = (
            (actions == MARK_FOR_LABELING).fillna(False).astype(bool).to_numpy()
        )
        return result

    # ------------------------------------------------------------------ internals

    def _id_type(self, split: str) -> pa.DataType:
        from .store.sample_queries import id_type

        return id_type(self._run.layout, split)

    def _typed_id(self, split: str, value: str) -> Any:
        return int(value) if pa.types.is_integer(self._id_type(split)) else value

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_MS / 1000,
                                     isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # The schema is created in a transaction of its own: created inside a write that then
        # rolls back (an invalid undo, say), it would vanish and leave a file without tables.
        connection.executescript(_SCHEMA)
        columns = {row[1] for row in connection.execute("PRAGMA table_info(batches)")}
        if "reapplies" not in columns:
            try:
                connection.execute(
                    "ALTER TABLE batches ADD COLUMN reapplies INTEGER REFERENCES batches (batch)"
                )
            except sqlite3.OperationalError as error:
                # Another process added the column first: the log has it now, as wanted.
                if "duplicate column" not in str(error):
                    raise
        connection.executescript(_REAPPLY_SCHEMA)
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")


def _insert_batch(
    connection: sqlite3.Connection,
    author: str,
    note: str | None,
    undoes: int | None = None,
    reapplies: int | None = None,
) -> int:
    created_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    cursor = connection.execute(
        "INSERT INTO batches (created_at, author, note, undoes, reapplies) VALUES (?, ?, ?, ?, ?)",
        (created_at, author, note, undoes, reapplies),
    )
    return int(cursor.lastrowid)


def _batch_links(connection: sqlite3.Connection, batch: int) -> tuple[int | None, int | None]:
    """Return (the batch that ``batch`` undoes, the batch that undid it); raise if it is unknown."""
    found = connection.execute("SELECT undoes FROM batches WHERE batch = ?", (batch,)).fetchone()
    if found is None:
        raise InvalidInputError(f"batch={batch} is not in the edit log; list batches with run.edits().")
    undone = connection.execute("SELECT batch FROM batches WHERE undoes = ?", (batch,)).fetchone()
    return found[0], (undone[0] if undone is not None else None)


def _state_table(records: list[tuple[Any, ...]], id_type: pa.DataType) -> pa.Table:
    ids = [int(r[0]) if pa.types.is_integer(id_type) else r[0] for r in records]
    return pa.table(
        {
            "id": pa.array(ids, id_type),
            "edit_action": pa.array([r[1] for r in records], pa.string()),
            "edit_label": pa.array([r[2] for r in records], pa.int32()),
            "batch": pa.array([r[3] for r in records], pa.int64()),
            "created_at": pa.array([r[4] for r in records], pa.string()),
            "author": pa.array([r[5] for r in records], pa.string()),
        }
    )
