"""PyTorch integration; ``import dataerrors.torch`` needs the ``torch`` extra."""

from .integrations.torch import EmbeddingCapture, IndexedDataset

__all__ = ["EmbeddingCapture", "IndexedDataset"]
