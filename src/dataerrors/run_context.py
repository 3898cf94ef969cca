"""The split and epoch a run is logging into, for integrations that log on their own.

A training loop tells the run where it is (``run.set_epoch(epoch)``, ``run.set_split("test")``, or
``with run.split("test", epoch=epoch):``) and integrations such as
:func:`dataerrors.torch.watch` read it back when they log a batch. Code that calls
:meth:`~dataerrors.Run.log_outputs` itself passes split and epoch explicitly and needs none of
this.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy as np

from . import validation
from .splits import check_split

if TYPE_CHECKING:
    from .logging_state import SplitState


@dataclass
class LoggingContext:
    """The current split and epoch; ``None`` until the training loop sets them."""

    split: str | None = None
    epoch: int | None = None


class LoggingContextMixin:
    """Methods of :class:`~dataerrors.Run` that set and read the current split and epoch."""

    _logging_context: LoggingContext

    @property
    def current_split(self) -> str | None:
        """The split that integrations log into, or None when the loop has not set one."""
        return self._logging_context.split

    @property
    def current_epoch(self) -> int | None:
        """The epoch that integrations log into, or None when the loop has not set one."""
        return self._logging_context.epoch

    def set_split(self, split: str | None) -> None:
        """Make integrations log into ``split`` until it is set again.

        Parameters
        ----------
        split : {"training", "validation", "test", "inference"} or None
            None lets each integration decide (``dataerrors.torch.watch`` then logs a model in
            training mode into "training" and raises for a model in eval mode).
        """
        self._logging_context.split = None if split is None else check_split(split)

    def set_epoch(self, epoch: int) -> None:
        """Make integrations log into ``epoch`` (an int >= 0) until it is set again."""
        self._logging_context.epoch = validation.check_epoch(epoch)

    @contextmanager
    def split(self, split: str, epoch: int | None = None) -> Iterator[None]:
        """Log into ``split`` (and ``epoch`` if given) inside the block, then restore both.

        ::

            with run.split("test", epoch=epoch), torch.no_grad():
                for images, labels in test_loader:
                    model(images)
        """
        context = self._logging_context
        new_split = check_split(split)
        new_epoch = context.epoch if epoch is None else validation.check_epoch(epoch)
        previous = (context.split, context.epoch)
        context.split, context.epoch = new_split, new_epoch
        try:
            yield
        finally:
            context.split, context.epoch = previous

    def _not_yet_logged(self, split: str, epoch: int, ids: np.ndarray) -> np.ndarray:
        """Return a bool mask of the ``ids`` with no output logged for ``split`` at ``epoch``.

        Raises like :meth:`~dataerrors.Run.log_outputs` if an id was never logged as a sample.
        """
        with self._lock:  # type: ignore[attr-defined]
            state: SplitState = self._state(split)  # type: ignore[attr-defined]
            rows = state.index.rows(ids, split)
            mask = np.ones(ids.shape[0], dtype=bool)
            if state.epoch != epoch:
                return mask
            known = rows < state.seen.shape[0]
            mask[known] = ~state.seen[rows[known]]
            return mask
