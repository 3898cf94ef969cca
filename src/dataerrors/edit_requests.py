"""Edit requests: the content of one edit, and the checks every edit and batch number passes before
the edit log stores anything."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ._index import SampleIndex
from .errors import InvalidInputError
from .splits import check_split

if TYPE_CHECKING:
    from .run import Run

RELABEL = "relabel"
REMOVE = "remove"
MARK_FOR_LABELING = "mark_for_labeling"
RESTORE = "restore"
#: Every edit action. "restore" returns a sample to its logged label and clears earlier edits.
ACTIONS: tuple[str, ...] = (RELABEL, REMOVE, MARK_FOR_LABELING, RESTORE)
#: Largest number of edits in one batch.
MAX_BATCH_EDITS = 1_000_000
#: Largest batch number SQLite can store (a signed 64-bit integer).
_MAX_BATCH = 2**63 - 1


@dataclass(frozen=True)
class Edit:
    """One requested change to one sample.

    ``label`` is the new class index for "relabel" and must be None for the other actions.
    """

    split: str
    id: Any
    action: str
    label: int | None = None


def default_author() -> str:
    """Return the OS user name, or "unknown" where the platform does not provide one."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def check_author(author: str | None) -> str:
    """Return the author's name without surrounding spaces, the OS user name for None."""
    if author is None:
        return default_author()
    if not isinstance(author, str) or not author.strip():
        raise InvalidInputError(f"author={author!r} is invalid; pass a non-empty name.")
    return author.strip()


def check_batch_number(batch: Any) -> int:
    """Return ``batch`` as an int, raising InvalidInputError unless it is a possible batch number."""
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)):
        raise InvalidInputError(f"batch={batch!r} is not an int; pass a batch number.")
    if not 1 <= batch <= _MAX_BATCH:
        raise InvalidInputError(
            f"batch={batch} is not in the edit log (batch numbers start at 1); list batches "
            "with run.edits()."
        )
    return int(batch)


def check_edits(run: "Run", edits: Sequence[Edit]) -> list[tuple[str, str, str, int | None]]:
    """Return one (split, id as text, action, label) row per edit.

    Raises InvalidInputError naming the first invalid edit: an unknown split or action, a label
    out of range or given without a relabel, or an id that was not logged.
    """
    if isinstance(edits, Edit):
        edits = [edits]
    if not isinstance(edits, Sequence) or isinstance(edits, (str, bytes)):
        raise InvalidInputError(
            f"edits has type {type(edits).__name__}; pass a list of dataerrors.edits.Edit."
        )
    if not edits:
        raise InvalidInputError("edits is empty; pass at least one edit.")
    if len(edits) > MAX_BATCH_EDITS:
        raise InvalidInputError(
            f"edits has {len(edits)} items; at most {MAX_BATCH_EDITS} fit in one batch, so "
            "split them into several batches."
        )
    n_classes = run.n_classes
    by_split: dict[str, list[Any]] = {}
    rows = []
    for position, edit in enumerate(edits):
        if not isinstance(edit, Edit):
            raise InvalidInputError(
                f"edits[{position}] has type {type(edit).__name__}; pass dataerrors.edits.Edit."
            )
        split = check_split(edit.split, f"edits[{position}].split")
        if edit.action not in ACTIONS:
            raise InvalidInputError(
                f"edits[{position}].action={edit.action!r} is invalid; use one of "
                f"{', '.join(ACTIONS)}."
            )
        label = edit.label
        if edit.action == RELABEL:
            if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not (
                0 <= label < n_classes
            ):
                raise InvalidInputError(
                    f"edits[{position}].label={label!r} is invalid for a relabel; pass a "
                    f"class index in [0, {n_classes - 1}]."
                )
            label = int(label)
        elif label is not None:
            raise InvalidInputError(
                f"edits[{position}].label={label!r} was given with action {edit.action!r}; "
                "pass a label only to relabel."
            )
        by_split.setdefault(split, []).append(edit.id)
        rows.append((split, str(edit.id), edit.action, label))
    for split, ids in by_split.items():
        _check_ids(run, split, ids)
    return rows


def _check_ids(run: "Run", split: str, ids: list[Any]) -> None:
    from .store.sample_queries import sample_ids

    logged = sample_ids(run.layout, split).to_numpy(zero_copy_only=False)
    if logged.size == 0:
        raise InvalidInputError(
            f"split {split!r} has no logged samples; edits must name logged samples."
        )
    is_int = logged.dtype.kind == "i"
    try:
        requested = np.array(ids, dtype=np.int64 if is_int else str)
    except (TypeError, ValueError, OverflowError) as error:
        raise InvalidInputError(
            f"ids {ids[:5]} of split {split!r} are not {'integers' if is_int else 'strings'} "
            "like the split's sample ids; pass the logged ids."
        ) from error
    if is_int and any(isinstance(value, (str, float, bool)) for value in ids):
        raise InvalidInputError(
            f"ids {ids[:5]} of split {split!r} are not all integers like the split's sample "
            "ids; pass the logged ids."
        )
    index = SampleIndex(logged.astype(np.int64) if is_int else logged.astype(str))
    unknown = requested[~index.contains(requested)]
    if unknown.size:
        raise InvalidInputError(
            f"edits name {unknown.size} id(s) not logged in split {split!r}, for example "
            f"{unknown[:5].tolist()}; pass ids of logged samples, or check the split."
        )
