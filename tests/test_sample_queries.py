from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tests.console_support import add_map_columns, drop_analysis_columns, make_synthetic_run
import dataerrors
from dataerrors import Run
from dataerrors.errors import InvalidInputError, RunNotFoundError
from dataerrors.store import sample_queries
from dataerrors.store.sample_queries import RunQueries, SampleFilter, SampleOrder


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    created = make_synthetic_run(tmp_path_factory.mktemp("runs"))
    add_map_columns(created)
    return created


@pytest.fixture(scope="module")
def queries(run: Run) -> RunQueries:
    return RunQueries(run.layout)


def page(queries: RunQueries, sample_filter: SampleFilter = SampleFilter(), **kwargs):  # type: ignore[no-untyped-def]
    order = kwargs.pop("order", SampleOrder())
    return queries.query_samples("training", sample_filter, order, kwargs.pop("offset", 0),
                                 kwargs.pop("limit", 200), **kwargs)


def test_default_page_is_sorted_by_dep(run: Run, queries: RunQueries) -> None:
    result = page(queries, limit=10)
    dep = result.rows["dep"].to_numpy()
    assert result.n_samples == 120
    assert result.n_matching == 120
    assert np.all(np.diff(dep) <= 0)
    expected = run.samples("training").sort_values("dep", ascending=False)["dep"].head(10)
    assert np.allclose(dep, expected.to_numpy())


def test_page_rows_carry_row_numbers(run: Run, queries: RunQueries) -> None:
    result = page(queries, limit=5)
    ids = run.samples("training")["id"].to_numpy()
    for sample_id, row in zip(result.rows["id"].to_pylist(), result.rows["row"].to_pylist()):
        assert ids[row] == sample_id


def test_paging_covers_every_sample_once(queries: RunQueries) -> None:
    seen = []
    for offset in range(0, 120, 50):
        seen += page(queries, offset=offset, limit=50).rows["id"].to_pylist()
    assert sorted(seen) == list(range(120))


def test_ascending_sort_on_another_column(queries: RunQueries) -> None:
    result = page(queries, order=SampleOrder("aum", descending=False))
    assert np.all(np.diff(result.rows["aum"].to_numpy()) >= 0)


def test_filter_by_label_and_prediction(run: Run, queries: RunQueries) -> None:
    result = page(queries, SampleFilter(labels=(1,), predicted=(0,)))
    frame = run.samples("training")
    expected = frame[(frame["label"] == 1) & (frame["predicted"] == 0)]
    assert result.n_matching == len(expected) > 0
    assert set(result.rows["label"].to_pylist()) == {1}
    assert set(result.rows["predicted"].to_pylist()) == {0}


def test_filter_by_dep_range(run: Run, queries: RunQueries) -> None:
    result = page(queries, SampleFilter(dep_min=0.2, dep_max=0.9))
    dep = run.samples("training")["dep"]
    assert result.n_matching == int(((dep >= 0.2) & (dep <= 0.9)).sum())
    assert all(0.2 <= value <= 0.9 for value in result.rows["dep"].to_pylist())


def test_flags_combine_with_and(run: Run, queries: RunQueries) -> None:
    frame = run.samples("training")
    flagged = page(queries, SampleFilter(flags=("likely_mislabeled",)))
    assert flagged.n_matching == int(frame["is_likely_mislabeled"].sum()) > 0
    both = page(queries, SampleFilter(flags=("likely_mislabeled", "misclassified")))
    expected = frame["is_likely_mislabeled"] & (frame["predicted"] != frame["label"])
    assert both.n_matching == int(expected.sum())


def test_filter_by_cluster_and_coverage(run: Run, queries: RunQueries) -> None:
    frame = run.samples("training")
    cluster = int(frame["cluster"].iloc[0])
    assert page(queries, SampleFilter(clusters=(cluster,))).n_matching == int((frame["cluster"] == cluster).sum())
    n_out = int(frame["is_out_of_coverage"].sum())
    assert page(queries, SampleFilter(out_of_coverage=True)).n_matching == n_out
    assert page(queries, SampleFilter(out_of_coverage=False)).n_matching == 120 - n_out


def test_filter_by_ids_and_rows(queries: RunQueries) -> None:
    assert sorted(page(queries, SampleFilter(ids=(3, 7, 99999))).rows["id"].to_pylist()) == [3, 7]
    rows = np.array([0, 5, 6])
    assert sorted(page(queries, SampleFilter(rows=rows)).rows["row"].to_pylist()) == [0, 5, 6]


def test_search_matches_an_id(queries: RunQueries) -> None:
    assert page(queries, SampleFilter(search="42")).rows["id"].to_pylist() == [42]


def test_search_matches_text_in_text_runs(tmp_path: Path) -> None:
    text_run = make_synthetic_run(tmp_path, n_train=40, n_test=10, task="text_classification")
    text_queries = RunQueries(text_run.layout)
    result = text_queries.query_samples(
        "training", SampleFilter(search="FISH sample"), SampleOrder(), 0, 50, text_search=True
    )
    assert result.n_matching == 10
    inputs = text_queries.sample_inputs("training", result.rows["id"].to_pylist())
    assert all("fish sample" in text for text in inputs["input"].to_pylist())


