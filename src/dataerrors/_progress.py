"""Progress reporting that the caller switches on; the library draws nothing by default."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Protocol


class ProgressStep(Protocol):
    def advance(self, amount: float = 1) -> None: ...


class _NoStep:
    def advance(self, amount: float = 1) -> None:
        return None


class _RichStep:
    def __init__(self, progress: object, task_id: object) -> None:
        self._progress = progress
        self._task_id = task_id

    def advance(self, amount: float = 1) -> None:
        self._progress.advance(self._task_id, amount)  # type: ignore[attr-defined]


class Reporter:
    """Show one progress bar per step on stderr when ``enabled``, else do nothing."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._progress: object | None = None

    @contextmanager
    def session(self) -> Iterator["Reporter"]:
        if not self._enabled:
            yield self
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        ) as progress:
            self._progress = progress
            try:
                yield self
            finally:
                self._progress = None

    @contextmanager
    def step(self, description: str, total: float) -> Iterator[ProgressStep]:
        if self._progress is None:
            yield _NoStep()
            return
        task_id = self._progress.add_task(description, total=total)  # type: ignore[attr-defined]
        try:
            yield _RichStep(self._progress, task_id)
        finally:
            self._progress.update(task_id, completed=total)  # type: ignore[attr-defined]
