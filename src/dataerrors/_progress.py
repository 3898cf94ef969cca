"""Progress reporting that the caller switches on; the library draws nothing by default."""

from __future__ import annotations

import time
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
        self._plain_console: object | None = None

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

        console = Console(stderr=True)
        if not console.is_terminal and not console.is_jupyter:
            # A log file or a pipe would get the bars' final frames, cut to 80 columns: print one
            # line per finished step instead.
            self._plain_console = console
            try:
                yield self
            finally:
                self._plain_console = None
            return
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            self._progress = progress
            try:
                yield self
            finally:
                self._progress = None

    @contextmanager
    def step(self, description: str, total: float) -> Iterator[ProgressStep]:
        if self._plain_console is not None:
            started = time.perf_counter()
            yield _NoStep()
            seconds = time.perf_counter() - started
            self._plain_console.print(f"{description}: done in {seconds:.1f} s", soft_wrap=True, highlight=False)  # type: ignore[attr-defined]
            return
        if self._progress is None:
            yield _NoStep()
            return
        task_id = self._progress.add_task(description, total=total)  # type: ignore[attr-defined]
        try:
            yield _RichStep(self._progress, task_id)
        finally:
            self._progress.update(task_id, completed=total)  # type: ignore[attr-defined]
