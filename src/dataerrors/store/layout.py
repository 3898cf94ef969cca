"""File names inside a run folder. No other module spells them out.

::

    <root>/<project>/<run>/
      run.json                                       manifest (see manifest.py)
      samples/<split>/part-NNNNN.parquet             id, label, input, image, metadata columns
      outputs/<split>/epoch=<e>/part-NNNNN.parquet   per-epoch scores (id, p_given, margin, ...)
      outputs/<split>/epoch=<e>/vectors-NNNNN.parquet  probs and embeddings (float16)
      analysis/<split>.parquet                       one row per sample, every score
      analysis/neighbors/<split>.parquet             id, nearest training ids and distances
      analysis/summary.json                          dataset-level insights
      edits.sqlite                                   edit log
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = "dataerrors-runs"
ROOT_ENVIRONMENT_VARIABLE = "DATAERRORS_ROOT"

SCORES_PREFIX = "part"
VECTORS_PREFIX = "vectors"
_PART_PATTERN = re.compile(r"^(?P<prefix>[a-z]+)-(?P<number>\d{5,})\.parquet$")
_EPOCH_PATTERN = re.compile(r"^epoch=(?P<epoch>\d+)$")
TEMPORARY_MARKER = ".tmp-"
_TEMPORARY_PATTERN = re.compile(r"^\.tmp-(?P<pid>\d+)-")


def default_root() -> Path:
    """Return the runs root: ``$DATAERRORS_ROOT`` if set, else ``./dataerrors-runs``."""
    return Path(os.environ.get(ROOT_ENVIRONMENT_VARIABLE, DEFAULT_ROOT))


@dataclass(frozen=True)
class RunLayout:
    """Paths of one run folder."""

    folder: Path

    @property
    def manifest(self) -> Path:
        return self.folder / "run.json"

    @property
    def lock(self) -> Path:
        return self.folder / ".run.lock"

    @property
    def edits(self) -> Path:
        return self.folder / "edits.sqlite"

    @property
    def analysis_folder(self) -> Path:
        return self.folder / "analysis"

    @property
    def summary(self) -> Path:
        return self.analysis_folder / "summary.json"

    def analysis(self, split: str) -> Path:
        return self.analysis_folder / f"{split}.parquet"

    def neighbors(self, split: str) -> Path:
        return self.analysis_folder / "neighbors" / f"{split}.parquet"

    def samples_folder(self, split: str) -> Path:
        return self.folder / "samples" / split

    def outputs_folder(self, split: str) -> Path:
        return self.folder / "outputs" / split

    def epoch_folder(self, split: str, epoch: int) -> Path:
        return self.outputs_folder(split) / f"epoch={epoch}"

    def epochs(self, split: str) -> list[int]:
        """Return the epochs that have an output folder for ``split``, in ascending order."""
        folder = self.outputs_folder(split)
        if not folder.is_dir():
            return []
        found = []
        for entry in folder.iterdir():
            match = _EPOCH_PATTERN.match(entry.name)
            if match and entry.is_dir():
                found.append(int(match["epoch"]))
        return sorted(found)


def part_name(prefix: str, number: int) -> str:
    return f"{prefix}-{number:05d}.parquet"


def list_parts(folder: Path, prefix: str = SCORES_PREFIX) -> list[Path]:
    """Return the complete part files with ``prefix`` in ``folder``, in write order.

    Files still being written carry a temporary name and are never listed.
    """
    if not folder.is_dir():
        return []
    parts = []
    for entry in folder.iterdir():
        match = _PART_PATTERN.match(entry.name)
        if match and match["prefix"] == prefix:
            parts.append((int(match["number"]), entry))
    return [path for _, path in sorted(parts)]


def next_part_number(folder: Path) -> int:
    """Return one more than the highest part number of any prefix in ``folder``."""
    highest = -1
    if folder.is_dir():
        for entry in folder.iterdir():
            match = _PART_PATTERN.match(entry.name)
            if match:
                highest = max(highest, int(match["number"]))
    return highest + 1


def temporary_path(final: Path) -> Path:
    """Return a unique name beside ``final`` to write it under before renaming.

    The name carries the writing process's id, so cleaning up after a crash never touches files
    that another live process is still writing.
    """
    return final.with_name(f"{TEMPORARY_MARKER}{os.getpid()}-{uuid.uuid4().hex}-{final.name}")


def remove_temporary_files(folder: Path) -> int:
    """Delete files left half-written under ``folder`` by crashed writers; return how many.

    Files of other processes that are still running are kept. Files of this process are removed,
    so call this only when this process is not writing (before a writer starts, after it closed).
    """
    removed = 0
    if not folder.is_dir():
        return removed
    for path in folder.rglob(f"{TEMPORARY_MARKER}*"):
        match = _TEMPORARY_PATTERN.match(path.name)
        pid = int(match["pid"]) if match else None
        if pid is not None and pid != os.getpid() and _process_alive(pid):
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
