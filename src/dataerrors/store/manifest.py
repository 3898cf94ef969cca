"""The run manifest ``run.json``: schema version, classes, splits, status and timestamps.

Updates take an exclusive file lock and replace the file atomically, so two processes logging
different splits of one run never lose each other's changes and a reader never sees half a file.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import RunNotFoundError, SchemaVersionError
from .layout import RunLayout, temporary_path

#: Version of the run folder format that this code writes. Readers accept this version and older.
SCHEMA_VERSION = 1

STATUS_LOGGING = "logging"
STATUS_FINISHED = "finished"
STATUS_ANALYZED = "analyzed"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_manifest(project: str, run: str, class_names: list[str], task: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "project": project,
        "run": run,
        "task": task,
        "class_names": class_names,
        "splits": {},
        "status": STATUS_LOGGING,
        "created_at": now(),
        "finished_at": None,
        "analyzed_at": None,
    }


def read_manifest(layout: RunLayout) -> dict[str, Any]:
    """Read ``run.json``, raising if it is missing or from a newer schema."""
    try:
        text = layout.manifest.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        problem = (
            f"{layout.manifest.name} is missing" if layout.folder.is_dir() else "the folder does not exist"
        )
        below = [str(folder) for folder in run_folders_below(layout.folder)]
        if len(below) > 3:
            below = below[:3] + ["..."]
        hint = f" Runs found below it: {', '.join(below)}." if below else ""
        raise RunNotFoundError(
            f"{layout.folder} is not a dataerrors run: {problem}. Pass the folder that "
            f"dataerrors.init() created (<root>/<project>/<run>).{hint}"
        ) from error
    manifest = json.loads(text)
    version = manifest.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{layout.folder} has schema_version={version!r}, newer than {SCHEMA_VERSION} that "
            "this dataerrors reads; upgrade dataerrors (pip install -U dataerrors)."
        )
    return manifest


def run_folders_below(folder: Path) -> list[Path]:
    """Return the run folders one level (a project's runs) or two levels (a runs root) below
    ``folder``: those one level down first, each group sorted."""
    if not folder.is_dir():
        return []
    return [
        path.parent
        for pattern in ("*/run.json", "*/*/run.json")
        for path in sorted(folder.glob(pattern))
    ]


def write_manifest(layout: RunLayout, manifest: dict[str, Any]) -> None:
    with _locked(layout):
        _replace(layout.manifest, manifest)


def update_manifest(layout: RunLayout, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply ``change`` to the manifest under an exclusive lock and store the result."""
    with _locked(layout):
        manifest = read_manifest(layout)
        change(manifest)
        _replace(layout.manifest, manifest)
    return manifest


@contextmanager
def _locked(layout: RunLayout) -> Iterator[None]:
    layout.folder.mkdir(parents=True, exist_ok=True)
    with open(layout.lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _replace(path: Path, manifest: dict[str, Any]) -> None:
    temporary = temporary_path(path)
    temporary.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
