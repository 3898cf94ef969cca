"""Nearest training neighbours of every sample, with one FAISS index per run.

Embeddings are L2-normalised before indexing, and distances are cosine distances
``1 - cos(a, b)`` in [0, 2] (0 = same direction). In two MNIST demo runs, the cosine distance to
the 10th nearest training sample separated Fashion-MNIST from MNIST test images with AUROC 0.991
and 0.995, against 0.853 and 0.950 for the Euclidean distance of raw embeddings
(``docs/benchmarks.md``). Normalised vectors under the L2 metric rank neighbours as an
inner-product index would, and they also work with the PCA and re-ranking below.

The index is exact (``IndexFlatL2``) up to :data:`EXACT_MAX_SAMPLES` training samples and an
inverted-file index (``IndexIVFFlat``) beyond. For an IVF index over embeddings wider than
:data:`REDUCE_ABOVE_DIMS`, the inverted lists hold the first :data:`REDUCED_DIMS` principal
components, and the :data:`REFINE_FACTOR` x k candidates they return are re-ranked on the full
width stored with 8 bits per dimension (``IndexRefine``). PCA alone keeps the AUROC of coverage
distances but loses neighbours: on 1280-d EfficientNet-Lite0 features its recall@10 is 0.82 at
128 components, and 0.993 with the re-ranking (``docs/benchmarks.md``). Indexes are trained on a random sample of rows and then
filled chunk by chunk, so the caller never needs all embeddings in memory at once.

Use :func:`plan_index`, :func:`train_index`, :meth:`NeighborIndex.add` and
:func:`search_neighbors` to build from chunks, :func:`build_index` for an in-memory array, or
:func:`neighbors_within` for the neighbours of each row among the other rows of one array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._types import FloatArray, IntArray
from ..errors import InvalidInputError

if TYPE_CHECKING:
    import faiss

#: Training sets up to this size get an exact index; larger ones an IVF index. Finding the
#: neighbours of every training sample took 9.5 s exact and 7.0 s with IVF at 20,000 samples,
#: 73 s and 29 s at 50,000 (128-d, 2 shared cores; bench/neighbor_index.py).
EXACT_MAX_SAMPLES = 20_000
#: Embeddings wider than this are reduced by PCA before indexing.
REDUCE_ABOVE_DIMS = 256
#: Width after the PCA reduction.
REDUCED_DIMS = 128
#: IVF training and PCA fitting use at most this many rows per inverted list.
TRAINING_ROWS_PER_LIST = 50
#: PCA and the 8-bit codes of the re-ranking are fitted on at most this many rows.
MAX_PCA_ROWS = 50_000
#: Inverted lists probed per query.
DEFAULT_N_PROBE = 24
#: With PCA, this many candidates per wanted neighbour are re-ranked on the full width.
REFINE_FACTOR = 4
#: Rows per FAISS call in :func:`build_index` and :func:`search_neighbors`.
CHUNK_ROWS = 16_384

_MISSING_DISTANCE = 1e30


@dataclass(frozen=True)
class IndexPlan:
    """How to index ``n_samples`` training embeddings of width ``n_dims``.

    ``n_lists == 0`` means an exact index; ``n_components is None`` means no PCA reduction;
    ``refine_factor == 0`` means no re-ranking on the full width. ``n_training_rows`` rows train
    the IVF quantiser; the first ``n_reduction_rows`` of them (full width) train the PCA and the
    8-bit codes, so a caller streaming from disk can hold the rest already reduced.
    """

    n_samples: int
    n_dims: int
    n_components: int | None
    n_lists: int
    n_probe: int
    n_training_rows: int
    refine_factor: int = 0
    n_reduction_rows: int = 0

    @property
    def is_exact(self) -> bool:
        return self.n_lists == 0

    @property
    def needs_training(self) -> bool:
        return self.n_lists > 0 or self.n_components is not None

    def describe(self) -> dict[str, Any]:
        """Return the plan as JSON-ready fields for the analysis summary."""
        return {
            "index": "exact" if self.is_exact else "ivf",
            "n_samples": self.n_samples,
            "n_dims": self.n_dims,
            "pca_dims": self.n_components,
            "n_lists": self.n_lists,
            "n_probe": self.n_probe,
            "refine_factor": self.refine_factor,
        }


@dataclass
class Neighbors:
    """The k nearest training samples of each sample of a split.

    ``rows`` (n_samples, k) int64 are positions in the training index (the order in which
    training embeddings were added), nearest first, -1 where fewer than k were found.
    ``distances`` (n_samples, k) float32 are cosine distances in [0, 2], NaN where ``rows`` is -1.
    """

    rows: np.ndarray
    distances: np.ndarray

    @property
    def k(self) -> int:
        return int(self.rows.shape[1])


class NeighborIndex:
    """A FAISS index over L2-normalised (and possibly PCA-reduced) training embeddings.

    Build it with :func:`train_index` or :func:`build_index`; positions in the index follow the
    order in which rows were passed to :meth:`add`.
    """

    def __init__(self, plan: IndexPlan, index: "faiss.Index", parts: tuple[Any, ...] = ()) -> None:
        self.plan = plan
        self._index = index
        # FAISS composite indexes do not own the parts they were built from.
        self._parts = parts

    @property
    def n_samples(self) -> int:
        """Number of embeddings added so far."""
        return int(self._index.ntotal)

    def add(self, embeddings: FloatArray) -> None:
        """Add a chunk of training embeddings (n_rows, n_dims); they get the next positions."""
        self._index.add(_prepare(embeddings, self.plan.n_dims, "embeddings"))

    def search(self, embeddings: FloatArray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return cosine distances (n_rows, k) float32 and positions (n_rows, k) int64.

        Missing neighbours (fewer than k in the index, or empty inverted lists probed) have
        position -1 and distance NaN.
        """
        squared, positions = self._index.search(_prepare(embeddings, self.plan.n_dims, "embeddings"), k)
        # For unit vectors |a - b|^2 = 2 - 2 cos(a, b), so the cosine distance is half of it.
        # With a PCA reduction the squared distance is a lower bound of the full one.
        distances = np.clip(squared / 2.0, 0.0, 2.0).astype(np.float32)
        missing = (positions < 0) | (squared >= _MISSING_DISTANCE)
        distances[missing] = np.nan
        positions = positions.astype(np.int64)
        positions[missing] = -1
        return distances, positions


