"""log_samples with a Hugging Face datasets.Dataset: ids, labels and texts from its columns."""

from __future__ import annotations

import numpy as np
import pytest

datasets = pytest.importorskip("datasets")

import dataerrors  # noqa: E402
from dataerrors.dataset_columns import is_hf_dataset  # noqa: E402
from dataerrors.errors import InvalidInputError  # noqa: E402


def _reviews() -> "datasets.Dataset":
    dataset = datasets.Dataset.from_dict({
        "id": ["r1", "r2", "r3", "r4"],
        "text": ["great film", "dull", "a delight", "too long"],
        "label": [1, 0, 1, 0],
        "critic": ["a", "b", "a", "c"],
    })
    return dataset.cast_column("label", datasets.ClassLabel(names=["rotten", "fresh"]))


@pytest.fixture
def text_run(root) -> dataerrors.Run:
    return dataerrors.init("reviews", "run", ["rotten", "fresh"], root=root,
                           task="text_classification")


def test_dataset_default_columns(text_run) -> None:
    text_run.log_samples("training", _reviews(), metadata=["critic"])
    text_run.log_outputs("training", 0, ["r1", "r2", "r3", "r4"], logits=np.eye(2)[[1, 0, 1, 1]])
    text_run.finish(progress=False)
    frame = text_run.samples("training")
    assert frame["id"].tolist() == ["r1", "r2", "r3", "r4"]
    assert frame["label_name"].tolist() == ["fresh", "rotten", "fresh", "rotten"]
    assert frame["input"].tolist() == ["great film", "dull", "a delight", "too long"]
    assert frame["critic"].tolist() == ["a", "b", "a", "c"]


def test_dataset_row_order_after_shuffle(text_run) -> None:
    shuffled = _reviews().shuffle(seed=3).select([0, 1, 2])
    text_run.log_samples("training", shuffled)
    text_run.log_outputs("training", 0, shuffled["id"], logits=np.zeros((3, 2)))
    text_run.finish(progress=False)
    frame = text_run.samples("training")
    assert frame["id"].tolist() == list(shuffled["id"])
    assert frame["input"].tolist() == list(shuffled["text"])


def test_dataset_named_columns_and_row_ids(text_run) -> None:
    dataset = datasets.Dataset.from_dict({
        "review": ["good", "bad", "fine"], "verdict": ["fresh", "rotten", "fresh"],
    })
    text_run.log_samples("validation", dataset, labels="verdict", inputs="review")
    text_run.log_outputs("validation", 0, [0, 1, 2], logits=np.zeros((3, 2)))
    text_run.finish(progress=False)
    frame = text_run.samples("validation")
    assert frame["id"].tolist() == [0, 1, 2]
    assert frame["label"].tolist() == [1, 0, 1]
    assert frame["input"].tolist() == ["good", "bad", "fine"]


def test_dataset_inference_reads_no_label(text_run) -> None:
    text_run.log_samples("inference", _reviews().remove_columns("critic"))
    text_run.log_outputs("inference", 0, ["r1", "r2", "r3", "r4"], logits=np.zeros((4, 2)))
    text_run.finish(progress=False)
    assert text_run.samples("inference")["label"].eq(-1).all()


def test_dataset_invalid_columns(text_run) -> None:
    with pytest.raises(InvalidInputError, match="labels names the column 'verdict', which the "
                                                "dataset does not have"):
        text_run.log_samples("training", _reviews(), labels="verdict")
    with pytest.raises(InvalidInputError, match="metadata names the column 'year'"):
        text_run.log_samples("training", _reviews(), metadata=["year"])
    with pytest.raises(InvalidInputError, match=r"DatasetDict with splits \['train'\]"):
        text_run.log_samples("training", datasets.DatasetDict({"train": _reviews()}))
    streaming = _reviews().to_iterable_dataset()
    assert is_hf_dataset(streaming)
    with pytest.raises(InvalidInputError, match="IterableDataset, which has no length"):
        text_run.log_samples("training", streaming)
    assert text_run.splits == []
