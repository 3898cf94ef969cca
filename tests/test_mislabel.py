from __future__ import annotations

import numpy as np
import pytest

from dataerrors.analysis import mislabel
from dataerrors.errors import DegenerateInputWarning


def test_flag_fills_each_class_quota_by_dep():
    labels = np.array([0, 0, 0, 1, 1, 1, -1])
    dep = np.array([0.9, 0.2, 0.7, 0.1, 0.3, np.nan, 0.99], dtype=np.float32)
    # Off the diagonal, class 0 has an estimated 2 errors and class 1 an estimated 0.6.
    flags = mislabel.flag_mislabeled(labels, dep, np.array([[1.0, 2.0], [0.6, 2.4]]))
    assert flags.tolist() == [True, False, True, False, True, False, False]


def test_flag_never_takes_nan_or_unlabeled():
    labels = np.array([0, 0, -1])
    dep = np.array([np.nan, 0.5, 1.0], dtype=np.float32)
    flags = mislabel.flag_mislabeled(labels, dep, np.array([[0.0, 5.0], [0.0, 0.0]]))
    assert flags.tolist() == [False, True, False]


def test_flag_with_empty_joint():
    flags = mislabel.flag_mislabeled(np.array([0, 1]), np.array([0.9, 0.9], dtype=np.float32),
                                     np.zeros((2, 2)))
    assert not flags.any()


def test_confident_learning_hand_computed():
    probs = np.array([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.65, 0.35]])
    labels = np.array([0, 0, 1, 1])
    sums, counts = mislabel.class_probability_sums(probs, labels, 2)
    thresholds = mislabel.class_thresholds(sums, counts)
    assert thresholds == pytest.approx([0.6, 0.575])  # (0.9 + 0.3) / 2 and (0.8 + 0.35) / 2
    confident, excess = mislabel.confident_classes(probs, labels, thresholds)
    assert confident.tolist() == [0, 1, 1, 0]
    assert excess == pytest.approx([0.0, 0.4, 0.0, 0.3])
    joint = mislabel.confident_joint(labels, confident, 2)
    assert joint.tolist() == [[1, 1], [1, 1]]
    assert mislabel.estimate_error_count(mislabel.calibrate_joint(joint, np.array([2, 2]))) == 2


def test_empty_class_threshold_warns():
    with pytest.warns(DegenerateInputWarning, match="class 1"):
        thresholds = mislabel.class_thresholds(np.array([1.0, 0.0]), np.array([2, 0]))
    assert thresholds[1] == 1.0
