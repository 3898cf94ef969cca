"""Turn store results (Arrow tables, summary dicts) into JSON-ready records for the API."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa

from ..store.tables import SAMPLE_COLUMNS
from .catalog import RunSession

#: Columns holding a class index; each gets a ``<column>_name`` beside it.
CLASS_COLUMNS = ("label", "predicted", "suggested_label", "confident_label", "edit_label")
#: Characters of input text kept per row of a page; the sample's own endpoint returns it whole.
PAGE_TEXT_CHARS = 2000
#: Maximum thumbnail edge in pixels in the URLs of a page's rows.
PAGE_THUMBNAIL_SIZE = 160
#: Largest image edge in pixels shown for one sample.
DETAIL_IMAGE_SIZE = 512
#: Stands for the URL-encoded sample id in :func:`media_url_templates`.
ID_PLACEHOLDER = "{id}"


def clean_value(value: Any) -> Any:
    """Return ``value`` as JSON can carry it: NaN and infinities become None, bytes are dropped."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bytes, bytearray)):
        return None
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    if isinstance(value, dict):
        return {key: clean_value(item) for key, item in value.items()}
    return value


def jsonable(value: Any) -> Any:
    """Return ``value`` (dicts, lists, numpy and pandas values) as plain JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return [jsonable(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        return clean_value(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    return clean_value(value)


def table_records(table: pa.Table) -> list[dict[str, Any]]:
    """Return the rows of ``table`` as dicts of JSON-ready values."""
    return [{key: clean_value(value) for key, value in row.items()} for row in table.to_pylist()]


def name_classes(record: dict[str, Any], class_names: list[str]) -> dict[str, Any]:
    """Add ``<column>_name`` for every class-index column of ``record`` (None when unset)."""
    for column in CLASS_COLUMNS:
        if column in record:
            value = record[column]
            valid = isinstance(value, int) and 0 <= value < len(class_names)
            record[f"{column}_name"] = class_names[value] if valid else None
    return record


def sample_record(
    session: RunSession,
    split: str,
    record: dict[str, Any],
    inputs: dict[str, Any] | None,
    text_chars: int | None = PAGE_TEXT_CHARS,
) -> dict[str, Any]:
    """Return one sample for the API: scores, class names, input (text or image URL), metadata.

    ``inputs`` is the sample's row of logged inputs and metadata (None if unknown).
    """
    run = session.run
    result = name_classes(dict(record), run.class_names)
    inputs = inputs or {}
    text = inputs.get("input")
    is_text = run.task == "text_classification"
    result["text"] = None
    if is_text and text:
        result["text"] = text if text_chars is None else text[:text_chars]
    result["input"] = None if is_text else text
    result["metadata"] = {
        key: clean_value(value) for key, value in inputs.items() if key not in SAMPLE_COLUMNS
    }
    result.update(media_urls(session, split, record["id"]))
    return result


def media_urls(session: RunSession, split: str, sample_id: Any) -> dict[str, str | None]:
    """Return the ``thumbnail_url`` and ``image_url`` of a sample (None in text runs and in
    splits logged without images)."""
    quoted_id = quote(str(sample_id), safe="")
    return {
        name: None if template is None else template.replace(ID_PLACEHOLDER, quoted_id)
        for name, template in media_url_templates(session, split).items()
    }


def media_url_templates(session: RunSession, split: str) -> dict[str, str | None]:
    """Return the ``thumbnail_url`` and ``image_url`` of the split's samples, with
    :data:`ID_PLACEHOLDER` in place of the URL-encoded sample id (None in text runs and in
    splits logged without images)."""
    if session.run.task == "text_classification":
        return {"thumbnail_url": None, "image_url": None}
    version = session.version()
    if not session.has_images(split, version):
        return {"thumbnail_url": None, "image_url": None}
    base = f"{samples_url(session, split)}/{ID_PLACEHOLDER}"
    return {
        "thumbnail_url": f"{base}/thumbnail?size={PAGE_THUMBNAIL_SIZE}&v={version}",
        "image_url": f"{base}/thumbnail?size={DETAIL_IMAGE_SIZE}&v={version}",
    }


def samples_url(session: RunSession, split: str) -> str:
    """Return the API path of the split's samples; one sample's path adds its URL-encoded id."""
    project, run = session.key.split("/", 1)
    return f"/api/runs/{quote(project, safe='')}/{quote(run, safe='')}/splits/{split}/samples"
