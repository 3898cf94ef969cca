"""The run's neighbour index, each sample's nearest training samples, and their label disagreement.

The index is built once from the training embeddings of the last epoch that kept them, and every
split is searched against it in chunks. Training samples are left out of their own neighbours.
Results go to ``SplitAnalysis.neighbors`` (for later steps), the ``training_neighbor_disagreement`` column
and the store's neighbours tables (for :meth:`dataerrors.Run.similar`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..analysis.neighbor_labels import neighbor_disagreement
from ..analysis.neighbors import (
    IndexPlan,
    Neighbors,
    plan_index,
    sample_rows,
    search_neighbors,
    train_index,
)
from ..splits import TRAINING
from ..store import reader
from ..store.tables import neighbors_table, vector_width
from .context import AnalysisContext, SplitAnalysis, TrainingIndex
from .embeddings import embeddings_epoch, iter_embeddings, missing_modules

#: Nearest training neighbours kept per sample (and the most that Run.similar returns).
N_NEIGHBORS = 10
SEED = 0


def find_neighbors(context: AnalysisContext) -> None:
    """Build the training index, find every sample's nearest training samples, store them.

    Column added to every split: ``training_neighbor_disagreement`` (float32 in [0, 1], NaN without
    embeddings or label). Summary: ``summary["neighbors"]`` describes the index, or why it was
    skipped; each split gets ``mean_neighbor_disagreement``.
    """
    training = context.splits.get(TRAINING)
    epoch = embeddings_epoch(context, training) if training is not None else None
    reason = None
    if epoch is None:
        reason = "no training embeddings were logged"
    elif missing_modules("neighbour search", "faiss"):
        reason = "faiss is not installed"
    if reason is not None or training is None or epoch is None:
        _skip(context, reason)
        return
    training_index = _build_training_index(context, training, epoch)
    if training_index.index.n_samples == 0:
        _skip(context, "no training sample has embeddings")
        return

    context.training_index = training_index
    plan = training_index.index.plan
    k = min(N_NEIGHBORS, max(1, training_index.rows.shape[0] - 1))
    for analysis in context.splits.values():
        _find_split_neighbors(context, analysis, training, k)
    context.summary["neighbors"] = {"status": "done", "epoch": epoch, "k": k, **plan.describe()}


def _skip(context: AnalysisContext, reason: str | None) -> None:
    context.summary["neighbors"] = {"status": "skipped", "reason": reason}
    for analysis in context.splits.values():
        reader.remove_neighbors(context.layout, analysis.split)
        analysis.columns["training_neighbor_disagreement"] = _nan_column(analysis.n_samples)


def _build_training_index(
    context: AnalysisContext, training: SplitAnalysis, epoch: int
) -> TrainingIndex:
    n_vectors = reader.count_vectors(context.layout, TRAINING, epoch)
    schema = reader.vectors_schema(context.layout, TRAINING, epoch)
    assert schema is not None  # embeddings_epoch found embeddings in this epoch
    n_dims = vector_width(schema.field("embeddings").type)
    plan = plan_index(n_vectors, n_dims)
    passes = 2 if plan.needs_training else 1
    description = f"training: building the neighbour index ({plan.describe()['index']})"
    with context.reporter.step(description, passes * n_vectors) as step:
        training_rows = None
        if plan.needs_training:
            training_rows = _sample_embeddings(context, training, epoch, plan, step)
        index = train_index(plan, training_rows, SEED)
        del training_rows
        rows = []
        for chunk_rows, embeddings in iter_embeddings(context, training, epoch):
            index.add(embeddings)
            rows.append(chunk_rows)
            step.advance(chunk_rows.shape[0])
    return TrainingIndex(index, np.concatenate(rows), epoch)


def _sample_embeddings(
    context: AnalysisContext, training: SplitAnalysis, epoch: int, plan: IndexPlan, step: Any
) -> np.ndarray:
    n_vectors = plan.n_samples
    wanted = sample_rows(n_vectors, plan.n_training_rows, SEED)
    sample = np.empty((wanted.shape[0], plan.n_dims), dtype=np.float32)
    start = 0
    for _, embeddings in iter_embeddings(context, training, epoch):
        stop = start + embeddings.shape[0]
        low, high = np.searchsorted(wanted, [start, stop])
        sample[low:high] = embeddings[wanted[low:high] - start]
        start = stop
        step.advance(embeddings.shape[0])
    # Rows logged without embeddings are counted in n_vectors but never read.
    return sample[: np.searchsorted(wanted, start)]


def _find_split_neighbors(
    context: AnalysisContext, analysis: SplitAnalysis, training: SplitAnalysis, k: int
) -> None:
    training_index = context.training_index
    assert training_index is not None
    n_samples = analysis.n_samples
    rows = np.full((n_samples, k), -1, dtype=np.int64)
    distances = np.full((n_samples, k), np.nan, dtype=np.float32)
    epoch = embeddings_epoch(context, analysis)
    if epoch is not None:
        own_positions = None
        if analysis.split == TRAINING:
            # Training samples are in the index: leave each out of its own neighbours.
            own_positions = np.full(n_samples, -1, dtype=np.int64)
            own_positions[training_index.rows] = np.arange(training_index.rows.shape[0])
        description = f"{analysis.split}: nearest training neighbours"
        with context.reporter.step(description, n_samples) as step:
            for chunk_rows, embeddings in iter_embeddings(context, analysis, epoch):
                found = search_neighbors(
                    training_index.index,
                    embeddings,
                    k,
                    self_positions=own_positions[chunk_rows] if own_positions is not None else None,
                )
                rows[chunk_rows] = _to_training_rows(found, training_index)
                distances[chunk_rows] = found.distances
                step.advance(chunk_rows.shape[0])
    neighbors = Neighbors(rows, distances)
    analysis.neighbors = neighbors

    neighbor_labels = np.where(rows >= 0, training.labels[np.maximum(rows, 0)], -1)
    disagreement = neighbor_disagreement(analysis.labels, neighbor_labels)
    # Against the training index, unlike the scoring step's neighbor_disagreement, which uses
    # neighbours within the sample's own split (the signal DEP blends in).
    analysis.columns["training_neighbor_disagreement"] = pa.array(
        disagreement, pa.float32(), from_pandas=True
    )
    scored = ~np.isnan(disagreement)
    analysis.summary["mean_training_neighbor_disagreement"] = (
        float(disagreement[scored].mean()) if scored.any() else None
    )
    if epoch is None:
        reader.remove_neighbors(context.layout, analysis.split)
        return
    neighbor_ids = training.ids[np.maximum(rows, 0)]
    reader.write_neighbors(
        context.layout, analysis.split, neighbors_table(analysis.ids, neighbor_ids, distances)
    )


def _to_training_rows(found: Neighbors, training_index: TrainingIndex) -> np.ndarray:
    return np.where(found.rows >= 0, training_index.rows[np.maximum(found.rows, 0)], -1)


def _nan_column(n_samples: int) -> pa.Array:
    return pa.array(np.full(n_samples, np.nan, dtype=np.float32), pa.float32(), from_pandas=True)

