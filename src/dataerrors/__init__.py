"""dataerrors: find the mislabeled, ambiguous and out-of-coverage samples of a classification
dataset from what a model logs while it trains on it.

Log a run::

    import dataerrors
    run = dataerrors.init(project="mnist", run="cnn-1", labels=[str(d) for d in range(10)])
    run.log_samples("training", ids, labels, inputs=images)
    for epoch in range(n_epochs):
        run.log_outputs("training", epoch, batch_ids, logits=logits, embeddings=embeddings)
    run.finish()                      # flushes, seals and analyzes
    run.samples("training").sort_values("dep", ascending=False)
"""

from __future__ import annotations

from .errors import (
    DataErrorsError,
    DataErrorsWarning,
    DegenerateInputWarning,
    InvalidInputError,
    RenormalizedProbabilitiesWarning,
    RunExistsError,
    RunNotFoundError,
    SchemaVersionError,
    SkippedSignalWarning,
    StaleAnalysisWarning,
    UnknownIdError,
    WriterError,
)
from .ranking import rank_label_errors
from .run import Run, SampleFrame, init, open_run
from .splits import SPLITS

__version__ = "0.1.0"

__all__ = [
    "SPLITS",
    "DataErrorsError",
    "DataErrorsWarning",
    "DegenerateInputWarning",
    "InvalidInputError",
    "RenormalizedProbabilitiesWarning",
    "Run",
    "RunExistsError",
    "RunNotFoundError",
    "SampleFrame",
    "SchemaVersionError",
    "SkippedSignalWarning",
    "StaleAnalysisWarning",
    "UnknownIdError",
    "WriterError",
    "analyze",
    "init",
    "open_run",
    "rank_label_errors",
]


def analyze(path: str, progress: bool = False, workers: int | None = None) -> dict:
    """Analyze the run folder at ``path`` (finishing it first if logging crashed); return the summary.

    ``workers`` is the number of threads the analysis may use (default: one per CPU core).
    """
    run = open_run(path)
    if run.status == "logging":
        run.finish(analyze=False, progress=progress)
    return run.analyze(progress=progress, workers=workers)
