"""Map sample ids to their row in a split, in O(log n) per id, with int or str ids."""

from __future__ import annotations

import numpy as np

from .errors import InvalidInputError, UnknownIdError


class SampleIndex:
    """Sorted lookup from sample id to row number (the order in which samples were logged)."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = ids
        self._order = np.argsort(ids, kind="stable")
        self._sorted = ids[self._order]

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def id_kind(self) -> str:
        return "int" if self.ids.dtype.kind == "i" else "str"

    def rows(self, ids: np.ndarray, split: str, argument: str = "ids") -> np.ndarray:
        """Return the row of each id, raising if any id was not logged as a sample of ``split``."""
        if len(self) == 0:
            raise InvalidInputError(
                f"no samples were logged for split {split!r}; call "
                f"run.log_samples({split!r}, ids, labels, ...) before logging outputs."
            )
        if (ids.dtype.kind == "i") != (self.ids.dtype.kind == "i"):
            raise UnknownIdError(
                f"{argument} are {'integers' if ids.dtype.kind == 'i' else 'strings'} but the "
                f"samples of split {split!r} were logged with {self.id_kind} ids; use the same "
                "id type everywhere."
            )
        positions = np.searchsorted(self._sorted, ids)
        positions = np.minimum(positions, len(self) - 1)
        found = self._sorted[positions] == ids
        if not found.all():
            missing = ids[~found][:5].tolist()
            raise UnknownIdError(
                f"{argument} contains {int((~found).sum())} id(s) never logged as samples of "
                f"split {split!r}, for example {missing}; log them with run.log_samples first, "
                "or check that the split is right."
            )
        return self._order[positions]

    def known_rows(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the rows of the ids that are known, and a mask of which ids were known."""
        found = self.contains(ids)
        positions = np.minimum(np.searchsorted(self._sorted, ids[found]), max(len(self) - 1, 0))
        return self._order[positions], found

    def contains(self, ids: np.ndarray) -> np.ndarray:
        if len(self) == 0:
            return np.zeros(ids.shape[0], dtype=bool)
        positions = np.minimum(np.searchsorted(self._sorted, ids), len(self) - 1)
        return self._sorted[positions] == ids
