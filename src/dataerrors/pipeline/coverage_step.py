"""Out-of-coverage flags for the validation, test and inference splits (drift).

Uses the neighbours found by :func:`~dataerrors.pipeline.neighbors_step.find_neighbors`: the
threshold is calibrated on the training samples, each searched without itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..analysis.coverage import (
    DEFAULT_FLAG_SHARE,
    DEFAULT_K,
    coverage_distance,
    coverage_threshold,
    is_out_of_coverage,
)
from ..splits import TRAINING
from .context import AnalysisContext, SplitAnalysis

#: Share of in-distribution samples flagged as out of coverage.
FLAG_SHARE = DEFAULT_FLAG_SHARE


def score_coverage(context: AnalysisContext) -> None:
    """Add ``coverage_distance`` and ``is_out_of_coverage`` to every split.

    ``coverage_distance`` (float32 in [0, 2], higher = farther from the training data) is the
    cosine distance to the k-th nearest training embedding; for the training split it leaves the
    sample itself out. ``is_out_of_coverage`` is True where that distance is above the threshold
    calibrated on training samples, and null for the training split and for samples without
    embeddings. Summary: ``summary["coverage"]`` (k, threshold, flag_share, or why it was
    skipped) and, per non-training split, the count and share out of coverage.
    """
    training = context.splits.get(TRAINING)
    neighbors = training.neighbors if training is not None else None
    reference = None
    if neighbors is not None:
        k = min(DEFAULT_K, neighbors.k)
        reference = coverage_distance(neighbors.distances, k)
    if reference is None or np.isnan(reference).all():
        reason = context.summary.get("neighbors", {}).get("reason") or (
            "fewer than two training samples have embeddings"
        )
        context.summary["coverage"] = {"status": "skipped", "reason": reason}
        for analysis in context.splits.values():
            analysis.columns["coverage_distance"] = _float_column(np.full(analysis.n_samples, np.nan))
            analysis.columns["is_out_of_coverage"] = pa.nulls(analysis.n_samples, pa.bool_())
        return

    threshold = coverage_threshold(reference, FLAG_SHARE)
    context.summary["coverage"] = {
        "status": "done",
        "k": k,
        "flag_share": FLAG_SHARE,
        "threshold": threshold,
        "n_calibration": int((~np.isnan(reference)).sum()),
    }
    for analysis in context.splits.values():
        _score_split(analysis, k, threshold)


def _score_split(analysis: SplitAnalysis, k: int, threshold: float) -> None:
    if analysis.neighbors is None:
        distances = np.full(analysis.n_samples, np.nan, dtype=np.float32)
    else:
        distances = coverage_distance(analysis.neighbors.distances, k)
    analysis.columns["coverage_distance"] = _float_column(distances)
    scored = ~np.isnan(distances)
    if analysis.split == TRAINING:
        analysis.columns["is_out_of_coverage"] = pa.nulls(analysis.n_samples, pa.bool_())
        return
    flags = is_out_of_coverage(distances, threshold)
    analysis.columns["is_out_of_coverage"] = pa.array(flags, pa.bool_(), mask=~scored)
    n_scored = int(scored.sum())
    n_out = int(flags[scored].sum())
    summary: dict[str, Any] = {
        "n_scored": n_scored,
        "n_out_of_coverage": n_out,
        "out_of_coverage_share": n_out / n_scored if n_scored else None,
        "threshold": threshold,
    }
    analysis.summary["coverage"] = summary


def _float_column(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.float32), pa.float32(), from_pandas=True)
