"""Human-confirmed label errors in real test sets, read from the reference data folder.

The reference data lives outside the repository (``../shared/data`` beside the checkout, or
``$DATAERRORS_REFERENCE_DATA``); see that folder's README for sources and licenses.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: A candidate is a confirmed error when fewer than this many of its 5 crowd workers chose the
#: given label. This rule reproduces the published counts (MNIST 15 of 100, CIFAR-10 54 of 275).
MIN_VOTES_FOR_GIVEN = 3


def reference_data_folder() -> Path:
    """Return the reference data folder, raising FileNotFoundError with the fix if it is missing."""
    configured = os.environ.get("DATAERRORS_REFERENCE_DATA")
    folder = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    if not (folder / "label-errors").is_dir():
        raise FileNotFoundError(
            f"reference data not found in {folder}; set DATAERRORS_REFERENCE_DATA to the folder "
            "holding label-errors/ and cifar10-subset/."
        )
    return folder


@dataclass(frozen=True)
class ConfirmedErrors:
    """Masks of the test-set samples that people checked and of those found to be label errors.

    Both masks have one entry per test-set sample, in the published test-set order.
    """

    is_error: np.ndarray
    is_candidate: np.ndarray


def confirmed_errors(dataset: str, n_samples: int) -> ConfirmedErrors:
    """Read the crowd votes of ``dataset`` ("mnist" or "cifar10") into masks over its test set."""
    path = reference_data_folder() / "label-errors" / f"{dataset}_mturk.json"
    entries = json.loads(path.read_text(encoding="utf-8"))
    is_error = np.zeros(n_samples, dtype=bool)
    is_candidate = np.zeros(n_samples, dtype=bool)
    for entry in entries:
        is_candidate[entry["id"]] = True
        is_error[entry["id"]] = entry["mturk"]["given"] < MIN_VOTES_FOR_GIVEN
    return ConfirmedErrors(is_error, is_candidate)


def published_predictions(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the published test labels and out-of-sample probabilities of ``dataset``.

    Returns
    -------
    labels : (10000,) int64
    probs : (10000, 10) float64, rows renormalized to sum to 1 (the files drift by up to 4e-7)
    """
    folder = reference_data_folder() / "label-errors"
    labels = np.load(folder / f"{dataset}_test_set_original_labels.npy").astype(np.int64)
    probs = np.load(folder / f"{dataset}_test_set_pyx.npy").astype(np.float64)
    return labels, probs / probs.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class CifarSubset:
    """1,120 CIFAR-10 test images with their published labels and place in the test set."""

    images: np.ndarray  # (1120, 32, 32, 3) uint8 RGB
    labels: np.ndarray  # (1120,) int64
    test_index: np.ndarray  # (1120,) int64, position in the CIFAR-10 test set
    class_names: list[str]


def cifar10_subset() -> CifarSubset:
    """Load the CIFAR-10 test images of the reference data."""
    path = reference_data_folder() / "cifar10-subset" / "cifar10_test_subset1120.npz"
    with np.load(path) as data:
        return CifarSubset(
            images=data["images"],
            labels=data["labels"].astype(np.int64),
            test_index=data["test_index"].astype(np.int64),
            class_names=[str(name).lower() for name in data["class_names"]],
        )
