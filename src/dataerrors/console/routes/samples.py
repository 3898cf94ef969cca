"""Pages of samples, the ids behind a filter, and one sample with its history and neighbours."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Depends, Query
from fastapi import Path as FastApiPath

from ...analysis.neighbor_labels import N_NEIGHBORS
from ...errors import DataErrorsError
from ...store import sample_queries
from ...store.sample_queries import SampleOrder
from ..catalog import RunSession
from ..errors import not_found
from ..params import (
    FilterParams,
    SortOrder,
    build_filter,
    edit_state,
    filter_params,
    get_session,
    get_split,
    parse_sample_id,
)
from ..schemas import (
    ERROR_RESPONSES,
    EpochScores,
    SampleDetail,
    SampleIds,
    SamplePage,
    SampleRow,
)
from ..serialize import PAGE_TEXT_CHARS, jsonable, media_urls, sample_record, table_records

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/runs/{project}/{run}/splits/{split}", tags=["samples"],
                   responses=ERROR_RESPONSES)

Session = Annotated[RunSession, Depends(get_session)]
Split = Annotated[str, Depends(get_split)]
Filters = Annotated[FilterParams, Depends(filter_params)]
#: Most ids one request for the ids behind a filter returns.
MAX_IDS = 100_000
#: Similar samples shown with one sample: every neighbour the analysis keeps.
N_SIMILAR = N_NEIGHBORS


@router.get("/samples", response_model=SamplePage, summary="One page of filtered, sorted samples")
def list_samples(
    session: Session,
    split: Split,
    filters: Filters,
    sort: Annotated[str, Query(max_length=100, description="A sortable column (see the run's split_info).")] = "dep",
    order: SortOrder = SortOrder.desc,
    offset: Annotated[int, Query(ge=0, le=2**40)] = 0,
    limit: Annotated[int, Query(ge=1, le=sample_queries.MAX_PAGE_ROWS)] = 50,
) -> SamplePage:
    run = session.run
    page = session.queries.query_samples(
        split,
        build_filter(session, split, filters),
        SampleOrder(sort, order == SortOrder.desc),
        offset,
        limit,
        edit_state=edit_state(session, split),
        text_search=run.task == "text_classification",
    )
    rows = table_records(page.rows)
    inputs = _inputs_by_id(session, split, [row["id"] for row in rows])
    return SamplePage(
        rows=[sample_record(session, split, row, inputs.get(row["id"])) for row in rows],
        n_matching=page.n_matching,
        n_samples=page.n_samples,
        offset=offset,
        limit=limit,
        sort=sort,
        order=order.value,
    )


@router.get("/samples/ids", response_model=SampleIds,
            summary="The ids of the samples matching a filter, highest DEP first")
def list_sample_ids(
    session: Session,
    split: Split,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=MAX_IDS)] = 10_000,
) -> SampleIds:
    run = session.run
    ids, n_matching = session.queries.matching_ids(
        split, build_filter(session, split, filters), limit,
        edit_state=edit_state(session, split),
        text_search=run.task == "text_classification",
    )
    return SampleIds(ids=ids, n_matching=n_matching, is_truncated=n_matching > len(ids))


@router.get("/rows/{row}", response_model=SampleRow,
            summary="The id of the sample at a row of the analysis table (a map point)")
def get_row(session: Session, split: Split, row: Annotated[int, FastApiPath(ge=0, le=2**40)]) -> SampleRow:
    sample_id = session.queries.id_at_row(split, row)
    if sample_id is None:
        raise not_found(f"row {row} is past the end of split {split!r} of run {session.key}.")
    return SampleRow(id=sample_id, row=row)


@router.get("/samples/{sample_id}", response_model=SampleDetail,
            summary="One sample: scores, inputs, margin history, explanation, similar samples")
def get_sample(session: Session, split: Split, sample_id: str) -> SampleDetail:
    key = parse_sample_id(session, split, sample_id)
    record = session.queries.sample_record(split, key)
    if record is None:
        raise not_found(f"sample {sample_id!r} is not in split {split!r} of run {session.key}.")
    record.update(_edit_of(edit_state(session, split), key))
    inputs = _inputs_by_id(session, split, [key]).get(key)
    similar, similar_message = _similar(session, split, key)
    return SampleDetail(
        sample=sample_record(session, split, record, inputs, text_chars=None),
        history=_history(session, split, key),
        explanation=_explanation(session, split, key),
        similar=similar,
        similar_message=similar_message,
    )


# ----------------------------------------------------------------------------- helpers


def _edit_of(state: pa.Table, key: Any) -> dict[str, Any]:
    matches = state.filter(pc.equal(state["id"], pa.scalar(key, state.schema.field("id").type)))
    if matches.num_rows == 0:
        return {"edit_action": None, "edit_label": None}
    return {"edit_action": matches["edit_action"][0].as_py(),
            "edit_label": matches["edit_label"][0].as_py()}


def _inputs_by_id(session: RunSession, split: str, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    table = session.queries.sample_inputs(split, ids)
    return {row["id"]: row for row in table.to_pylist()}


def _history(session: RunSession, split: str, key: Any) -> list[EpochScores]:
    names = session.run.class_names
    history = []
    for row in table_records(session.queries.sample_history(split, key)):
        predicted = row["predicted"]
        history.append(
            EpochScores(
                epoch=row["epoch"],
                p_given=row["p_given"],
                margin=row["margin"],
                predicted=predicted,
                predicted_name=names[predicted] if 0 <= predicted < len(names) else None,
                top_classes=[
                    {"class": index, "name": names[index] if 0 <= index < len(names) else None,
                     "probability": probability}
                    for index, probability in zip(row["top_classes"] or [], row["top_probs"] or [])
                ],
            )
        )
    return history


def _explanation(session: RunSession, split: str, key: Any) -> dict[str, Any] | None:
    explain = getattr(session.run, "explain", None)
    if explain is None:
        return None
    try:
        return jsonable(explain(split, key))
    except DataErrorsError as error:
        logger.info("no explanation for %s/%s: %s", split, key, error)
        return None


def _similar(session: RunSession, split: str, key: Any) -> tuple[list[dict[str, Any]] | None, str | None]:
    similar = getattr(session.run, "similar", None)
    if similar is None:
        return None, "this version of dataerrors does not compute similar samples."
    try:
        frame = similar(split, key, N_SIMILAR)
    except DataErrorsError as error:
        return None, str(error)
    records = jsonable(frame.to_dict(orient="records"))
    # Similar samples come from the training split unless run.similar names their split.
    default_split = "training" if "training" in session.run.splits else split
    for record in records:
        record.setdefault("split", default_split)
        record.update(media_urls(session, record["split"], record["id"]))
    if session.run.task == "text_classification":
        for neighbor_split in {record["split"] for record in records}:
            members = [record for record in records if record["split"] == neighbor_split]
            inputs = _inputs_by_id(session, neighbor_split, [record["id"] for record in members])
            for record in members:
                text = inputs.get(record["id"], {}).get("input")
                record["text"] = text[:PAGE_TEXT_CHARS] if text else None
    return records, None
