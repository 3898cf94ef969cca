from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dataerrors
from dataerrors.edits import Edit, EditLog
from dataerrors.errors import InvalidInputError
from dataerrors.errors import InvalidInputError
from tests.conftest import folder_snapshot
from tests.console_support import make_synthetic_run


@pytest.fixture
def run(tmp_path: Path) -> dataerrors.Run:
    return make_synthetic_run(tmp_path, n_train=60, n_test=20)


def test_append_stores_one_batch(run: dataerrors.Run) -> None:
    log = EditLog(run)
    batch = log.append([Edit("training", 3, "relabel", 2), Edit("test", 1005, "remove")], author="ana")
    assert batch == 1
    history = log.history()
    assert history["id"].tolist() == [3, 1005]
    assert history["action"].tolist() == ["relabel", "remove"]
    assert history["label_name"].iloc[0] == "bird"
    assert pd.isna(history["label_name"].iloc[1])
    assert set(history["author"]) == {"ana"}
    assert not history["is_undone"].any()
    assert log.batches()[0]["n_edits"] == 2


def test_log_uses_wal_mode(run: dataerrors.Run) -> None:
    EditLog(run).append([Edit("training", 1, "remove")], author="ana")
    with sqlite3.connect(run.layout.edits) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_author_is_os_user(run: dataerrors.Run) -> None:
    import getpass

    EditLog(run).append([Edit("training", 1, "remove")])
    assert EditLog(run).history()["author"].tolist() == [getpass.getuser()]


def test_last_write_wins_per_sample(run: dataerrors.Run) -> None:
    log = EditLog(run)
    log.append([Edit("training", 5, "relabel", 1)], author="ana")
    log.append([Edit("training", 5, "mark_for_labeling")], author="ben")
    state = log.current("training").to_pylist()
    assert len(state) == 1
    assert state[0]["edit_action"] == "mark_for_labeling"
    assert state[0]["author"] == "ben"
    assert len(log.history()) == 2


def test_restore_clears_the_sample(run: dataerrors.Run) -> None:
    log = EditLog(run)
    log.append([Edit("training", 5, "relabel", 1)])
    log.append([Edit("training", 5, "restore")])
    assert log.current("training").num_rows == 0


def test_undo_restores_the_earlier_state(run: dataerrors.Run) -> None:
    log = EditLog(run)
    log.append([Edit("training", 5, "relabel", 1)])
    second = log.append([Edit("training", 5, "relabel", 3), Edit("training", 6, "remove")])
    undo = log.undo(second, author="ana")
    state = {row["id"]: row for row in log.current("training").to_pylist()}
    assert list(state) == [5]
    assert state[5]["edit_label"] == 1
    history = log.history()
    assert history["is_undone"].tolist() == [False, True, True]
    batches = {batch["batch"]: batch for batch in log.batches()}
    assert batches[second]["undone_by"] == undo
    assert batches[undo]["undoes"] == second


def test_undo_twice_or_of_undo_raises(run: dataerrors.Run) -> None:
    log = EditLog(run)
    batch = log.append([Edit("training", 5, "remove")])
    undo = log.undo(batch)
    with pytest.raises(InvalidInputError, match="already undone"):
        log.undo(batch)
    with pytest.raises(InvalidInputError, match="is an undo of batch"):
        log.undo(undo)
    with pytest.raises(InvalidInputError, match="is not in the edit log"):
        log.undo(99)


def test_reapply_undone_batch(run: dataerrors.Run) -> None:
    log = EditLog(run)
    log.append([Edit("training", 5, "relabel", 1)])
    second = log.append([Edit("training", 5, "relabel", 3), Edit("training", 6, "remove")])
    log.undo(second)
    copy = log.reapply(second, author="ana")
    state = {row["id"]: (row["edit_action"], row["edit_label"]) for row in log.current("training").to_pylist()}
    assert state == {5: ("relabel", 3), 6: ("remove", None)}
    batches = {batch["batch"]: batch for batch in log.batches()}
    assert batches[second]["reapplied_by"] == copy
    assert batches[copy]["reapplies"] == second
    assert batches[copy]["n_edits"] == 2
    assert batches[copy]["author"] == "ana"
    # The copy is a batch like any other: undoing it goes back to the first batch's state.
    log.undo(copy)
    assert log.current("training").to_pylist()[0]["edit_label"] == 1
    assert {entry["batch"]: entry for entry in log.batches()}[copy]["undone_by"] is not None


