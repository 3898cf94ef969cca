"""The runs a console serves, and what it keeps in memory for each: map points, selections, images."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Hashable

import numpy as np

from ..errors import DataErrorsError, RunNotFoundError, SchemaVersionError
from ..run import Run, open_run
from ..store import sample_queries
from ..store.manifest import run_folders_below
from ..store.sample_queries import RunQueries
from .errors import ApiError, not_found

#: Map columns sent to the browser, in this order, when the analysis has them.
MAP_COLUMNS = ("x", "y", "dep", "label", "predicted", "cluster")
#: Most selections kept per run; the oldest is forgotten first.
MAX_SELECTIONS = 64
#: Bytes of rendered thumbnails kept per run.
THUMBNAIL_CACHE_BYTES = 64 * 1024 * 1024


class LruCache:
    """A thread-safe least-recently-used cache bounded by the total size of its values."""

    def __init__(self, max_size: int, size_of: Callable[[Any], int] = lambda value: 1) -> None:
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._max_size = max_size
        self._size_of = size_of
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            if key in self._entries:
                self._size -= self._size_of(self._entries.pop(key))
            self._entries[key] = value
            self._size += self._size_of(value)
            while self._size > self._max_size and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                self._size -= self._size_of(dropped)


@dataclass
class MapPoints:
    """The map columns of one split as float32 arrays, and the y-order the lasso needs."""

    columns: dict[str, np.ndarray]
    y_order: np.ndarray
    signature: tuple[int, int]

    @property
    def n_points(self) -> int:
        return int(self.columns["x"].shape[0])


@dataclass
class Selection:
    """Rows of one split's analysis table picked on the map."""

    split: str
    rows: np.ndarray


class RunSession:
    """One run served by the console, with its caches."""

    def __init__(self, run: Run, key: str | None = None) -> None:
        self.run = run
        self._key = key or f"{run.project}/{run.name}"
        self.queries = RunQueries(run.layout)
        self.thumbnails = LruCache(THUMBNAIL_CACHE_BYTES, size_of=len)
        self._selections = LruCache(MAX_SELECTIONS)
        self._maps: dict[str, MapPoints] = {}
        self._has_images: dict[tuple[str, str], bool] = {}
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        """The run's address in the console: its folder's parent and name, ``project/run``.

        A copied run folder keeps the project and run names of its ``run.json``, so the folder
        names, not the manifest, tell copies apart.
        """
        return self._key

    def check_split(self, split: str) -> str:
        """Return ``split`` if the run logged it, else raise a 404 that lists the splits."""
        splits = self.run.splits
        if split not in splits:
            raise not_found(
                f"split {split!r} is not in run {self.key}; its splits are {', '.join(splits)}."
            )
        return split

    def version(self) -> str:
        """Return a token that changes when the run is analyzed again (for browser caches)."""
        try:
            return str(self.run.layout.summary.stat().st_mtime_ns)
        except FileNotFoundError:
            return "0"

    def split_summaries(self) -> dict[str, dict[str, Any]]:
        """Return each split's entry of the analysis summary, or {} before the first analysis."""
        try:
            return self.run.summary().get("splits", {})
        except RunNotFoundError:
            return {}

    def has_images(self, split: str, version: str) -> bool:
        """Return whether samples of ``split`` were logged with an image (a path or pixels).

        ``version`` is :meth:`version`, passed in by callers that already read it.
        """
        key = (split, version)
        with self._lock:
            if key in self._has_images:
                return self._has_images[key]
        found = sample_queries.has_logged_inputs(self.run.layout, split, ("input", "image"))
        with self._lock:
            self._has_images[key] = found
        return found

    def map_points(self, split: str, load: Callable[[], dict[str, np.ndarray]],
                   order: Callable[[np.ndarray], np.ndarray]) -> MapPoints:
        """Return the cached map of ``split``, reloading it when the analysis file changed."""
        path = self.run.layout.analysis(split)
        stat = path.stat()
        signature = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._maps.get(split)
            if cached is not None and cached.signature == signature:
                return cached
        columns = load()
        points = MapPoints(columns, order(columns["y"]), signature)
        with self._lock:
            self._maps[split] = points
        return points

    def add_selection(self, token: str, selection: Selection) -> None:
        self._selections.put(token, selection)

    def selection(self, token: str, split: str) -> Selection:
        """Return the selection ``token`` of ``split``, or raise 404 if it expired or is unknown."""
        found = self._selections.get(token)
        if found is None:
            raise not_found(
                f"selection {token!r} is unknown or expired (the console keeps the last "
                f"{MAX_SELECTIONS}); select the points on the map again."
            )
        if found.split != split:
            raise ApiError(
                400,
                f"selection {token!r} was made on split {found.split!r}, not {split!r}.",
                [{"field": "selection", "message": "selection of another split"}],
            )
        return found


class RunCatalog:
    """The runs under a root folder, or one run folder, opened on first use."""

    def __init__(self, target: Path) -> None:
        self.target = target.resolve()
        self._sessions: dict[str, RunSession] = {}
        self._lock = threading.Lock()

    def run_folders(self) -> dict[str, Path]:
        """Return the run folders found, keyed ``project/run``, sorted by key."""
        if (self.target / "run.json").is_file():
            folders = [self.target]
        else:
            folders = run_folders_below(self.target)
        found = {}
        for folder in folders:
            found[f"{folder.parent.name}/{folder.name}"] = folder
        return dict(sorted(found.items()))

    def session(self, project: str, run: str) -> RunSession:
        """Return the session of run ``project/run``, or raise 404."""
        key = f"{project}/{run}"
        with self._lock:
            session = self._sessions.get(key)
        if session is not None:
            return session
        folder = self.run_folders().get(key)
        if folder is None:
            raise not_found(f"run {key!r} is not under {self.target}; list runs at /api/runs.")
        try:
            session = RunSession(open_run(folder), key)
        except RunNotFoundError as error:
            raise not_found(str(error)) from error
        except SchemaVersionError as error:
            raise ApiError(409, str(error)) from error
        with self._lock:
            return self._sessions.setdefault(key, session)

    def sessions(self) -> list[RunSession]:
        """Return a session for every run found, skipping folders that fail to open."""
        sessions = []
        for key in self.run_folders():
            project, run = key.split("/", 1)
            try:
                sessions.append(self.session(project, run))
            except (ApiError, DataErrorsError):
                continue
        return sessions
