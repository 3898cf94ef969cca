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
from .analysis.scores import given_label_scores, top_classes
from .errors import DegenerateInputWarning, InvalidInputError, SkippedSignalWarning
from .ranking_inputs import aligned, check_classes, check_labels, check_probs, label_count


#: The below-chance warning needs this many samples per class, so that chance is measurable.
MIN_SAMPLES_PER_CLASS_FOR_CHANCE = 5


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
    labels : (n_samples,) int, or class names with ``classes``
        Given labels as class indices in [0, n_classes - 1], or as the names in ``classes``. A
        pandas Series keeps its index.
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
    classes : sequence, optional
        Class names in the column order of ``probs`` (for example a scikit-learn model's
        ``classes_``). With it, labels are matched to these names by value (numbers too, when
        every class name is an integer), DataFrame columns named by class are put in this
        order, and the result adds ``label_name``, ``predicted_name`` and
        ``suggested_label_name``.

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
    DegenerateInputWarning
        When the most probable class equals the given label no more often than chance, as
        happens when the columns of ``probs`` are in another class order than the labels.

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
    outputs = aligned(probs if probs is not None else logits, labels, argument, classes)
    epoch_probs = check_probs(outputs, argument, label_count(labels))
    n_epochs, n_samples, n_classes = epoch_probs.shape
    class_names = check_classes(classes, n_classes, argument)
    label_array = check_labels(labels, n_samples, n_classes, argument, class_names)
    embedding_array = None
    if embeddings is not None:
        embedding_array = validation.check_embeddings(
            aligned(embeddings, labels, "embeddings"), n_samples, None, stores=False
        )

    p_given = np.empty((n_epochs, n_samples), dtype=np.float32)
    margins = np.empty((n_epochs, n_samples), dtype=np.float32)
    predicted = np.empty((n_epochs, n_samples), dtype=np.int32)
    for epoch, epoch_prob in enumerate(epoch_probs):
        p_given[epoch], margins[epoch] = given_label_scores(epoch_prob, label_array)
        predicted[epoch] = top_classes(epoch_prob, 1)[0][:, 0]
    _warn_below_chance(predicted[-1], label_array, n_classes, argument, class_names is not None)
    last = epoch_probs[-1]
    sums, counts = mislabel.class_probability_sums(last, label_array, n_classes)
    thresholds = mislabel.class_thresholds(sums, counts)
    confident, _ = mislabel.confident_classes(last, label_array, thresholds)
    neighbors = _neighbors(embedding_array)
    scores = score_label_errors(
        label_array, p_given, margins, predicted, confident, n_classes, neighbors
    )
    return _frame(labels, label_array, scores, class_names)


def _warn_below_chance(
    predicted: np.ndarray, labels: np.ndarray, n_classes: int, argument: str, named: bool
) -> None:
    """Warn when the predictions agree with the labels no more often than chance.

    That is what columns in another order than the classes of the labels look like.
    """
    if labels.shape[0] < MIN_SAMPLES_PER_CLASS_FOR_CHANCE * n_classes:
        return
    agreement = float(np.mean(predicted == labels))
    if agreement > 1.0 / n_classes:
        return
    order = "the order of classes" if named else "the class indices of labels"
    warnings.warn(
        f"the most probable class of {argument} equals the given label for only "
        f"{100 * agreement:.1f}% of samples, no better than chance with {n_classes} classes; "
        f"check that the columns of {argument} follow {order}.",
        DegenerateInputWarning,
        stacklevel=3,
    )


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
