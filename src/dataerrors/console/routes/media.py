"""Thumbnails of sample images. Only inputs logged in the run can be reached."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from ..catalog import RunSession
from ..errors import ApiError, not_found
from ..params import get_session, get_split, parse_sample_id
from ..schemas import ERROR_RESPONSES
from ..thumbnails import ImageUnreadableError, render_thumbnail

router = APIRouter(prefix="/api/runs/{project}/{run}/splits/{split}", tags=["media"],
                   responses=ERROR_RESPONSES)

#: Browsers may reuse a thumbnail this long; its URL changes when the run is analyzed again.
CACHE_SECONDS = 3600


@router.get(
    "/samples/{sample_id}/thumbnail",
    summary="The sample's image, scaled down to fit size x size pixels",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}},
)
def get_thumbnail(
    session: Annotated[RunSession, Depends(get_session)],
    split: Annotated[str, Depends(get_split)],
    sample_id: str,
    size: Annotated[int, Query(ge=16, le=1024, description="Maximum edge length in pixels; images are never scaled up.")] = 160,
) -> Response:
    key = parse_sample_id(session, split, sample_id)
    cache_key = (split, key, size, session.version())
    thumbnail = session.thumbnails.get(cache_key)
    if thumbnail is None:
        thumbnail = _render(session, split, key, size)
        session.thumbnails.put(cache_key, thumbnail)
    return Response(
        thumbnail.data,
        media_type=thumbnail.media_type,
        headers={"Cache-Control": f"private, max-age={CACHE_SECONDS}"},
    )


def _render(session: RunSession, split: str, key: object, size: int):  # type: ignore[no-untyped-def]
    if session.run.task == "text_classification":
        raise not_found(f"run {session.key} is a text run; its samples have no images.")
    found = session.queries.sample_image(split, key)
    if found is None:
        raise not_found(f"sample {key!r} is not in split {split!r} of run {session.key}.")
    image, path = found
    if image is not None:
        source: bytes | Path = image
    elif path:
        # The path is the one logged for this sample id; no other file can be named here.
        source = Path(path)
        if not source.is_file():
            raise not_found(f"the image file {path} of sample {key!r} is missing.")
    else:
        raise not_found(f"sample {key!r} was logged without an image.")
    try:
        return render_thumbnail(source, size)
    except ImageUnreadableError as error:
        raise ApiError(422, f"the image of sample {key!r} cannot be read: {error}") from error
