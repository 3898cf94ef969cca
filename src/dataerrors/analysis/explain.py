"""Readable reasons for a sample's DEP: which signals raised it, with their values."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .dep import NEIGHBOR_WEIGHT

#: A neighbour signal counts as a reason when more than this share of neighbours disagree.
NEIGHBOR_REASON_SHARE = 0.5


def explain_sample(
    label: int,
    dep: float,
    margins: Sequence[float],
    predicted: Sequence[int],
    neighbor_disagreement: float,
    neighbor_label: int,
    confident_label: int,
    suggested_label: int,
    is_likely_mislabeled: bool,
    class_names: Sequence[str],
) -> dict[str, Any]:
    """Explain one sample's DEP from its signals.

    Parameters
    ----------
    label : int
        Given label.
    dep : float in [0, 1]
        The sample's DEP (NaN when it has none).
    margins, predicted : sequences of equal length
        Per logged epoch, oldest first: the margin (given-label probability minus the largest
        other probability, in [-1, 1]) and the most probable class. Epochs in which the sample
        was not logged carry a NaN margin and class -1.
    neighbor_disagreement : float in [0, 1]
        Share of nearest neighbours with another label; NaN without neighbours.
    neighbor_label : int
        Most common label among the neighbours; -1 without neighbours.
    confident_label : int
        Confident-learning class; -1 when no class reaches its threshold.
    suggested_label : int
    is_likely_mislabeled : bool
    class_names : sequence of str

    Returns
    -------
    dict
        ``dep``, ``label``, ``suggested_label`` and ``is_likely_mislabeled``. ``signals`` has one
        entry per signal (``margin``, ``neighbors``, ``confident_label``) with its values, its
        part of DEP where it has one, and ``raises_dep``, whether it points to a label error.
        ``reasons`` has one short phrase per signal that raises DEP, and ``sentence`` puts them
        into one English sentence.
    """
    names = _ClassNames(class_names)
    margin_signal = _margin_signal(label, margins, predicted, not math.isnan(neighbor_disagreement))
    neighbor_signal = _neighbor_signal(neighbor_disagreement, neighbor_label)
    confident_signal = {
        "confident_label": int(confident_label),
        "raises_dep": bool(confident_label >= 0 and confident_label != label),
    }
    reasons = []
    if margin_signal["raises_dep"]:
        reasons.append(_margin_reason(label, margin_signal, names))
    if neighbor_signal is not None and neighbor_signal["raises_dep"]:
        share = "all" if neighbor_disagreement == 1 else f"{100 * neighbor_disagreement:.0f}%"
        reason = f"{share} of its nearest neighbours in embedding space carry another label"
        # The majority can still be the sample's own label when the others are split.
        if neighbor_label >= 0 and neighbor_label != label:
            reason += f" (most often {names(neighbor_label)})"
        reasons.append(reason)
    if confident_signal["raises_dep"]:
        reasons.append(f"confident learning places it in class {names(confident_label)}")
    return {
        "dep": _finite_or_none(dep),
        "label": int(label),
        "suggested_label": int(suggested_label),
        "is_likely_mislabeled": bool(is_likely_mislabeled),
        "signals": {
            "margin": margin_signal,
            "neighbors": neighbor_signal,
            "confident_label": confident_signal,
        },
        "reasons": reasons,
        "sentence": _sentence(label, dep, reasons, margin_signal, neighbor_signal is not None,
                              suggested_label, is_likely_mislabeled, names),
    }


class _ClassNames:
    def __init__(self, class_names: Sequence[str]) -> None:
        self._names = list(class_names)

    def __call__(self, index: int) -> str:
        if 0 <= index < len(self._names):
            return f"'{self._names[index]}'"
        return "none"


def _margin_signal(
    label: int, margins: Sequence[float], predicted: Sequence[int], has_neighbors: bool
) -> dict[str, Any]:
    margin_array = np.asarray(margins, dtype=np.float64)
    logged = ~np.isnan(margin_array)
    aum = float(margin_array[logged].mean()) if logged.any() else math.nan
    last = float(margin_array[logged][-1]) if logged.any() else math.nan
    other = [int(value) for value, seen in zip(predicted, logged) if seen and value != label]
    most_common_other = max(set(other), key=other.count) if other else -1
    weight = 1.0 - NEIGHBOR_WEIGHT if has_neighbors else 1.0
    return {
        "aum": _finite_or_none(aum),
        "last_margin": _finite_or_none(last),
        "per_epoch": [_finite_or_none(value) for value in margin_array],
        "predicted_per_epoch": [int(value) for value in predicted],
        "n_epochs": int(logged.sum()),
        "n_epochs_other_class": len(other),
        "most_predicted_other_class": most_common_other,
        "dep_part": _finite_or_none(weight * (1.0 - min(aum, last)) / 2.0),
        "raises_dep": bool(logged.any() and min(aum, last) < 0),
    }


def _neighbor_signal(disagreement: float, neighbor_label: int) -> dict[str, Any] | None:
    if math.isnan(disagreement):
        return None
    return {
        "disagreement": float(disagreement),
        "majority_label": int(neighbor_label),
        "dep_part": NEIGHBOR_WEIGHT * float(disagreement),
        "raises_dep": bool(disagreement > NEIGHBOR_REASON_SHARE),
    }


def _margin_reason(label: int, signal: dict[str, Any], names: _ClassNames) -> str:
    return (
        f"the model predicted another class than the given label {names(label)} in "
        f"{signal['n_epochs_other_class']} of {signal['n_epochs']} epoch(s), most often "
        f"{names(signal['most_predicted_other_class'])} (mean margin {signal['aum']:+.2f}, "
        f"last {signal['last_margin']:+.2f})"
    )


def _sentence(
    label: int, dep: float, reasons: list[str], margin_signal: dict[str, Any],
    has_neighbors: bool, suggested_label: int, is_likely_mislabeled: bool, names: _ClassNames,
) -> str:
    if math.isnan(dep):
        return "No DEP: the sample is unlabeled or has no logged outputs."
    head = f"DEP {dep:.2f}"
    if not reasons:
        neighbors = ", and most of its nearest neighbours share that label" if has_neighbors else ""
        return (
            f"{head}: no signal points to a label error. The model agreed with the given label "
            f"{names(label)} (mean margin {margin_signal['aum']:+.2f}, last "
            f"{margin_signal['last_margin']:+.2f}){neighbors}."
        )
    tail = ""
    if is_likely_mislabeled and suggested_label != label:
        tail = f" Flagged as likely mislabeled; suggested label {names(suggested_label)}."
    elif not is_likely_mislabeled:
        tail = (
            " Not flagged as likely mislabeled: per given class, the flag goes to the highest-DEP "
            "samples, as many as confident learning estimates that class has label errors, and "
            f"this sample ranks beyond that count for class {names(label)}."
        )
    return f"{head}: " + "; ".join(reasons) + "." + tail


def _finite_or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