def test_edit_state_adds_columns_and_flags(queries: RunQueries) -> None:
    state = pa.table({"id": pa.array([1, 2], pa.int64()),
                      "edit_action": ["relabel", "remove"], "edit_label": pa.array([3, None], pa.int32())})
    result = page(queries, SampleFilter(flags=("edited",)), edit_state=state)
    assert sorted(result.rows["id"].to_pylist()) == [1, 2]
    assert page(queries, SampleFilter(flags=("removed",)), edit_state=state).rows["id"].to_pylist() == [2]
    assert page(queries, SampleFilter(flags=("not_edited",)), edit_state=state).n_matching == 118
    assert page(queries, SampleFilter(flags=("edited",))).n_matching == 0


def test_matching_ids_highest_dep_first(run: Run, queries: RunQueries) -> None:
    ids, n_matching = queries.matching_ids("training", SampleFilter(labels=(2,)), limit=5)
    frame = run.samples("training")
    expected = frame[frame["label"] == 2].sort_values("dep", ascending=False, kind="stable")
    assert n_matching == len(expected)
    assert ids == expected["id"].head(5).tolist()


def test_sample_record_and_missing_id(queries: RunQueries) -> None:
    record = queries.sample_record("training", 17)
    assert record is not None
    assert record["id"] == 17
    assert record["row"] == 17
    assert queries.sample_record("training", 99999) is None


def test_id_at_row(queries: RunQueries) -> None:
    assert queries.id_at_row("test", 3) == 1003
    assert queries.id_at_row("test", 40) is None


def test_sample_inputs_and_image(queries: RunQueries) -> None:
    inputs = queries.sample_inputs("training", [4, 5])
    assert sorted(inputs["id"].to_pylist()) == [4, 5]
    assert "image" not in inputs.column_names
    assert set(inputs["source"].to_pylist()) == {"camera", "web"}
    image, path = queries.sample_image("training", 4)
    assert image is not None
    assert image.startswith(b"\x89PNG")
    assert path is None
    assert queries.sample_image("training", 99999) is None


def test_sample_history_one_row_per_epoch(queries: RunQueries) -> None:
    history = queries.sample_history("training", 10)
    assert history["epoch"].to_pylist() == [0, 1]
    assert all(-1 <= value <= 1 for value in history["margin"].to_pylist())
    assert queries.sample_history("training", 99999).num_rows == 0


def test_group_counts_with_selection(run: Run, queries: RunQueries) -> None:
    counts = queries.group_counts("training", "label").to_pylist()
    assert [row["value"] for row in counts] == [0, 1, 2, 3]
    assert sum(row["n_samples"] for row in counts) == 120
    selected = queries.group_counts("training", "label", np.array([0, 1, 2, 4])).to_pylist()
    assert {row["value"]: row["n_samples"] for row in selected} == {1: 2, 2: 1, 0: 1}
    by_label = queries.group_label_counts("training", "cluster").to_pylist()
    assert sum(row["n_samples"] for row in by_label) == 120


def test_sortable_columns_include_row(queries: RunQueries, run: Run) -> None:
    columns = sample_queries.sortable_columns(sample_queries.analysis_schema(run.layout, "training"))
    assert "dep" in columns
    assert "row" in columns
    assert "difficulty" not in columns


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order": SampleOrder("difficulty")}, "is not a sortable column"),
        ({"limit": 0}, "limit=0 is invalid"),
        ({"offset": -1}, "offset=-1"),
    ],
)
def test_invalid_page_arguments_raise(queries: RunQueries, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        page(queries, **kwargs)


def test_unknown_flag_raises(queries: RunQueries) -> None:
    with pytest.raises(InvalidInputError, match="flag='sparkly' is not a known flag"):
        page(queries, SampleFilter(flags=("sparkly",)))


def test_ids_of_wrong_type_raise(queries: RunQueries) -> None:
    with pytest.raises(InvalidInputError, match="do not match the id type"):
        page(queries, SampleFilter(ids=("abc",)))


def test_filter_on_missing_column_raises(tmp_path: Path) -> None:
    plain = make_synthetic_run(tmp_path, n_train=20, n_test=8)
    drop_analysis_columns(plain, ("cluster",))
    with pytest.raises(InvalidInputError, match="needs the column 'cluster'"):
        RunQueries(plain.layout).query_samples("training", SampleFilter(clusters=(1,)), SampleOrder(), 0, 10)


def test_unanalyzed_split_raises(tmp_path: Path) -> None:
    import dataerrors

    fresh = dataerrors.init("p", "r", 3, root=tmp_path)
    fresh.log_samples("training", np.arange(5), np.arange(5) % 3)
    fresh.flush()
    with pytest.raises(RunNotFoundError, match="no analysis for split 'training'"):
        RunQueries(fresh.layout).query_samples("training", SampleFilter(), SampleOrder(), 0, 10)


def test_has_logged_inputs_reads_footers(tmp_path) -> None:
    from dataerrors.store.sample_queries import has_logged_inputs

    plain = dataerrors.init("p", "plain", 3, root=tmp_path)
    plain.log_samples("training", np.arange(10), np.arange(10) % 3)
    plain.flush()
    assert not has_logged_inputs(plain.layout, "training", ("input", "image"))
    images = dataerrors.init("p", "images", 3, root=tmp_path)
    images.log_samples("training", np.arange(10), np.arange(10) % 3, inputs=np.zeros((10, 8, 8), np.uint8))
    images.flush()
    assert has_logged_inputs(images.layout, "training", ("input", "image"))
    assert not has_logged_inputs(images.layout, "test", ("input", "image"))  # nothing logged
