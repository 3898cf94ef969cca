"""State shared by the analysis steps: the run's layout, and per split its samples and results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .._index import SampleIndex
from .._progress import Reporter
from ..store.layout import RunLayout

if TYPE_CHECKING:
    from ..analysis.neighbors import Neighbors


@dataclass
class SplitAnalysis:
    """One split under analysis. Steps read earlier steps' columns and add their own.

    ``columns`` become ``analysis/<split>.parquet`` in insertion order, one row per sample in the
    order samples were logged; ``summary`` becomes the split's entry of ``summary.json``.
    The neighbours step sets ``label_neighbors`` (n_samples, k) when the split has embeddings:
    each sample's nearest samples of the same split as split rows, itself left out, -1 where
    missing; DEP's neighbour signal counts their labels. It sets ``neighbors`` when training
    embeddings were logged: each sample's nearest training samples as rows of the training split
    (leaving a training sample out of its own neighbours), so ``training.labels[neighbors.rows]``
    are their given labels.
    """

    split: str
    id_column: pa.ChunkedArray
    ids: np.ndarray
    labels: np.ndarray
    index: SampleIndex
    epochs: list[int]
    columns: dict[str, np.ndarray | pa.Array] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    neighbors: "Neighbors | None" = None
    label_neighbors: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        return int(self.ids.shape[0])


@dataclass
class AnalysisContext:
    """The run under analysis: every split, in the order of ``dataerrors.SPLITS``."""

    layout: RunLayout
    class_names: list[str]
    splits: dict[str, SplitAnalysis]
    reporter: Reporter
    summary: dict[str, Any] = field(default_factory=dict)
    #: Threads the steps may use (see :mod:`dataerrors.pipeline.workers`).
    workers: int = 1

    @property
    def n_classes(self) -> int:
        return len(self.class_names)