def test_reapplied_copy_wins_over_later_batches(run: dataerrors.Run) -> None:
    # Reapplying is not a plain redo: the copy is the newest batch.
    log = EditLog(run)
    first = log.append([Edit("training", 5, "relabel", 1)])
    log.append([Edit("training", 5, "relabel", 3)])
    log.undo(first)
    assert log.current("training").to_pylist()[0]["edit_label"] == 3
    log.reapply(first)
    assert log.current("training").to_pylist()[0]["edit_label"] == 1


def test_reapply_rejects_invalid_batches(run: dataerrors.Run) -> None:
    log = EditLog(run)
    batch = log.append([Edit("training", 5, "remove")])
    with pytest.raises(InvalidInputError, match="is not undone"):
        log.reapply(batch)
    undo = log.undo(batch)
    with pytest.raises(InvalidInputError, match="cannot be reapplied"):
        log.reapply(undo)
    copy = log.reapply(batch)
    with pytest.raises(InvalidInputError, match=f"already reapplied as batch {copy}"):
        log.reapply(batch)
    with pytest.raises(InvalidInputError, match="is not in the edit log"):
        log.reapply(99)
    with pytest.raises(InvalidInputError, match="is not an int"):
        log.reapply("1")  # type: ignore[arg-type]
    assert len(log.batches()) == 3  # the rejected calls stored nothing


def remove_reapply_column(log: EditLog) -> None:
    """Turn the log into one written before reapply existed: no reapplies column."""
    import sqlite3

    with sqlite3.connect(log.path) as connection:
        connection.execute("DROP INDEX one_reapply_per_batch")
        connection.execute("ALTER TABLE batches DROP COLUMN reapplies")


def test_log_without_reapply_column_opens(run: dataerrors.Run) -> None:
    log = EditLog(run)
    batch = log.append([Edit("training", 5, "remove")])
    remove_reapply_column(log)
    log.undo(batch)
    assert log.reapply(batch) == 3
    assert [entry["reapplies"] for entry in log.batches()] == [batch, None, None]


def test_apply_adds_edited_columns(run: dataerrors.Run) -> None:
    log = EditLog(run)
    log.append([Edit("training", 1, "relabel", 3), Edit("training", 2, "remove"),
                Edit("training", 4, "mark_for_labeling")])
    frame = log.apply(run.samples("training"), "training").set_index("id")
    assert frame.loc[1, "edited_label"] == 3
    assert frame.loc[1, "edited_label_name"] == "fish"
    assert frame.loc[1, "label"] == 1
    assert bool(frame.loc[1, "is_relabeled"])
    assert bool(frame.loc[2, "is_removed"])
    assert bool(frame.loc[4, "is_marked_for_labeling"])
    assert frame.loc[7, "edited_label"] == frame.loc[7, "label"]
    assert int(frame["is_relabeled"].sum()) == 1


def test_edits_never_change_logged_files(run: dataerrors.Run) -> None:
    before = folder_snapshot(run.folder)
    log = EditLog(run)
    batch = log.append([Edit("training", 1, "relabel", 3), Edit("test", 1001, "remove")])
    log.undo(batch)
    after = folder_snapshot(run.folder)
    changed = {name for name in after if name not in before or after[name] != before[name]}
    assert changed and all(name.startswith("edits.sqlite") for name in changed)


def test_reading_without_log_creates_nothing(run: dataerrors.Run) -> None:
    log = EditLog(run)
    assert log.history().empty
    assert log.batches() == []
    assert log.current("training").num_rows == 0
    assert not run.layout.edits.exists()


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ([], "edits is empty"),
        ([Edit("training", 1, "paint")], "action='paint' is invalid"),
        ([Edit("training", 1, "relabel")], "label=None is invalid for a relabel"),
        ([Edit("training", 1, "relabel", 9)], "label=9 is invalid"),
        ([Edit("training", 1, "remove", 2)], "pass a label only to relabel"),
        ([Edit("validation", 1, "remove")], "split 'validation' has no logged samples"),
        ([Edit("bogus", 1, "remove")], "is not a known split"),
        ([Edit("training", 12345, "remove")], "not logged in split"),
        ([Edit("training", "3", "remove")], "not all integers"),
        (["not an edit"], "has type str"),
    ],
)
def test_invalid_edits_store_nothing(run: dataerrors.Run, edits: list, message: str) -> None:
    log = EditLog(run)
    log.append([Edit("training", 2, "remove")])
    with pytest.raises(InvalidInputError, match=message):
        log.append(edits + [Edit("training", 1, "remove")] if edits else edits)
    assert len(log.history()) == 1


