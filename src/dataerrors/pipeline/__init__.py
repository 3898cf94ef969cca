"""analyze(run): run the analysis steps in order and write the analysis tables.

Each step is a function ``step(context)`` that reads what the run logged through the store and
what earlier steps computed, and adds columns and summary entries to each
:class:`~dataerrors.pipeline.context.SplitAnalysis`. The results are written once, at the end,
each file replaced in one rename, so readers see the old analysis or the new one.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pyarrow as pa

from .._index import SampleIndex
from .._progress import Reporter
from ..store import manifest as manifest_store
from ..store import reader
from .cautions import add_cautions
from .context import AnalysisContext, SplitAnalysis
from .coverage_step import score_coverage
from .map_step import map_embeddings
from .neighbors_step import find_neighbors
from .scores_step import score_samples
from .workers import check_workers, thread_limit

if TYPE_CHECKING:
    from ..run import Run

logger = logging.getLogger(__name__)

#: The analysis steps, in the order they run.
STEPS: list[Callable[[AnalysisContext], None]] = [
    find_neighbors,
    score_samples,
    score_coverage,
    map_embeddings,
]


def analyze(run: "Run", progress: bool = False, workers: int | None = None) -> dict[str, Any]:
    """Compute the scores and insights of every split of ``run`` and store them in its folder.

    Writes ``analysis/<split>.parquet`` (one row per sample) and ``analysis/summary.json`` and
    returns the summary. See :meth:`dataerrors.Run.samples` for the columns. ``workers`` is the
    number of threads the steps may use (default: one per CPU core; see :mod:`.workers`).
    """
    n_workers = check_workers(workers)
    layout = run.layout
    summary: dict[str, Any] = {
        "project": run.project,
        "run": run.name,
        "class_names": run.class_names,
        "analyzed_at": manifest_store.now(),
        "splits": {},
    }
    reporter = Reporter(progress)
    splits = {split: _load_split(run, split) for split in run.splits}
    context = AnalysisContext(layout, run.class_names, splits, reporter, summary, workers=n_workers)
    timings: dict[str, float] = {}
    with reporter.session(), thread_limit(n_workers):
        for step in STEPS:
            started = time.perf_counter()
            step(context)
            timings[step.__name__] = time.perf_counter() - started
            logger.info("analysis step %s took %.1f s", step.__name__, timings[step.__name__])
    summary["step_seconds"] = timings
    summary["workers"] = n_workers
    for split, analysis in splits.items():
        reader.write_analysis(layout, split, pa.table(_ordered_columns(analysis.id_column, analysis.columns)))
        summary["splits"][split] = analysis.summary
    add_cautions(summary)
    reader.write_summary(layout, summary)

    def mark(manifest: dict[str, Any]) -> None:
        manifest["status"] = manifest_store.STATUS_ANALYZED
        manifest["analyzed_at"] = summary["analyzed_at"]

    manifest_store.update_manifest(layout, mark)
    return summary


def _load_split(run: "Run", split: str) -> SplitAnalysis:
    samples = reader.read_samples(run.layout, split, columns=["id", "label"])
    ids = samples["id"].to_numpy(zero_copy_only=False)
    ids = ids.astype(np.int64) if samples.schema.field("id").type == pa.int64() else ids.astype(str)
    return SplitAnalysis(
        split=split,
        id_column=samples["id"],
        ids=ids,
        labels=samples["label"].to_numpy().astype(np.int32),
        index=SampleIndex(ids),
        epochs=run.layout.epochs(split),
    )


#: Columns that lead the analysis table, in this order; the steps' other columns follow in the
#: order the steps wrote them. The neighbours step runs first, but its column reads best last.
_LEADING_COLUMNS = ("label", "predicted", "suggested_label", "dep")
_TRAILING_COLUMNS = ("training_neighbor_disagreement",)


def _ordered_columns(id_column: Any, columns: dict[str, Any]) -> dict[str, Any]:
    """Return the analysis columns with ``id`` and the label columns first."""
    leading = [name for name in _LEADING_COLUMNS if name in columns]
    trailing = [name for name in _TRAILING_COLUMNS if name in columns]
    middle = [name for name in columns if name not in leading and name not in trailing]
    return {"id": id_column, **{name: columns[name] for name in leading + middle + trailing}}
