"""PyTorch integration; ``import dataerrors.torch`` needs the ``torch`` extra.

See :mod:`dataerrors.integrations.torch_watch` for how batches are joined to their samples.
"""

from .integrations.torch import EmbeddingCapture, IndexedDataset
from .integrations.torch_watch import (
    TrackedLoader,
    UnloggedForwardWarning,
    Watcher,
    unwatch,
    watch,
)

__all__ = [
    "EmbeddingCapture",
    "IndexedDataset",
    "TrackedLoader",
    "UnloggedForwardWarning",
    "Watcher",
    "unwatch",
    "watch",
]