def test_invalid_author_raises(run: dataerrors.Run) -> None:
    with pytest.raises(InvalidInputError, match="author=' ' is invalid"):
        EditLog(run).append([Edit("training", 1, "remove")], author=" ")


def test_string_ids_round_trip(tmp_path: Path) -> None:
    run = dataerrors.init("p", "r", ["a", "b"], root=tmp_path)
    run.log_samples("training", ["x-1", "x-2"], [0, 1])
    run.flush()
    log = EditLog(run)
    log.append([Edit("training", "x-2", "relabel", 0)])
    assert log.current("training")["id"].to_pylist() == ["x-2"]
    assert log.history()["id"].tolist() == ["x-2"]
    with pytest.raises(InvalidInputError, match="not logged in split"):
        log.append([Edit("training", "x-3", "remove")])


def _append_batches(folder: str, worker: int, n_batches: int) -> None:
    run = dataerrors.open_run(folder)
    log = EditLog(run)
    for batch in range(n_batches):
        ids = [(worker * 7 + batch * 3 + offset) % 60 for offset in range(3)]
        log.append([Edit("training", sample_id, "relabel", worker % 4) for sample_id in ids],
                   author=f"worker-{worker}")


def test_concurrent_threads_lose_nothing(run: dataerrors.Run) -> None:
    threads = [threading.Thread(target=_append_batches, args=(str(run.folder), worker, 15))
               for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = EditLog(run)
    history = log.history()
    assert len(log.batches()) == 60
    assert len(history) == 180
    assert history.groupby("author").size().to_dict() == {f"worker-{w}": 45 for w in range(4)}
    assert history["batch"].nunique() == 60


def test_concurrent_processes_lose_nothing(run: dataerrors.Run) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append_batches, args=(str(run.folder), worker, 10))
                 for worker in range(2)]
    for process in processes:
        process.start()
    _append_batches(str(run.folder), 2, 10)
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    log = EditLog(run)
    history = log.history()
    assert len(history) == 90
    assert history.groupby("author").size().to_dict() == {f"worker-{w}": 30 for w in range(3)}
    # Last write wins: each edited sample's state is the label of its latest edit.
    latest = history.sort_values("edit").groupby("id").tail(1).set_index("id")["label"]
    state = log.current("training").to_pandas().set_index("id")["edit_label"]
    assert (state.sort_index() == latest.sort_index()).all()


def test_batches_are_numbered_in_order(run: dataerrors.Run) -> None:
    log = EditLog(run)
    numbers = [log.append([Edit("training", int(i), "remove")]) for i in np.arange(3)]
    assert numbers == [1, 2, 3]
    assert [batch["batch"] for batch in log.batches()] == [3, 2, 1]
    assert [batch["batch"] for batch in log.batches(2)] == [2]
    assert log.batches(4) == []
    with pytest.raises(InvalidInputError, match="batch='2' is not an int"):
        log.batches("2")


def test_undo_batch_out_of_range(tmp_path) -> None:
    from dataerrors.edits import EditLog
    from dataerrors.errors import InvalidInputError
    from tests.console_support import make_synthetic_run

    run = make_synthetic_run(tmp_path / "runs", n_train=10, n_test=5)
    for batch in (0, -3, 2**63):
        with pytest.raises(InvalidInputError, match=f"batch={batch} is not in the edit log"):
            EditLog(run).undo(batch)


def test_failed_undo_leaves_readable_log(tmp_path) -> None:
    from dataerrors.edits import EditLog
    from dataerrors.errors import InvalidInputError
    from tests.console_support import make_synthetic_run

    run = make_synthetic_run(tmp_path / "runs", n_train=10, n_test=5)
    with pytest.raises(InvalidInputError, match="batch=5 is not in the edit log"):
        EditLog(run).undo(5)
    assert len(EditLog(run).current("training")) == 0
    assert run.samples("training", apply_edits=True)["is_removed"].sum() == 0


def _open_log(folder: str, barrier) -> str:  # type: ignore[no-untyped-def]
    from dataerrors.edits import EditLog

    run = dataerrors.open_run(folder)
    barrier.wait()
    try:
        EditLog(run).batches()
        return "ok"
    except Exception as error:  # reported by the assertion of the test
        return repr(error)


def test_old_log_opened_by_many_processes_at_once(run: dataerrors.Run) -> None:
    import multiprocessing

    log = EditLog(run)
    log.append([Edit("training", 5, "remove")])
    remove_reapply_column(log)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(6)
        with context.Pool(6) as pool:
            results = pool.starmap(_open_log, [(str(run.folder), barrier)] * 6)
    assert results == ["ok"] * 6
