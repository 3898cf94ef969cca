"""What a run remembers about each split while logging: sample ids, labels and epoch progress."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._index import SampleIndex
from .errors import InvalidInputError
from .store import reader
from .store.layout import RunLayout


@dataclass
class SplitState:
    """Logged samples of one split and the ids already logged in its current epoch."""

    split: str
    ids: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    epoch: int | None = None
    seen: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    samples_pending: bool = False
    _index: SampleIndex | None = None

    @classmethod
    def load(cls, layout: RunLayout, split: str) -> "SplitState":
        """Rebuild the state of ``split`` from the files on disk (for resume and finish)."""
        state = cls(split)
        table = reader.read_samples(layout, split, columns=["id", "label"])
        if table.num_rows:
            state.ids.append(table["id"].to_numpy(zero_copy_only=False).astype(
                np.int64 if table.schema.field("id").type == "int64" else str))
            state.labels.append(table["label"].to_numpy().astype(np.int32))
        state.seen = np.zeros(state.n_samples, dtype=bool)
        epochs = layout.epochs(split)
        if epochs:
            state.epoch = epochs[-1]
            logged = reader.read_epoch_scores(layout, split, epochs[-1], columns=["id"])
            if logged.num_rows:
                ids = logged["id"].to_numpy(zero_copy_only=False)
                ids = ids.astype(str) if state.index.id_kind == "str" else ids.astype(np.int64)
                state.seen[state.index.rows(ids, split)] = True
        return state

    @property
    def n_samples(self) -> int:
        return int(sum(chunk.shape[0] for chunk in self.ids))

    @property
    def index(self) -> SampleIndex:
        if self._index is None or len(self._index) != self.n_samples:
            ids = np.concatenate(self.ids) if self.ids else np.zeros(0, dtype=np.int64)
            self._index = SampleIndex(ids)
        return self._index

    def label_array(self) -> np.ndarray:
        """Return the labels of every logged sample, by row; cached until more samples arrive."""
        if len(self.labels) > 1:
            self.labels = [np.concatenate(self.labels)]
        return self.labels[0] if self.labels else np.zeros(0, dtype=np.int32)

    def check_new_ids(self, ids: np.ndarray) -> None:
        """Raise if ``ids`` repeat samples already logged or mix id types."""
        if self.n_samples == 0:
            return
        if (ids.dtype.kind == "i") != (self.index.ids.dtype.kind == "i"):
            raise InvalidInputError(
                f"ids are {'integers' if ids.dtype.kind == 'i' else 'strings'} but earlier "
                f"samples of split {self.split!r} have {self.index.id_kind} ids; use one id type."
            )
        repeated = ids[self.index.contains(ids)]
        if repeated.size:
            raise InvalidInputError(
                f"ids {repeated[:5].tolist()} were already logged as samples of split "
                f"{self.split!r}; each sample is logged once per split."
            )

    def check_epoch(self, epoch: int, rows: np.ndarray, ids: np.ndarray) -> None:
        """Raise if ``epoch`` goes back in time or ``rows`` were already logged in it."""
        if self.epoch is not None and epoch < self.epoch:
            raise InvalidInputError(
                f"epoch={epoch} for split {self.split!r}, but epoch {self.epoch} was already "
                "logged; log epochs in increasing order (a finished epoch cannot be reopened)."
            )
        if self.epoch == epoch:
            repeated = ids[self.seen[rows]]
            if repeated.size:
                raise InvalidInputError(
                    f"ids {repeated[:5].tolist()} were already logged for split {self.split!r} "
                    f"at epoch {epoch}; each sample may be logged once per epoch (is the "
                    "same batch logged twice, or did the epoch counter not advance?)."
                )

    def mark_logged(self, epoch: int, rows: np.ndarray) -> bool:
        """Record ``rows`` as logged at ``epoch``; return True when this starts a new epoch."""
        new_epoch = self.epoch != epoch
        if new_epoch:
            self.epoch = epoch
            self.seen = np.zeros(self.n_samples, dtype=bool)
        elif self.seen.shape[0] < self.n_samples:
            self.seen = np.r_[self.seen, np.zeros(self.n_samples - self.seen.shape[0], bool)]
        self.seen[rows] = True
        return new_epoch
