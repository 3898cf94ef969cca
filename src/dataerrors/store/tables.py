"""Arrow tables for the parts of a run folder: the column names and types live here."""

from __future__ import annotations

import io
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from ..analysis.scores import given_label_scores, softmax, top_classes

#: Columns of a samples part that are not user metadata.
SAMPLE_COLUMNS = ("id", "label", "input", "image")
#: Number of top classes kept per sample and epoch.
TOP_K = 5


def ids_array(ids: np.ndarray) -> pa.Array:
    return pa.array(ids, type=pa.int64() if ids.dtype.kind == "i" else pa.string())


def samples_table(
    ids: np.ndarray,
    labels: np.ndarray,
    inputs: Sequence[str] | None,
    images: np.ndarray | Sequence[np.ndarray] | None,
    metadata: dict[str, np.ndarray],
) -> pa.Table:
    """Build a samples part. Images are encoded as PNG bytes, stored once inside the run."""
    columns: dict[str, pa.Array] = {
        "id": ids_array(ids),
        "label": pa.array(labels, type=pa.int32()),
        "input": pa.array(inputs, type=pa.string()) if inputs is not None
        else pa.nulls(len(ids), pa.string()),
        "image": pa.array([encode_png(image) for image in images], type=pa.binary())
        if images is not None
        else pa.nulls(len(ids), pa.binary()),
    }
    for name, values in metadata.items():
        columns[name] = pa.array(values)
    return pa.table(columns)


def encode_png(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def output_tables(
    ids: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    scores_are_logits: bool,
    embeddings: np.ndarray | None,
    keep_vectors: bool,
) -> tuple[pa.Table, pa.Table | None]:
    """Build the per-epoch scores part and, if ``keep_vectors``, the vectors part of one batch.

    The scores part has id, p_given, margin, predicted and the top classes with their
    probabilities. The vectors part has id, probs and embeddings, each row a float16 vector stored
    as one fixed-size binary value (Parquet writes these many times faster than lists).
    """
    probs = softmax(scores) if scores_are_logits else scores
    p_given, margin = given_label_scores(probs, labels)
    classes, class_probs = top_classes(probs, TOP_K)
    k = classes.shape[1]
    id_column = ids_array(ids)
    scores_part = pa.table(
        {
            "id": id_column,
            "p_given": pa.array(p_given, type=pa.float32()),
            "margin": pa.array(margin, type=pa.float32()),
            "predicted": pa.array(classes[:, 0], type=pa.int32()),
            "top_classes": _fixed_lists(classes.astype(np.int32), k),
            "top_probs": _fixed_lists(class_probs.astype(np.float32), k),
        }
    )
    if not keep_vectors:
        return scores_part, None
    vectors: dict[str, Any] = {
        "id": id_column,
        "probs": vector_column(probs),
    }
    if embeddings is not None:
        vectors["embeddings"] = vector_column(embeddings)
    return scores_part, pa.table(vectors)


def vector_column(matrix: np.ndarray) -> pa.FixedSizeBinaryArray:
    """Store each row of a (n, width) matrix as one float16 fixed-size binary value."""
    half = np.ascontiguousarray(matrix, dtype=np.float16)
    byte_width = half.shape[1] * half.itemsize
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(byte_width), half.shape[0], [None, pa.py_buffer(half)]
    )


def vectors_to_numpy(column: pa.ChunkedArray | pa.Array, dtype: type = np.float32) -> np.ndarray:
    """Return a column written by :func:`vector_column` as a (n, width) array of ``dtype``."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    byte_width = column.type.byte_width
    values = np.frombuffer(
        column.buffers()[1], dtype=np.float16, count=len(column) * byte_width // 2,
        offset=column.offset * byte_width,
    )
    return values.reshape(len(column), byte_width // 2).astype(dtype)


def _fixed_lists(matrix: np.ndarray, width: int) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), width)


def neighbors_table(ids: np.ndarray, neighbor_ids: np.ndarray, distances: np.ndarray) -> pa.Table:
    """Build a split's neighbours table: id, neighbor_ids and neighbor_distances, nearest first.

    ``neighbor_ids`` (n, k) contains training sample ids and ``distances`` (n, k) float cosine
    distances, NaN where a neighbour is missing; a missing neighbour's id is stored as null.
    """
    k = neighbor_ids.shape[1]
    missing = np.isnan(distances).reshape(-1)
    flat_ids = pa.array(neighbor_ids.reshape(-1), type=ids_array(neighbor_ids.reshape(-1)).type,
                        mask=missing)
    return pa.table(
        {
            "id": ids_array(ids),
            "neighbor_ids": pa.FixedSizeListArray.from_arrays(flat_ids, k),
            "neighbor_distances": _fixed_lists(distances.astype(np.float32), k),
        }
    )


def fixed_list_to_numpy(column: pa.ChunkedArray | pa.Array, dtype: type = np.float32) -> np.ndarray:
    """Return a fixed-size-list column (such as neighbor_distances) as a 2-D numpy array."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    width = column.type.list_size
    values = column.flatten().to_numpy(zero_copy_only=False)
    return values.reshape(-1, width).astype(dtype, copy=False)


def vector_width(data_type: pa.DataType) -> int:
    """Return the number of float16 values per row of a column written by :func:`vector_column`."""
    return int(data_type.byte_width) // 2
