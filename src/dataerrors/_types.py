"""Array aliases shared by the public API."""

from __future__ import annotations

from typing import Any, Sequence, Union

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.integer[Any]]
BoolArray = npt.NDArray[np.bool_]
#: Anything that converts to an array: numpy arrays, torch tensors (any device), lists.
ArrayLike = Union[npt.ArrayLike, Any]
IdsLike = Union[Sequence[int], Sequence[str], npt.NDArray[Any], Any]
