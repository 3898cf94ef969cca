from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import dataerrors
from dataerrors.errors import InvalidInputError
from dataerrors.exporters.label_studio import export_label_studio, label_studio_config, label_studio_tasks
from tests.console_support import make_synthetic_run


@pytest.fixture
def run(tmp_path: Path) -> dataerrors.Run:
    return make_synthetic_run(tmp_path / "runs", n_train=40, n_test=10)


def test_marked_samples_become_tasks_worst_first(run: dataerrors.Run) -> None:
    run.mark_for_labeling("training", [0, 5, 10])
    tasks = label_studio_tasks(run, "training")
    deps = [task["data"]["dep"] for task in tasks]
    assert sorted(task["data"]["id"] for task in tasks) == [0, 5, 10]
    assert deps == sorted(deps, reverse=True)
    scores = [task["predictions"][0]["score"] for task in tasks]
    assert scores == sorted(scores)
    assert scores[0] == pytest.approx(1 - deps[0], abs=1e-6)


def test_task_carries_image_label_and_suggestion(run: dataerrors.Run) -> None:
    frame = run.samples("training").set_index("id")
    task = label_studio_tasks(run, "training", ids=[10])[0]
    data = task["data"]
    assert data["given_label"] == frame.loc[10, "label_name"]
    assert data["suggested_label"] == frame.loc[10, "suggested_label_name"]
    assert data["image"].startswith("data:image/png;base64,")
    image = Image.open(__import__("io").BytesIO(base64.b64decode(data["image"].split(",", 1)[1])))
    assert image.size == (8, 8)
    result = task["predictions"][0]["result"][0]
    assert result["type"] == "choices"
    assert result["from_name"] == "label"
    assert result["to_name"] == "image"
    assert result["value"]["choices"] == [frame.loc[10, "suggested_label_name"]]


def test_flagged_and_all_sample_sets(run: dataerrors.Run) -> None:
    frame = run.samples("training")
    assert len(label_studio_tasks(run, "training", samples="flagged")) == int(frame["is_likely_mislabeled"].sum())
    assert len(label_studio_tasks(run, "training", samples="all")) == 40
    assert label_studio_tasks(run, "training", samples="marked") == []


def test_relabeled_sample_shows_edited_label(run: dataerrors.Run) -> None:
    run.relabel("training", [7], "cat")
    task = label_studio_tasks(run, "training", samples="edited")[0]
    assert task["data"]["edited_label"] == "cat"


def test_text_runs_put_text_in_tasks(tmp_path: Path) -> None:
    text_run = make_synthetic_run(tmp_path, n_train=20, n_test=5, task="text_classification")
    task = label_studio_tasks(text_run, "training", ids=[3])[0]
    assert task["data"]["text"] == "a fish sample number 3"
    assert task["predictions"][0]["result"][0]["to_name"] == "text"
    assert '<Text name="text" value="$text"/>' in label_studio_config(text_run)


def test_image_files_embedded_or_referenced(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    paths = []
    for index in range(4):
        path = folder / f"image {index}.png"
        Image.fromarray(np.full((5, 5), index * 60, dtype=np.uint8)).save(path)
        paths.append(path)
    run = dataerrors.init("p", "files", ["a", "b"], root=tmp_path / "runs")
    run.log_samples("training", np.arange(4), [0, 1, 0, 1], inputs=paths)
    run.log_outputs("training", 0, np.arange(4), logits=np.eye(2)[[0, 1, 1, 1]] * 3)
    run.finish(progress=False)
    embedded = label_studio_tasks(run, "training", samples="all")
    assert all(task["data"]["image"].startswith("data:image/png;base64,") for task in embedded)
    referenced = label_studio_tasks(run, "training", samples="all", images="local-files", document_root=tmp_path)
    assert {task["data"]["image"] for task in referenced} == {
        f"/data/local-files/?d=images/image%20{index}.png" for index in range(4)}
    with pytest.raises(InvalidInputError, match="is not under document_root"):
        label_studio_tasks(run, "training", samples="all", images="local-files", document_root=tmp_path / "other")


def test_export_writes_tasks_and_config(run: dataerrors.Run, tmp_path: Path) -> None:
    run.mark_for_labeling("training", [1, 2])
    path = export_label_studio(run, "training", tmp_path / "out" / "tasks.json")
    tasks = json.loads(path.read_text())
    assert len(tasks) == 2
    config = ElementTree.fromstring((tmp_path / "out" / "tasks.label_config.xml").read_text())
    choices = config.find("Choices")
    assert choices is not None
    assert choices.get("name") == "label"
    assert choices.get("toName") == "image"
    assert [choice.get("value") for choice in choices] == ["cat", "dog", "bird", "fish"]


def test_config_escapes_class_names(tmp_path: Path) -> None:
    run = dataerrors.init("p", "r", ['say "hi"', "a<b"], root=tmp_path)
    values = [choice.get("value") for choice in ElementTree.fromstring(label_studio_config(run)).iter("Choice")]
    assert values == ['say "hi"', "a<b"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"samples": "worst"}, "samples='worst' is invalid"),
        ({"images": "links"}, "images='links' is invalid"),
        ({"images": "local-files"}, "needs document_root"),
        ({"ids": [12345]}, "ids not logged in split"),
        ({"split": "nowhere"}, "is not a known split"),
    ],
)
def test_invalid_arguments_raise(run: dataerrors.Run, kwargs: dict, message: str) -> None:
    split = kwargs.pop("split", "training")
    with pytest.raises(InvalidInputError, match=message):
        label_studio_tasks(run, split, **kwargs)


def test_stored_images_cannot_use_local_files(run: dataerrors.Run, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"stored inside the run.*--images embed on the command line"):
        label_studio_tasks(run, "training", ids=[1], images="local-files", document_root=tmp_path)
