"""The embedding map (columns x, y) and its density clusters (column cluster) for every split.

The map is fitted once on a random sample of at most ``MAP_FIT_MAX_SAMPLES`` training
embeddings; every other sample of every split is placed on it, so all splits share coordinates.
Clusters are fitted on the same sample and assigned to the other samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..analysis.clusters import (
    HIGH_DEP_RATIO,
    NOISE,
    assign_clusters,
    fit_clusters,
    summarize_clusters,
)
from ..analysis.neighbors import sample_rows
from ..analysis.projection import MAP_FIT_MAX_SAMPLES, fit_map, place_on_map
from ..splits import TRAINING
from ..store import reader
from .context import AnalysisContext, SplitAnalysis
from .embeddings import embeddings_epoch, iter_embeddings, missing_modules

SEED = 0
#: Clusters listed per split in the summary, highest mean DEP first.
MAX_LISTED_CLUSTERS = 50


def map_embeddings(context: AnalysisContext) -> None:
    """Add map coordinates ``x``, ``y`` (float32) and ``cluster`` (int32, -1 = noise) to every split.

    Samples without embeddings get null coordinates and a null cluster. Summary:
    ``summary["map"]`` (method, samples fitted, clusters found, or why it was skipped) and per
    split ``clusters``: the clusters by decreasing mean DEP (see
    :func:`~dataerrors.analysis.clusters.summarize_clusters`), each with ``dep_ratio`` to the
    split's mean DEP, plus ``high_dep_clusters``, the clusters whose ratio reaches
    ``HIGH_DEP_RATIO``.
    """
    training = context.splits.get(TRAINING)
    epoch = embeddings_epoch(context, training) if training is not None else None
    reason = None
    if epoch is None:
        reason = "no training embeddings were logged"
    elif missing_modules("embedding map", "faiss", "umap", "hdbscan"):
        reason = "faiss, umap-learn or hdbscan is not installed"
    if reason is not None or training is None or epoch is None:
        _skip(context, reason)
        return
    fit_rows, fit_embeddings = _fit_sample(context, training, epoch)
    if fit_rows.shape[0] == 0:
        _skip(context, "no training sample has embeddings")
        return
    n_fit = fit_rows.shape[0]
    with context.reporter.step(f"map: fitting UMAP on {n_fit} training samples", 1) as step:
        embedding_map = fit_map(fit_embeddings, seed=SEED)
        step.advance()
    with context.reporter.step(f"map: HDBSCAN clusters of the {n_fit} fitted points", 1) as step:
        cluster_model, fit_clusters_found = fit_clusters(embedding_map.coordinates, n_jobs=context.workers)
        step.advance()
    del fit_embeddings
    n_clusters = int(fit_clusters_found.max()) + 1 if fit_clusters_found.size else 0
    context.summary["map"] = {
        "status": "done",
        "method": embedding_map.method,
        "epoch": epoch,
        "n_fitted": int(fit_rows.shape[0]),
        "n_clusters": n_clusters,
    }

    for analysis in context.splits.values():
        coordinates = np.full((analysis.n_samples, 2), np.nan, dtype=np.float32)
        clusters = np.full(analysis.n_samples, NOISE, dtype=np.int32)
        mapped = np.zeros(analysis.n_samples, dtype=bool)
        split_epoch = embeddings_epoch(context, analysis)
        if split_epoch is not None:
            with context.reporter.step(f"{analysis.split}: placing on the map", analysis.n_samples) as step:
                for rows, embeddings in iter_embeddings(context, analysis, split_epoch):
                    placed = place_on_map(embedding_map, embeddings)
                    coordinates[rows] = placed
                    clusters[rows] = assign_clusters(cluster_model, placed)
                    mapped[rows] = True
                    step.advance(rows.shape[0])
        if analysis.split == TRAINING:
            # The fitted samples keep their UMAP positions and HDBSCAN clusters.
            coordinates[fit_rows] = embedding_map.coordinates
            clusters[fit_rows] = fit_clusters_found
        _add_columns(analysis, coordinates, clusters, mapped)
        analysis.summary["clusters"] = _cluster_summary(context, analysis, clusters, mapped)


def _skip(context: AnalysisContext, reason: str | None) -> None:
    context.summary["map"] = {"status": "skipped", "reason": reason}
    for analysis in context.splits.values():
        n_samples = analysis.n_samples
        _add_columns(analysis, np.full((n_samples, 2), np.nan, np.float32),
                     np.full(n_samples, NOISE, np.int32), np.zeros(n_samples, bool))


def _fit_sample(
    context: AnalysisContext, training: SplitAnalysis, epoch: int
) -> tuple[np.ndarray, np.ndarray]:
    n_vectors = reader.count_vectors(context.layout, TRAINING, epoch)
    wanted = sample_rows(n_vectors, MAP_FIT_MAX_SAMPLES, SEED)
    rows = np.empty(wanted.shape[0], dtype=np.int64)
    embeddings: np.ndarray | None = None
    start = 0
    with context.reporter.step("map: reading the training sample", n_vectors) as step:
        for chunk_rows, chunk in iter_embeddings(context, training, epoch):
            if embeddings is None:
                embeddings = np.empty((wanted.shape[0], chunk.shape[1]), dtype=np.float32)
            stop = start + chunk.shape[0]
            low, high = np.searchsorted(wanted, [start, stop])
            rows[low:high] = chunk_rows[wanted[low:high] - start]
            embeddings[low:high] = chunk[wanted[low:high] - start]
            start = stop
            step.advance(chunk.shape[0])
    if embeddings is None:
        return rows[:0], np.zeros((0, 1), dtype=np.float32)
    # Rows logged without embeddings are counted in n_vectors but never read.
    n_read = int(np.searchsorted(wanted, start))
    return rows[:n_read], embeddings[:n_read]


def _add_columns(
    analysis: SplitAnalysis, coordinates: np.ndarray, clusters: np.ndarray, mapped: np.ndarray
) -> None:
    analysis.columns["x"] = pa.array(coordinates[:, 0], pa.float32(), from_pandas=True)
    analysis.columns["y"] = pa.array(coordinates[:, 1], pa.float32(), from_pandas=True)
    analysis.columns["cluster"] = pa.array(clusters, pa.int32(), mask=~mapped)


def _cluster_summary(
    context: AnalysisContext, analysis: SplitAnalysis, clusters: np.ndarray, mapped: np.ndarray
) -> dict[str, Any]:
    n_samples = analysis.n_samples
    predicted = _column(analysis, "predicted", np.full(n_samples, -1, np.int32))
    dep = _column(analysis, "dep", np.full(n_samples, np.nan, np.float32)).astype(np.float64)
    flagged = _column(analysis, "is_likely_mislabeled", np.zeros(n_samples, bool))
    entries = summarize_clusters(
        np.where(mapped, clusters, NOISE), analysis.labels, predicted, dep, flagged
    )
    split_dep = float(np.nanmean(dep)) if (~np.isnan(dep)).any() else None
    for entry in entries:
        ratio = None
        if entry["mean_dep"] is not None and split_dep:
            ratio = entry["mean_dep"] / split_dep
        entry["dep_ratio"] = ratio
        for item in entry["main_classes"]:
            item["label_name"] = _class_name(context, item["label"])
        pair = entry["top_confused_pair"]
        if pair is not None:
            pair["label_name"] = _class_name(context, pair["label"])
            pair["predicted_name"] = _class_name(context, pair["predicted"])
    n_mapped = int(mapped.sum())
    noise = int((mapped & (clusters == NOISE)).sum())
    return {
        "n_mapped": n_mapped,
        "n_clusters": len(entries),
        "noise_share": noise / n_mapped if n_mapped else None,
        "mean_dep": split_dep,
        "high_dep_clusters": [
            entry["cluster"] for entry in entries
            if entry["dep_ratio"] is not None and entry["dep_ratio"] >= HIGH_DEP_RATIO
        ],
        "clusters": entries[:MAX_LISTED_CLUSTERS],
    }


def _class_name(context: AnalysisContext, label: int) -> str | None:
    return context.class_names[label] if 0 <= label < len(context.class_names) else None


def _column(analysis: SplitAnalysis, name: str, default: np.ndarray) -> np.ndarray:
    column = analysis.columns.get(name)
    if column is None:
        return default
    # pyarrow turns null floats into NaN; the integer and boolean columns read here have no nulls.
    return column.to_numpy(zero_copy_only=False) if isinstance(column, pa.Array) else np.asarray(column)
