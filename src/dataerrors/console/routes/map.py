"""The embedding map: points as binary float32 columns, lasso selections, clusters."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from ...analysis.selection import points_in_polygon, y_order
from ...store import sample_queries
from ..catalog import MAP_COLUMNS, MapPoints, RunSession, Selection
from ..errors import ApiError
from ..params import FilterParams, build_filter, edit_state, filter_params, get_session, get_split
from ..schemas import (
    ERROR_RESPONSES,
    ClusterInfo,
    ClusterList,
    MapInfo,
    SelectionRequest,
    SelectionResult,
)

router = APIRouter(prefix="/api/runs/{project}/{run}/splits/{split}", tags=["map"],
                   responses=ERROR_RESPONSES)

Session = Annotated[RunSession, Depends(get_session)]
Split = Annotated[str, Depends(get_split)]
Filters = Annotated[FilterParams, Depends(filter_params)]
#: Category columns whose counts the map legend shows.
CATEGORY_COLUMNS = ("label", "predicted", "cluster")
#: Given labels listed per cluster.
N_TOP_LABELS = 3


@router.get("/map", response_model=MapInfo, summary="Describe the split's 2D map and its categories")
def get_map(session: Session, split: Split) -> MapInfo:
    names = sample_queries.analysis_schema(session.run.layout, split).names
    if "x" not in names or "y" not in names:
        return MapInfo(
            available=False,
            message="This analysis has no 2D map (columns x, y). Analyze the run with a version "
            "of dataerrors that computes the map.",
        )
    points = _points(session, split)
    x, y = points.columns["x"], points.columns["y"]
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        reason = (session.run.summary().get("map") or {}).get("reason") or "no sample has map coordinates"
        return MapInfo(available=False, message=f"This analysis has no 2D map: {reason}.")
    return MapInfo(
        available=True,
        n_points=points.n_points,
        columns=list(points.columns),
        x_range=[float(x[finite].min()), float(x[finite].max())] if finite.any() else None,
        y_range=[float(y[finite].min()), float(y[finite].max())] if finite.any() else None,
        categories={
            column: _category_info(session, column, points.columns[column])
            for column in CATEGORY_COLUMNS
            if column in points.columns
        },
    )


@router.get(
    "/map/points",
    response_class=Response,
    summary="Map columns as little-endian float32 arrays, one after the other",
    description="The body contains n_points float32 values per column, in the order of the "
    "X-Columns header (the same as `columns` of GET .../map). Point i is row i of the split's "
    "analysis table (the `row` of a sample). Missing values are NaN.",
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_map_points(session: Session, split: Split) -> Response:
    points = _points(session, split)
    body = b"".join(column.astype("<f4", copy=False).tobytes() for column in points.columns.values())
    return Response(
        body,
        media_type="application/octet-stream",
        headers={"X-Columns": ",".join(points.columns), "X-Points": str(points.n_points)},
    )


@router.get(
    "/map/matching",
    response_class=Response,
    summary="The map points that match the sample filters, as little-endian uint32 rows",
    description="Takes the filters of GET .../samples. The body contains the analysis-table row of "
    "every matching sample, ascending, one uint32 each; X-Matching says how many.",
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_map_matching(session: Session, split: Split, filters: Filters) -> Response:
    rows = session.queries.matching_rows(
        split, build_filter(session, split, filters), edit_state=edit_state(session, split),
        text_search=session.run.task == "text_classification",
    )
    return Response(
        rows.astype("<u4").tobytes(),
        media_type="application/octet-stream",
        headers={"X-Matching": str(rows.size)},
    )


@router.post("/selections", response_model=SelectionResult,
             summary="Select the map points inside a polygon (lasso or box)")
def create_selection(session: Session, split: Split, request: SelectionRequest) -> SelectionResult:
    points = _points(session, split)
    polygon = np.asarray(request.polygon, dtype=np.float64)
    inside = points_in_polygon(points.columns["x"], points.columns["y"], polygon, points.y_order)
    rows = np.flatnonzero(inside)
    token = uuid.uuid4().hex
    session.add_selection(token, Selection(split, rows))
    dep = points.columns.get("dep")
    selected_dep = dep[rows] if dep is not None and rows.size else np.zeros(0)
    mean_dep = float(np.nanmean(selected_dep)) if np.isfinite(selected_dep).any() else None
    return SelectionResult(
        selection=token,
        n_selected=int(rows.size),
        mean_dep=mean_dep,
        counts={
            column: _counts(points.columns[column][rows])
            for column in CATEGORY_COLUMNS
            if column in points.columns
        },
    )


@router.get("/clusters", response_model=ClusterList,
            summary="Map clusters with size, mean DEP and main labels")
def list_clusters(
    session: Session,
    split: Split,
    selection: Annotated[str | None, Query(max_length=64, description="Also count the points of this selection per cluster.")] = None,
) -> ClusterList:
    layout = session.run.layout
    if "cluster" not in sample_queries.analysis_schema(layout, split).names:
        return ClusterList(available=False, clusters=[])
    groups = session.queries.group_counts(split, "cluster").to_pylist()
    label_rows = session.queries.group_label_counts(split, "cluster").to_pylist()
    selected: dict[Any, int] = {}
    if selection:
        rows = session.selection(selection, split).rows
        selected = {
            row["value"]: row["n_samples"]
            for row in session.queries.group_counts(split, "cluster", rows).to_pylist()
        }
    names = session.run.class_names
    clusters = []
    for group in groups:
        if group["value"] is None:
            continue
        top = [row for row in label_rows if row["value"] == group["value"]][:N_TOP_LABELS]
        clusters.append(
            ClusterInfo(
                cluster=int(group["value"]),
                n_samples=group["n_samples"],
                mean_dep=_finite_or_none(group["mean_dep"]),
                n_likely_mislabeled=group["n_likely_mislabeled"],
                top_labels=[
                    {"label": row["label"],
                     "name": _class_name(names, row["label"]) or UNLABELED_NAME,
                     "n_samples": row["n_samples"]}
                    for row in top
                ],
                n_selected=selected.get(group["value"], 0) if selection else None,
            )
        )
    clusters.sort(key=lambda entry: -(entry.mean_dep or 0.0))
    return ClusterList(available=True, clusters=clusters,
                       summary=session.split_summaries().get(split, {}).get("clusters"))


# ----------------------------------------------------------------------------- helpers


def _points(session: RunSession, split: str) -> MapPoints:
    layout = session.run.layout
    names = sample_queries.analysis_schema(layout, split).names
    if "x" not in names or "y" not in names:
        raise ApiError(
            404, f"split {split!r} of run {session.key} has no 2D map (columns x, y); analyze "
            "the run with a version of dataerrors that computes it."
        )
    present = [column for column in MAP_COLUMNS if column in names]

    def load() -> dict[str, np.ndarray]:
        table = sample_queries.read_columns(layout, split, present)
        return {name: _float32(table[name]) for name in present}

    return session.map_points(split, load, y_order)


def _float32(column: pa.ChunkedArray) -> np.ndarray:
    values = column.to_numpy(zero_copy_only=False)
    if values.dtype == object:
        values = np.array([np.nan if value is None else value for value in values], dtype=np.float64)
    return values.astype(np.float32)


def _category_info(session: RunSession, column: str, values: np.ndarray) -> dict[str, Any]:
    names = session.run.class_names
    counts = _counts(values)
    if column in ("label", "predicted"):
        keys = list(range(len(names)))
        labels = list(names)
    else:
        keys = sorted(int(key) for key in counts)
        labels = ["noise" if key == -1 else f"cluster {key}" for key in keys]
    return {"values": keys, "names": labels, "counts": [counts.get(str(key), 0) for key in keys]}


def _counts(values: np.ndarray) -> dict[str, int]:
    finite = values[np.isfinite(values)]
    keys, counts = np.unique(finite.astype(np.int64), return_counts=True)
    return {str(int(key)): int(count) for key, count in zip(keys, counts)}


#: The name shown for unlabelled samples (given label -1) among a cluster's main classes.
UNLABELED_NAME = "no label"


def _class_name(names: list[str], value: Any) -> str | None:
    return names[value] if isinstance(value, int) and 0 <= value < len(names) else None


def _finite_or_none(value: Any) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None

