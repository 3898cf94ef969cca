"""Nearest neighbours of every sample: within its own split (for DEP) and among training samples.

Each split with embeddings gets one FAISS index over its own embeddings of the last epoch that kept
them. The index is exact up to 20,000 samples and IVF beyond (see
:mod:`dataerrors.analysis.neighbors`). Each sample is searched in its split's index with itself
left out. These within-split
neighbours are the neighbour signal of DEP (``SplitAnalysis.label_neighbors``). The training
split's index is also the run's training index: every other split is searched against it for
coverage, :meth:`dataerrors.Run.similar` and ``training_neighbor_disagreement``. For the training
split both searches are the same one, so at ImageNet size the index is built and searched once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from ..analysis.neighbor_labels import N_NEIGHBORS, neighbor_label_disagreement
from ..analysis.neighbors import (
    NeighborIndex,
    Neighbors,
    fit_reduction,
    plan_index,
    sample_rows,
    search_neighbors,
    train_index,
)
from ..splits import TRAINING
from ..store import reader
from ..store.tables import neighbors_table, vector_width
from .context import AnalysisContext, SplitAnalysis
from .embeddings import embeddings_epoch, iter_embeddings, missing_modules

SEED = 0


@dataclass
class SplitIndex:
    """A neighbour index over one split's embeddings; ``rows`` maps each position to a split row.

    Indexes live only during the neighbours step. Later steps read the neighbours they found, so
    their memory (2.6 GB of 8-bit codes at 1.28M x 2048) is free before scoring.
    """

    index: NeighborIndex
    rows: np.ndarray


def find_neighbors(context: AnalysisContext) -> None:
    """Find every sample's nearest neighbours within its split and among training samples.

    Sets ``SplitAnalysis.label_neighbors`` (within the split, for DEP) and
    ``SplitAnalysis.neighbors`` (among training samples). Column added to every split:
    ``training_neighbor_disagreement`` (float32 in [0, 1], NaN without embeddings or label).
    Summary: ``summary["neighbors"]`` describes the training index, or why there is none; each
    split gets ``neighbor_signal`` (what DEP's neighbour signal used) and
    ``mean_training_neighbor_disagreement``.
    """
    epochs = {split: embeddings_epoch(context, analysis) for split, analysis in context.splits.items()}
    if all(epoch is None for epoch in epochs.values()):
        _skip(context, "no training embeddings were logged", "no embeddings were logged")
        return
    if missing_modules("neighbour search", "faiss"):
        _skip(context, "faiss is not installed", "faiss is not installed")
        return

    training = context.splits.get(TRAINING)
    training_own = None
    if training is not None and epochs[TRAINING] is not None:
        training_own = _build_split_index(context, training, epochs[TRAINING])
    # The training split's own index is the run's training index, unless it is empty.
    training_index = training_own if training_own is not None and training_own.rows.size else None

    for split, analysis in context.splits.items():
        epoch = epochs[split]
        if epoch is None:
            analysis.summary["neighbor_signal"] = "no embeddings were logged; DEP uses the margins alone"
        else:
            if split == TRAINING and training_own is not None:
                own = training_own
            else:
                own = _build_split_index(context, analysis, epoch)
            _search_split(context, analysis, epoch, own, training_index)
            analysis.summary["neighbor_signal"] = (
                f"{N_NEIGHBORS} nearest neighbours within the split by cosine similarity of epoch "
                f"{epoch} embeddings ({own.index.plan.describe()['index']} index)"
            )
        _store_training_neighbors(context, analysis, training, epoch)

    if training_index is None:
        context.summary["neighbors"] = {"status": "skipped", "reason": "no training embeddings were logged"}
    else:
        k = _k(training_index.rows.shape[0])
        context.summary["neighbors"] = {"status": "done", "epoch": epochs[TRAINING], "k": k,
                                        **training_index.index.plan.describe()}


def _skip(context: AnalysisContext, reason: str, split_reason: str) -> None:
    context.summary["neighbors"] = {"status": "skipped", "reason": reason}
    for analysis in context.splits.values():
        analysis.summary["neighbor_signal"] = f"{split_reason}; DEP uses the margins alone"
        reader.remove_neighbors(context.layout, analysis.split)
        analysis.columns["training_neighbor_disagreement"] = _nan_column(analysis.n_samples)


def _k(n_indexed: int) -> int:
    """Return the neighbours per sample when ``n_indexed`` samples are indexed (none finds itself)."""
    return min(N_NEIGHBORS, max(1, n_indexed - 1))


def _build_split_index(context: AnalysisContext, analysis: SplitAnalysis, epoch: int) -> SplitIndex:
    """Index a split's embeddings of ``epoch``.

    Streams the embeddings up to three times: a full-width sample fits the PCA, a larger sample
    held reduced trains the IVF quantiser, then every row is added. Memory stays at the index
    plus a chunk, whatever the split's size.
    """
    split = analysis.split
    n_vectors = reader.count_vectors(context.layout, split, epoch)
    schema = reader.vectors_schema(context.layout, split, epoch)
    assert schema is not None  # embeddings_epoch found embeddings in this epoch
    plan = plan_index(n_vectors, vector_width(schema.field("embeddings").type))
    passes = 1 + int(plan.needs_training) + int(plan.n_components is not None)
    # The bar counts rows read, so its description gives the number of passes over the split.
    description = (
        f"{split}: building the neighbour index ({plan.describe()['index']}, {passes} "
        f"pass{'es' if passes > 1 else ''} over {n_vectors:,} samples)"
    )
    with context.reporter.step(description, passes * n_vectors) as step:
        reduction = None
        if plan.n_components is not None:
            positions = sample_rows(n_vectors, plan.n_reduction_rows, SEED)
            sample = _sample_embeddings(context, analysis, epoch, positions, step)
            reduction = fit_reduction(plan, sample)
            del sample
        training_rows = None
        if plan.needs_training:
            positions = sample_rows(n_vectors, plan.n_training_rows, SEED + 1)
            transform = reduction.apply if reduction is not None else None
            training_rows = _sample_embeddings(context, analysis, epoch, positions, step, transform)
        index = train_index(plan, training_rows, SEED, reduction)
        del training_rows
        rows = []
        for chunk_rows, embeddings in iter_embeddings(context, analysis, epoch):
            index.add(embeddings)
            rows.append(chunk_rows)
            step.advance(chunk_rows.shape[0])
    return SplitIndex(index, np.concatenate(rows) if rows else np.empty(0, dtype=np.int64))


def _sample_embeddings(
    context: AnalysisContext,
    analysis: SplitAnalysis,
    epoch: int,
    positions: np.ndarray,
    step: Any,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Return the embeddings at the sorted ``positions``, through ``transform`` if given."""
    parts = []
    start = 0
    for _, embeddings in iter_embeddings(context, analysis, epoch):
        stop = start + embeddings.shape[0]
        low, high = np.searchsorted(positions, [start, stop])
        chosen = embeddings[positions[low:high] - start]
        parts.append(transform(chosen) if transform is not None else chosen)
        start = stop
        step.advance(embeddings.shape[0])
    # Rows logged without embeddings are counted in the vectors but never read.
    return np.concatenate(parts) if parts else np.empty((0, 1), dtype=np.float32)


def _search_split(
    context: AnalysisContext,
    analysis: SplitAnalysis,
    epoch: int,
    own: SplitIndex,
    training_index: SplitIndex | None,
) -> None:
    """Search a split against its own index and, for other splits, the training index."""
    own_rows = own.rows
    n_samples = analysis.n_samples
    within = _empty_neighbors(n_samples, _k(own_rows.shape[0]))
    is_training = analysis.split == TRAINING
    among_training = None
    if training_index is not None and not is_training:
        among_training = _empty_neighbors(n_samples, _k(training_index.rows.shape[0]))
    own_positions = np.full(n_samples, -1, dtype=np.int64)
    own_positions[own_rows] = np.arange(own_rows.shape[0])
    description = f"{analysis.split}: nearest neighbours"
    with context.reporter.step(description, n_samples) as step:
        for chunk_rows, embeddings in iter_embeddings(context, analysis, epoch):
            if own_rows.shape[0] > 1:
                found = search_neighbors(own.index, embeddings, within.k,
                                         self_positions=own_positions[chunk_rows])
                _fill(within, chunk_rows, found, own_rows)
            if among_training is not None:
                found = search_neighbors(training_index.index, embeddings, among_training.k)
                _fill(among_training, chunk_rows, found, training_index.rows)
            step.advance(chunk_rows.shape[0])
    analysis.label_neighbors = within.rows
    if is_training and training_index is not None:
        analysis.neighbors = within
    elif among_training is not None:
        analysis.neighbors = among_training


def _store_training_neighbors(
    context: AnalysisContext, analysis: SplitAnalysis, training: SplitAnalysis | None, epoch: int | None
) -> None:
    """Write the label disagreement with the nearest training samples and the neighbours table."""
    neighbors = analysis.neighbors
    if neighbors is None or training is None or epoch is None:
        analysis.columns["training_neighbor_disagreement"] = _nan_column(analysis.n_samples)
        analysis.summary["mean_training_neighbor_disagreement"] = None
        reader.remove_neighbors(context.layout, analysis.split)
        return
    disagreement = neighbor_label_disagreement(neighbors.rows, analysis.labels, training.labels)
    analysis.columns["training_neighbor_disagreement"] = pa.array(
        disagreement, pa.float32(), from_pandas=True
    )
    scored = ~np.isnan(disagreement)
    analysis.summary["mean_training_neighbor_disagreement"] = (
        float(disagreement[scored].mean()) if scored.any() else None
    )
    neighbor_ids = training.ids[np.maximum(neighbors.rows, 0)]
    reader.write_neighbors(
        context.layout, analysis.split, neighbors_table(analysis.ids, neighbor_ids, neighbors.distances)
    )


def _empty_neighbors(n_samples: int, k: int) -> Neighbors:
    return Neighbors(np.full((n_samples, k), -1, dtype=np.int64),
                     np.full((n_samples, k), np.nan, dtype=np.float32))


def _fill(target: Neighbors, chunk_rows: np.ndarray, found: Neighbors, index_rows: np.ndarray) -> None:
    """Copy a chunk's neighbours into ``target``, with index positions mapped to split rows."""
    target.rows[chunk_rows] = np.where(found.rows >= 0, index_rows[np.maximum(found.rows, 0)], -1)
    target.distances[chunk_rows] = found.distances


def _nan_column(n_samples: int) -> pa.Array:
    return pa.array(np.full(n_samples, np.nan, dtype=np.float32), pa.float32(), from_pandas=True)
