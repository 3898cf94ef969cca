"""The parts of a batch that a watcher needs: its sample ids, its logits, the rows to log."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from .. import validation
from ..errors import InvalidInputError


def split_batch(batch: Any) -> tuple[Any, Any]:
    """Return ``(ids, rest)`` for a batch collated from an IndexedDataset (ids last)."""
    if not isinstance(batch, (list, tuple)) or len(batch) < 2:
        raise InvalidInputError(
            f"the loader yielded a {type(batch).__name__} batch, which does not end with sample "
            "ids; wrap the dataset in IndexedDataset so that every item ends with its id."
        )
    rest = batch[0] if len(batch) == 2 else type(batch)(batch[:-1])
    return batch[-1], rest


def batch_ids(ids: Any) -> np.ndarray:
    """Return the ids of one batch as a 1-D int64 or str array; repeats are allowed."""
    array = validation.to_numpy(ids, "ids")
    if array.ndim != 1 or array.size == 0:
        raise InvalidInputError(
            f"ids has shape {array.shape}; expected a non-empty 1-D batch of sample ids."
        )
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype.kind in "UO" and all(isinstance(value, str) for value in array.tolist()):
        return array.astype(str)
    raise InvalidInputError(
        f"ids has dtype {array.dtype}; sample ids must be integers or strings. If these are "
        "inputs or labels, the batch does not end with its ids: wrap the dataset in IndexedDataset."
    )


def first_occurrences(ids: np.ndarray) -> np.ndarray:
    """Return a bool mask that is True at the first position of each distinct id."""
    _, first = np.unique(ids, return_index=True)
    mask = np.zeros(ids.shape[0], dtype=bool)
    mask[first] = True
    return mask


def logits_of(output: Any) -> torch.Tensor:
    """Return the logits in a model's output: a tensor, a ``logits`` field or key, or a tuple's."""
    if isinstance(output, torch.Tensor):
        return output
    field = getattr(output, "logits", None)
    if field is None and isinstance(output, Mapping):
        field = output.get("logits")
    if isinstance(field, torch.Tensor):
        return field
    if isinstance(output, (tuple, list)):
        for value in output:
            if isinstance(value, torch.Tensor) and value.ndim >= 2:
                return value
    raise InvalidInputError(
        f"the model returned a {type(output).__name__} with no logits tensor in it; pass "
        "logits=<function from the output to the logits tensor> to dataerrors.torch.watch()."
    )


def check_batch_size(values: Any, argument: str, ids: np.ndarray) -> None:
    if not isinstance(values, torch.Tensor) or values.ndim == 0:
        raise InvalidInputError(
            f"{argument} is a {type(values).__name__}, not a batch tensor; check the logits= "
            "function passed to watch()."
        )
    if values.shape[0] != ids.shape[0]:
        raise InvalidInputError(
            f"{argument} has {values.shape[0]} rows but the batch has {ids.shape[0]} ids; the "
            "watcher joins one forward pass to one batch. If a batch is split into micro-batches, "
            "call watcher.set_ids(ids) with each micro-batch's ids before its forward pass."
        )


def take_rows(values: torch.Tensor, keep: np.ndarray) -> torch.Tensor:
    index = torch.from_numpy(np.flatnonzero(keep)).to(values.device)
    return values.detach().index_select(0, index)
