"""Read sample ids, labels, inputs and metadata from the columns of a Hugging Face dataset.

:meth:`dataerrors.Run.log_samples` accepts a ``datasets.Dataset`` in place of ``ids``; this module
turns it into the arrays that the logging API validates. It never imports ``datasets``: a dataset
is recognized by its type's module, so ``import dataerrors`` stays light.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidInputError
from .splits import INFERENCE

#: Column read as the sample id; a dataset without it uses each row's position (0, 1, ...).
ID_COLUMN = "id"
#: Columns read as the label when ``labels`` is not given (except for the inference split).
LABEL_COLUMNS = ("label", "labels")
#: Column read as the input text when ``inputs`` is not given.
TEXT_COLUMN = "text"


def is_hf_dataset(value: object) -> bool:
    """Return True for a ``datasets.Dataset`` or ``datasets.IterableDataset``."""
    return type(value).__module__.startswith("datasets.") and hasattr(value, "column_names")


def dataset_columns(
    split: str, dataset: Any, labels: Any, inputs: Any, metadata: Any
) -> tuple[np.ndarray, Any, Any, Any]:
    """Return ``(ids, labels, inputs, metadata)`` read from the columns of ``dataset``.

    Parameters
    ----------
    split : str
        The split being logged; the "inference" split reads no label column by default.
    dataset : datasets.Dataset
        The samples. Ids come from its ``id`` column, or are the row positions when it has none.
    labels, inputs : str, array-like or None
        A column name, values to use as they are, or None for the defaults: the ``label`` or
        ``labels`` column (if present and the split is not "inference") and the ``text`` column
        (if present).
    metadata : list of str, dict, DataFrame or None
        A list of column names to keep as metadata, or values as :meth:`Run.log_samples` takes them.
    """
    if not hasattr(dataset, "__len__") or not hasattr(dataset, "select_columns"):
        raise InvalidInputError(
            f"ids is a {type(dataset).__name__}, which has no length; log a datasets.Dataset "
            "(materialize a streaming dataset first, for example with Dataset.from_generator)."
        )
    if isinstance(dataset.column_names, dict):
        raise InvalidInputError(
            f"ids is a DatasetDict with splits {list(dataset.column_names)}; log one split at a "
            "time, for example run.log_samples('training', dataset['train'])."
        )
    names = list(dataset.column_names)
    if ID_COLUMN in names:
        ids = _column(dataset, ID_COLUMN, "ids")
    else:
        ids = np.arange(len(dataset), dtype=np.int64)
    if labels is None and split != INFERENCE:
        labels = next((name for name in LABEL_COLUMNS if name in names), None)
    if isinstance(labels, str):
        labels = _column(dataset, labels, "labels")
    if inputs is None and TEXT_COLUMN in names:
        inputs = TEXT_COLUMN
    if isinstance(inputs, str):
        inputs = _column(dataset, inputs, "inputs")
    if isinstance(metadata, (list, tuple)):
        metadata = {name: _column(dataset, name, "metadata") for name in metadata}
    return ids, labels, inputs, metadata


def _column(dataset: Any, name: object, argument: str) -> np.ndarray:
    names = list(dataset.column_names)
    if not isinstance(name, str) or name not in names:
        raise InvalidInputError(
            f"{argument} names the column {name!r}, which the dataset does not have; its columns "
            f"are {names}."
        )
    # select_columns + the arrow format honour a shuffled or filtered dataset's row order.
    table = dataset.select_columns([name]).with_format("arrow")[:]
    return table[name].to_numpy(zero_copy_only=False)