def plan_index(
    n_samples: int,
    n_dims: int,
    exact_max_samples: int = EXACT_MAX_SAMPLES,
    reduce_above_dims: int = REDUCE_ABOVE_DIMS,
    reduced_dims: int = REDUCED_DIMS,
    n_probe: int = DEFAULT_N_PROBE,
    refine_factor: int = REFINE_FACTOR,
) -> IndexPlan:
    """Choose the index kind, PCA width and IVF parameters for a training set.

    Parameters
    ----------
    n_samples : int >= 1
        Number of training embeddings that will be added.
    n_dims : int >= 1
        Width of the embeddings.
    exact_max_samples : int, default :data:`EXACT_MAX_SAMPLES`
        Up to this many samples the index is exact; beyond it, an IVF index with about
        ``4 * sqrt(n_samples)`` inverted lists, of which ``n_probe`` are searched per query.
    reduce_above_dims, reduced_dims : int
        In an IVF index, embeddings wider than ``reduce_above_dims`` are projected on their
        first ``reduced_dims`` principal components.
    n_probe : int >= 1
        Inverted lists searched per query (IVF only): more is slower and closer to exact.
    refine_factor : int >= 0
        With PCA, ``refine_factor * k`` candidates are re-ranked on the full width (8-bit
        codes); 0 keeps the PCA distances, which are lower bounds of the full ones.

    Returns
    -------
    IndexPlan
    """
    n_samples = _check_positive_int(n_samples, "n_samples")
    n_dims = _check_positive_int(n_dims, "n_dims")
    exact_max_samples = _check_positive_int(exact_max_samples, "exact_max_samples")
    reduce_above_dims = _check_positive_int(reduce_above_dims, "reduce_above_dims")
    reduced_dims = _check_positive_int(reduced_dims, "reduced_dims")
    n_probe = _check_positive_int(n_probe, "n_probe")
    if isinstance(refine_factor, bool) or not isinstance(refine_factor, (int, np.integer)) or refine_factor < 0:
        raise InvalidInputError(f"refine_factor={refine_factor!r} is invalid; expected an integer >= 0.")

    if n_samples <= exact_max_samples:
        return IndexPlan(n_samples, n_dims, None, 0, 0, 0)
    # Powers of two keep the quantiser's k-means balanced; 4 * sqrt(n) lists hold a few hundred
    # vectors each, so probing n_probe lists scans a small share of the data.
    n_lists = 2 ** max(4, round(math.log2(4 * math.sqrt(n_samples))))
    n_probe = min(n_probe, n_lists)
    n_components = reduced_dims if n_dims > reduce_above_dims and reduced_dims < n_dims else None
    n_training_rows = min(n_samples, TRAINING_ROWS_PER_LIST * n_lists)
    n_reduction_rows = min(n_training_rows, MAX_PCA_ROWS) if n_components else 0
    refine_factor = int(refine_factor) if n_components else 0
    return IndexPlan(n_samples, n_dims, n_components, n_lists, n_probe, n_training_rows,
                     refine_factor, n_reduction_rows)


