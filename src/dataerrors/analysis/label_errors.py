"""Every per-sample label-error score of one split, from arrays already in memory.

Both the analysis of a logged run (:mod:`dataerrors.pipeline.scores_step`) and
:func:`dataerrors.rank_label_errors` call :func:`score_label_errors`, so a logged run and a direct
call on the same outputs give the same scores. The expensive inputs (per-class thresholds and
confident classes over full probability vectors, nearest neighbours) are computed by the callers,
chunk by chunk where the data is large, with the functions of :mod:`.mislabel` and
:mod:`.neighbor_labels`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._types import BoolArray, FloatArray, IntArray
from . import mislabel
from .dep import data_error_potential, dep_thresholds
from .dynamics import Dynamics, training_dynamics
from .neighbor_labels import neighbor_label_disagreement, neighbor_majority_label


@dataclass(frozen=True)
class LabelErrorScores:
    """Per-sample scores of one split; every array has shape (n_samples,).

    ``margin`` is the margin of the last epoch in which the sample was logged. ``dep`` is in
    [0, 1], higher means more likely a label error; NaN for unlabeled samples and
    samples without outputs. ``neighbor_disagreement`` is NaN when no neighbours were given.
    ``neighbor_label`` is -1 and ``neighbor_label_share`` NaN in the same cases.
    ``difficulty`` is "easy", "ambiguous", "hard" or None (no DEP).
    """

    dynamics: Dynamics
    predicted: IntArray
    margin: FloatArray
    neighbor_disagreement: FloatArray
    neighbor_label: IntArray
    neighbor_label_share: FloatArray
    dep: FloatArray
    confident_label: IntArray
    suggested_label: IntArray
    is_likely_mislabeled: BoolArray
    difficulty: np.ndarray
    calibrated_joint: FloatArray
    easy_threshold: float
    hard_threshold: float

    @property
    def has_outputs(self) -> BoolArray:
        return self.dynamics.n_epochs > 0

    @property
    def estimated_error_count(self) -> float:
        return mislabel.estimate_error_count(self.calibrated_joint)


def score_label_errors(
    labels: IntArray,
    p_given: FloatArray,
    margins: FloatArray,
    predicted: IntArray,
    confident: IntArray,
    n_classes: int,
    neighbor_indices: IntArray | None = None,
) -> LabelErrorScores:
    """Combine training dynamics, neighbour labels and confident learning into DEP and flags.

    Parameters
    ----------
    labels : (n_samples,) int
        Given labels; negative for unlabeled samples.
    p_given, margins : (n_epochs, n_samples) float
        Per epoch, the given-label probability and the margin (see
        :func:`dataerrors.analysis.scores.given_label_scores`); NaN where a sample was not logged.
    predicted : (n_epochs, n_samples) int
        Per epoch, the most probable class; -1 where a sample was not logged.
    confident : (n_samples,) int
        Confident class of each sample from :func:`dataerrors.analysis.mislabel.confident_classes`
        on the last epoch with probability vectors; -1 where none.
    n_classes : int
    neighbor_indices : (n_samples, k) int, optional
        Row positions of each sample's nearest neighbours in embedding space, within the same
        samples, the sample itself left out. Without it DEP uses the margins alone.

    Returns
    -------
    LabelErrorScores
    """
    n_samples = labels.shape[0]
    dynamics = training_dynamics(p_given, margins, predicted == labels[None, :])
    has_outputs = dynamics.n_epochs > 0
    if neighbor_indices is not None:
        disagreement = neighbor_label_disagreement(neighbor_indices, labels)
        neighbor_label, neighbor_share = neighbor_majority_label(
            neighbor_indices, labels, n_classes
        )
    else:
        disagreement = np.full(n_samples, np.nan, dtype=np.float32)
        neighbor_label = np.full(n_samples, -1, dtype=np.int32)
        neighbor_share = np.full(n_samples, np.nan, dtype=np.float32)
    dep = data_error_potential(dynamics.aum, dynamics.last_margin, disagreement)
    easy, hard = dep_thresholds(dep)

    last_predicted = predicted[-1] if predicted.shape[0] else np.full(n_samples, -1, np.int32)
    class_counts = np.bincount(labels[(labels >= 0) & has_outputs], minlength=n_classes)
    joint = mislabel.confident_joint(labels, confident, n_classes)
    calibrated = mislabel.calibrate_joint(joint, class_counts)
    flags = mislabel.flag_mislabeled(labels, dep, calibrated)
    suggested = mislabel.suggest_labels(labels, confident, last_predicted)

    difficulty = np.where(dep >= hard, "hard", np.where(dep < easy, "easy", "ambiguous"))
    difficulty = np.where(np.isnan(dep), None, difficulty)
    return LabelErrorScores(
        dynamics=dynamics,
        predicted=last_predicted.astype(np.int32),
        margin=dynamics.last_margin,
        neighbor_disagreement=disagreement,
        neighbor_label=neighbor_label,
        neighbor_label_share=neighbor_share,
        dep=dep,
        confident_label=confident.astype(np.int32),
        suggested_label=suggested,
        is_likely_mislabeled=flags,
        difficulty=difficulty,
        calibrated_joint=calibrated,
        easy_threshold=easy,
        hard_threshold=hard,
    )


def score_columns(scores: LabelErrorScores) -> dict[str, np.ndarray]:
    """Return the per-sample columns shared by the analysis table and ``rank_label_errors``."""
    dynamics = scores.dynamics
    return {
        "dep": scores.dep,
        "is_likely_mislabeled": scores.is_likely_mislabeled,
        "suggested_label": scores.suggested_label,
        "predicted": scores.predicted,
        "confident_label": scores.confident_label,
        "aum": dynamics.aum,
        "margin": scores.margin,
        "confidence": dynamics.confidence,
        "variability": dynamics.variability,
        "correctness": dynamics.correctness,
        "n_epochs": dynamics.n_epochs,
        "neighbor_disagreement": scores.neighbor_disagreement,
        "neighbor_label": scores.neighbor_label,
        "neighbor_label_share": scores.neighbor_label_share,
        "difficulty": scores.difficulty,
    }
