"""Training-dynamics statistics over epochs: AUM and the dataset-cartography measures."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._types import BoolArray, FloatArray


@dataclass(frozen=True)
class Dynamics:
    """Per-sample statistics over the logged epochs; every array has shape (n_samples,).

    ``aum`` and ``last_margin`` (the margin of the last epoch in which the sample was logged) are
    in [-1, 1], higher means the model agreed with the given label more. ``confidence`` and ``correctness`` are in [0, 1], higher means more agreement.
    ``variability`` is in [0, 0.5], higher means the model changed its mind more.
    A sample with no logged epoch (or no label) gets NaN everywhere.
    """

    aum: FloatArray
    last_margin: FloatArray
    confidence: FloatArray
    variability: FloatArray
    correctness: FloatArray
    n_epochs: np.ndarray


def training_dynamics(
    p_given: FloatArray, margins: FloatArray, correct: BoolArray
) -> Dynamics:
    """Compute AUM and cartography statistics from per-epoch scores.

    Parameters
    ----------
    p_given : (n_epochs, n_samples) float
        Probability of the given label at each epoch; NaN where a sample was not logged.
    margins : (n_epochs, n_samples) float
        Given-label probability minus the largest other probability, in [-1, 1]; NaN where missing.
    correct : (n_epochs, n_samples) bool
        Whether the predicted class equals the given label at that epoch.

    Returns
    -------
    Dynamics
        ``aum`` is the mean margin over the epochs a sample was logged in (Pleiss et al.,
        NeurIPS 2020). ``confidence`` is the mean of ``p_given``, ``variability`` its standard
        deviation and ``correctness`` the share of epochs predicted correctly (Swayamdipta et
        al., "Dataset Cartography", EMNLP 2020).

    Notes
    -----
    Samples logged in only some epochs are averaged over those epochs. ``variability`` of a
    sample logged once is 0.
    """
    present = ~np.isnan(p_given)
    n_epochs = present.sum(axis=0)
    last_margin = np.full(p_given.shape[1:], np.nan, dtype=np.float32)
    for epoch_margins in margins:  # oldest first, so the last logged epoch wins
        logged = ~np.isnan(epoch_margins)
        last_margin[logged] = epoch_margins[logged]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN on purpose
        aum = np.nanmean(margins, axis=0)
        confidence = np.nanmean(p_given, axis=0)
        variability = np.nanstd(p_given, axis=0)
        correctness = np.where(
            n_epochs > 0, (correct & present).sum(axis=0) / np.maximum(n_epochs, 1), np.nan
        )
    return Dynamics(
        aum=aum.astype(np.float32),
        last_margin=last_margin,
        confidence=confidence.astype(np.float32),
        variability=variability.astype(np.float32),
        correctness=correctness.astype(np.float32),
        n_epochs=n_epochs.astype(np.int32),
    )
