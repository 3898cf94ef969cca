"""Runs and their splits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ...errors import RunNotFoundError
from ...store import sample_queries
from ...store.sample_queries import FLAGS
from ..catalog import RunSession
from ..params import get_session
from ..schemas import ERROR_RESPONSES, RunInfo, RunList, RunSummary, SplitInfo
from ..serialize import media_url_templates

router = APIRouter(prefix="/api/runs", tags=["runs"], responses=ERROR_RESPONSES)


@router.get("", response_model=RunList, summary="List the runs this console serves")
def list_runs(request: Request) -> RunList:
    catalog = request.app.state.catalog
    return RunList(root=str(catalog.target), runs=[_summary(s) for s in catalog.sessions()])


@router.get("/{project}/{run}", response_model=RunInfo, summary="Describe one run and its splits")
def get_run(request: Request, session: Annotated[RunSession, Depends(get_session)]) -> RunInfo:
    run = session.run
    summaries = session.split_summaries()
    return RunInfo(
        **_summary(session).model_dump(),
        class_names=run.class_names,
        split_info=[_split_info(session, split, summaries.get(split, {})) for split in run.splits],
        features={"similar": hasattr(run, "similar"), "explain": hasattr(run, "explain")},
        flags=list(FLAGS),
        user=request.app.state.user,
        version=session.version(),
    )


def _summary(session: RunSession) -> RunSummary:
    run = session.run
    return RunSummary(
        key=session.key, project=run.project, run=run.name, task=run.task, status=run.status,
        n_classes=run.n_classes, splits=run.splits,
    )


def _split_info(session: RunSession, split: str, summary: dict[str, Any]) -> SplitInfo:
    """Describe ``split``; ``summary`` is its entry of the analysis summary ({} if none)."""
    layout = session.run.layout
    try:
        schema = sample_queries.analysis_schema(layout, split)
        n_samples = sample_queries.count_samples(layout, split)
    except RunNotFoundError:
        return SplitInfo(
            name=split, n_samples=len(sample_queries.sample_ids(layout, split)),
            epochs=session.run.epochs(split), is_analyzed=False, columns=[], sortable_columns=[],
            has_map=False, has_clusters=False, has_coverage=False,
        )
    names = schema.names
    return SplitInfo(
        name=split,
        n_samples=n_samples,
        epochs=session.run.epochs(split),
        is_analyzed=True,
        columns=names,
        sortable_columns=sample_queries.sortable_columns(schema),
        has_map="x" in names and "y" in names,
        has_clusters="cluster" in names,
        has_coverage="is_out_of_coverage" in names,
        n_scored=summary.get("n_scored"),
        n_labeled=summary.get("n_labeled"),
        cautions=summary.get("cautions", []),
        thumbnail_url_template=media_url_templates(session, split)["thumbnail_url"],
    )