class Reduction:
    """The trained PCA of an index and the 8-bit codes of its full-width re-ranking.

    Fitted on a few full-width rows by :func:`fit_reduction`; :meth:`apply` turns more rows into
    what the IVF quantiser is trained on, so the rest of a training sample can be held reduced.
    """

    def __init__(self, plan: IndexPlan, pca: "faiss.PCAMatrix", codes: "faiss.Index | None") -> None:
        self.plan = plan
        self.pca = pca
        self.codes = codes

    def apply(self, embeddings: FloatArray) -> np.ndarray:
        """Return normalised embeddings projected on the principal components, float32."""
        return self.pca.apply(_prepare(embeddings, self.plan.n_dims, "embeddings"))


def fit_reduction(plan: IndexPlan, rows: FloatArray) -> Reduction | None:
    """Fit the PCA (and re-ranking codes) of ``plan`` on full-width rows; None without PCA.

    Parameters
    ----------
    plan : IndexPlan
        From :func:`plan_index`.
    rows : (n_rows, n_dims) float
        A random sample of the training embeddings; the first ``plan.n_reduction_rows`` are used.
    """
    import faiss

    if plan.n_components is None:
        return None
    sample = _prepare(rows[: max(plan.n_reduction_rows, 1)], plan.n_dims, "training_rows")
    if sample.shape[0] < plan.n_components:
        raise InvalidInputError(
            f"training_rows has {sample.shape[0]} rows; expected at least {plan.n_components} "
            f"to fit {plan.n_components} PCA components. Pass a random sample of "
            f"{plan.n_reduction_rows} training embeddings."
        )
    pca = faiss.PCAMatrix(plan.n_dims, plan.n_components)
    pca.train(sample)
    codes = None
    if plan.refine_factor:
        codes = faiss.IndexScalarQuantizer(plan.n_dims, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_L2)
        codes.train(sample)
    return Reduction(plan, pca, codes)


def train_index(
    plan: IndexPlan,
    training_rows: FloatArray | None = None,
    seed: int = 0,
    reduction: Reduction | None = None,
) -> NeighborIndex:
    """Create an empty index for ``plan`` and train its PCA and IVF quantiser on a sample.

    Parameters
    ----------
    plan : IndexPlan
        From :func:`plan_index`.
    training_rows : (n_rows, n_dims) float, optional
        A random sample of the training embeddings, at least ``plan.n_lists`` rows when
        ``plan.needs_training``; ignored otherwise. With ``reduction``, the rows are already
        reduced by :meth:`Reduction.apply` (width ``plan.n_components``).
    seed : int
        Seed of the IVF k-means, so the same data give the same index.
    reduction : Reduction, optional
        A PCA fitted by :func:`fit_reduction`. Without it, and when the plan reduces, the PCA is
        fitted on the first ``plan.n_reduction_rows`` of ``training_rows``.

    Returns
    -------
    NeighborIndex
        Empty; fill it with :meth:`NeighborIndex.add`.
    """
    import faiss

    if not isinstance(plan, IndexPlan):
        raise InvalidInputError(f"plan={plan!r} is invalid; pass the result of plan_index().")
    if plan.is_exact:
        return NeighborIndex(plan, faiss.IndexFlatL2(plan.n_dims))
    if training_rows is None:
        raise InvalidInputError(
            f"training_rows is missing; an index for {plan.n_samples} samples of width "
            f"{plan.n_dims} needs a sample of at least {plan.n_training_rows} rows to train on."
        )
    width = plan.n_components or plan.n_dims
    if plan.n_components is not None and reduction is None:
        reduction = fit_reduction(plan, training_rows)
        assert reduction is not None
        training_rows = np.concatenate([
            reduction.apply(training_rows[start:start + CHUNK_ROWS])
            for start in range(0, len(training_rows), CHUNK_ROWS)
        ])
    sample = _check_matrix(training_rows, "training_rows")
    if sample.shape[1] != width:
        raise InvalidInputError(
            f"training_rows has width {sample.shape[1]}; expected {width}. Pass rows reduced by "
            "the reduction's apply() with a reduction, or full-width rows without one."
        )
    if sample.shape[0] < plan.n_lists:
        raise InvalidInputError(
            f"training_rows has {sample.shape[0]} rows; expected at least {plan.n_lists} for "
            f"{plan.n_lists} inverted lists. Pass a random sample of {plan.n_training_rows} "
            "training embeddings."
        )
    quantizer = faiss.IndexFlatL2(width)
    inverted = faiss.IndexIVFFlat(quantizer, width, plan.n_lists, faiss.METRIC_L2)
    inverted.cp.seed = int(seed)
    inverted.cp.niter = 10
    inverted.nprobe = plan.n_probe
    if reduction is None:
        inverted.train(_prepare(sample, width, "training_rows"))
        return NeighborIndex(plan, inverted, (quantizer,))
    inverted.train(np.ascontiguousarray(sample, dtype=np.float32))
    index: faiss.Index = faiss.IndexPreTransform(reduction.pca, inverted)
    parts: tuple[Any, ...] = (quantizer, inverted, reduction.pca)
    if reduction.codes is not None:
        base = index
        index = faiss.IndexRefine(base, reduction.codes)
        index.k_factor = float(plan.refine_factor)
        parts += (base, reduction.codes)
    return NeighborIndex(plan, index, parts)


