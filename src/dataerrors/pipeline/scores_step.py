"""Scores from the model outputs: training dynamics, DEP, confident learning and metrics.

Per-epoch scalars are held for all samples (a few float32 per sample and epoch). Probability
vectors are streamed in chunks twice (thresholds, then confident classes). DEP's neighbour signal
comes from the neighbours step, which runs first.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa

from .._progress import ProgressStep
from ..analysis import mislabel
from ..analysis.label_errors import score_columns, score_label_errors
from ..analysis.metrics import confusion_matrix
from ..errors import DegenerateInputWarning
from ..store import reader
from ..store.tables import vectors_to_numpy
from .context import AnalysisContext, SplitAnalysis
from .score_summary import EpochScores, name_classes, split_summary


CHUNK_ROWS = 65536
#: Integer and float analysis columns, each group in table order (see ``_add_columns``).
_INT_COLUMNS = ("predicted", "suggested_label")
_FLOAT_COLUMNS = ("dep", "aum", "confidence", "variability", "correctness", "margin")
_NEIGHBOR_FLOAT_COLUMNS = ("neighbor_disagreement", "neighbor_label_share")


def score_samples(context: AnalysisContext) -> None:
    """Add DEP, training dynamics, neighbour labels, confident-learning flags and metrics.

    Runs after the neighbours step, whose ``SplitAnalysis.label_neighbors`` DEP counts.

    Columns added to every split: label, predicted, suggested_label, dep, aum, confidence,
    variability, correctness, margin (last epoch), n_epochs, is_likely_mislabeled,
    confident_label, neighbor_disagreement, neighbor_label, neighbor_label_share, difficulty.
    """
    for analysis in context.splits.values():
        _score_split(context, analysis)


def _score_split(context: AnalysisContext, analysis: SplitAnalysis) -> None:
    n_classes = context.n_classes
    n_samples = analysis.n_samples
    epochs = analysis.epochs
    reporter = context.reporter

    with reporter.step(f"{analysis.split}: reading {len(epochs)} epoch(s)", len(epochs)) as step:
        epoch_scores = _read_epoch_scores(context, analysis, step)

    vector_epoch = next(
        (e for e in reversed(epochs) if reader.has_vectors(context.layout, analysis.split, e)),
        None,
    )
    confident = np.full(n_samples, mislabel.NO_CLASS, dtype=np.int32)
    thresholds = np.ones(n_classes, dtype=np.float32)
    if vector_epoch is not None and (analysis.labels >= 0).any():
        description = f"{analysis.split}: confident learning (2 passes over {n_samples:,} samples)"
        with reporter.step(description, 2 * max(n_samples, 1)) as step:
            thresholds = _class_thresholds(context, analysis, vector_epoch, step)
            _confident_classes(context, analysis, vector_epoch, thresholds, confident, step)

    scores = score_label_errors(
        analysis.labels, epoch_scores.p_given, epoch_scores.margins, epoch_scores.predicted,
        confident, n_classes, analysis.label_neighbors,
    )
    _add_columns(analysis, score_columns(scores))
    confusion = confusion_matrix(analysis.labels, scores.predicted, n_classes)
    summary = split_summary(
        analysis, scores, epoch_scores, confusion, thresholds, context.class_names
    )
    analysis.summary.update(name_classes(summary, context.class_names))


def _add_columns(analysis: SplitAnalysis, columns: dict[str, np.ndarray]) -> None:
    analysis.columns["label"] = pa.array(analysis.labels, pa.int32())
    for name in _INT_COLUMNS:
        analysis.columns[name] = pa.array(columns[name], pa.int32())
    for name in _FLOAT_COLUMNS:
        analysis.columns[name] = _float_column(columns[name])
    analysis.columns["n_epochs"] = pa.array(columns["n_epochs"], pa.int32())
    analysis.columns["is_likely_mislabeled"] = pa.array(columns["is_likely_mislabeled"])
    analysis.columns["confident_label"] = pa.array(columns["confident_label"], pa.int32())
    analysis.columns["neighbor_label"] = pa.array(columns["neighbor_label"], pa.int32())
    for name in _NEIGHBOR_FLOAT_COLUMNS:
        analysis.columns[name] = _float_column(columns[name])
    analysis.columns["difficulty"] = pa.array(columns["difficulty"], pa.string()).dictionary_encode()


def _read_epoch_scores(
    context: AnalysisContext, analysis: SplitAnalysis, step: ProgressStep
) -> EpochScores:
    shape = (len(analysis.epochs), analysis.n_samples)
    p_given = np.full(shape, np.nan, dtype=np.float32)
    margins = np.full(shape, np.nan, dtype=np.float32)
    predicted = np.full(shape, -1, dtype=np.int32)
    columns = ["id", "p_given", "margin", "predicted"]
    for position, epoch in enumerate(analysis.epochs):
        table = reader.read_epoch_scores(context.layout, analysis.split, epoch, columns)
        if table.num_rows:
            rows, known = _known_rows(analysis, table, f"epoch {epoch}")
            p_given[position, rows] = table["p_given"].to_numpy(zero_copy_only=False)[known]
            margins[position, rows] = table["margin"].to_numpy(zero_copy_only=False)[known]
            predicted[position, rows] = table["predicted"].to_numpy()[known]
        step.advance()
    return EpochScores(p_given, margins, predicted)


def _class_thresholds(
    context: AnalysisContext, analysis: SplitAnalysis, epoch: int, step: ProgressStep
) -> np.ndarray:
    sums = np.zeros(context.n_classes, dtype=np.float64)
    counts = np.zeros(context.n_classes, dtype=np.int64)
    for rows, probs in _probability_chunks(context, analysis, epoch):
        chunk_sums, chunk_counts = mislabel.class_probability_sums(
            probs, analysis.labels[rows], context.n_classes
        )
        sums += chunk_sums
        counts += chunk_counts
        step.advance(rows.shape[0])
    return mislabel.class_thresholds(sums, counts)


def _confident_classes(
    context: AnalysisContext, analysis: SplitAnalysis, epoch: int, thresholds: np.ndarray,
    confident: np.ndarray, step: ProgressStep,
) -> None:
    for rows, probs in _probability_chunks(context, analysis, epoch):
        confident[rows], _ = mislabel.confident_classes(probs, analysis.labels[rows], thresholds)
        step.advance(rows.shape[0])


def _probability_chunks(context: AnalysisContext, analysis: SplitAnalysis, epoch: int):  # type: ignore[no-untyped-def]
    batches = reader.iter_vectors(context.layout, analysis.split, epoch, ["id", "probs"], CHUNK_ROWS)
    for batch in batches:
        rows, known = _known_rows(analysis, batch, f"the vectors of epoch {epoch}")
        yield rows, vectors_to_numpy(batch.column("probs"))[known]


def _known_rows(
    analysis: SplitAnalysis, table: pa.Table | pa.RecordBatch, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """Map the ids of logged outputs to sample rows, skipping ids with no logged sample.

    Outputs without a sample only happen when a samples part was deleted or edited by hand; the
    analysis goes on without them and warns.
    """
    rows, known = analysis.index.known_rows(_ids(table, analysis))
    if not known.all():
        warnings.warn(
            f"{int((~known).sum())} outputs of split {analysis.split!r} in {where} belong to ids "
            "with no logged sample (was a samples part deleted?); they were left out.",
            DegenerateInputWarning,
            stacklevel=2,
        )
    return rows, known


def _ids(table: pa.Table | pa.RecordBatch, analysis: SplitAnalysis) -> np.ndarray:
    values = table.column("id").to_numpy(zero_copy_only=False)
    return values.astype(str) if analysis.index.id_kind == "str" else values.astype(np.int64)


def _float_column(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.float32), pa.float32(), from_pandas=True)
