"""analyze(run): read a run's logged outputs, compute every score and write the analysis tables.

Memory stays bounded: per-epoch scalars are held for all samples (a few float32 per sample and
epoch), while probability vectors are streamed in chunks twice (thresholds, then flags).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ._index import SampleIndex
from ._progress import ProgressStep, Reporter
from .analysis import mislabel
from .analysis.dep import data_error_potential, dep_thresholds
from .analysis.dynamics import training_dynamics
from .analysis.metrics import (
    class_metrics,
    confusion_matrix,
    top_confused_pairs,
    underperforming_classes,
)
from .store import manifest as manifest_store
from .store import reader
from .store.layout import RunLayout
from .store.tables import fixed_list_to_numpy

if TYPE_CHECKING:
    from .run import Run

logger = logging.getLogger(__name__)

CHUNK_ROWS = 65536
#: Confusion matrices up to this many classes are stored whole in the summary.
MAX_DENSE_CONFUSION = 100
N_TOP_SUSPECTS = 20


@dataclass
class _EpochScores:
    p_given: np.ndarray  # (n_epochs, n_samples)
    margins: np.ndarray
    predicted: np.ndarray
    epochs: list[int]


def analyze(run: "Run", progress: bool = False) -> dict[str, Any]:
    """Compute the scores and insights of every split of ``run`` and store them in its folder.

    Writes ``analysis/<split>.parquet`` (one row per sample) and ``analysis/summary.json`` and
    returns the summary. See :meth:`Run.samples` for the columns.
    """
    layout = run.layout
    class_names = run.class_names
    summary: dict[str, Any] = {
        "project": run.project,
        "run": run.name,
        "class_names": class_names,
        "analyzed_at": manifest_store.now(),
        "splits": {},
    }
    reporter = Reporter(progress)
    with reporter.session():
        for split in run.splits:
            table, split_summary = analyze_split(layout, split, len(class_names), reporter)
            reader.write_analysis(layout, split, table)
            summary["splits"][split] = _name_classes(split_summary, class_names)
    reader.write_summary(layout, summary)

    def mark(manifest: dict[str, Any]) -> None:
        manifest["status"] = manifest_store.STATUS_ANALYZED
        manifest["analyzed_at"] = summary["analyzed_at"]

    manifest_store.update_manifest(layout, mark)
    return summary


def analyze_split(
    layout: RunLayout, split: str, n_classes: int, reporter: Reporter
) -> tuple[pa.Table, dict[str, Any]]:
    """Return the analysis table and the summary of one split."""
    samples = reader.read_samples(layout, split, columns=["id", "label"])
    ids = samples["id"].to_numpy(zero_copy_only=False)
    if samples.schema.field("id").type != pa.int64():
        ids = ids.astype(str)
    labels = samples["label"].to_numpy().astype(np.int32)
    index = SampleIndex(ids)
    n_samples = ids.shape[0]

    epochs = layout.epochs(split)
    with reporter.step(f"{split}: reading {len(epochs)} epoch(s)", len(epochs)) as step:
        scores = _read_epoch_scores(layout, split, epochs, index, step)
    dynamics = training_dynamics(scores.p_given, scores.margins, scores.predicted == labels[None, :])
    dep = data_error_potential(dynamics.aum)
    easy, hard = dep_thresholds(dep)
    predicted = scores.predicted[-1] if epochs else np.full(n_samples, -1, np.int32)

    vector_epoch = next((e for e in reversed(epochs) if reader.has_vectors(layout, split, e)), None)
    confident = np.full(n_samples, mislabel.NO_CLASS, dtype=np.int32)
    excess = np.zeros(n_samples, dtype=np.float32)
    thresholds = np.ones(n_classes, dtype=np.float32)
    if vector_epoch is not None:
        with reporter.step(f"{split}: confident learning", 2 * max(n_samples, 1)) as step:
            thresholds = _class_thresholds(layout, split, vector_epoch, index, labels, n_classes, step)
            _confident_classes(layout, split, vector_epoch, index, labels, thresholds,
                               confident, excess, step)

    has_outputs = dynamics.n_epochs > 0
    class_counts = np.bincount(labels[(labels >= 0) & has_outputs], minlength=n_classes)
    joint = mislabel.confident_joint(labels, confident, n_classes)
    calibrated = mislabel.calibrate_joint(joint, class_counts)
    flags = mislabel.flag_mislabeled(labels, confident, excess, calibrated)
    suggested = mislabel.suggest_labels(labels, confident, predicted)

    difficulty = np.where(dep >= hard, "hard", np.where(dep < easy, "easy", "ambiguous"))
    difficulty = np.where(np.isnan(dep), None, difficulty)
    last = -1 if epochs else None
    table = pa.table(
        {
            "id": samples["id"],
            "label": pa.array(labels, pa.int32()),
            "predicted": pa.array(predicted, pa.int32()),
            "suggested_label": pa.array(suggested, pa.int32()),
            "dep": _float_column(dep),
            "aum": _float_column(dynamics.aum),
            "confidence": _float_column(dynamics.confidence),
            "variability": _float_column(dynamics.variability),
            "correctness": _float_column(dynamics.correctness),
            "margin": _float_column(scores.margins[last] if last is not None else dep * np.nan),
            "n_epochs": pa.array(dynamics.n_epochs, pa.int32()),
            "is_likely_mislabeled": pa.array(flags),
            "confident_label": pa.array(confident, pa.int32()),
            "difficulty": pa.array(difficulty, pa.string()).dictionary_encode(),
        }
    )
    confusion = confusion_matrix(labels, predicted, n_classes)
    split_summary = _split_summary(
        ids, labels, dep, flags, suggested, confusion, calibrated, thresholds,
        easy, hard, epochs, has_outputs, difficulty, n_classes,
    )
    return table, split_summary


def _read_epoch_scores(
    layout: RunLayout, split: str, epochs: list[int], index: SampleIndex, step: ProgressStep
) -> _EpochScores:
    n_samples = len(index)
    shape = (len(epochs), n_samples)
    p_given = np.full(shape, np.nan, dtype=np.float32)
    margins = np.full(shape, np.nan, dtype=np.float32)
    predicted = np.full(shape, -1, dtype=np.int32)
    for position, epoch in enumerate(epochs):
        table = reader.read_epoch_scores(layout, split, epoch, ["id", "p_given", "margin", "predicted"])
        if table.num_rows:
            rows = index.rows(_ids(table, index), split, argument=f"ids of epoch {epoch}")
            p_given[position, rows] = table["p_given"].to_numpy(zero_copy_only=False)
            margins[position, rows] = table["margin"].to_numpy(zero_copy_only=False)
            predicted[position, rows] = table["predicted"].to_numpy()
        step.advance()
    return _EpochScores(p_given, margins, predicted, epochs)


def _class_thresholds(
    layout: RunLayout, split: str, epoch: int, index: SampleIndex, labels: np.ndarray,
    n_classes: int, step: ProgressStep,
) -> np.ndarray:
    sums = np.zeros(n_classes, dtype=np.float64)
    counts = np.zeros(n_classes, dtype=np.int64)
    for batch in reader.iter_vectors(layout, split, epoch, ["id", "probs"], CHUNK_ROWS):
        rows = index.rows(_ids(batch, index), split)
        probs = fixed_list_to_numpy(batch.column("probs"))
        chunk_sums, chunk_counts = mislabel.class_probability_sums(probs, labels[rows], n_classes)
        sums += chunk_sums
        counts += chunk_counts
        step.advance(batch.num_rows)
    return mislabel.class_thresholds(sums, counts)


def _confident_classes(
    layout: RunLayout, split: str, epoch: int, index: SampleIndex, labels: np.ndarray,
    thresholds: np.ndarray, confident: np.ndarray, excess: np.ndarray, step: ProgressStep,
) -> None:
    for batch in reader.iter_vectors(layout, split, epoch, ["id", "probs"], CHUNK_ROWS):
        rows = index.rows(_ids(batch, index), split)
        probs = fixed_list_to_numpy(batch.column("probs"))
        confident[rows], excess[rows] = mislabel.confident_classes(probs, labels[rows], thresholds)
        step.advance(batch.num_rows)


def _split_summary(
    ids: np.ndarray, labels: np.ndarray, dep: np.ndarray, flags: np.ndarray,
    suggested: np.ndarray, confusion: np.ndarray, calibrated: np.ndarray,
    thresholds: np.ndarray, easy: float, hard: float, epochs: list[int],
    has_outputs: np.ndarray, difficulty: np.ndarray, n_classes: int,
) -> dict[str, Any]:
    metrics = class_metrics(confusion)
    labeled = (labels >= 0) & has_outputs
    n_scored = int(labeled.sum())
    estimated = mislabel.estimate_error_count(calibrated)
    class_dep = np.bincount(labels[labeled], weights=dep[labeled], minlength=n_classes)
    class_n = np.bincount(labels[labeled], minlength=n_classes)
    order = np.argsort(-np.nan_to_num(dep, nan=-1.0), kind="stable")[:N_TOP_SUSPECTS]
    summary: dict[str, Any] = {
        "n_samples": int(ids.shape[0]),
        "n_scored": n_scored,
        "epochs": epochs,
        "accuracy": float(np.trace(confusion) / max(confusion.sum(), 1)),
        "mean_dep": float(np.nanmean(dep)) if n_scored else None,
        "dep_thresholds": {"easy": easy, "hard": hard},
        "difficulty_counts": {
            name: int((difficulty == name).sum()) for name in ("easy", "ambiguous", "hard")
        },
        "n_likely_mislabeled": int(flags.sum()),
        "estimated_label_errors": estimated,
        "estimated_error_rate": estimated / n_scored if n_scored else None,
        "mean_f1": float(metrics.f1[metrics.support > 0].mean()) if (metrics.support > 0).any() else None,
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
                "id": ids[row].item(),
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


def _name_classes(summary: dict[str, Any], class_names: list[str]) -> dict[str, Any]:
    """Add a ``*_name`` field beside every class index in the summary's lists."""
    for key in ("classes", "top_confused_pairs", "underperforming_classes", "top_suspects"):
        for entry in summary[key]:
            for field_name in ("label", "predicted", "suggested_label", "most_confused_with"):
                value = entry.get(field_name)
                if isinstance(value, int) and 0 <= value < len(class_names):
                    entry[f"{field_name}_name"] = class_names[value]
    return summary


def _ids(table: pa.Table | pa.RecordBatch, index: SampleIndex) -> np.ndarray:
    values = table.column("id").to_numpy(zero_copy_only=False)
    return values.astype(str) if index.id_kind == "str" else values.astype(np.int64)


def _float_column(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.float32), pa.float32(), from_pandas=True)
