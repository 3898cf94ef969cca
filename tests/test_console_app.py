"""The console's JSON API, through FastAPI's TestClient, on a real small MNIST run."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import dataerrors
from dataerrors.analysis.selection import points_in_polygon
from dataerrors.console.app import create_app
from dataerrors.errors import InvalidInputError
from tests.console_support import drop_analysis_columns, make_synthetic_run

RUN = "/api/runs/mnist/mnist-cnn"
TRAINING = f"{RUN}/splits/training"


@pytest.fixture(scope="module")
def client(mnist_console_run: Path) -> TestClient:
    return TestClient(create_app(mnist_console_run.parent.parent, user="tester"))


@pytest.fixture
def edit_client(console_run_copy: Path) -> TestClient:
    return TestClient(create_app(console_run_copy.parent.parent, user="tester"))


def assert_error(response, status: int, message: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "message", "errors"}
    assert body["status"] == status
    assert message in body["message"]
    return body


# ----------------------------------------------------------------------------- runs


def test_runs_are_listed(client: TestClient, mnist_console_run: Path) -> None:
    body = client.get("/api/runs").json()
    assert body["root"] == str(mnist_console_run.parent.parent.resolve())
    assert [run["key"] for run in body["runs"]] == ["mnist/mnist-cnn"]
    assert body["runs"][0]["splits"] == ["training", "test"]


def test_copied_run_folder_separate(mnist_console_run: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "runs"
    shutil.copytree(mnist_console_run, root / "mnist" / "mnist-cnn")
    shutil.copytree(mnist_console_run, root / "mnist" / "copy")  # same run.json names
    copies = TestClient(create_app(root))
    keys = [run["key"] for run in copies.get("/api/runs").json()["runs"]]
    assert keys == ["mnist/copy", "mnist/mnist-cnn"]
    exported = copies.get("/api/runs/mnist/copy/splits/training/exports/cleaned-labels", params={"format": "csv"})
    assert 'filename="mnist-copy-training-cleaned-labels.csv"' in exported.headers["content-disposition"]
    response = copies.post("/api/runs/mnist/copy/edits",
                           json={"split": "training", "edits": [{"id": 0, "action": "remove"}]})
    assert response.status_code == 201
    assert (root / "mnist" / "copy" / "edits.sqlite").exists()
    assert not (root / "mnist" / "mnist-cnn" / "edits.sqlite").exists()


def test_one_run_folder_can_be_served(mnist_console_run: Path) -> None:
    single = TestClient(create_app(mnist_console_run))
    assert [run["key"] for run in single.get("/api/runs").json()["runs"]] == ["mnist/mnist-cnn"]
    assert single.get(f"{TRAINING}/samples", params={"limit": 1}).status_code == 200


def test_project_folder_lists_its_runs(mnist_console_run: Path) -> None:
    project = TestClient(create_app(mnist_console_run.parent))
    assert [run["key"] for run in project.get("/api/runs").json()["runs"]] == ["mnist/mnist-cnn"]
    assert project.get(f"{TRAINING}/samples", params={"limit": 1}).status_code == 200


def test_run_describes_its_splits(client: TestClient) -> None:
    body = client.get(RUN).json()
    assert body["class_names"] == [str(digit) for digit in range(10)]
    assert body["user"] == "tester"
    training = body["split_info"][0]
    assert training["name"] == "training"
    assert training["n_samples"] == 600
    assert training["has_map"]
    assert training["has_clusters"]
    assert training["has_coverage"]
    assert "dep" in training["sortable_columns"]
    assert "likely_mislabeled" in body["flags"]


def test_split_thumbnail_url_template(client: TestClient) -> None:
    training = client.get(RUN).json()["split_info"][0]
    sample = client.get(f"{TRAINING}/samples/3").json()["sample"]
    assert training["thumbnail_url_template"].replace("{id}", "3") == sample["thumbnail_url"]
    assert client.get(training["thumbnail_url_template"].replace("{id}", "3")).status_code == 200


def test_split_without_outputs_has_nothing_scored(tmp_path: Path, client: TestClient) -> None:
    run = dataerrors.init("project", "unscored", ["a", "b"], root=tmp_path)
    run.log_samples("training", np.arange(20), np.arange(20) % 2)
    run.finish(progress=False)
    unscored = TestClient(create_app(tmp_path)).get("/api/runs/project/unscored").json()
    assert unscored["split_info"][0]["n_scored"] == 0
    assert client.get(RUN).json()["split_info"][0]["n_scored"] == 600


def test_unknown_run_and_split_are_404(client: TestClient) -> None:
    assert_error(client.get("/api/runs/mnist/nope"), 404, "run 'mnist/nope' is not under")
    assert_error(client.get(f"{RUN}/splits/validation/samples"), 404, "split 'validation' is not in run")
    assert_error(client.get("/api/nothing"), 404, "no such endpoint")


def test_create_app_checks_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="is not a folder"):
        create_app(tmp_path / "missing")
    with pytest.raises(InvalidInputError, match="user='' is invalid"):
        create_app(tmp_path, user="")


# ----------------------------------------------------------------------------- samples


def test_default_page_sorted_by_dep(client: TestClient, mnist_console_run: Path) -> None:
    body = client.get(f"{TRAINING}/samples", params={"limit": 20}).json()
    assert body["n_samples"] == 600
    assert body["n_matching"] == 600
    assert body["sort"] == "dep"
    assert body["order"] == "desc"
    deps = [row["dep"] for row in body["rows"]]
    assert deps == sorted(deps, reverse=True)
    expected = dataerrors.open_run(mnist_console_run).samples("training").sort_values(
        "dep", ascending=False, kind="stable")["id"].head(20).tolist()
    assert [row["id"] for row in body["rows"]] == expected
    row = body["rows"][0]
    assert row["label_name"] == str(row["label"])
    assert row["thumbnail_url"].startswith(f"{TRAINING}/samples/{row['id']}/thumbnail?size=160")
    assert row["edit_action"] is None


def test_sort_and_page(client: TestClient) -> None:
    first = client.get(f"{TRAINING}/samples", params={"sort": "aum", "order": "asc", "limit": 10}).json()
    second = client.get(f"{TRAINING}/samples", params={"sort": "aum", "order": "asc", "limit": 10, "offset": 10}).json()
    values = [row["aum"] for row in first["rows"] + second["rows"]]
    assert values == sorted(values)
    assert not {row["id"] for row in first["rows"]} & {row["id"] for row in second["rows"]}


def test_filters_reduce_the_count(client: TestClient, mnist_console_run: Path) -> None:
    frame = dataerrors.open_run(mnist_console_run).samples("training")
    cases = [
        ({"label": [3, 5]}, frame["label"].isin([3, 5])),
        ({"predicted": 7}, frame["predicted"] == 7),
        ({"dep_min": 0.1, "dep_max": 0.8}, (frame["dep"] >= 0.1) & (frame["dep"] <= 0.8)),
        ({"flag": "misclassified"}, frame["predicted"] != frame["label"]),
        ({"flag": "likely_mislabeled"}, frame["is_likely_mislabeled"]),
        ({"cluster": [0, -1]}, frame["cluster"].isin([0, -1])),
        ({"out_of_coverage": "true"}, frame["is_out_of_coverage"]),
        ({"search": "17"}, frame["id"] == 17),
        ({"ids": [4, 8, 15]}, frame["id"].isin([4, 8, 15])),
    ]
    for params, expected in cases:
        body = client.get(f"{TRAINING}/samples", params={**params, "limit": 1}).json()
        assert body["n_matching"] == int(expected.sum()), params


def test_matching_ids(client: TestClient) -> None:
    body = client.get(f"{TRAINING}/samples/ids", params={"label": 1, "limit": 5}).json()
    assert len(body["ids"]) == 5
    assert body["is_truncated"] == (body["n_matching"] > 5)


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"dep_min": "abc"}, 422, "dep_min"),
        ({"dep_min": 2}, 422, "dep_min"),
        ({"dep_min": 0.8, "dep_max": 0.2}, 422, "is above dep_max"),
        ({"limit": 0}, 422, "limit"),
        ({"limit": 100000}, 422, "limit"),
        ({"offset": -1}, 422, "offset"),
        ({"sort": "nope"}, 400, "not a sortable column"),
        ({"order": "sideways"}, 422, "order"),
        ({"flag": "shiny"}, 422, "flag"),
        ({"label": 99}, 422, "out of range"),
        ({"label": "cat"}, 422, "label"),
        ({"cluster": "x"}, 422, "cluster"),
        ({"out_of_coverage": "maybe"}, 422, "out_of_coverage"),
        ({"ids": "abc"}, 422, "not all integers"),
        ({"selection": "unknown"}, 404, "unknown or expired"),
        ({"search": "x" * 500}, 422, "search"),
    ],
)
def test_malformed_parameters_are_4xx(client: TestClient, params: dict, status: int, message: str) -> None:
    body = assert_error(client.get(f"{TRAINING}/samples", params=params), status, message)
    if status == 422:
        assert body["errors"]
        assert body["errors"][0]["field"]


def test_sample_detail(client: TestClient) -> None:
    top = client.get(f"{TRAINING}/samples", params={"limit": 1}).json()["rows"][0]
    body = client.get(f"{TRAINING}/samples/{top['id']}").json()
    sample = body["sample"]
    assert sample["id"] == top["id"]
    assert sample["dep"] == top["dep"]
    assert sample["image_url"].startswith(f"{TRAINING}/samples/{top['id']}/thumbnail?size=512")
    assert [entry["epoch"] for entry in body["history"]] == [0, 1]
    assert body["history"][-1]["margin"] == pytest.approx(sample["margin"], abs=1e-6)
    assert len(body["history"][0]["top_classes"]) == 5
    assert (body["explanation"] is None) == (not hasattr(dataerrors.Run, "explain"))
    # The run logged embeddings, so its nearest training samples are there.
    assert body["similar_message"] is None
    assert len(body["similar"]) == 10
    assert all("distance" in entry and entry["thumbnail_url"] for entry in body["similar"])


def test_unknown_sample_is_404(client: TestClient) -> None:
    assert_error(client.get(f"{TRAINING}/samples/999999"), 404, "sample '999999' is not in split")
    assert_error(client.get(f"{TRAINING}/samples/abc"), 404, "is not in split")


def test_row_lookup(client: TestClient) -> None:
    assert client.get(f"{TRAINING}/rows/5").json() == {"id": 5, "row": 5}
    assert_error(client.get(f"{TRAINING}/rows/600"), 404, "past the end")
    assert_error(client.get(f"{TRAINING}/rows/-1"), 422, "row")


# ----------------------------------------------------------------------------- thumbnails


def test_thumbnail_of_a_logged_image(client: TestClient) -> None:
    response = client.get(f"{TRAINING}/samples/3/thumbnail")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert "max-age" in response.headers["cache-control"]
    assert Image.open(io.BytesIO(response.content)).size == (28, 28)
    small = client.get(f"{TRAINING}/samples/3/thumbnail", params={"size": 16})
    assert Image.open(io.BytesIO(small.content)).size == (16, 16)


@pytest.mark.parametrize(
    "path",
    [
        f"{TRAINING}/samples/999999/thumbnail",
        f"{TRAINING}/samples/..%2F..%2Frun.json/thumbnail",
        f"{TRAINING}/samples/%2Fetc%2Fpasswd/thumbnail",
        f"{RUN}/splits/inference/samples/1/thumbnail",
        f"{TRAINING}/samples/1/../../../../etc/passwd",
    ],
)
def test_thumbnail_outside_the_run_is_404(client: TestClient, path: str) -> None:
    assert_error(client.get(path), 404, "")


def test_thumbnail_size_is_checked(client: TestClient) -> None:
    assert_error(client.get(f"{TRAINING}/samples/3/thumbnail", params={"size": 4}), 422, "size")


def test_thumbnails_of_image_files(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    paths = [folder / f"{index}.jpg" for index in range(3)]
    for index, path in enumerate(paths):
        Image.fromarray(np.full((300, 200, 3), 80 * index, dtype=np.uint8)).save(path)
    run = dataerrors.init("p", "files", ["a", "b"], root=tmp_path / "runs")
    run.log_samples("training", np.arange(3), [0, 1, 0], inputs=paths)
    run.log_outputs("training", 0, np.arange(3), logits=np.eye(2)[[0, 1, 1]] * 2)
    run.finish(progress=False)
    paths[2].unlink()
    files = TestClient(create_app(tmp_path / "runs"))
    base = "/api/runs/p/files/splits/training/samples"
    response = files.get(f"{base}/0/thumbnail", params={"size": 100})
    assert response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (67, 100)
    assert_error(files.get(f"{base}/2/thumbnail"), 404, "is missing")


def test_text_runs_have_no_thumbnails(tmp_path: Path) -> None:
    make_synthetic_run(tmp_path, n_train=20, n_test=5, task="text_classification")
    texts = TestClient(create_app(tmp_path))
    rows = texts.get("/api/runs/project/run/splits/training/samples", params={"search": "fish"}).json()["rows"]
    assert rows and all("fish" in row["text"] and row["thumbnail_url"] is None for row in rows)
    assert_error(texts.get("/api/runs/project/run/splits/training/samples/1/thumbnail"), 404, "text run")


def test_text_similar_samples_text(tmp_path: Path) -> None:
    make_synthetic_run(tmp_path, n_train=30, n_test=5, task="text_classification")
    texts = TestClient(create_app(tmp_path))
    similar = texts.get("/api/runs/project/run/splits/test/samples/1000").json()["similar"]
    assert similar
    assert all(isinstance(neighbor["text"], str) and neighbor["text"] for neighbor in similar)


# ----------------------------------------------------------------------------- map


def map_points(client: TestClient, split: str = "training") -> dict[str, np.ndarray]:
    meta = client.get(f"{RUN}/splits/{split}/map").json()
    response = client.get(f"{RUN}/splits/{split}/map/points")
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-columns"].split(",") == meta["columns"]
    values = np.frombuffer(response.content, dtype="<f4").reshape(len(meta["columns"]), meta["n_points"])
    return dict(zip(meta["columns"], values))


def test_map_sends_float32_columns(client: TestClient, mnist_console_run: Path) -> None:
    meta = client.get(f"{TRAINING}/map").json()
    assert meta["available"]
    assert meta["n_points"] == 600
    assert meta["columns"] == ["x", "y", "dep", "label", "predicted", "cluster"]
    assert sum(meta["categories"]["label"]["counts"]) == 600
    points = map_points(client)
    frame = dataerrors.open_run(mnist_console_run).samples("training")
    assert np.allclose(points["x"], frame["x"].to_numpy())
    assert np.array_equal(points["label"].astype(int), frame["label"].to_numpy())


def test_lasso_selects_on_the_server(client: TestClient) -> None:
    points = map_points(client)
    x0, x1 = np.quantile(points["x"], [0.2, 0.7])
    y0, y1 = np.quantile(points["y"], [0.1, 0.6])
    polygon = [[x0, y0], [x1, y0], [(x0 + x1) / 2, y1]]
    expected = points_in_polygon(points["x"], points["y"], np.array(polygon))
    body = client.post(f"{TRAINING}/selections", json={"polygon": polygon}).json()
    assert body["n_selected"] == int(expected.sum()) > 0
    assert sum(body["counts"]["label"].values()) == body["n_selected"]
    assert body["mean_dep"] == pytest.approx(float(points["dep"][expected].mean()), rel=1e-5)
    page = client.get(f"{TRAINING}/samples", params={"selection": body["selection"], "limit": 1000}).json()
    assert page["n_matching"] == body["n_selected"]
    assert sorted(row["row"] for row in page["rows"]) == np.flatnonzero(expected).tolist()
    clusters = client.get(f"{TRAINING}/clusters", params={"selection": body["selection"]}).json()
    assert sum(cluster["n_selected"] for cluster in clusters["clusters"]) == body["n_selected"]


def test_map_matching_rows_follow_filters(client: TestClient) -> None:
    points = map_points(client)
    params = {"label": [1, 7], "dep_min": 0.2, "flag": "misclassified"}
    response = client.get(f"{TRAINING}/map/matching", params=params)
    assert response.headers["content-type"] == "application/octet-stream"
    rows = np.frombuffer(response.content, dtype="<u4")
    expected = np.flatnonzero(
        np.isin(points["label"], [1, 7]) & (points["dep"] >= 0.2) & (points["predicted"] != points["label"])
    )
    assert rows.tolist() == expected.tolist()
    assert int(response.headers["x-matching"]) == expected.size > 0
    page = client.get(f"{TRAINING}/samples", params={**params, "limit": 1000}).json()
    assert sorted(row["row"] for row in page["rows"]) == rows.tolist()
    everything = np.frombuffer(client.get(f"{TRAINING}/map/matching").content, dtype="<u4")
    assert everything.tolist() == list(range(600))
    assert_error(client.get(f"{TRAINING}/map/matching", params={"label": 10}), 422, "out of range")


def test_selection_of_another_split_is_rejected(client: TestClient) -> None:
    square = [[-1e6, -1e6], [1e6, -1e6], [1e6, 1e6], [-1e6, 1e6]]
    body = client.post(f"{TRAINING}/selections", json={"polygon": square}).json()
    assert body["n_selected"] == 600
    assert_error(client.get(f"{RUN}/splits/test/samples", params={"selection": body["selection"]}), 400, "was made on split 'training'")


@pytest.mark.parametrize(
    "body",
    [{"polygon": [[0, 0], [1, 1]]}, {"polygon": "square"}, {"shape": []}, {"polygon": [[0, "a"], [1, 1], [2, 2]]}],
)
def test_invalid_polygons_are_422(client: TestClient, body: dict) -> None:
    assert_error(client.post(f"{TRAINING}/selections", json=body), 422, "polygon")


def test_non_json_body_is_rejected(client: TestClient) -> None:
    response = client.post(f"{TRAINING}/selections", content=b"polygon=1", headers={"Content-Type": "text/plain"})
    assert 400 <= response.status_code < 500


def test_clusters_with_size_and_mean_dep(client: TestClient) -> None:
    body = client.get(f"{TRAINING}/clusters").json()
    assert body["available"]
    assert sum(cluster["n_samples"] for cluster in body["clusters"]) == 600
    means = [cluster["mean_dep"] for cluster in body["clusters"]]
    assert means == sorted(means, reverse=True)
    assert all(cluster["top_labels"] for cluster in body["clusters"])


def test_run_without_map(tmp_path: Path) -> None:
    run = make_synthetic_run(tmp_path, n_train=20, n_test=5, with_embeddings=False)
    drop_analysis_columns(run, ("x", "y", "cluster", "coverage_distance", "is_out_of_coverage"))
    plain = TestClient(create_app(tmp_path))
    split = "/api/runs/project/run/splits/training"
    meta = plain.get(f"{split}/map").json()
    assert not meta["available"]
    assert "no 2D map" in meta["message"]
    assert_error(plain.get(f"{split}/map/points"), 404, "no 2D map")
    assert plain.get(f"{split}/clusters").json() == {"available": False, "clusters": [], "summary": None}
    coverage = plain.get("/api/runs/project/run/coverage").json()
    assert not any(entry["available"] for entry in coverage["splits"])
    assert_error(plain.get(f"{split}/samples", params={"cluster": 1}), 400, "needs the column 'cluster'")


# ----------------------------------------------------------------------------- metrics, coverage


def test_metrics(client: TestClient) -> None:
    body = client.get(f"{TRAINING}/metrics").json()
    assert len(body["classes"]) == 10
    assert len(body["confusion_matrix"]) == 10
    assert sum(map(sum, body["confusion_matrix"])) == 600
    assert 0 <= body["accuracy"] <= 1
    assert all("label_name" in pair for pair in body["top_confused_pairs"])


def test_coverage_rates(client: TestClient, mnist_console_run: Path) -> None:
    body = client.get(f"{RUN}/coverage").json()
    test = next(entry for entry in body["splits"] if entry["split"] == "test")
    frame = dataerrors.open_run(mnist_console_run).samples("test")
    assert test["available"]
    assert test["n_out_of_coverage"] == int(frame["is_out_of_coverage"].sum())
    assert test["out_of_coverage_rate"] == pytest.approx(frame["is_out_of_coverage"].mean())


# ----------------------------------------------------------------------------- edits, exports


def test_edit_undo_and_filter(edit_client: TestClient) -> None:
    response = edit_client.post(f"{RUN}/edits", json={"split": "training", "note": "first pass", "edits": [
        {"id": 3, "action": "relabel", "label": 5}, {"id": "4", "action": "remove"}]})
    assert response.status_code == 201
    batch = response.json()["batch"]
    log = edit_client.get(f"{RUN}/edits").json()
    assert log["batches"][0]["author"] == "tester"
    assert log["batches"][0]["note"] == "first pass"
    assert log["counts"]["training"] == {"relabel": 1, "remove": 1}
    edited = edit_client.get(f"{TRAINING}/samples", params={"flag": "edited"}).json()["rows"]
    assert {row["id"]: (row["edit_action"], row["edit_label_name"]) for row in edited} == {
        3: ("relabel", "5"), 4: ("remove", None)}
    assert edit_client.get(f"{TRAINING}/samples/3").json()["sample"]["edit_label"] == 5
    history = edit_client.get(f"{RUN}/edits/history", params={"batch": batch}).json()
    assert [entry["id"] for entry in history] == [3, 4]
    assert edit_client.post(f"{RUN}/edits/{batch}/undo").status_code == 201
    assert edit_client.get(f"{TRAINING}/samples", params={"flag": "edited"}).json()["n_matching"] == 0
    assert_error(edit_client.post(f"{RUN}/edits/{batch}/undo"), 400, "already undone")

    reapplied = edit_client.post(f"{RUN}/edits/{batch}/reapply")
    assert reapplied.status_code == 201
    assert reapplied.json()["n_edits"] == 2
    assert edit_client.get(f"{TRAINING}/samples", params={"flag": "edited"}).json()["n_matching"] == 2
    batches = edit_client.get(f"{RUN}/edits").json()["batches"]
    assert batches[0]["reapplies"] == batch
    assert_error(edit_client.post(f"{RUN}/edits/{batch}/reapply"), 400, "already reapplied")


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"split": "training", "edits": []}, 422, "edits"),
        ({"split": "training", "edits": [{"id": 1, "action": "paint"}]}, 422, "action"),
        ({"split": "training", "edits": [{"id": 1, "action": "relabel", "label": 10}]}, 400, "label=10 is invalid"),
        ({"split": "training", "edits": [{"id": 99999, "action": "remove"}]}, 400, "not logged in split"),
        ({"split": "training", "edits": [{"id": "x", "action": "remove"}]}, 422, "not all integers"),
        ({"split": "validation", "edits": [{"id": 1, "action": "remove"}]}, 404, "split 'validation'"),
    ],
)
def test_invalid_edits_are_4xx_and_store_nothing(edit_client: TestClient, body: dict, status: int, message: str) -> None:
    assert_error(edit_client.post(f"{RUN}/edits", json=body), status, message)
    assert edit_client.get(f"{RUN}/edits").json()["batches"] == []


def test_exports_after_edits(edit_client: TestClient) -> None:
    edit_client.post(f"{RUN}/edits", json={"split": "training", "edits": [
        {"id": 10, "action": "relabel", "label": 2}, {"id": 11, "action": "remove"},
        {"id": 12, "action": "mark_for_labeling"}]})
    response = edit_client.get(f"{TRAINING}/exports/cleaned-labels", params={"format": "csv"})
    assert response.status_code == 200
    assert 'filename="mnist-mnist-cnn-training-cleaned-labels.csv"' in response.headers["content-disposition"]
    frame = pd.read_csv(io.BytesIO(response.content)).set_index("id")
    assert len(frame) == 599
    assert 11 not in frame.index
    assert frame.loc[10, "label"] == 2
    parquet = edit_client.get(f"{TRAINING}/exports/cleaned-labels", params={"format": "parquet", "include_removed": "true"})
    table = pq.read_table(io.BytesIO(parquet.content)).to_pandas().set_index("id")
    assert len(table) == 600
    assert bool(table.loc[11, "is_removed"])
    tasks = json.loads(edit_client.get(f"{TRAINING}/exports/label-studio").content)
    assert [task["data"]["id"] for task in tasks] == [12]
    config = edit_client.get(f"{RUN}/exports/label-studio-config")
    assert config.headers["content-type"].startswith("application/xml")
    assert "<Choices" in config.text
    assert_error(edit_client.get(f"{TRAINING}/exports/cleaned-labels", params={"format": "xlsx"}), 422, "format")


def test_label_studio_file_names(client: TestClient) -> None:
    names = {
        samples: client.get(f"{TRAINING}/exports/label-studio", params={"samples": samples}).headers["content-disposition"]
        for samples in ("marked", "flagged")
    }
    assert 'filename="mnist-mnist-cnn-training-label-studio-marked.json"' in names["marked"]
    assert 'filename="mnist-mnist-cnn-training-label-studio-flagged.json"' in names["flagged"]
    by_ids = client.get(f"{TRAINING}/exports/label-studio", params={"ids": [3]})
    assert 'filename="mnist-mnist-cnn-training-label-studio-ids.json"' in by_ids.headers["content-disposition"]


def test_label_studio_export_of_a_selection(edit_client: TestClient) -> None:
    square = [[-1e6, -1e6], [1e6, -1e6], [1e6, 1e6], [-1e6, 1e6]]
    token = edit_client.post(f"{TRAINING}/selections", json={"polygon": square}).json()["selection"]
    tasks = json.loads(edit_client.get(f"{TRAINING}/exports/label-studio", params={"selection": token}).content)
    assert len(tasks) == 600
    deps = [task["data"]["dep"] for task in tasks]
    assert deps == sorted(deps, reverse=True)


# ----------------------------------------------------------------------------- pages, schema, hosts


def test_console_page_and_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<script type="module" src="/static/js/main.js">' in page.text
    plotly = client.get("/vendor/plotly.min.js")
    assert plotly.status_code == 200
    assert plotly.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/js/samples.js").status_code == 200


def test_openapi_documents_the_api(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    assert "/api/runs/{project}/{run}/splits/{split}/samples" in paths
    assert "/api/runs/{project}/{run}/splits/{split}/selections" in paths
    assert "ErrorBody" in schema["components"]["schemas"]
    get_samples = paths["/api/runs/{project}/{run}/splits/{split}/samples"]["get"]
    assert {"200", "400", "404", "422"} <= set(get_samples["responses"])


def test_foreign_host_header_is_rejected(mnist_console_run: Path) -> None:
    guarded = TestClient(create_app(mnist_console_run, allowed_hosts=["127.0.0.1", "localhost"]),
                         base_url="http://127.0.0.1")
    assert guarded.get("/api/runs").status_code == 200
    assert guarded.get("/api/runs", headers={"Host": "attacker.example"}).status_code == 400


# ----------------------------------------------------------------------------- optional read API


def test_similar_and_explain_are_passed_through(mnist_console_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The detail endpoint returns run.similar and run.explain where the Run provides them."""
    calls = []

    def similar(self, split, sample_id, k):  # type: ignore[no-untyped-def]
        calls.append(("similar", split, sample_id, k))
        return pd.DataFrame({"id": [1, 2], "label": [3, 4], "label_name": ["3", "4"],
                             "distance": np.array([0.5, 0.75], dtype=np.float32)})

    def explain(self, split, sample_id):  # type: ignore[no-untyped-def]
        calls.append(("explain", split, sample_id))
        return {"sentence": "The model predicted 7 in every epoch.", "aum": np.float32(-0.9)}

    monkeypatch.setattr(dataerrors.Run, "similar", similar, raising=False)
    monkeypatch.setattr(dataerrors.Run, "explain", explain, raising=False)
    fresh = TestClient(create_app(mnist_console_run))
    assert fresh.get(RUN).json()["features"] == {"similar": True, "explain": True}
    body = fresh.get(f"{RUN}/splits/test/samples/5").json()
    assert ("similar", "test", 5, 10) in calls
    assert ("explain", "test", 5) in calls
    assert body["explanation"] == {"sentence": "The model predicted 7 in every epoch.", "aum": pytest.approx(-0.9)}
    assert [entry["id"] for entry in body["similar"]] == [1, 2]
    assert body["similar"][0]["split"] == "training"
    assert body["similar"][0]["thumbnail_url"].startswith(f"{TRAINING}/samples/1/thumbnail")
    assert body["similar"][1]["distance"] == pytest.approx(0.75)


