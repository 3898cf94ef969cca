"""Scores from the model outputs: training dynamics, DEP, confident learning and metrics.

Memory stays bounded: per-epoch scalars are held for all samples (a few float32 per sample and
epoch), while probability vectors are streamed in chunks twice (thresholds, then flags).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .._progress import ProgressStep
from ..analysis import mislabel
from ..analysis.dep import data_error_potential, dep_thresholds
from ..analysis.dynamics import training_dynamics
from ..analysis.metrics import (
    class_metrics,
    confusion_matrix,
    top_confused_pairs,
    underperforming_classes,
)
from ..errors import DegenerateInputWarning
from ..store import reader
from ..store.tables import vectors_to_numpy
from .context import AnalysisContext, SplitAnalysis

CHUNK_ROWS = 65536
#: Confusion matrices up to this many classes are stored whole in the summary.
MAX_DENSE_CONFUSION = 100
N_TOP_SUSPECTS = 20


@dataclass
class _EpochScores:
    p_given: np.ndarray  # (n_epochs, n_samples), NaN where a sample was not logged
    margins: np.ndarray
    predicted: np.ndarray  # -1 where a sample was not logged


def score_samples(context: AnalysisContext) -> None:
    """Add DEP, training dynamics, confident-learning flags and metrics to every split.

    Columns added: predicted, suggested_label, dep, aum, confidence, variability, correctness,
    margin (last epoch), n_epochs, is_likely_mislabeled, confident_label, difficulty.
    """
    for analysis in context.splits.values():
        _score_split(context, analysis)


def _score_split(context: AnalysisContext, analysis: SplitAnalysis) -> None:
    n_classes = context.n_classes
    labels = analysis.labels
    n_samples = analysis.n_samples
    epochs = analysis.epochs
    reporter = context.reporter

    with reporter.step(f"{analysis.split}: reading {len(epochs)} epoch(s)", len(epochs)) as step:
        scores = _read_epoch_scores(context, analysis, step)
    dynamics = training_dynamics(scores.p_given, scores.margins, scores.predicted == labels[None, :])
    dep = data_error_potential(dynamics.aum)
    easy, hard = dep_thresholds(dep)
    predicted = scores.predicted[-1] if epochs else np.full(n_samples, -1, np.int32)

    layout = context.layout
    vector_epoch = next(
        (e for e in reversed(epochs) if reader.has_vectors(layout, analysis.split, e)), None
    )
    confident = np.full(n_samples, mislabel.NO_CLASS, dtype=np.int32)
    excess = np.zeros(n_samples, dtype=np.float32)
    thresholds = np.ones(n_classes, dtype=np.float32)
    if vector_epoch is not None and (labels >= 0).any():
        description = f"{analysis.split}: confident learning"
        with reporter.step(description, 2 * max(n_samples, 1)) as step:
            thresholds = _class_thresholds(context, analysis, vector_epoch, step)
            _confident_classes(context, analysis, vector_epoch, thresholds, confident, excess, step)

    has_outputs = dynamics.n_epochs > 0
    class_counts = np.bincount(labels[(labels >= 0) & has_outputs], minlength=n_classes)
    joint = mislabel.confident_joint(labels, confident, n_classes)
    calibrated = mislabel.calibrate_joint(joint, class_counts)
    flags = mislabel.flag_mislabeled(labels, confident, excess, calibrated)
    suggested = mislabel.suggest_labels(labels, confident, predicted)

    difficulty = np.where(dep >= hard, "hard", np.where(dep < easy, "easy", "ambiguous"))
    difficulty = np.where(np.isnan(dep), None, difficulty)
    last_margin = scores.margins[-1] if epochs else np.full(n_samples, np.nan, np.float32)
    analysis.columns.update(
        {
            "label": pa.array(labels, pa.int32()),
            "predicted": pa.array(predicted, pa.int32()),
            "suggested_label": pa.array(suggested, pa.int32()),
            "dep": _float_column(dep),
            "aum": _float_column(dynamics.aum),
            "confidence": _float_column(dynamics.confidence),
            "variability": _float_column(dynamics.variability),
            "correctness": _float_column(dynamics.correctness),
            "margin": _float_column(last_margin),
            "n_epochs": pa.array(dynamics.n_epochs, pa.int32()),
            "is_likely_mislabeled": pa.array(flags),
            "confident_label": pa.array(confident, pa.int32()),
            "difficulty": pa.array(difficulty, pa.string()).dictionary_encode(),
        }
    )
    confusion = confusion_matrix(labels, predicted, n_classes)
    summary = _split_summary(
        analysis, dep, flags, suggested, confusion, calibrated, thresholds,
        easy, hard, has_outputs, difficulty, n_classes,
    )
    analysis.summary.update(name_classes(summary, context.class_names))


def _read_epoch_scores(
    context: AnalysisContext, analysis: SplitAnalysis, step: ProgressStep
) -> _EpochScores:
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
    return _EpochScores(p_given, margins, predicted)


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
    confident: np.ndarray, excess: np.ndarray, step: ProgressStep,
) -> None:
    for rows, probs in _probability_chunks(context, analysis, epoch):
        confident[rows], excess[rows] = mislabel.confident_classes(
            probs, analysis.labels[rows], thresholds
        )
        step.advance(rows.shape[0])


def _probability_chunks(context: AnalysisContext, analysis: SplitAnalysis, epoch: int):  # type: ignore[no-untyped-def]
    batches = reader.iter_vectors(context.layout, analysis.split, epoch, ["id", "probs"], CHUNK_ROWS)
    for batch in batches:
        rows, known = _known_rows(analysis, batch, f"the vectors of epoch {epoch}")
        yield rows, vectors_to_numpy(batch.column("probs"))[known]


def _split_summary(
    analysis: SplitAnalysis, dep: np.ndarray, flags: np.ndarray, suggested: np.ndarray,
    confusion: np.ndarray, calibrated: np.ndarray, thresholds: np.ndarray, easy: float,
    hard: float, has_outputs: np.ndarray, difficulty: np.ndarray, n_classes: int,
) -> dict[str, Any]:
    labels = analysis.labels
    metrics = class_metrics(confusion)
    labeled = (labels >= 0) & has_outputs
    n_scored = int(labeled.sum())
    estimated = mislabel.estimate_error_count(calibrated)
    class_dep = np.bincount(labels[labeled], weights=dep[labeled], minlength=n_classes)
    class_n = np.bincount(labels[labeled], minlength=n_classes)
    present = metrics.support > 0
    order = np.argsort(-np.nan_to_num(dep, nan=-1.0), kind="stable")[:N_TOP_SUSPECTS]
    summary: dict[str, Any] = {
        "n_samples": analysis.n_samples,
        "n_scored": n_scored,
        "epochs": analysis.epochs,
        "accuracy": float(np.trace(confusion) / max(confusion.sum(), 1)),
        "mean_dep": float(np.nanmean(dep)) if n_scored else None,
        "dep_thresholds": {"easy": easy, "hard": hard},
        "difficulty_counts": {
            name: int((difficulty == name).sum()) for name in ("easy", "ambiguous", "hard")
        },
        "n_likely_mislabeled": int(flags.sum()),
        "estimated_label_errors": estimated,
        "estimated_error_rate": estimated / n_scored if n_scored else None,
        "mean_f1": float(metrics.f1[present].mean()) if present.any() else None,
        "classes": [
            {
                "label": label,
                "precision": float(metrics.precision[label]),
                "recall": float(metrics.recall[label]),
                "f1": float(metrics.f1[label]),
                "support": int(metrics.support[label]),
                "n_predicted": int(metrics.n_predicted[label]),
                "mean_dep": float(class_dep[label] / class_n[label]) if class_n[label] else None,
                "confident_learning_threshold": float(thresholds[label]),
            }
            for label in range(n_classes)
        ],
        "top_confused_pairs": top_confused_pairs(confusion),
        "underperforming_classes": underperforming_classes(metrics, confusion),
        "top_suspects": [
            {
                "id": analysis.ids[row].item(),
                "label": int(labels[row]),
                "suggested_label": int(suggested[row]),
                "dep": float(dep[row]),
                "is_likely_mislabeled": bool(flags[row]),
            }
            for row in order
            if not np.isnan(dep[row])
        ],
    }
    if n_classes <= MAX_DENSE_CONFUSION:
        summary["confusion_matrix"] = confusion.tolist()
    return summary


def name_classes(summary: dict[str, Any], class_names: list[str]) -> dict[str, Any]:
    """Add a ``*_name`` field beside every class index in the summary's lists."""
    for key in ("classes", "top_confused_pairs", "underperforming_classes", "top_suspects"):
        for entry in summary[key]:
            for field_name in ("label", "predicted", "suggested_label", "most_confused_with"):
                value = entry.get(field_name)
                if isinstance(value, int) and 0 <= value < len(class_names):
                    entry[f"{field_name}_name"] = class_names[value]
    return summary


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
