"""The edit log: list batches, append a batch of edits, undo or reapply a batch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from ...edit_requests import Edit
from ...edits import EditLog
from ..catalog import RunSession
from ..params import get_session, parse_ids
from ..schemas import (
    ERROR_RESPONSES,
    EditBatch,
    EditBatchRequest,
    EditBatchResult,
    EditLogBody,
)
from ..serialize import jsonable

router = APIRouter(prefix="/api/runs/{project}/{run}/edits", tags=["edits"],
                   responses=ERROR_RESPONSES)

Session = Annotated[RunSession, Depends(get_session)]


@router.get("", response_model=EditLogBody, summary="Edit batches, newest first, and current counts")
def get_edit_log(session: Session) -> EditLogBody:
    log = EditLog(session.run)
    counts: dict[str, dict[str, int]] = {}
    for split in session.run.splits:
        actions = log.current(split)["edit_action"].to_pylist()
        counts[split] = {action: actions.count(action) for action in sorted(set(actions))}
    return EditLogBody(batches=[EditBatch(**batch) for batch in log.batches()], counts=counts)


@router.get("/history", response_model=list[dict[str, Any]],
            summary="Every stored edit, oldest first (optionally of one batch or split)")
def get_edit_history(
    session: Session,
    split: Annotated[str | None, Query(max_length=20)] = None,
    batch: Annotated[int | None, Query(ge=1)] = None,
) -> list[dict[str, Any]]:
    if split is not None:
        session.check_split(split)
    frame = EditLog(session.run).history(split)
    if batch is not None:
        frame = frame[frame["batch"] == batch]
    return jsonable(frame.to_dict(orient="records"))


@router.post("", response_model=EditBatchResult, status_code=201,
             summary="Store a batch of edits in one transaction")
def append_edits(request: Request, session: Session, body: EditBatchRequest) -> EditBatchResult:
    split = session.check_split(body.split)
    ids = parse_ids(session, split, [str(edit.id) for edit in body.edits], field="edits.id")
    edits = [Edit(split, sample_id, edit.action, edit.label) for sample_id, edit in zip(ids, body.edits)]
    batch = EditLog(session.run).append(edits, author=request.app.state.user, note=body.note)
    return EditBatchResult(batch=batch, n_edits=len(edits))


@router.post("/{batch}/undo", response_model=EditBatchResult, status_code=201,
             summary="Undo a batch by appending an undo batch")
def undo_edits(request: Request, session: Session, batch: int) -> EditBatchResult:
    undo_batch = EditLog(session.run).undo(batch, author=request.app.state.user)
    return EditBatchResult(batch=undo_batch, n_edits=0)


@router.post("/{batch}/reapply", response_model=EditBatchResult, status_code=201,
             summary="Apply an undone batch again, as a new batch")
def reapply_edits(request: Request, session: Session, batch: int) -> EditBatchResult:
    log = EditLog(session.run)
    reapply_batch = log.reapply(batch, author=request.app.state.user)
    n_edits = log.batches(reapply_batch)[0]["n_edits"]
    return EditBatchResult(batch=reapply_batch, n_edits=n_edits)
