"""Per-class metrics, the confusion matrix and confused pairs; out-of-coverage rates per split."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ...errors import RunNotFoundError
from ...store import sample_queries
from ..catalog import RunSession
from ..errors import not_found
from ..params import get_session, get_split
from ..schemas import ERROR_RESPONSES, Coverage, CoverageSplit

router = APIRouter(prefix="/api/runs/{project}/{run}", tags=["metrics"], responses=ERROR_RESPONSES)

Session = Annotated[RunSession, Depends(get_session)]


class Metrics(BaseModel):
    """The split's entry of the analysis summary, with the run's class names."""

    model_config = ConfigDict(extra="allow")

    class_names: list[str]
    accuracy: float | None = None
    mean_f1: float | None = None
    classes: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per class: precision, recall, f1, support, n_predicted, mean_dep.",
    )
    confusion_matrix: list[list[int]] | None = Field(
        None, description="Given label (rows) by predicted class (columns); absent for many classes."
    )
    top_confused_pairs: list[dict[str, Any]] = Field(default_factory=list)
    underperforming_classes: list[dict[str, Any]] = Field(default_factory=list)
    cautions: list[dict[str, str]] = Field(
        default_factory=list, description="Notes that put the split's figures in context: kind, message."
    )


@router.get("/splits/{split}/metrics", response_model=Metrics,
            summary="Per-class metrics, confusion matrix, confused pairs, underperforming classes")
def get_metrics(session: Session, split: Annotated[str, Depends(get_split)]) -> Metrics:
    entry = session.run.summary().get("splits", {}).get(split)
    if entry is None:
        raise not_found(
            f"the analysis summary of run {session.key} has no split {split!r}; run "
            f"`dataerrors analyze {session.run.folder}` again."
        )
    return Metrics(class_names=session.run.class_names, **entry)


@router.get("/coverage", response_model=Coverage,
            summary="Share of each split outside the training data's coverage")
def get_coverage(session: Session) -> Coverage:
    entries = session.split_summaries()
    return Coverage(splits=[
        _split_coverage(session, split, entries.get(split, {})) for split in session.run.splits
    ])


def _split_coverage(session: RunSession, split: str, entry: dict[str, Any]) -> CoverageSplit:
    """Count the out-of-coverage samples of ``split``; ``entry`` is its analysis summary entry."""
    layout = session.run.layout
    try:
        names = sample_queries.analysis_schema(layout, split).names
    except RunNotFoundError:
        names = []
    n_samples = sample_queries.count_samples(layout, split) if names else 0
    summary = entry.get("coverage")
    cautions = [caution["message"] for caution in entry.get("cautions", [])
                if caution.get("kind") == "coverage"]
    if "is_out_of_coverage" not in names:
        return CoverageSplit(split=split, available=False, n_samples=n_samples,
                             n_out_of_coverage=None, out_of_coverage_rate=None, summary=summary,
                             cautions=cautions)
    counts = {
        row["value"]: row["n_samples"]
        for row in session.queries.group_counts(split, "is_out_of_coverage").to_pylist()
    }
    n_out = int(counts.get(True, 0))
    return CoverageSplit(
        split=split, available=True, n_samples=n_samples, n_out_of_coverage=n_out,
        out_of_coverage_rate=n_out / n_samples if n_samples else None, summary=summary,
        cautions=cautions,
    )

