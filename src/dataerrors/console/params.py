"""Query parameters shared by the sample routes, turned into a store SampleFilter."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import pyarrow as pa
from fastapi import Depends, Path, Query, Request

from ..edits import EditLog
from ..store import sample_queries
from ..store.sample_queries import FLAGS, SampleFilter
from .catalog import RunSession
from .errors import ApiError, not_found

#: Sample flags accepted by ``flag=`` (the names of the store's flag table).
Flag = Enum("Flag", {name: name for name in FLAGS}, type=str)  # type: ignore[misc]


class SortOrder(str, Enum):
    asc = "asc"
    desc = "desc"


def get_session(
    request: Request,
    project: Annotated[str, Path(description="Project name of the run.")],
    run: Annotated[str, Path(description="Run name.")],
) -> RunSession:
    """Return the session of the run named in the path (404 if unknown)."""
    return request.app.state.catalog.session(project, run)


def get_split(
    session: Annotated[RunSession, Depends(get_session)],
    split: Annotated[str, Path(description="training, validation, test or inference.")],
) -> str:
    return session.check_split(split)


@dataclass
class FilterParams:
    """The filter query parameters as received."""

    label: list[int] | None
    predicted: list[int] | None
    cluster: list[int] | None
    dep_min: float | None
    dep_max: float | None
    flag: list[Any] | None
    out_of_coverage: bool | None
    search: str | None
    ids: list[str] | None
    selection: str | None


def filter_params(
    label: Annotated[list[int] | None, Query(description="Given label (class index); repeat for several.")] = None,
    predicted: Annotated[list[int] | None, Query(description="Predicted class (index); repeat for several.")] = None,
    cluster: Annotated[list[int] | None, Query(description="Map cluster (-1: noise); repeat for several.")] = None,
    dep_min: Annotated[float | None, Query(ge=0, le=1, description="Lowest DEP, inclusive.")] = None,
    dep_max: Annotated[float | None, Query(ge=0, le=1, description="Highest DEP, inclusive.")] = None,
    flag: Annotated[list[Flag] | None, Query(description="Samples must have every flag given.")] = None,
    out_of_coverage: Annotated[bool | None, Query(description="Only samples out of (true) or within (false) the training data's coverage.")] = None,
    search: Annotated[str | None, Query(max_length=200, description="A sample id, or text that text inputs contain.")] = None,
    ids: Annotated[list[str] | None, Query(max_length=1000, description="Only these sample ids; repeat for several.")] = None,
    selection: Annotated[str | None, Query(max_length=64, description="A map selection token from POST .../selections.")] = None,
) -> FilterParams:
    return FilterParams(label, predicted, cluster, dep_min, dep_max, flag, out_of_coverage,
                        search, ids, selection)


def build_filter(session: RunSession, split: str, params: FilterParams) -> SampleFilter:
    """Check the filter parameters against the run and return the store's SampleFilter."""
    n_classes = session.run.n_classes
    for name in ("label", "predicted"):
        values = getattr(params, name) or []
        bad = [value for value in values if not 0 <= value < n_classes]
        if bad:
            raise _field_error(name, f"classes {bad[:5]} are out of range; use 0 to {n_classes - 1}.")
    if params.dep_min is not None and params.dep_max is not None and params.dep_min > params.dep_max:
        raise _field_error("dep_min", f"dep_min={params.dep_min} is above dep_max={params.dep_max}.")
    rows = None
    if params.selection:
        rows = session.selection(params.selection, split).rows
    ids = None
    if params.ids is not None:
        ids = tuple(parse_ids(session, split, params.ids, field="ids"))
    search = params.search.strip() if params.search else None
    return SampleFilter(
        labels=tuple(params.label or ()),
        predicted=tuple(params.predicted or ()),
        clusters=tuple(params.cluster or ()),
        dep_min=params.dep_min,
        dep_max=params.dep_max,
        flags=tuple(flag.value for flag in params.flag or ()),
        out_of_coverage=params.out_of_coverage,
        search=search or None,
        ids=ids,
        rows=rows,
    )


def parse_ids(session: RunSession, split: str, values: list[str], field: str) -> list[Any]:
    """Convert ids received as text to the split's id type, raising 422 if one does not fit."""
    id_type = sample_queries.id_type(session.run.layout, split)
    if not pa.types.is_integer(id_type):
        return [str(value) for value in values]
    try:
        return [int(value) for value in values]
    except ValueError as error:
        raise _field_error(field, f"{values[:5]} are not all integers; the ids of split {split!r} are integers.") from error


def parse_sample_id(session: RunSession, split: str, value: str) -> Any:
    """Convert one id from a URL path; an id that cannot exist in the split is a 404."""
    id_type = sample_queries.id_type(session.run.layout, split)
    if not pa.types.is_integer(id_type):
        return value
    try:
        return int(value)
    except ValueError:
        raise not_found(f"sample {value!r} is not in split {split!r} of run {session.key}.") from None


def _field_error(field: str, message: str) -> ApiError:
    return ApiError(422, f"invalid {field}: {message}", [{"field": field, "message": message}])


def edit_state(session: RunSession, split: str) -> pa.Table:
    """Return the current edit of each edited sample of ``split``: id, edit_action, edit_label."""
    return EditLog(session.run).current(split).select(["id", "edit_action", "edit_label"])
