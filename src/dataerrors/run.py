"""Run: the public logging API and the read API over one run folder."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from . import validation
from ._types import ArrayLike, IdsLike
from .dataset_columns import dataset_columns, is_hf_dataset
from .errors import InvalidInputError, RunExistsError, StaleAnalysisWarning
from .logging_state import SplitState
from .run_context import LoggingContext, LoggingContextMixin
from .run_edits import EditMethods, check_apply_edits
from .splits import INFERENCE, SPLITS, check_split
from .store import manifest as manifest_store
from .store import reader
from .store.layout import (
    SCORES_PREFIX,
    VECTORS_PREFIX,
    RunLayout,
    default_root,
    remove_temporary_files,
)
from .store.tables import SAMPLE_COLUMNS, output_tables, samples_table
from .store.writer import PartWriter

Mode = Literal["create", "overwrite", "resume"]
KeepVectors = Literal["last", "all"]
_MODES = ("create", "overwrite", "resume")
_KEEP_VECTORS = ("last", "all")


class SampleFrame(pd.DataFrame):
    """A pandas DataFrame of samples and their scores, with :meth:`to_arrow`."""

    @property
    def _constructor(self) -> type["SampleFrame"]:
        return SampleFrame

    def to_arrow(self) -> pa.Table:
        """Return the frame as a pyarrow Table (the index is dropped)."""
        return pa.Table.from_pandas(self, preserve_index=False)


def init(
    project: str,
    run: str,
    labels: Sequence[str] | int,
    root: str | Path | None = None,
    task: str = "image_classification",
    mode: Mode = "create",
    keep_vectors: KeepVectors = "last",
) -> "Run":
    """Create a run folder and return the :class:`Run` to log into.

    Parameters
    ----------
    project, run : str
        Names of the project and the run; the folder is ``<root>/<project>/<run>``.
    labels : sequence of str or int
        The class names, in class-index order, or the number of classes (names become "0", "1", ...).
    root : path, optional
        Folder holding all projects. Default: ``$DATAERRORS_ROOT`` or ``./dataerrors-runs``.
    task : {"image_classification", "text_classification"}
        Decides whether string inputs are image paths or texts.
    mode : {"create", "overwrite", "resume"}
        "create" raises :class:`RunExistsError` if the run exists; "overwrite" deletes it first;
        "resume" continues logging into it (after a crash, for example).
    keep_vectors : {"last", "all"}
        Which epochs keep full probability vectors and embeddings after :meth:`Run.finish`
        (float16). Per-epoch scores (given-label probability, margin, top-5 classes) are always kept.
    """
    _check_name(project, "project")
    _check_name(run, "run")
    if mode not in _MODES:
        raise InvalidInputError(f"mode={mode!r} is invalid; use one of {', '.join(_MODES)}.")
    if task not in validation.TASKS:
        raise InvalidInputError(
            f"task={task!r} is invalid; use one of {', '.join(validation.TASKS)}."
        )
    if keep_vectors not in _KEEP_VECTORS:
        raise InvalidInputError(
            f"keep_vectors={keep_vectors!r} is invalid; use one of {', '.join(_KEEP_VECTORS)}."
        )
    class_names = _check_class_names(labels)
    root_folder = Path(root) if root is not None else default_root()
    layout = RunLayout(root_folder / project / run)
    exists = layout.manifest.exists()
    if exists and mode == "create":
        raise RunExistsError(
            f"run {project}/{run} already exists in {layout.folder}; pass mode='resume' to keep "
            "logging into it, mode='overwrite' to replace it, or choose another run name."
        )
    if exists and mode == "resume":
        resumed = open_run(layout.folder)
        if resumed.class_names != class_names:
            raise InvalidInputError(
                f"labels {class_names[:10]} do not match the classes of the existing run "
                f"{resumed.class_names[:10]}; resume with the same class names."
            )
        if resumed.task != task:
            raise InvalidInputError(
                f"task={task!r} does not match the task of the existing run ({resumed.task!r}); "
                f"resume with task={resumed.task!r}, or pass mode='overwrite' to start the run "
                "again with the new task."
            )
        return resumed
    if exists and mode == "overwrite":
        reader.clear_run_folder(layout)
    manifest = manifest_store.new_manifest(project, run, class_names, task)
    manifest["keep_vectors"] = keep_vectors
    manifest_store.write_manifest(layout, manifest)
    return Run(layout, manifest)


def open_run(path: str | Path) -> "Run":
    """Open an existing run folder for reading, finishing or further logging.

    Raises :class:`~dataerrors.errors.RunNotFoundError` if ``path`` contains no run and
    :class:`~dataerrors.errors.SchemaVersionError` if a newer dataerrors wrote it.
    """
    layout = RunLayout(Path(path))
    manifest = manifest_store.read_manifest(layout)
    return Run(layout, manifest)


class Run(EditMethods, LoggingContextMixin):
    """One training run: log samples and model outputs into it, then read scores back.

    Create one with :func:`dataerrors.init` or :func:`dataerrors.open_run`. Logging methods may be
    called from one thread at a time; they validate the whole batch first and raise
    :class:`~dataerrors.errors.InvalidInputError` without storing anything when it is invalid.
    """

    def __init__(self, layout: RunLayout, manifest: dict[str, Any]) -> None:
        self._layout = layout
        self._manifest = manifest
        self._states: dict[str, SplitState] = {}
        self._writer: PartWriter | None = None
        self._lock = threading.RLock()
        self._console: Any = None
        self._logging_context = LoggingContext()

    # ----------------------------------------------------------------- description

    @property
    def folder(self) -> Path:
        return self._layout.folder

    @property
    def layout(self) -> RunLayout:
        return self._layout

    @property
    def name(self) -> str:
        return str(self._manifest["run"])

    @property
    def project(self) -> str:
        return str(self._manifest["project"])

    @property
    def task(self) -> str:
        return str(self._manifest["task"])

    @property
    def class_names(self) -> list[str]:
        return list(self._manifest["class_names"])

    @property
    def n_classes(self) -> int:
        return len(self._manifest["class_names"])

    @property
    def status(self) -> str:
        return str(manifest_store.read_manifest(self._layout)["status"])

    @property
    def splits(self) -> list[str]:
        """Splits with logged samples, in the order of :data:`dataerrors.SPLITS`."""
        logged = manifest_store.read_manifest(self._layout)["splits"]
        return [split for split in SPLITS if split in logged]

    def epochs(self, split: str) -> list[int]:
        """Return the epochs with logged outputs for ``split``."""
        return self._layout.epochs(check_split(split))

    def __repr__(self) -> str:
        return f"Run({self.project}/{self.name}, folder={str(self.folder)!r})"

    # ----------------------------------------------------------------- logging

    def log_samples(
        self,
        split: str,
        ids: IdsLike,
        labels: ArrayLike | None = None,
        inputs: Any = None,
        metadata: Any = None,
        check_files: bool = True,
    ) -> None:
        """Log the samples of a split once, before their outputs. May be called in chunks.

        Parameters
        ----------
        split : {"training", "validation", "test", "inference"}
        ids : (n_samples,) int or str, or a ``datasets.Dataset``
            Unique sample ids; outputs refer to samples by these ids. A Hugging Face dataset gives
            ids, labels and texts from its ``id``, ``label`` and ``text`` columns, and ``labels``,
            ``inputs`` and ``metadata`` may then name columns (see
            :func:`dataerrors.dataset_columns.dataset_columns`).
        labels : (n_samples,) int or str, optional
            Given labels as class indices or class names. Required except for "inference".
        inputs : optional
            Image file paths, texts (for text runs), or uint8 images (n, H, W[, C]) that are stored
            once inside the run as PNG.
        metadata : dict of column -> values, or pandas DataFrame, optional
            Extra per-sample columns (source, annotator, ...), kept alongside the scores.
        check_files : bool, default True
            Raise if an image path does not exist.
        """
        with self._lock:
            split = check_split(split)
            if is_hf_dataset(ids):
                ids, labels, inputs, metadata = dataset_columns(split, ids, labels, inputs, metadata)
            ids_array = validation.check_ids(ids)
            n_samples = ids_array.shape[0]
            if labels is None:
                if split != INFERENCE:
                    raise InvalidInputError(
                        f"labels is missing for split {split!r}; only the 'inference' split may "
                        "be logged without labels."
                    )
                label_array = np.full(n_samples, -1, dtype=np.int32)
            else:
                label_array = validation.check_labels(labels, self.class_names, n_samples)
            strings, images = validation.check_inputs(inputs, n_samples, self.task, check_files)
            columns = validation.check_metadata(metadata, n_samples, SAMPLE_COLUMNS)
            state = self._state(split)
            state.check_new_ids(ids_array)
            self._check_metadata_columns(split, sorted(columns))

            state.ids.append(ids_array)
            state.labels.append(label_array)
            state.samples_pending = True
            self._ensure_writer().submit(
                ("samples", split),
                self._layout.samples_folder(split),
                "part",
                lambda: samples_table(ids_array, label_array, strings, images, columns),
            )
            n_total = state.n_samples

            def record(manifest: dict[str, Any]) -> None:
                entry = manifest["splits"].setdefault(split, {})
                entry["n_samples"] = n_total
                entry["id_type"] = state.index.id_kind
                entry["metadata_columns"] = sorted(columns)

            self._manifest = manifest_store.update_manifest(self._layout, record)

    def log_outputs(
        self,
        split: str,
        epoch: int,
        ids: IdsLike,
        logits: ArrayLike | None = None,
        probs: ArrayLike | None = None,
        embeddings: ArrayLike | None = None,
    ) -> None:
        """Log one batch of model outputs; any batch size, any id order within an epoch.

        Parameters
        ----------
        split : {"training", "validation", "test", "inference"}
        epoch : int >= 0
            Epochs of a split must be logged in increasing order.
        ids : (batch,) int or str
            Ids of the samples in the batch, logged before with :meth:`log_samples`.
        logits, probs : (batch, n_classes) float, one of them
            Raw scores, or probabilities whose rows sum to 1. numpy arrays or torch tensors on any
            device.
        embeddings : (batch, n_dims) float, optional
            A representation of each sample (usually the input of the last linear layer). Its
            width must stay the same for the whole run.
        """
        with self._lock:
            split = check_split(split)
            epoch = validation.check_epoch(epoch)
            ids_array = validation.check_ids(ids)
            state = self._state(split)
            rows = state.index.rows(ids_array, split)
            state.check_epoch(epoch, rows, ids_array)
            n_samples = ids_array.shape[0]
            scores, are_logits = validation.check_scores(logits, probs, n_samples, self.n_classes)
            expected_dim = self._manifest.get("embedding_dim")
            embedding_array = (
                validation.check_embeddings(embeddings, n_samples, expected_dim)
                if embeddings is not None
                else None
            )

            # The batch is valid: from here on the state changes.
            labels = state.label_array()[rows]
            previous_epoch = state.epoch
            writer = self._ensure_writer()
            if state.samples_pending:
                writer.seal([("samples", split)])
                state.samples_pending = False
            if state.mark_logged(epoch, rows):
                if previous_epoch is not None:
                    writer.seal(
                        [(SCORES_PREFIX, split, previous_epoch), (VECTORS_PREFIX, split, previous_epoch)]
                    )
                    self._drop_old_vectors(writer, split, previous_epoch)
                self._record_epoch(split, epoch)
            if embedding_array is not None and expected_dim is None:
                width = int(embedding_array.shape[1])
                self._manifest = manifest_store.update_manifest(
                    self._layout, lambda manifest: manifest.__setitem__("embedding_dim", width)
                )
            folder = self._layout.epoch_folder(split, epoch)
            built: dict[str, pa.Table | None] = {}

            def build_scores() -> pa.Table:
                scores_part, vectors_part = output_tables(
                    ids_array, labels, scores, are_logits, embedding_array, keep_vectors=True
                )
                built["vectors"] = vectors_part
                return scores_part

            writer.submit((SCORES_PREFIX, split, epoch), folder, SCORES_PREFIX, build_scores)
            writer.submit(
                (VECTORS_PREFIX, split, epoch), folder, VECTORS_PREFIX, lambda: built.pop("vectors")
            )

    @property
    def writer_blocked_seconds(self) -> float:
        """Seconds logging calls waited because the background writer fell behind."""
        return self._writer.blocked_seconds if self._writer is not None else 0.0

    def flush(self) -> None:
        """Block until everything logged so far is stored in complete parts on disk."""
        with self._lock:
            if self._writer is not None:
                self._writer.flush()

    def finish(self, analyze: bool = True, progress: bool = True, workers: int | None = None) -> None:
        """Flush and seal the run, then analyze it (see :func:`dataerrors.analyze`).

        ``workers`` is the number of threads the analysis may use (default: one per CPU core).

        Safe to call again on a run whose process crashed: it finishes what is on disk.
        """
        from .pipeline import analyze as analyze_run
        from .pipeline.workers import check_workers

        if analyze:
            check_workers(workers)  # before sealing, so a bad value changes nothing
        with self._lock:
            if self._writer is not None:
                writer, self._writer = self._writer, None
                writer.close()
            remove_temporary_files(self._layout.folder)
            if self._manifest.get("keep_vectors", "last") == "last":
                for split in SPLITS:
                    epochs = self._layout.epochs(split)
                    with_vectors = [e for e in epochs if reader.has_vectors(self._layout, split, e)]
                    for epoch in with_vectors[:-1]:
                        reader.remove_vectors(self._layout, split, epoch)

            def seal(manifest: dict[str, Any]) -> None:
                # An analyzed run that logged nothing since keeps its analysis up to date.
                if manifest["status"] != manifest_store.STATUS_ANALYZED:
                    manifest["status"] = manifest_store.STATUS_FINISHED
                manifest["finished_at"] = manifest_store.now()

            self._manifest = manifest_store.update_manifest(self._layout, seal)
        if analyze:
            analyze_run(self, progress=progress, workers=workers)

    # ----------------------------------------------------------------- reading

    def samples(
        self, split: str, include_images: bool = False, apply_edits: bool = False
    ) -> SampleFrame:
        """Return one row per sample of ``split`` with its inputs, metadata and every score.

        Columns include ``id``, ``label``, ``label_name``, ``predicted``, ``suggested_label``,
        ``dep`` (in [0, 1], higher = more likely a data error), ``aum``, ``margin`` (last logged
        epoch), ``confidence``, ``variability``, ``correctness``, ``is_likely_mislabeled``,
        ``input`` and metadata columns. With logged embeddings also ``neighbor_disagreement``
        and ``neighbor_label`` (the 10 nearest neighbours within the split, the signal DEP
        blends in), ``training_neighbor_disagreement`` (the 10 nearest training samples),
        ``coverage_distance`` (cosine distance to the 10th nearest training sample, in [0, 2]),
        ``is_out_of_coverage``, map coordinates ``x``, ``y`` and ``cluster`` (-1 = noise).
        See :meth:`explain` for why one sample has its DEP.
        Rows are in the order samples were logged; sort with ``.sort_values("dep", ascending=False)``.

        With ``apply_edits=True`` the edit log is applied: ``edited_label`` (the label after
        relabels), ``edited_label_name``, ``is_relabeled``, ``is_removed`` and
        ``is_marked_for_labeling`` are added, and ``label`` keeps the logged label.
        """
        from .edits import EditLog
        from .store.queries import sample_rows

        split = check_split(split)
        if split not in self.splits:
            raise InvalidInputError(
                f"split={split!r} has no logged samples in run {self.project}/{self.name}; its "
                f"splits are {self.splits}."
            )
        frame = sample_rows(self._layout, split, self.class_names, include_images=include_images)
        self._warn_if_stale()
        if check_apply_edits(apply_edits):
            frame = EditLog(self).apply(frame, split)
        return SampleFrame(frame)

    def similar(self, split: str, id: int | str, k: int = 10) -> pd.DataFrame:  # noqa: A002
        """Return the ``k`` training samples nearest to one sample in embedding space.

        Parameters
        ----------
        split : {"training", "validation", "test", "inference"}
            Split of the sample. A training sample is never its own neighbour.
        id : int or str
            The sample's id, as logged.
        k : int, 1 <= k <= 10
            Number of neighbours; the analysis keeps the 10 nearest.

        Returns
        -------
        pandas.DataFrame
            Columns ``id``, ``label``, ``label_name``, ``distance`` (cosine distance in [0, 2],
            lower = more similar) and ``dep`` of each training neighbour, nearest first. Empty
            when the sample had no logged embedding.

        Raises
        ------
        InvalidInputError
            For an unknown split, an id of the wrong type or not logged, or ``k`` out of range.
        RunNotFoundError
            When the run was not analyzed with training embeddings.
        """
        from .pipeline.neighbors_step import N_NEIGHBORS
        from .store.queries import similar_samples

        split = check_split(split)
        if split not in self.splits:
            raise InvalidInputError(
                f"split={split!r} has no logged samples in this run; use one of {self.splits}."
            )
        id_type = manifest_store.read_manifest(self._layout)["splits"][split].get("id_type", "int")
        is_int = isinstance(id, (int, np.integer)) and not isinstance(id, bool)
        if (id_type == "int" and not is_int) or (id_type == "str" and not isinstance(id, str)):
            raise InvalidInputError(
                f"id={id!r} has type {type(id).__name__}, but split {split!r} was logged with "
                f"{id_type} ids; pass an id of type {id_type}."
            )
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= N_NEIGHBORS:
            raise InvalidInputError(
                f"k={k!r} is invalid; expected an integer from 1 to {N_NEIGHBORS} (the analysis "
                f"keeps the {N_NEIGHBORS} nearest training samples)."
            )
        sample_id = int(id) if is_int else id
        return similar_samples(self._layout, split, sample_id, int(k), self.class_names)

    def explain(self, split: str, id: int | str) -> dict[str, Any]:  # noqa: A002
        """Explain why one sample has the DEP it has: which signals raised it, and by how much.

        Parameters
        ----------
        split : {"training", "validation", "test", "inference"}
        id : int or str
            The sample's id, as logged.

        Returns
        -------
        dict
            ``id``, ``split``, ``dep`` (in [0, 1], higher = more likely a label error), ``label``,
            ``suggested_label``, ``is_likely_mislabeled`` and their ``*_name`` fields; ``signals``:
            ``margin`` (mean margin ``aum``, the margin and predicted class per logged epoch,
            ``per_epoch`` and ``predicted_per_epoch``, and its part of DEP), ``neighbors``
            (share of nearest neighbours with another label, their most common label; None
            without embeddings) and ``confident_label``, each with ``raises_dep``; ``reasons``,
            one phrase per signal that raises DEP; and ``sentence``, a short English explanation.
            See :func:`dataerrors.analysis.explain.explain_sample`.

        Raises
        ------
        InvalidInputError
            If ``id`` is not a sample of ``split``.
        RunNotFoundError
            If the run was not analyzed yet.
        """
        from .analysis.explain import explain_sample

        split = check_split(split)
        sample_id = _check_sample_id(id, split, self._manifest)
        row = reader.read_analysis_row(self._layout, split, sample_id)
        if row is None:
            raise InvalidInputError(
                f"id={sample_id!r} is not a sample of split {split!r} in {self.folder}; pass an "
                "id from run.samples(split)['id']."
            )
        history = reader.read_sample_scores(
            self._layout, split, sample_id, ["margin", "predicted"]
        )
        epochs = sorted(history)
        names = self.class_names
        explanation = explain_sample(
            label=row["label"],
            dep=_nan_if_none(row["dep"]),
            margins=[_nan_if_none(history[epoch]["margin"]) for epoch in epochs],
            predicted=[history[epoch]["predicted"] for epoch in epochs],
            neighbor_disagreement=_nan_if_none(row.get("neighbor_disagreement")),
            neighbor_label=row.get("neighbor_label", -1),
            confident_label=row.get("confident_label", -1),
            suggested_label=row["suggested_label"],
            is_likely_mislabeled=row["is_likely_mislabeled"],
            class_names=names,
        )
        explanation["signals"]["margin"]["epochs"] = epochs
        for field_name in ("label", "suggested_label"):
            value = explanation[field_name]
            explanation[f"{field_name}_name"] = names[value] if 0 <= value < len(names) else None
        return {"id": sample_id, "split": split, **explanation}

    def summary(self) -> dict[str, Any]:
        """Return the dataset-level insights written by the last analysis, as a dict."""
        data = reader.read_summary(self._layout)
        self._warn_if_stale()
        return data

    def _warn_if_stale(self) -> None:
        """Warn when outputs were logged after the analysis being read.

        Logging outputs sets the status to "logging"; finishing without analyzing then sets it to
        "finished". Either status on a run that has an analysis means the analysis is older.
        """
        manifest = manifest_store.read_manifest(self._layout)
        if manifest["status"] != manifest_store.STATUS_ANALYZED and manifest.get("analyzed_at"):
            warnings.warn(
                f"run {self.project}/{self.name} was logged to after its last analysis, so these "
                "scores are from the earlier outputs; call run.finish() or `dataerrors analyze "
                f"{self.folder}` to update them.",
                StaleAnalysisWarning,
                stacklevel=3,
            )

    def console(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        user: str | None = None,
        open_browser: bool = False,
        token: str | None = None,
    ) -> str:
        """Serve the web console for this run in a background thread and return its URL.

        On a non-loopback ``host`` every request must carry an access token (``token``, or a
        random one); the returned URL contains it.

        Calling it again returns the URL of the server already running. ``port`` defaults to a
        free port; ``user`` is the author recorded with edits (default: the OS user name).
        Stop it with :meth:`stop_console`; it also stops when the Python process exits.
        """
        from .console.server import start_in_thread

        with self._lock:
            if self._console is None:
                self._console = start_in_thread(self.folder, host=host, port=port, user=user,
                                                token=token)
            url = self._console.url
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        return url

    def stop_console(self) -> None:
        """Stop the console server started by :meth:`console`, if any."""
        with self._lock:
            server, self._console = self._console, None
        if server is not None:
            server.stop()

    def analyze(self, progress: bool = False, workers: int | None = None) -> dict[str, Any]:
        """Compute every score of every split again and return the summary.

        ``workers`` is the number of threads the analysis may use (default: one per CPU core).
        """
        from .pipeline import analyze as analyze_run

        self.flush()
        return analyze_run(self, progress=progress, workers=workers)

    # ----------------------------------------------------------------- internals

    def _state(self, split: str) -> SplitState:
        if split not in self._states:
            self._states[split] = SplitState.load(self._layout, split)
        return self._states[split]

    def _ensure_writer(self) -> PartWriter:
        if self._writer is None:
            remove_temporary_files(self._layout.folder)
            self._writer = PartWriter()
        return self._writer

    def _record_epoch(self, split: str, epoch: int) -> None:
        def record(manifest: dict[str, Any]) -> None:
            entry = manifest["splits"].setdefault(split, {})
            entry["epochs"] = sorted(set(entry.get("epochs", [])) | {epoch})
            manifest["status"] = manifest_store.STATUS_LOGGING

        self._manifest = manifest_store.update_manifest(self._layout, record)

    def _drop_old_vectors(self, writer: PartWriter, split: str, previous_epoch: int) -> None:
        """With keep_vectors="last", keep the vectors of at most the two latest epochs on disk.

        The epoch before the current one stays until the run finishes, so a crash in the middle
        of an epoch still leaves one complete epoch of vectors.
        """
        if self._manifest.get("keep_vectors", "last") != "last":
            return
        layout = self._layout

        def remove() -> None:
            for epoch in layout.epochs(split):
                if epoch < previous_epoch:
                    reader.remove_vectors(layout, split, epoch)

        writer.call(remove)

    def _check_metadata_columns(self, split: str, names: list[str]) -> None:
        entry = self._manifest["splits"].get(split)
        if entry is None or self._state(split).n_samples == 0:
            return
        expected = entry.get("metadata_columns", [])
        if names != expected:
            raise InvalidInputError(
                f"metadata columns {names} differ from the earlier samples of split {split!r} "
                f"({expected}); pass the same metadata columns in every call."
            )


def _check_sample_id(value: object, split: str, manifest: dict[str, Any]) -> int | str:
    entry = manifest["splits"].get(split)
    if entry is None:
        raise InvalidInputError(
            f"split {split!r} has no logged samples; choose one of {list(manifest['splits'])}."
        )
    id_type = entry.get("id_type", "int")
    if id_type == "int" and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if id_type == "str" and isinstance(value, str):
        return value
    raise InvalidInputError(
        f"id={value!r} has type {type(value).__name__}, but split {split!r} was logged with "
        f"{id_type} ids; pass one sample id as logged."
    )


def _nan_if_none(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _check_name(value: object, argument: str) -> None:
    if not isinstance(value, str) or not value or "/" in value or value in (".", ".."):
        raise InvalidInputError(
            f"{argument}={value!r} is invalid; use a non-empty name without '/'."
        )


def _check_class_names(labels: Sequence[str] | int) -> list[str]:
    if isinstance(labels, (int, np.integer)) and not isinstance(labels, bool):
        if labels < 2:
            raise InvalidInputError(f"labels={labels} is invalid; a classifier needs >= 2 classes.")
        return [str(index) for index in range(int(labels))]
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise InvalidInputError(
            f"labels={labels!r} is invalid; pass the list of class names or the number of classes."
        )
    names = [str(name) for name in labels]
    if len(names) < 2:
        raise InvalidInputError(f"labels={names} is invalid; a classifier needs >= 2 classes.")
    if len(set(names)) != len(names):
        duplicated = sorted({name for name in names if names.count(name) > 1})
        raise InvalidInputError(f"labels contains duplicate class names {duplicated}; names must be unique.")
    return names
