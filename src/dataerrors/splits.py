"""The dataset splits a run can hold."""

from __future__ import annotations

from .errors import InvalidInputError

TRAINING = "training"
VALIDATION = "validation"
TEST = "test"
INFERENCE = "inference"

#: Every split name that dataerrors accepts, in display order.
SPLITS: tuple[str, ...] = (TRAINING, VALIDATION, TEST, INFERENCE)


def check_split(split: object, argument: str = "split") -> str:
    """Return ``split`` if it names a known split, else raise :class:`InvalidInputError`."""
    if split not in SPLITS:
        raise InvalidInputError(
            f"{argument}={split!r} is not a known split; use one of {', '.join(map(repr, SPLITS))}."
        )
    return str(split)
