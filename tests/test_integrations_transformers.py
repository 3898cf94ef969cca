"""The Trainer integration on a tiny BERT trained from scratch on synthetic token sequences."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("transformers")
datasets = pytest.importorskip("datasets")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pyarrow as pa  # noqa: E402
import torch  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig,
    BertForSequenceClassification,
    Trainer,
    TrainingArguments,
    default_data_collator,
)

import dataerrors  # noqa: E402
import dataerrors.transformers  # noqa: E402
from dataerrors.errors import InvalidInputError  # noqa: E402
from dataerrors.store import reader  # noqa: E402
from dataerrors.store.tables import vectors_to_numpy  # noqa: E402
from dataerrors.transformers import IdCollator  # noqa: E402

LENGTH = 8
CLASS_WORDS = {0: np.arange(4, 14), 1: np.arange(14, 24)}
SHARED_WORDS = np.arange(24, 40)


def _sequences(n: int, rng: np.random.Generator) -> tuple[list[list[int]], np.ndarray]:
    """Token ids: a [CLS]-like 2, then words from the class's own list or a shared list."""
    labels = rng.integers(0, 2, n)
    rows = []
    for label in labels:
        own = rng.random(LENGTH - 1) < 0.5
        words = np.where(own, rng.choice(CLASS_WORDS[label], LENGTH - 1),
                         rng.choice(SHARED_WORDS, LENGTH - 1))
        rows.append([2] + words.tolist())
    return rows, labels


def _dataset(rows: list[list[int]], labels: np.ndarray, **columns) -> "datasets.Dataset":
    return datasets.Dataset.from_dict({
        "input_ids": rows,
        "attention_mask": [[1] * LENGTH] * len(rows),
        "label": labels.tolist(),
        "text": [" ".join(f"w{token}" for token in row) for row in rows],
        **columns,
    })


def _trainer(tmp_path, train, evaluation, epochs: int = 2) -> Trainer:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=40, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=16, num_labels=2)
    args = TrainingArguments(
        output_dir=str(tmp_path / "trainer"), num_train_epochs=epochs, learning_rate=3e-3,
        per_device_train_batch_size=16, per_device_eval_batch_size=64,
        eval_strategy="epoch" if evaluation is not None else "no",
        save_strategy="no", logging_strategy="no", report_to="none", use_cpu=True, seed=0,
        disable_tqdm=True,
    )
    return Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=train,
                   eval_dataset=evaluation, data_collator=default_data_collator)


@pytest.mark.slow
def test_trainer_logs_epochs_and_ranks_flips(root, tmp_path) -> None:
    rng = np.random.default_rng(0)
    rows, true = _sequences(480, rng)
    given = true.copy()
    flipped = rng.choice(480, 24, replace=False)
    given[flipped] = 1 - given[flipped]
    validation_rows, validation_labels = _sequences(120, rng)
    test_rows, test_labels = _sequences(40, rng)
    train = _dataset(rows, given)  # no id column: ids are row positions
    validation = _dataset(validation_rows, validation_labels, id=list(range(1000, 1120)))
    test = _dataset(test_rows, test_labels, id=[f"t{i}" for i in range(40)])

    run = dataerrors.init("p", "bert", ["neg", "pos"], root=root, task="text_classification")
    run.log_samples("test", test)
    trainer = _trainer(tmp_path, train, validation)
    callback = dataerrors.transformers.watch(trainer, run)
    trainer.train()
    trainer.evaluate()  # after training: the last epoch's evaluation is already logged
    with run.split("test"):
        trainer.predict(test)
    run.finish(progress=False)

    assert run.epochs("training") == [0, 1]
    assert run.epochs("validation") == [0, 1]
    assert run.epochs("test") == [1]
    assert callback.watcher.n_repeats_skipped == 120
    training = run.samples("training")
    assert training["id"].tolist() == list(range(480))
    assert training["input"].iloc[0] == " ".join(f"w{token}" for token in rows[0])
    assert training["n_epochs"].eq(2).all()
    assert sorted(run.samples("test")["id"]) == sorted(f"t{i}" for i in range(40))
    assert run.samples("validation")["n_epochs"].eq(2).all()
    ranked = training.sort_values("dep", ascending=False)["id"]
    assert len(set(ranked.head(48)) & set(flipped.tolist())) >= 20
    for split, n_rows in (("training", 480), ("validation", 120), ("test", 40)):
        vectors = pa.concat_tables(
            pa.Table.from_batches([batch])
            for batch in reader.iter_vectors(run.layout, split, 1, ["id", "embeddings"])
        )
        assert vectors.num_rows == n_rows
        assert vectors_to_numpy(vectors["embeddings"]).shape == (n_rows, 32)  # the pooled output


def test_watch_prepares_trainer(root, tmp_path) -> None:
    rng = np.random.default_rng(1)
    rows, labels = _sequences(20, rng)
    run = dataerrors.init("p", "prepared", ["neg", "pos"], root=root, task="text_classification")
    trainer = _trainer(tmp_path, _dataset(rows, labels), None)
    callback = dataerrors.transformers.watch(trainer, run)
    assert trainer.train_dataset["id"][:3] == [0, 1, 2]
    assert isinstance(trainer.data_collator, IdCollator)
    assert callback in trainer.callback_handler.callbacks
    assert run.splits == ["training"]
    batch = trainer.data_collator([trainer.train_dataset[i] for i in (4, 2)])
    assert batch["id"] == [4, 2]
    assert batch["input_ids"].shape == (2, LENGTH)

    # An evaluation before any epoch is not logged, and raises nothing.
    run.log_samples("validation", _dataset(rows, labels, id=list(range(500, 520))))
    trainer.evaluate(_dataset(rows, labels, id=list(range(500, 520))))
    run.flush()
    assert run.epochs("validation") == []


def test_watch_invalid_arguments(root, tmp_path) -> None:
    rng = np.random.default_rng(2)
    rows, labels = _sequences(10, rng)
    trainer = _trainer(tmp_path, _dataset(rows, labels), None)
    three = dataerrors.init("p", "three", ["a", "b", "c"], root=root)
    with pytest.raises(InvalidInputError, match="num_labels=2 but the run has 3 classes"):
        dataerrors.transformers.watch(trainer, three)
    run = dataerrors.init("p", "two", ["neg", "pos"], root=root)
    with pytest.raises(InvalidInputError, match="trainer is a dict without .add_callback"):
        dataerrors.transformers.watch({}, run)
    with pytest.raises(InvalidInputError, match="eval_split='training' is invalid"):
        dataerrors.transformers.watch(trainer, run, eval_split="training")
    with pytest.raises(InvalidInputError, match="eval_split='dev' is not a known split"):
        dataerrors.transformers.watch(trainer, run, eval_split="dev")
