"""Read-side queries that join a split's samples with its analysis results."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from ..errors import RunNotFoundError
from . import reader
from .layout import RunLayout

_CLASS_COLUMNS = ("label", "predicted", "suggested_label")


def sample_rows(
    layout: RunLayout, split: str, class_names: list[str], include_images: bool = False
) -> pd.DataFrame:
    """Return the samples of ``split`` joined with their scores, with class names added."""
    analysis = reader.read_analysis(layout, split)
    samples = reader.read_samples(layout, split)
    if samples.num_rows != analysis.num_rows or not samples["id"].equals(analysis["id"]):
        raise RunNotFoundError(
            f"the analysis of split {split!r} in {layout.folder} is out of date: samples were "
            f"logged after it ran. Run `dataerrors analyze {layout.folder}` again."
        )
    extra = [name for name in samples.column_names if name not in ("id", "label")]
    if not include_images:
        extra = [name for name in extra if name != "image"]
    table = analysis
    for name in extra:
        table = table.append_column(name, samples[name])
    frame = table.to_pandas()
    names = pd.Series(class_names + [None])
    for column in _CLASS_COLUMNS:
        codes = frame[column].where(frame[column] >= 0, len(class_names))
        frame.insert(frame.columns.get_loc(column) + 1, f"{column}_name",
                     names.iloc[codes.to_numpy()].to_numpy())
    return frame


def class_name_array(class_names: list[str]) -> pa.Array:
    return pa.array(class_names, pa.string())
