"""Downloads: cleaned labels (CSV, Parquet) and Label Studio tasks with their labeling config."""

from __future__ import annotations

import shutil
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from ...exporters.cleaned import export_cleaned_labels
from ...exporters.label_studio import SAMPLE_SETS, export_label_studio, label_studio_config
from ...store import sample_queries
from ..catalog import RunSession
from ..params import get_session, get_split, parse_ids
from ..schemas import ERROR_RESPONSES

router = APIRouter(prefix="/api/runs/{project}/{run}", tags=["exports"], responses=ERROR_RESPONSES)

Session = Annotated[RunSession, Depends(get_session)]
Split = Annotated[str, Depends(get_split)]
TableFormat = Enum("TableFormat", {"csv": "csv", "parquet": "parquet"}, type=str)  # type: ignore[misc]
SampleSet = Enum("SampleSet", {name: name for name in SAMPLE_SETS}, type=str)  # type: ignore[misc]
_MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


@router.get("/splits/{split}/exports/cleaned-labels", response_class=FileResponse,
            summary="Download the split's labels with the edit log applied")
def download_cleaned_labels(
    session: Session,
    split: Split,
    format: TableFormat = TableFormat.csv,  # noqa: A002 - the query parameter's public name
    include_removed: bool = False,
) -> FileResponse:
    name = f"{_stem(session, split)}-cleaned-labels.{format.value}"
    return _exported(
        lambda folder: export_cleaned_labels(
            session.run, split, folder / name, format.value, include_removed
        ),
        _MEDIA_TYPES[format.value],
    )


@router.get("/splits/{split}/exports/label-studio", response_class=FileResponse,
            summary="Download Label Studio tasks with our suggested labels as predictions")
def download_label_studio(
    session: Session,
    split: Split,
    samples: SampleSet = SampleSet.marked,
    ids: Annotated[list[str] | None, Query(max_length=100_000, description="Exactly these ids.")] = None,
    selection: Annotated[str | None, Query(max_length=64, description="The samples of a map selection.")] = None,
) -> FileResponse:
    chosen = parse_ids(session, split, ids, field="ids") if ids else None
    if selection:
        rows = session.selection(selection, split).rows
        chosen = sample_queries.read_columns(session.run.layout, split, ["id"])["id"].take(rows).to_pylist()
    # Downloads of different sample sets get different names, so one does not overwrite another.
    chosen_by = samples.value
    if ids:
        chosen_by = "ids"
    if selection:
        chosen_by = "selection"
    name = f"{_stem(session, split)}-label-studio-{chosen_by}.json"
    return _exported(
        lambda folder: export_label_studio(
            session.run, split, folder / name, samples=samples.value, ids=chosen
        ),
        "application/json",
    )


@router.get("/exports/label-studio-config", response_class=Response,
            responses={200: {"content": {"application/xml": {}}}},
            summary="The Label Studio labeling configuration for the exported tasks")
def download_label_studio_config(session: Session) -> Response:
    return Response(
        label_studio_config(session.run),
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{_stem(session)}-label-config.xml"'},
    )


def _stem(session: RunSession, split: str | None = None) -> str:
    # The console's key (the run's folder names), so a copied run's files get the copy's name.
    parts = session.key.split("/") + ([split] if split else [])
    return "-".join(parts)


def _exported(export: Callable[[Path], Path], media_type: str) -> FileResponse:
    """Run ``export`` into a temporary folder and send its file; the folder goes afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="dataerrors-export-"))
    try:
        path = export(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path, media_type=media_type, filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