def build_index(
    embeddings: FloatArray,
    plan: IndexPlan | None = None,
    seed: int = 0,
    chunk_rows: int = CHUNK_ROWS,
) -> NeighborIndex:
    """Build the neighbour index of in-memory training embeddings.

    Parameters
    ----------
    embeddings : (n_samples, n_dims) float
        Training embeddings; position i in the index is row i.
    plan : IndexPlan, optional
        Default: ``plan_index(n_samples, n_dims)``.
    seed : int
        Seed of the training sample and of the IVF k-means.
    chunk_rows : int
        Rows normalised and added per step; bounds the extra memory.

    Returns
    -------
    NeighborIndex
    """
    embeddings = _check_matrix(embeddings, "embeddings")
    chunk_rows = _check_positive_int(chunk_rows, "chunk_rows")
    n_samples, n_dims = embeddings.shape
    if plan is None:
        plan = plan_index(n_samples, n_dims)
    elif plan.n_dims != n_dims:
        raise InvalidInputError(
            f"plan is for width {plan.n_dims} but embeddings have width {n_dims}; build the "
            "plan with plan_index(n_samples, n_dims) of these embeddings."
        )
    training_rows = None
    if plan.needs_training:
        rows = sample_rows(n_samples, plan.n_training_rows, seed)
        training_rows = embeddings[rows]
    index = train_index(plan, training_rows, seed)
    for start in range(0, n_samples, chunk_rows):
        index.add(embeddings[start : start + chunk_rows])
    return index


