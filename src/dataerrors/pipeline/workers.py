"""How many threads the analysis uses, set once for every library that computes in parallel.

The steps that parallelise do it inside their libraries: FAISS (index training, adding and
searching, through OpenMP), BLAS (PCA and the map's projections), Arrow (Parquet decoding),
numba (UMAP) and HDBSCAN (core distances). :func:`thread_limit` sets all of them for the length
of an analysis and restores the previous settings afterwards.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from contextlib import ExitStack, contextmanager
from typing import Any, Iterator

import pyarrow as pa

from ..errors import InvalidInputError


def check_workers(workers: Any) -> int:
    """Return ``workers`` as a thread count; None means one per CPU core."""
    if workers is None:
        return max(1, os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidInputError(
            f"workers={workers!r} is invalid; pass an integer >= 1 (the number of threads the "
            "analysis may use), or None for one per CPU core."
        )
    return workers


@contextmanager
def thread_limit(workers: int) -> Iterator[None]:
    """Let FAISS, BLAS, Arrow and numba use ``workers`` threads until the block ends."""
    with ExitStack() as stack:
        previous_arrow = pa.cpu_count()
        pa.set_cpu_count(workers)
        stack.callback(pa.set_cpu_count, previous_arrow)
        if importlib.util.find_spec("faiss") is not None:
            import faiss

            previous_faiss = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(workers)
            stack.callback(faiss.omp_set_num_threads, previous_faiss)
        if importlib.util.find_spec("threadpoolctl") is not None:
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=workers))
        if "numba" in sys.modules or importlib.util.find_spec("numba") is not None:
            import numba

            previous_numba = numba.get_num_threads()
            numba.set_num_threads(min(workers, numba.config.NUMBA_NUM_THREADS))
            stack.callback(numba.set_num_threads, previous_numba)
        yield