def test_failing_similar_is_reported_not_raised(mnist_console_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def similar(self, split, sample_id, k):  # type: ignore[no-untyped-def]
        raise dataerrors.RunNotFoundError("no neighbour index in this run; analyze it again.")

    monkeypatch.setattr(dataerrors.Run, "similar", similar, raising=False)
    body = TestClient(create_app(mnist_console_run)).get(f"{TRAINING}/samples/5").json()
    assert body["similar"] is None
    assert body["similar_message"] == "no neighbour index in this run; analyze it again."


def test_map_without_embeddings_says_why(tmp_path: Path) -> None:
    make_synthetic_run(tmp_path, n_train=20, n_test=5, with_embeddings=False)
    meta = TestClient(create_app(tmp_path)).get("/api/runs/project/run/splits/training/map").json()
    assert not meta["available"]
    assert "no training embeddings were logged" in meta["message"]


def test_run_without_images_has_no_thumbnail_urls(tmp_path: Path) -> None:
    run = dataerrors.init("project", "plain", 3, root=tmp_path)
    run.log_samples("training", np.arange(30), np.arange(30) % 3)
    run.log_outputs("training", 0, np.arange(30), logits=np.eye(3)[np.arange(30) % 3] * 3)
    run.finish(progress=False)
    client = TestClient(create_app(tmp_path))
    rows = client.get("/api/runs/project/plain/splits/training/samples").json()["rows"]
    assert len(rows) == 30
    assert {row["thumbnail_url"] for row in rows} == {None}
    detail = client.get("/api/runs/project/plain/splits/training/samples/3").json()
    assert detail["sample"]["image_url"] is None
    assert client.get("/api/runs/project/plain").json()["split_info"][0]["thumbnail_url_template"] is None


def test_unlabeled_split_description(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    run = dataerrors.init("p", "unlabeled", ["a", "b"], root=tmp_path)
    labels = rng.integers(0, 2, 200)
    centers = rng.normal(0, 3, (2, 8))
    run.log_samples("training", np.arange(200), labels)
    run.log_samples("inference", np.arange(60))
    run.log_outputs("training", 0, np.arange(200), logits=rng.normal(0, 1, (200, 2)),
                    embeddings=centers[labels] + rng.normal(0, 1, (200, 8)))
    run.log_outputs("inference", 0, np.arange(60), logits=rng.normal(0, 1, (60, 2)),
                    embeddings=centers[labels[:60]] + rng.normal(0, 1, (60, 8)))
    run.finish(progress=False)
    entry = run.summary()["splits"]["inference"]
    assert entry["n_labeled"] == 0
    assert entry["accuracy"] is None  # nothing to compare, not 0% right
    client = TestClient(create_app(tmp_path))
    info = {split["name"]: split for split in client.get("/api/runs/p/unlabeled").json()["split_info"]}
    assert info["inference"]["n_labeled"] == 0
    assert info["training"]["n_labeled"] == 200
    clusters = client.get("/api/runs/p/unlabeled/splits/inference/clusters").json()["clusters"]
    names = {label["name"] for cluster in clusters for label in cluster["top_labels"]}
    assert None not in names
    assert "no label" in names