def search_neighbors(
    index: NeighborIndex,
    embeddings: FloatArray,
    k: int,
    self_positions: IntArray | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Neighbors:
    """Find the ``k`` nearest indexed training samples of each row of ``embeddings``.

    Parameters
    ----------
    index : NeighborIndex
    embeddings : (n_rows, n_dims) float
        Query embeddings.
    k : int >= 1
        Neighbours per row.
    self_positions : (n_rows,) int, optional
        For queries that are themselves in the index (the training split), each row's own
        position. Each row is then left out of its own neighbours, so it sees the index as a
        held-out sample would. -1 marks a row that is not in the index.
    chunk_rows : int
        Rows searched per FAISS call.

    Returns
    -------
    Neighbors
        ``rows`` are index positions, nearest first.

    Notes
    -----
    With the IVF index the neighbours are approximate: a probe of ``plan.n_probe`` inverted lists
    may miss some true neighbours, so distances can be slightly larger than exact ones.
    """
    if not isinstance(index, NeighborIndex):
        raise InvalidInputError(f"index={index!r} is invalid; pass a NeighborIndex from build_index().")
    embeddings = _check_matrix(embeddings, "embeddings")
    k = _check_positive_int(k, "k")
    chunk_rows = _check_positive_int(chunk_rows, "chunk_rows")
    n_rows = embeddings.shape[0]
    if self_positions is not None:
        self_positions = np.asarray(self_positions)
        if self_positions.shape != (n_rows,) or self_positions.dtype.kind not in "iu":
            raise InvalidInputError(
                f"self_positions has shape {self_positions.shape} and dtype {self_positions.dtype}; "
                f"expected ({n_rows},) integers, one index position (or -1) per query row."
            )
    extra = 1 if self_positions is not None else 0
    rows = np.full((n_rows, k), -1, dtype=np.int64)
    distances = np.full((n_rows, k), np.nan, dtype=np.float32)
    for start in range(0, n_rows, chunk_rows):
        stop = min(start + chunk_rows, n_rows)
        chunk_distances, chunk_rows_found = index.search(embeddings[start:stop], k + extra)
        if self_positions is not None:
            chunk_distances, chunk_rows_found = _drop_self(
                chunk_distances, chunk_rows_found, self_positions[start:stop], k
            )
        rows[start:stop] = chunk_rows_found
        distances[start:stop] = chunk_distances
    return Neighbors(rows, distances)


def neighbors_within(embeddings: FloatArray, k: int, seed: int = 0) -> Neighbors:
    """Find the ``k`` nearest other rows of each row of an in-memory set of embeddings.

    Builds the index that :func:`plan_index` chooses for the set (exact up to
    :data:`EXACT_MAX_SAMPLES` rows) and searches every row with itself left out.

    Returns
    -------
    Neighbors
        ``rows`` are row positions in ``embeddings``, with ``min(k, n_rows - 1)`` columns.
    """
    embeddings = _check_matrix(embeddings, "embeddings")
    k = _check_positive_int(k, "k")
    n_rows = embeddings.shape[0]
    k = min(k, n_rows - 1)
    if k < 1:
        return Neighbors(np.empty((n_rows, 0), np.int64), np.empty((n_rows, 0), np.float32))
    index = build_index(embeddings, seed=seed)
    return search_neighbors(index, embeddings, k, self_positions=np.arange(n_rows))


def sample_rows(n_samples: int, n_rows: int, seed: int) -> np.ndarray:
    """Return ``min(n_rows, n_samples)`` distinct row numbers below ``n_samples``, sorted."""
    n_samples = _check_positive_int(n_samples, "n_samples")
    if n_rows >= n_samples:
        return np.arange(n_samples)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_samples, size=n_rows, replace=False))


def _drop_self(
    distances: np.ndarray, positions: np.ndarray, own: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    # A stable sort on "is the query itself" moves its own entry last and keeps the others in
    # order. A query without its own entry among the k + 1 loses its farthest neighbour instead.
    is_self = (positions == own[:, None]) & (own[:, None] >= 0)
    order = np.argsort(is_self, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(distances, order, axis=1), np.take_along_axis(positions, order, axis=1)


def _prepare(embeddings: FloatArray, n_dims: int, argument: str) -> np.ndarray:
    array = _check_matrix(embeddings, argument)
    if array.shape[1] != n_dims:
        raise InvalidInputError(
            f"{argument} has width {array.shape[1]} but the index contains width {n_dims}; search "
            "with embeddings of the same layer as the training embeddings."
        )
    array = np.array(array, dtype=np.float32, order="C", copy=True)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    # All-zero rows (possible after a ReLU) stay zero: at cosine distance 0.5 from everything.
    np.divide(array, norms, out=array, where=norms > 0)
    return array


def _check_matrix(embeddings: Any, argument: str) -> np.ndarray:
    array = np.asarray(embeddings)
    if array.ndim != 2 or array.shape[1] == 0:
        raise InvalidInputError(
            f"{argument} has shape {array.shape}; expected (n_rows, n_dims) with n_dims >= 1."
        )
    if array.dtype.kind not in "fiu":
        raise InvalidInputError(f"{argument} has dtype {array.dtype}; expected floating-point values.")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = np.flatnonzero(~np.isfinite(array).all(axis=1))
        raise InvalidInputError(
            f"{argument} contains NaN or infinite values in {bad.size} row(s), first at row "
            f"{int(bad[0])}; remove those rows or log finite embeddings."
        )
    return array


def _check_positive_int(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidInputError(f"{argument}={value!r} is invalid; expected an integer >= 1.")
    return int(value)
