"""The current split and epoch that integrations log into."""

from __future__ import annotations

import numpy as np
import pytest

from dataerrors.errors import InvalidInputError


def test_context_starts_unset(run) -> None:
    assert run.current_split is None
    assert run.current_epoch is None


def test_set_split_and_epoch(run) -> None:
    run.set_split("test")
    run.set_epoch(3)
    assert (run.current_split, run.current_epoch) == ("test", 3)
    run.set_split(None)
    assert run.current_split is None


def test_split_block_restores_previous(run) -> None:
    run.set_epoch(1)
    with run.split("test", epoch=2):
        assert (run.current_split, run.current_epoch) == ("test", 2)
        with run.split("validation"):
            assert (run.current_split, run.current_epoch) == ("validation", 2)
        assert run.current_split == "test"
    assert (run.current_split, run.current_epoch) == (None, 1)


def test_split_block_restores_after_error(run) -> None:
    with pytest.raises(RuntimeError):
        with run.split("test", epoch=0):
            raise RuntimeError("evaluation failed")
    assert (run.current_split, run.current_epoch) == (None, None)


def test_context_invalid_values(run) -> None:
    with pytest.raises(InvalidInputError, match="split='val' is not a known split"):
        run.set_split("val")
    with pytest.raises(InvalidInputError, match="epoch=-1 is negative"):
        run.set_epoch(-1)
    with pytest.raises(InvalidInputError, match="epoch='2' is not an int"):
        with run.split("test", epoch="2"):
            pass
    assert (run.current_split, run.current_epoch) == (None, None)


def test_not_yet_logged_mask(run) -> None:
    logits = np.zeros((3, 4))
    assert run._not_yet_logged("training", 0, np.array([0, 1, 2])).all()
    run.log_outputs("training", 0, [0, 1, 2], logits=logits)
    mask = run._not_yet_logged("training", 0, np.array([2, 3, 1, 4]))
    assert mask.tolist() == [False, True, False, True]
    assert run._not_yet_logged("training", 1, np.array([0, 1])).all()
    with pytest.raises(InvalidInputError, match="never logged as samples of split 'training'"):
        run._not_yet_logged("training", 0, np.array([999]))
