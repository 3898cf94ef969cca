"""Hugging Face Transformers: log what a ``Trainer`` sees and predicts, every epoch.

::

    import dataerrors, dataerrors.transformers

    run = dataerrors.init("reviews", "minilm-1", labels=["rotten", "fresh"],
                          task="text_classification")
    dataerrors.transformers.watch(trainer, run)   # logs the samples, adds the callback
    trainer.train()
    run.finish()

How it works: the sample id of each row (its ``id`` column, or its position when the dataset has
none) rides in every batch as one more keyword argument; a hook on the model takes it off before
the forward pass runs and logs that pass's logits and embeddings (the input of the classification
head's last ``nn.Linear``) through :class:`~dataerrors.integrations.torch_watch.Watcher`. Training
batches go to the "training" split, evaluation batches to ``eval_split`` ("validation"), or to
the run's current split: ``with run.split("test"): trainer.predict(test_dataset)``.

Notes
-----
Evaluation is logged once per epoch: with ``eval_strategy="steps"`` the first evaluation of an
epoch is kept and later ones are skipped, and an evaluation before the first epoch is not logged.
The Trainer keeps the id column because this module adds its name to the Trainer's private
``_signature_columns`` list; tested with transformers 5.25 on one CPU process.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable

from transformers import TrainerCallback

from ..dataset_columns import ID_COLUMN, is_hf_dataset
from ..errors import InvalidInputError
from ..splits import TRAINING, VALIDATION, check_split
from .torch_watch import Watcher

if TYPE_CHECKING:
    from ..run import Run


def watch(
    trainer: Any,
    run: "Run",
    layer: str | None = None,
    eval_split: str = VALIDATION,
    id_column: str = ID_COLUMN,
    log_samples: bool = True,
) -> "DataErrorsCallback":
    """Log the outputs and embeddings of ``trainer``'s model into ``run`` on every batch.

    Parameters
    ----------
    trainer : transformers.Trainer
        A Trainer of a sequence classification model, before ``trainer.train()``.
    run : dataerrors.Run
        The run to log into; its class names are the model's labels, in label-id order.
    layer : str, optional
        Module whose input is the embedding. Default: the model's last ``nn.Linear`` (the
        classifier), so the embedding is the pooled representation it classifies.
    eval_split : {"validation", "test"}
        Split of the batches of ``trainer.evaluate()`` when the run sets no split.
    id_column : str
        Dataset column with the sample ids. A ``datasets.Dataset`` given to the Trainer without
        it gets one, with each row's position, which is also what :meth:`Run.log_samples` uses
        for a dataset without ids.
    log_samples : bool
        Log the samples of the Trainer's train and eval datasets (ids, ``label`` and ``text``
        columns) into splits of the run that have none yet.

    Returns
    -------
    DataErrorsCallback
        The callback added to the Trainer.
    """
    for attribute in ("add_callback", "model", "args", "data_collator"):
        if not hasattr(trainer, attribute):
            raise InvalidInputError(
                f"trainer is a {type(trainer).__name__} without .{attribute}; pass a "
                "transformers.Trainer."
            )
    eval_split = check_split(eval_split, "eval_split")
    if eval_split == TRAINING:
        raise InvalidInputError(
            "eval_split='training' is invalid; evaluation batches go to 'validation' or 'test'."
        )
    if not isinstance(id_column, str) or not id_column:
        raise InvalidInputError(f"id_column={id_column!r} is invalid; pass a column name.")
    n_labels = getattr(getattr(trainer.model, "config", None), "num_labels", None)
    if isinstance(n_labels, int) and n_labels != run.n_classes:
        raise InvalidInputError(
            f"the model has num_labels={n_labels} but the run has {run.n_classes} classes "
            f"{run.class_names[:10]}; create the run with the model's labels in label-id order."
        )

    trainer.train_dataset = _with_ids(trainer.train_dataset, id_column)
    if isinstance(trainer.eval_dataset, Mapping):
        trainer.eval_dataset = {
            name: _with_ids(dataset, id_column) for name, dataset in trainer.eval_dataset.items()
        }
    else:
        trainer.eval_dataset = _with_ids(trainer.eval_dataset, id_column)
    if log_samples:
        _log_missing_samples(run, TRAINING, trainer.train_dataset)
        if not isinstance(trainer.eval_dataset, Mapping):
            _log_missing_samples(run, eval_split, trainer.eval_dataset)
    _keep_id_column(trainer, id_column)
    if not isinstance(trainer.data_collator, IdCollator):
        trainer.data_collator = IdCollator(trainer.data_collator, id_column)

    callback = DataErrorsCallback(run, layer=layer, eval_split=eval_split, id_column=id_column)
    callback.watch_model(trainer.model)
    trainer.add_callback(callback)
    return callback


class DataErrorsCallback(TrainerCallback):  # type: ignore[misc]
    """A ``TrainerCallback`` that logs every training and evaluation batch into a run.

    :func:`watch` creates it and prepares the Trainer (the id column and the collator); use it
    directly only with a Trainer prepared the same way.
    """

    def __init__(
        self,
        run: "Run",
        layer: str | None = None,
        eval_split: str = VALIDATION,
        id_column: str = ID_COLUMN,
    ) -> None:
        self.run = run
        self.layer = layer
        self.eval_split = eval_split
        self.id_column = id_column
        self.watcher: Watcher | None = None

    def watch_model(self, model: Any) -> Watcher:
        """Hook ``model`` (again, if the Trainer replaced its model) and return the watcher."""
        if self.watcher is None or self.watcher.model is not model or not self.watcher.is_active:
            self.watcher = Watcher(
                model,
                self.run,
                layer=self.layer,
                id_key=self.id_column,
                eval_split=self.eval_split,
                missing_epoch="skip",
            )
        return self.watcher

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                       **kwargs: Any) -> None:
        if model is not None:
            self.watch_model(model)

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # state.epoch is fractional within an epoch (a resumed run starts mid-epoch).
        self.run.set_epoch(math.floor((state.epoch or 0.0) + 1e-9))


class IdCollator:
    """Wrap a data collator: take the id off each feature, collate the rest, add the ids back.

    The ids go into the batch as a list under ``id_column``, so any collator works, whatever the
    id type (a collator that pads token ids would reject string ids).
    """

    def __init__(self, collator: Callable[[list[Any]], Any], id_column: str) -> None:
        self.collator = collator
        self.id_column = id_column

    def __call__(self, features: list[Any]) -> Any:
        if not features or not all(isinstance(f, Mapping) and self.id_column in f for f in features):
            return self.collator(features)
        ids = [_plain(feature[self.id_column]) for feature in features]
        rest = [{k: v for k, v in feature.items() if k != self.id_column} for feature in features]
        batch = self.collator(rest)
        batch[self.id_column] = ids
        return batch


def _with_ids(dataset: Any, id_column: str) -> Any:
    if dataset is None or not is_hf_dataset(dataset) or id_column in dataset.column_names:
        return dataset
    if not hasattr(dataset, "add_column"):
        raise InvalidInputError(
            f"the Trainer's {type(dataset).__name__} has no {id_column!r} column; add one with "
            "dataset.map(...) so that every row carries its sample id."
        )
    return dataset.add_column(id_column, list(range(len(dataset))))


def _log_missing_samples(run: "Run", split: str, dataset: Any) -> None:
    if dataset is None or not is_hf_dataset(dataset) or split in run.splits:
        return
    run.log_samples(split, dataset)


def _keep_id_column(trainer: Any, id_column: str) -> None:
    """Make the Trainer pass the id column to the collator instead of dropping it."""
    if not getattr(trainer.args, "remove_unused_columns", False):
        return
    find_columns = getattr(trainer, "_set_signature_columns_if_needed", None)
    if find_columns is None:
        raise InvalidInputError(
            "this transformers version drops dataset columns that the model does not take, and "
            "dataerrors cannot keep the id column; set remove_unused_columns=False in "
            "TrainingArguments and keep only the model's inputs and the id column."
        )
    find_columns()
    if id_column not in trainer._signature_columns:
        trainer._signature_columns.append(id_column)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
