"""The editing methods of :class:`dataerrors.Run`: relabel, remove, mark, restore, undo, read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import validation
from ._types import ArrayLike, IdsLike
from .edit_requests import MARK_FOR_LABELING, RELABEL, REMOVE, RESTORE, Edit
from .edits import EditLog
from .errors import InvalidInputError
from .splits import check_split

if TYPE_CHECKING:
    from .run import Run


class EditMethods:
    """Mixed into :class:`~dataerrors.Run`. Each call stores one batch in the run's edit log.

    The logged samples are never changed; read the labels with edits applied through
    ``run.samples(split, apply_edits=True)``. ``author`` defaults to the OS user name.
    """

    def relabel(
        self: "Run", split: str, ids: IdsLike, labels: ArrayLike | int | str,
        author: str | None = None,
    ) -> int:
        """Give the samples ``ids`` of ``split`` new labels; return the batch number.

        Parameters
        ----------
        labels : int, str or (n_ids,) array
            One class (index or name) for every id, or one class per id.
        """
        split = check_split(split)
        id_array = validation.check_ids(ids)
        if np.ndim(labels) == 0:
            labels = [labels] * id_array.shape[0]  # type: ignore[list-item]
        label_array = validation.check_labels(labels, self.class_names, id_array.shape[0])
        edits = [Edit(split, sample_id, RELABEL, int(label))
                 for sample_id, label in zip(id_array.tolist(), label_array.tolist())]
        return EditLog(self).append(edits, author=author)

    def remove(self: "Run", split: str, ids: IdsLike, author: str | None = None) -> int:
        """Mark the samples ``ids`` of ``split`` as removed from the dataset; return the batch number."""
        return _append_action(self, split, ids, REMOVE, author)

    def mark_for_labeling(
        self: "Run", split: str, ids: IdsLike, author: str | None = None
    ) -> int:
        """Mark the samples ``ids`` of ``split`` to be sent to labelers; return the batch number."""
        return _append_action(self, split, ids, MARK_FOR_LABELING, author)

    def restore(self: "Run", split: str, ids: IdsLike, author: str | None = None) -> int:
        """Return the samples ``ids`` of ``split`` to their logged label; return the batch number."""
        return _append_action(self, split, ids, RESTORE, author)

    def undo_edits(self: "Run", batch: int, author: str | None = None) -> int:
        """Undo the edit batch ``batch`` (see :meth:`edits`); return the undo batch's number."""
        return EditLog(self).undo(batch, author=author)

    def reapply_edits(self: "Run", batch: int, author: str | None = None) -> int:
        """Apply the undone edit batch ``batch`` again as a new batch; return its number."""
        return EditLog(self).reapply(batch, author=author)

    def edits(self: "Run", split: str | None = None) -> pd.DataFrame:
        """Return every edit stored for this run (or one split), oldest first.

        Columns: edit, batch, created_at (UTC, ISO 8601), author, note, split, id, action,
        label, label_name (the new class of a relabel), is_undone.
        """
        return EditLog(self).history(split)


def _append_action(run: "Run", split: str, ids: IdsLike, action: str, author: str | None) -> int:
    split = check_split(split)
    id_array = validation.check_ids(ids)
    edits = [Edit(split, sample_id, action) for sample_id in id_array.tolist()]
    return EditLog(run).append(edits, author=author)


def check_apply_edits(value: Any) -> bool:
    """Return ``value`` if it is a bool, else raise :class:`InvalidInputError`."""
    if not isinstance(value, bool):
        raise InvalidInputError(f"apply_edits={value!r} is invalid; pass True or False.")
    return value
