"""Input checks of :func:`dataerrors.rank_label_errors`: what a caller passed, as arrays.

Each function raises :class:`~dataerrors.errors.InvalidInputError` naming the argument, the
value and the fix. pandas inputs are matched by index and by class-named columns here, so the
scoring code behind them works on plain arrays in label order.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import validation
from .analysis.scores import softmax
from .errors import InvalidInputError


def aligned(values: Any, labels: Any, argument: str, classes: Sequence[str] | None = None) -> Any:
    """Return ``values`` with a DataFrame's rows put in the order of the labels Series' index.

    A list or tuple of DataFrames (one per epoch) is aligned frame by frame and stacked.
    """
    if isinstance(values, (list, tuple)) and any(isinstance(item, pd.DataFrame) for item in values):
        return np.stack([
            validation.to_numpy(
                aligned(item, labels, f"{argument}[{epoch}]", classes), f"{argument}[{epoch}]"
            )
            for epoch, item in enumerate(values)
        ])
    if not isinstance(values, pd.DataFrame):
        return values
    if argument != "embeddings":
        values = class_columns(values, argument, classes)
    else:
        text = [name for name in values.columns if not pd.api.types.is_numeric_dtype(values[name])]
        if text:
            raise InvalidInputError(
                f"embeddings has non-numeric column(s) {text[:5]}; keep only the embedding "
                f"dimensions, for example embeddings.drop(columns={text[:5]})."
            )
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


def class_columns(
    frame: pd.DataFrame, argument: str, classes: Sequence[str] | None
) -> pd.DataFrame:
    """Return ``frame`` with its columns in class order.

    Columns named by the ``classes`` names, or by the integers 0 to n_classes - 1, are put in
    that order. Columns with other names are taken in their order, as an array's would be.
    """
    names = list(frame.columns)
    if argument.startswith("probs"):
        check_probability_columns(frame, argument)
    integer_names = all(
        isinstance(name, (int, np.integer)) and not isinstance(name, bool) for name in names
    )
    if classes is not None and not isinstance(classes, str) and hasattr(classes, "__iter__"):
        class_order = [class_name(name) for name in classes]
        by_name = {class_name(name): name for name in names}
        if sorted(by_name) == sorted(class_order) and len(by_name) == len(names):
            return frame[[by_name[name] for name in class_order]]
        if not integer_names:
            extra = [name for name in by_name if name not in class_order]
            missing = [name for name in class_order if name not in by_name]
            raise InvalidInputError(
                f"{argument} has columns {extra[:5]} that are not in classes, and classes "
                f"{missing[:5]} that are not among its columns; name one column per class as in "
                f"classes, or pass {argument}.to_numpy() with the columns in the order of classes."
            )
    if not integer_names:
        return frame
    if sorted(names) != list(range(len(names))):
        raise InvalidInputError(
            f"{argument} has integer column names {names[:10]}{' ...' if len(names) > 10 else ''}"
            f", which are not the class indices 0 to {len(names) - 1}; name the columns 0, 1, ... "
            "by class index, or drop the columns that are not class probabilities."
        )
    return frame[sorted(names)]


def check_probability_columns(frame: pd.DataFrame, argument: str) -> None:
    """Raise naming the columns of a probabilities DataFrame that cannot be probabilities."""
    bad = [
        name for name in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[name])
        or bool(((frame[name] < 0) | (frame[name] > 1)).any())
    ]
    if bad:
        raise InvalidInputError(
            f"{argument} has column(s) {bad[:5]} with values that are not probabilities (not "
            f"numbers, or outside [0, 1]); keep one column per class, for example "
            f"{argument}.drop(columns={bad[:5]})."
        )


def check_probs(outputs: Any, argument: str, n_labels: int | None = None) -> np.ndarray:
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


def label_count(labels: Any) -> int | None:
    """Return the number of labels when ``labels`` is a 1-D sequence, else None."""
    try:
        shape = np.shape(labels)
    except (TypeError, ValueError):
        return None
    return shape[0] if len(shape) == 1 else None


def check_classes(classes: Any, n_classes: int, argument: str) -> list[str] | None:
    """Return the class names as a list of str, one per column of ``argument``."""
    if classes is None:
        return None
    if isinstance(classes, str) or not hasattr(classes, "__len__"):
        raise InvalidInputError(
            f"classes={classes!r} is not a sequence; pass one class name per column of "
            f"{argument}, in column order."
        )
    names = [class_name(name) for name in classes]
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


def check_labels(
    labels: Any, n_samples: int, n_classes: int, argument: str, class_names: list[str] | None
) -> np.ndarray:
    """Return ``labels`` as int32 class indices, one per row of ``argument``.

    With ``class_names``, labels are matched to them by :func:`named_labels`.
    """
    if class_names is not None and label_count(labels) == n_samples:
        return named_labels(labels, class_names, argument)

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
    check_missing_labels(array, argument)

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


def named_labels(labels: Any, class_names: list[str], argument: str) -> np.ndarray:
    """Return labels as int32 class indices, matching them to ``class_names`` by value.

    Numbers are matched by value when every class name is an integer (classes such as 1 to 5),
    and read as positions in ``class_names`` otherwise.
    """
    is_categorical = isinstance(getattr(labels, "dtype", None), pd.CategoricalDtype)
    array = validation.to_numpy(labels.astype(object) if is_categorical else labels, "labels")
    numeric_classes = all(name.lstrip("-").isdigit() for name in class_names)
    if array.dtype.kind in "iuf" and not numeric_classes:
        return check_labels(array, array.shape[0], len(class_names), argument, None)

    check_missing_labels(array, argument)
    if array.dtype.kind == "f" and np.all(array == np.round(array)):
        array = array.astype(np.int64)
    lookup = {name: index for index, name in enumerate(class_names)}
    names = [class_name(value) for value in array.tolist()]
    unknown = sorted({name for name in names if name not in lookup})
    if unknown:
        raise InvalidInputError(
            f"labels contains {unknown[:5]}, which are not in classes "
            f"{class_names[:20]}{' ...' if len(class_names) > 20 else ''}; fix the labels or "
            "add the missing classes (one column of probabilities each)."
        )
    return np.array([lookup[name] for name in names], dtype=np.int32)


def check_missing_labels(array: np.ndarray, argument: str) -> None:
    """Raise when some labels are missing (None or NaN), naming how many and where."""
    if array.dtype.kind not in "fO":
        return
    missing = np.flatnonzero(pd.isna(array))
    if missing.size:
        raise InvalidInputError(
            f"labels has {missing.size} missing value(s) (None or NaN), first at row "
            f"{int(missing[0])}; drop those rows from labels and {argument}, or give them a label."
        )


def class_name(value: Any) -> str:
    """Return a class name as text; bytes (as in some scikit-learn classes_) are decoded."""
    return value.decode() if isinstance(value, bytes) else str(value)

