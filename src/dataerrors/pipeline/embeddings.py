"""Read a split's logged embeddings in chunks, for the steps that need them."""

from __future__ import annotations

import importlib.util
import warnings
from typing import Iterator

import numpy as np
import pyarrow.compute as pc

from ..errors import MissingDependencyWarning
from ..store import reader
from ..store.tables import vector_width, vectors_to_numpy
from .context import AnalysisContext, SplitAnalysis

CHUNK_ROWS = 65536
#: Chunks of wide embeddings are cut to about this many bytes as float32.
CHUNK_BYTES = 2**27
#: The pip extra that installs the neighbour, map and cluster dependencies.
EXTRA = "dataerrors[embeddings]"


def embeddings_epoch(context: AnalysisContext, analysis: SplitAnalysis) -> int | None:
    """Return the last epoch of ``analysis`` whose vectors include embeddings, or None."""
    for epoch in reversed(analysis.epochs):
        schema = reader.vectors_schema(context.layout, analysis.split, epoch)
        if schema is not None and "embeddings" in schema.names:
            return epoch
    return None


def iter_embeddings(
    context: AnalysisContext, analysis: SplitAnalysis, epoch: int, chunk_rows: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(rows, embeddings)`` chunks: split rows (int64) and float32 (n_rows, n_dims).

    Rows logged without embeddings in that epoch are left out. By default a chunk has
    :data:`CHUNK_ROWS` rows, fewer for embeddings wider than 512 (128 MiB as float32).
    """
    if chunk_rows is None:
        schema = reader.vectors_schema(context.layout, analysis.split, epoch)
        width = vector_width(schema.field("embeddings").type) if schema is not None else 1
        chunk_rows = max(1024, min(CHUNK_ROWS, CHUNK_BYTES // (4 * width)))
    batches = reader.iter_vectors(context.layout, analysis.split, epoch, ["id", "embeddings"], chunk_rows)
    for batch in batches:
        present = batch.column("embeddings").is_valid()
        if not pc.all(present).as_py():
            batch = batch.filter(present)
        if batch.num_rows == 0:
            continue
        values = batch.column("id").to_numpy(zero_copy_only=False)
        ids = values.astype(str) if analysis.index.id_kind == "str" else values.astype(np.int64)
        rows = analysis.index.rows(ids, analysis.split, argument=f"ids of epoch {epoch}")
        yield rows, vectors_to_numpy(batch.column("embeddings"))


def missing_modules(step: str, *modules: str) -> list[str]:
    """Return the modules among ``modules`` that are not installed, with a warning if any."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        warnings.warn(
            f"{', '.join(missing)} not installed, so the {step} step was skipped; install "
            f"the missing packages with pip install '{EXTRA}'.",
            MissingDependencyWarning,
            stacklevel=3,
        )
    return missing
