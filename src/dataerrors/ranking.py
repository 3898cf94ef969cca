"""Rank label errors from model outputs held in memory, without logging a run."""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import validation
from ._types import ArrayLike
from .analysis import mislabel
from .analysis.label_errors import LabelErrorScores, score_columns, score_label_errors
from .analysis.neighbor_labels import N_NEIGHBORS
from .analysis.neighbors import neighbors_within
from .analysis.scores import given_label_scores, softmax, top_classes
from .errors import InvalidInputError, SkippedSignalWarning


def rank_label_errors(
    labels: ArrayLike,
    probs: ArrayLike | None = None,
    embeddings: ArrayLike | None = None,
    *,
    logits: ArrayLike | None = None,
    classes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Score every sample for how likely its given label is wrong, as a logged run would.

    Parameters
    ----------
    labels : (n_samples,) int
        Given labels as class indices in [0, n_classes - 1]. A pandas Series keeps its index.
    probs : (n_samples, n_classes) or (n_epochs, n_samples, n_classes) float
        Predicted probabilities (rows sum to 1), out-of-sample (cross-validated, or a held-out
        split) for a single set, or one set per training epoch, oldest first. numpy arrays,
        torch tensors or (for a single set) a pandas DataFrame.
    embeddings : (n_samples, n_dims) float, optional
        A representation of each sample (usually the input of the model's last linear layer).
        With it, DEP also counts how many of each sample's 10 nearest neighbours carry another
        label. The neighbours come from the same index as a logged run's: exact up to 20,000
        samples, approximate beyond (FAISS IVF; recall@10 of 0.93 to 0.94 on 128-d embeddings
        in ``bench/neighbor_index.py``).
    logits : same shapes as ``probs``, optional
        Raw model scores instead of ``probs``; they are turned into probabilities with a softmax.
        Pass either ``probs`` or ``logits``.
    classes : sequence of str, optional
        Class names in the column order of ``probs``. With it, ``labels`` may be class names,
        DataFrame columns named by class are put in this order, and the result adds
        ``label_name``, ``predicted_name`` and ``suggested_label_name``.

    Where ``labels`` is a pandas Series and ``probs``, ``logits`` or ``embeddings`` a pandas
    DataFrame, the DataFrame's rows are matched to the labels by index, not by position. A
    DataFrame with an index other than 0, 1, ..., n - 1 needs such a Series. DataFrame columns
    named by integers are read as class indices, in any order; other column names are taken in
    their order.

    Returns
    -------
    pandas.DataFrame
        One row per sample, indexed like ``labels``, with the columns of a run's analysis table:
        ``dep`` (Data Error Potential in [0, 1], higher = more likely a label error),
        ``is_likely_mislabeled`` (bool), ``suggested_label``, ``predicted`` and
        ``confident_label`` (class indices, -1 for none), ``aum``, ``margin`` (last epoch),
        ``confidence``, ``variability``, ``correctness``, ``neighbor_disagreement``,
        ``neighbor_label`` and ``neighbor_label_share`` (NaN or -1 without embeddings) and
        ``difficulty``. ``frame.attrs`` contains ``estimated_label_errors`` (confident learning's
        estimate of the number of label errors) and ``dep_thresholds``. See
        :func:`dataerrors.analysis.dep.data_error_potential` for how DEP combines the signals.

    Raises
    ------
    InvalidInputError
        When an argument has the wrong shape or type, labels are out of range, probabilities do
        not sum to 1, any value is NaN or infinite, or a DataFrame's index does not match the
        labels' index.

    Warns
    -----
    SkippedSignalWarning
        When ``embeddings`` are given but faiss is not installed, or are the same for every
        sample: DEP uses the margins alone.

    Examples
    --------
    >>> frame = dataerrors.rank_label_errors(labels, cross_validated_probs)
    >>> frame.sort_values("dep", ascending=False).head(20)
    """
    if (probs is None) == (logits is None):
        raise InvalidInputError(
            "pass exactly one of probs and logits (probabilities, or raw scores that a softmax "
            "turns into probabilities)."
        )
    argument = "probs" if probs is not None else "logits"
    outputs = _aligned(probs if probs is not None else logits, labels, argument, classes)
    epoch_probs = _check_probs(outputs, argument, _length(labels))
    n_epochs, n_samples, n_classes = epoch_probs.shape
    class_names = _check_classes(classes, n_classes, argument)
    label_array = _check_labels(labels, n_samples, n_classes, argument, class_names)
    embedding_array = None
    if embeddings is not None:
        embedding_array = validation.check_embeddings(
            _aligned(embeddings, labels, "embeddings"), n_samples, None, stores=False
        )

    p_given = np.empty((n_epochs, n_samples), dtype=np.float32)
    margins = np.empty((n_epochs, n_samples), dtype=np.float32)
    predicted = np.empty((n_epochs, n_samples), dtype=np.int32)
    for epoch, epoch_prob in enumerate(epoch_probs):
        p_given[epoch], margins[epoch] = given_label_scores(epoch_prob, label_array)
        predicted[epoch] = top_classes(epoch_prob, 1)[0][:, 0]
    last = epoch_probs[-1]
    sums, counts = mislabel.class_probability_sums(last, label_array, n_classes)
    thresholds = mislabel.class_thresholds(sums, counts)
    confident, _ = mislabel.confident_classes(last, label_array, thresholds)
    neighbors = _neighbors(embedding_array)
    scores = score_label_errors(
        label_array, p_given, margins, predicted, confident, n_classes, neighbors
    )
    return _frame(labels, label_array, scores, class_names)


def _aligned(values: Any, labels: Any, argument: str, classes: Sequence[str] | None = None) -> Any:
    """Return ``values`` with a DataFrame's rows put in the order of the labels Series' index.

    A list or tuple of DataFrames (one per epoch) is aligned frame by frame and stacked.
    """
    if isinstance(values, (list, tuple)) and any(isinstance(item, pd.DataFrame) for item in values):
        return np.stack([
            validation.to_numpy(
                _aligned(item, labels, f"{argument}[{epoch}]", classes), f"{argument}[{epoch}]"
            )
            for epoch, item in enumerate(values)
        ])
    if not isinstance(values, pd.DataFrame):
        return values
    if argument != "embeddings":
        values = _class_columns(values, argument, classes)
    if not isinstance(labels, pd.Series):
        if not values.index.equals(pd.RangeIndex(len(values))):
            raise InvalidInputError(
                f"{argument} is a DataFrame with its own index (first: {list(values.index[:3])}), "
                "but labels has no index to match it with. Pass labels as a pandas Series with "
                f"the same index, or {argument}.to_numpy() to pair the rows by position."
            )
        return values
    if values.index.equals(labels.index):
        return values
    if not (labels.index.is_unique and values.index.is_unique):
        raise InvalidInputError(
            f"labels and {argument} have different indexes, and one of them repeats a value, so "
            f"their rows cannot be matched; reset both indexes or pass numpy arrays in the same "
            "row order."
        )
    missing = labels.index.difference(values.index)
    extra = values.index.difference(labels.index)
    if len(missing) or len(extra):
        raise InvalidInputError(
            f"{argument} has an index that differs from the labels' index: {len(missing)} label "
            f"row(s) missing from {argument} (first: {list(missing[:3])}), {len(extra)} "
            f"{argument} row(s) without a label (first: {list(extra[:3])}); pass one row per "
            "label, with the same index."
        )
    return values.loc[labels.index]


def _class_columns(
    frame: pd.DataFrame, argument: str, classes: Sequence[str] | None
) -> pd.DataFrame:
    """Return ``frame`` with its columns in class order.

    Columns named by the ``classes`` names, or by the integers 0 to n_classes - 1, are put in
    that order. Columns with other names are taken in their order, as an array's would be.
    """
    names = list(frame.columns)
    if classes is not None and not isinstance(classes, str) and hasattr(classes, "__iter__"):
        class_order = [str(name) for name in classes]
        if sorted(map(str, names)) == sorted(class_order) and len(set(class_order)) == len(names):
            by_name = {str(name): name for name in names}
            return frame[[by_name[name] for name in class_order]]
    if not all(isinstance(name, (int, np.integer)) and not isinstance(name, bool) for name in names):
        return frame
    if sorted(names) != list(range(len(names))):
        raise InvalidInputError(
            f"{argument} has integer column names {names[:10]}{' ...' if len(names) > 10 else ''}"
            f", which are not the class indices 0 to {len(names) - 1}; name the columns 0, 1, ... "
            "by class index, or drop the columns that are not class probabilities."
        )
    return frame[sorted(names)]


def _check_probs(outputs: Any, argument: str, n_labels: int | None = None) -> np.ndarray:
    """Return ``outputs`` (probs, or logits turned into probs) as float32 (epochs, samples, classes)."""
    array = validation.to_numpy(outputs, argument)
    passed_shape = array.shape
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 1 and argument == "probs":
        raise InvalidInputError(
            f"probs has shape {passed_shape}; expected (n_samples, n_classes) or (n_epochs, "
            "n_samples, n_classes). For a binary classifier's probability of the positive "
            "class p, pass np.column_stack([1 - p, p])."
        )
    if array.ndim != 3:
        raise InvalidInputError(
            f"{argument} has shape {passed_shape}; expected (n_samples, n_classes) or "
            "(n_epochs, n_samples, n_classes)."
        )
    n_epochs, n_samples, n_classes = array.shape
    if len(passed_shape) == 3 and n_labels is not None and n_samples != n_labels == n_epochs:
        raise InvalidInputError(
            f"{argument} has shape {passed_shape}, read as (n_epochs, n_samples, n_classes), "
            f"but there are {n_labels} labels. If the epochs are the second axis, pass "
            f"{argument}.transpose(1, 0, 2)."
        )
    if n_labels is not None and n_classes == n_labels and n_samples < n_labels:
        raise InvalidInputError(
            f"{argument} has shape {passed_shape}, with {n_labels} columns for {n_labels} labels: "
            f"it looks transposed. Pass one row per sample and one column per class ({argument}.T)."
        )
    if n_epochs == 0 or n_samples == 0:
        raise InvalidInputError(
            f"{argument} has shape {passed_shape}; pass at least one epoch and one sample."
        )
    if n_classes < 2:
        raise InvalidInputError(
            f"{argument} has {n_classes} column(s); a classifier needs >= 2 classes, one column "
            "each."
        )
    checked = np.empty(array.shape, dtype=np.float32)
    for epoch in range(n_epochs):
        pair = (array[epoch], None) if argument == "logits" else (None, array[epoch])
        try:
            checked[epoch], _ = validation.check_scores(*pair, n_samples, n_classes, stores=False)
        except InvalidInputError as error:
            if n_epochs == 1:
                raise
            raise InvalidInputError(f"{argument}[{epoch}] (epoch {epoch}): {error}") from error
        if argument == "logits":
            checked[epoch] = softmax(checked[epoch])
    return checked


def _length(labels: Any) -> int | None:
    """Return the number of labels when ``labels`` is a 1-D sequence, else None."""
    try:
        shape = np.shape(labels)
    except (TypeError, ValueError):
        return None
    return shape[0] if len(shape) == 1 else None


def _check_classes(classes: Any, n_classes: int, argument: str) -> list[str] | None:
    """Return the class names as a list of str, one per column of ``argument``."""
    if classes is None:
        return None
    if isinstance(classes, str) or not hasattr(classes, "__len__"):
        raise InvalidInputError(
            f"classes={classes!r} is not a sequence; pass one class name per column of "
            f"{argument}, in column order."
        )
    names = [str(name) for name in classes]
    if len(names) != n_classes:
        raise InvalidInputError(
            f"classes has {len(names)} names but {argument} has {n_classes} columns; pass one "
            "class name per column, in column order."
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInputError(
            f"classes repeats {repeated[:5]}; each column needs its own class name."
        )
    return names


def _check_labels(
    labels: Any, n_samples: int, n_classes: int, argument: str, class_names: list[str] | None
) -> np.ndarray:
    if class_names is not None:
        return _named_labels(labels, n_samples, class_names, argument)
    if isinstance(getattr(labels, "dtype", None), pd.CategoricalDtype):
        raise InvalidInputError(
            f"labels is categorical; pass classes=[...], the class names in the column order of "
            f"{argument}, or pass its codes (labels.cat.codes) if the columns follow "
            "labels.cat.categories."
        )
    array = validation.to_numpy(labels, "labels")
    if array.ndim == 2 and array.shape[1] == 1:
        raise InvalidInputError(
            f"labels has shape {array.shape}, one column; pass that column as a 1-D array or a "
            "Series (labels[:, 0], or frame['label'] for a DataFrame)."
        )
    if array.ndim != 1:
        raise InvalidInputError(
            f"labels has shape {array.shape}; pass a 1-D array with one class index per row of "
            f"{argument} (for one-hot labels, labels.argmax(axis=1))."
        )
    if array.shape[0] != n_samples:
        raise InvalidInputError(
            f"labels has {array.shape[0]} entries but {argument} has {n_samples} row(s); pass one "
            f"label per row of {argument}."
        )
    expected = (
        f"pass integer class indices in [0, {n_classes - 1}] that match the columns of {argument}."
    )
    if array.dtype.kind == "b":
        raise InvalidInputError(
            f"labels has dtype bool; {expected[:-1]} (for a yes/no target, labels.astype(int))."
        )
    if array.dtype.kind in "UO":
        raise InvalidInputError(
            f"labels has dtype {array.dtype}; {expected[:-1]}. For class names, also pass "
            f"classes=[...], the names in the column order of {argument}."
        )
    if array.dtype.kind not in "iuf":
        raise InvalidInputError(f"labels has dtype {array.dtype}; {expected}")
    if array.dtype.kind == "f":
        fractional = array[~np.isfinite(array) | (array != np.round(array))]
        if fractional.size:
            raise InvalidInputError(
                f"labels contains non-integer values (first: {float(fractional[0])}); {expected}"
            )
    return validation.check_labels(array, [str(index) for index in range(n_classes)], n_samples)


def _named_labels(
    labels: Any, n_samples: int, class_names: list[str], argument: str
) -> np.ndarray:
    """Return labels given as class names (or as class indices) as int32 indices."""
    is_categorical = isinstance(getattr(labels, "dtype", None), pd.CategoricalDtype)
    values = labels.astype(object) if is_categorical else labels
    array = validation.to_numpy(values, "labels")
    if array.ndim != 1 or array.shape[0] != n_samples:
        raise InvalidInputError(
            f"labels has shape {array.shape}; pass one label per row of {argument}, "
            f"({n_samples},)."
        )
    if array.dtype.kind in "UO":
        lookup = {name: index for index, name in enumerate(class_names)}
        names = [str(value) for value in array.tolist()]
        unknown = sorted({name for name in names if name not in lookup})
        if unknown:
            raise InvalidInputError(
                f"labels contains {unknown[:5]}, which are not in classes "
                f"{class_names[:20]}{' ...' if len(class_names) > 20 else ''}; fix the names or "
                "add the missing classes (one column of probabilities each)."
            )
        return np.array([lookup[name] for name in names], dtype=np.int32)
    return _check_labels(array, n_samples, len(class_names), argument, None)


def _neighbors(embeddings: np.ndarray | None) -> np.ndarray | None:
    if embeddings is None:
        return None
    if np.ptp(embeddings, axis=0).max() == 0:
        warnings.warn(
            "embeddings are the same for every sample, so their neighbours say nothing; DEP uses "
            "the margins alone. Check that the hook captures the layer you meant.",
            SkippedSignalWarning,
            stacklevel=3,
        )
        return None
    try:
        return neighbors_within(embeddings, N_NEIGHBORS).rows
    except ImportError:
        warnings.warn(
            "faiss is not installed, so DEP uses the margins alone; pip install faiss-cpu to "
            "include the neighbour signal.",
            SkippedSignalWarning,
            stacklevel=3,
        )
        return None


def _frame(
    labels: Any, label_array: np.ndarray, scores: LabelErrorScores, class_names: list[str] | None
) -> pd.DataFrame:
    index = labels.index if isinstance(labels, pd.Series) else pd.RangeIndex(label_array.shape[0])
    frame = pd.DataFrame({"label": label_array, **score_columns(scores)}, index=index)
    frame = frame.drop(columns="n_epochs")
    if class_names is not None:
        names = np.array(class_names + [None], dtype=object)  # index -1 (no class) reads None
        for column, codes in (("label", label_array), ("predicted", scores.predicted),
                              ("suggested_label", scores.suggested_label)):
            name_column = "predicted_name" if column == "predicted" else f"{column}_name"
            frame.insert(frame.columns.get_loc(column) + 1, name_column, names[codes])
    frame.attrs["estimated_label_errors"] = scores.estimated_error_count
    frame.attrs["dep_thresholds"] = {"easy": scores.easy_threshold, "hard": scores.hard_threshold}
    return frame
