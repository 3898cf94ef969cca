"""Read-side queries that join a split's samples with its analysis results."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from ..errors import InvalidInputError, RunNotFoundError
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


def similar_samples(
    layout: RunLayout, split: str, sample_id: int | str, k: int, class_names: list[str]
) -> pd.DataFrame:
    """Return the ``k`` nearest training samples of one sample of ``split``, nearest first.

    Columns: id, label, label_name, distance (cosine, in [0, 2]) and dep where the training
    split was analyzed. No rows when the sample had no embedding. Raises
    :class:`InvalidInputError` when ``sample_id`` is not a sample of ``split``.
    """
    found = reader.read_neighbors(layout, split, sample_id)
    if found.num_rows == 0:
        samples = reader.read_samples(layout, split, columns=["id"])
        if samples.num_rows and sample_id in set(samples["id"].to_pylist()):
            raise RunNotFoundError(
                f"the neighbours of split {split!r} in {layout.folder} are out of date: sample "
                f"{sample_id!r} was logged after the last analysis. Run `dataerrors analyze "
                f"{layout.folder}` again."
            )
        raise InvalidInputError(
            f"id={sample_id!r} is not a sample of split {split!r}; pass the id of a logged sample, "
            "for example one from run.samples(split)['id']."
        )
    neighbor_ids = found["neighbor_ids"][0].values[:k]
    distances = found["neighbor_distances"][0].values[:k].to_numpy(zero_copy_only=False)
    present = neighbor_ids.is_valid().to_numpy(zero_copy_only=False)
    ids = [value for value, keep in zip(neighbor_ids.to_pylist(), present) if keep]
    distances = distances[present]
    details = reader.read_analysis_rows(layout, "training", ids, ["id", "label", "dep"]).to_pandas()
    frame = pd.DataFrame({"id": ids, "distance": distances})
    frame = frame.merge(details, on="id", how="left", sort=False)
    names = pd.Series(class_names + [None])
    labels = frame["label"].fillna(-1).astype(int)
    frame["label"] = labels
    codes = labels.where(labels >= 0, len(class_names))
    frame.insert(2, "label_name", names.iloc[codes.to_numpy()].to_numpy())
    ordered = ["id", "label", "label_name", "distance"] + (["dep"] if "dep" in frame else [])
    return frame[ordered]


def class_name_array(class_names: list[str]) -> pa.Array:
    return pa.array(class_names, pa.string())
