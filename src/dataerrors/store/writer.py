"""Background writer: turns logged batches into Parquet parts off the training loop's thread.

The caller validates a batch, then hands the writer a function that builds its Arrow table. The
writer thread builds tables, buffers them per destination and writes a part once a buffer passes
``part_bytes`` or on :meth:`PartWriter.flush`. The queue between the two is bounded, so a writer
that falls behind slows the caller down instead of growing memory without limit.

Durability: every batch submitted before :meth:`PartWriter.flush` returns is in a complete part on
disk. A part is written under a temporary name, synced and renamed, so a process killed at any
point leaves only whole parts (and temporary files that :func:`remove_temporary_files` deletes).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import WriterError
from .layout import next_part_number, part_name, temporary_path

logger = logging.getLogger(__name__)

DEFAULT_PART_BYTES = 64 * 1024 * 1024
DEFAULT_QUEUE_SIZE = 16
# Vectors (float16 probabilities and embeddings) barely compress, so they use lz4, which wrote
# them about three times faster than zstd when measured. Other parts are small and use zstd.
_COMPRESSION = {"vectors": "lz4"}
_DEFAULT_COMPRESSION = "zstd"


@dataclass
class _Buffer:
    folder: Path
    prefix: str
    tables: list[pa.Table] = field(default_factory=list)
    n_bytes: int = 0


@dataclass
class _Write:
    key: Hashable
    folder: Path
    prefix: str
    build: Callable[[], pa.Table]


@dataclass
class _Seal:
    keys: list[Hashable]


@dataclass
class _Flush:
    done: threading.Event


@dataclass
class _Call:
    function: Callable[[], object]


class PartWriter:
    """Write Parquet parts from a background thread with a bounded queue."""

    def __init__(
        self, part_bytes: int = DEFAULT_PART_BYTES, queue_size: int = DEFAULT_QUEUE_SIZE
    ) -> None:
        self._part_bytes = part_bytes
        self._queue: queue.Queue[_Write | _Seal | _Flush | _Call | None] = queue.Queue(queue_size)
        self._buffers: dict[Hashable, _Buffer] = {}
        self._next_numbers: dict[Path, int] = {}
        self._error: BaseException | None = None
        #: Seconds callers spent waiting for room in the queue (the writer falling behind).
        self.blocked_seconds = 0.0
        self._thread = threading.Thread(target=self._loop, name="dataerrors-writer", daemon=True)
        self._thread.start()

    def submit(
        self, key: Hashable, folder: Path, prefix: str, build: Callable[[], pa.Table]
    ) -> None:
        """Queue a batch for ``folder``; blocks while the queue is full."""
        self._put(_Write(key, folder, prefix, build))

    def seal(self, keys: list[Hashable]) -> None:
        """Ask the writer to write out the buffers of ``keys`` now (an epoch that ended)."""
        self._put(_Seal(keys))

    def call(self, function: Callable[[], object]) -> None:
        """Run ``function`` on the writer thread after every job queued before it."""
        self._put(_Call(function))

    def flush(self) -> None:
        """Block until every batch submitted so far is in a part on disk."""
        done = threading.Event()
        self._queue.put(_Flush(done))
        while not done.wait(0.5):
            if not self._thread.is_alive():
                break
        self._raise_pending_error()

    def close(self) -> None:
        """Flush and stop the thread."""
        try:
            self.flush()
        finally:
            self._queue.put(None)
            self._thread.join()

    def _put(self, job: _Write | _Seal | _Call) -> None:
        self._raise_pending_error()
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            started = time.perf_counter()
            self._queue.put(job)
            self.blocked_seconds += time.perf_counter() - started

    def _raise_pending_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise WriterError(
                f"writing logged data failed: {error}. Batches submitted since the last "
                "successful flush were not stored; free disk space or fix permissions, then log "
                "them again."
            ) from error

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                if isinstance(job, _Write):
                    self._add(job)
                elif isinstance(job, _Seal):
                    for key in job.keys:
                        self._write_buffer(key)
                elif isinstance(job, _Call):
                    job.function()
                else:
                    for key in list(self._buffers):
                        self._write_buffer(key)
            except BaseException as error:  # handed to the caller on its next call
                logger.exception("dataerrors writer failed")
                self._error = error
                self._buffers.clear()
            finally:
                if isinstance(job, _Flush):
                    job.done.set()

    def _add(self, job: _Write) -> None:
        if self._error is not None:
            return
        table = job.build()
        buffer = self._buffers.setdefault(job.key, _Buffer(job.folder, job.prefix))
        buffer.tables.append(table)
        buffer.n_bytes += table.nbytes
        if buffer.n_bytes >= self._part_bytes:
            self._write_buffer(job.key)

    def _write_buffer(self, key: Hashable) -> None:
        buffer = self._buffers.pop(key, None)
        if buffer is None or not buffer.tables:
            return
        table = pa.concat_tables(buffer.tables, promote_options="default")
        write_part(buffer.folder, buffer.prefix, table, self._next_numbers)


def write_part(
    folder: Path, prefix: str, table: pa.Table, next_numbers: dict[Path, int] | None = None
) -> Path:
    """Write ``table`` as the next part of ``folder`` atomically and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    numbers = next_numbers if next_numbers is not None else {}
    if folder not in numbers:
        numbers[folder] = next_part_number(folder)
    number = numbers[folder]
    numbers[folder] = number + 1
    final = folder / part_name(prefix, number)
    temporary = temporary_path(final)
    write_table_atomically(table, temporary, final, _COMPRESSION.get(prefix, _DEFAULT_COMPRESSION))
    return final


def write_table_atomically(
    table: pa.Table, temporary: Path, final: Path, compression: str = _DEFAULT_COMPRESSION
) -> None:
    """Write ``table`` to ``temporary``, sync it and rename it to ``final``."""
    try:
        pq.write_table(table, temporary, compression=compression)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
