"""Console latency on a synthetic run of 1M samples: a Samples page and a lasso over the whole map.

Builds a run through the public logging API (ids, labels, 8x8 images, two epochs of logits) and
writes its analysis table directly through the store (synthetic DEP, flags, 2D map, clusters).
Then it times the following, each as the median of repeated calls after one warm-up call:

- a Samples page (50 rows) sorted by DEP: unfiltered, filtered, and deep (offset 90%), through
  the store and through the HTTP API (FastAPI TestClient, JSON included);
- a lasso selection over the whole map and over half of it, on the server;
- the map's binary columns, one sample's details and one thumbnail;

next to what a notebook user would do without the console (pandas: load the split, filter,
sort) and a lasso without the y-sorted index (crossing test over every edge for every point).

Usage::

    PYTHONPATH=src python bench/console.py [--n-samples 1000000] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa

import dataerrors
from dataerrors.analysis.selection import points_in_polygon, y_order
from dataerrors.store import reader
from dataerrors.store.sample_queries import RunQueries, SampleFilter, SampleOrder

N_CLASSES = 10
CHUNK = 100_000
RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="Build (or reuse) the run here.")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="dataerrors-bench-"))
    folder = root / "bench" / f"console-{args.n_samples}"
    started = time.perf_counter()
    run = dataerrors.open_run(folder) if (folder / "analysis").is_dir() else build_run(root, args.n_samples)
    print(f"run with {args.n_samples:,} samples ready in {time.perf_counter() - started:.0f} s: {run.folder}")

    figures = measure(run, args.repeat)
    print_table(figures, args.n_samples)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"console-{args.n_samples}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {out}")


def build_run(root: Path, n_samples: int) -> dataerrors.Run:
    """Log n_samples training samples and two epochs, then write a synthetic analysis table."""
    rng = np.random.default_rng(0)
    run = dataerrors.init("bench", f"console-{n_samples}", N_CLASSES, root=root, mode="overwrite")
    labels = rng.integers(0, N_CLASSES, n_samples)
    for start in range(0, n_samples, CHUNK):
        ids = np.arange(start, min(start + CHUNK, n_samples))
        images = rng.integers(0, 255, (ids.shape[0], 8, 8), dtype=np.uint8)
        run.log_samples("training", ids, labels[ids], inputs=images)
    for epoch in range(2):
        for start in range(0, n_samples, CHUNK):
            ids = np.arange(start, min(start + CHUNK, n_samples))
            logits = rng.normal(0, 1, (ids.shape[0], N_CLASSES)).astype(np.float32)
            logits[np.arange(ids.shape[0]), labels[ids]] += 3
            run.log_outputs("training", epoch, ids, logits=logits)
    run.finish(analyze=False)
    reader.write_analysis(run.layout, "training", synthetic_analysis(labels, rng))
    reader.write_summary(run.layout, {"project": "bench", "run": run.name, "splits": {"training": {}}})
    return run


def synthetic_analysis(labels: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """Analysis columns with realistic shapes: skewed DEP, rare flags, 2D blobs per class."""
    n_samples = labels.shape[0]
    dep = rng.beta(0.4, 6, n_samples).astype(np.float32)
    flagged = dep > np.quantile(dep, 0.995)
    predicted = np.where(flagged, (labels + 1) % N_CLASSES, labels).astype(np.int32)
    angle = 2 * np.pi * labels / N_CLASSES
    x = (8 * np.cos(angle) + rng.normal(0, 2, n_samples)).astype(np.float32)
    y = (8 * np.sin(angle) + rng.normal(0, 2, n_samples)).astype(np.float32)
    return pa.table({
        "id": pa.array(np.arange(n_samples), pa.int64()),
        "label": pa.array(labels.astype(np.int32)),
        "predicted": pa.array(predicted),
        "suggested_label": pa.array(predicted),
        "confident_label": pa.array(np.where(flagged, predicted, labels).astype(np.int32)),
        "dep": pa.array(dep),
        "aum": pa.array((1 - 2 * dep).astype(np.float32)),
        "margin": pa.array((1 - 2 * dep).astype(np.float32)),
        "is_likely_mislabeled": pa.array(flagged),
        "difficulty": pa.array(np.where(dep > 0.3, "hard", "easy")).dictionary_encode(),
        "x": pa.array(x),
        "y": pa.array(y),
        "cluster": pa.array(labels.astype(np.int32)),
        "is_out_of_coverage": pa.array(rng.random(n_samples) < 0.05),
    })


def measure(run: dataerrors.Run, repeat: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from dataerrors.console.app import create_app

    queries = RunQueries(run.layout)
    client = TestClient(create_app(run.folder))
    base = f"/api/runs/bench/{run.name}/splits/training"
    n_samples = int(reader.read_analysis(run.layout, "training", ["id"]).num_rows)
    filtered = SampleFilter(labels=(3, 5), dep_min=0.05, flags=("misclassified",))
    filtered_params = {"label": [3, 5], "dep_min": 0.05, "flag": "misclassified", "limit": 50}
    matching_params = {key: value for key, value in filtered_params.items() if key != "limit"}
    deep_offset = int(0.9 * n_samples)
    order = SampleOrder("dep", descending=True)

    columns = reader.read_analysis(run.layout, "training", ["x", "y"])
    x = columns["x"].to_numpy()
    y = columns["y"].to_numpy()
    everything = circle(x, y, 1.0)
    half = circle(x, y, 0.5)
    order_y = y_order(y)

    figures = {
        "n_samples": n_samples,
        "page_store": timed(lambda: queries.query_samples("training", SampleFilter(), order, 0, 50), repeat),
        "page_filtered_store": timed(lambda: queries.query_samples("training", filtered, order, 0, 50), repeat),
        "page_deep_store": timed(lambda: queries.query_samples("training", SampleFilter(), order, deep_offset, 50), repeat),
        "page_http": timed(lambda: ok(client.get(f"{base}/samples", params={"limit": 50})), repeat),
        "page_filtered_http": timed(lambda: ok(client.get(f"{base}/samples", params=filtered_params)), repeat),
        "page_deep_http": timed(lambda: ok(client.get(f"{base}/samples", params={"limit": 50, "offset": deep_offset})), repeat),
        "page_pandas": timed(lambda: pandas_page(run), max(1, repeat // 2)),
        "page_filtered_pandas": timed(lambda: pandas_page(run, filtered=True), max(1, repeat // 2)),
        "lasso_all_store": timed(lambda: points_in_polygon(x, y, everything, order_y), repeat),
        "lasso_half_store": timed(lambda: points_in_polygon(x, y, half, order_y), repeat),
        "lasso_all_http": timed(lambda: ok(client.post(f"{base}/selections", json={"polygon": everything.tolist()})), repeat),
        "lasso_half_http": timed(lambda: ok(client.post(f"{base}/selections", json={"polygon": half.tolist()})), repeat),
        "lasso_all_every_edge": timed(lambda: every_edge(x, y, everything), max(1, repeat // 2)),
        "map_points_http": timed(lambda: ok(client.get(f"{base}/map/points")), repeat),
        "map_matching_filtered_http": timed(
            lambda: ok(client.get(f"{base}/map/matching", params=matching_params)), repeat),
        "map_matching_broad_http": timed(
            lambda: ok(client.get(f"{base}/map/matching", params={"dep_min": 0.01})), repeat),
        "sample_detail_http": timed(lambda: ok(client.get(f"{base}/samples/{n_samples // 2}")), repeat),
        "thumbnail_http_uncached": timed_each(
            [lambda i=i: ok(client.get(f"{base}/samples/{i}/thumbnail")) for i in range(7, 7 + repeat + 1)]),
    }
    selected = ok(client.post(f"{base}/selections", json={"polygon": everything.tolist()})).json()
    for name, params in [("filtered", matching_params), ("broad", {"dep_min": 0.01})]:
        response = ok(client.get(f"{base}/map/matching", params=params))
        figures[f"map_matching_{name}_rows"] = int(response.headers["x-matching"])
    figures["lasso_all_selected"] = selected["n_selected"]
    figures["lasso_half_selected"] = int(points_in_polygon(x, y, half, order_y).sum())
    figures["lasso_vertices"] = int(everything.shape[0])
    queries.close()
    return figures


def circle(x: np.ndarray, y: np.ndarray, share: float, n_vertices: int = 400) -> np.ndarray:
    """Return a lasso-like polygon: a wobbly circle around the map's centre, ``share`` of its radius.

    With ``share=1`` the circle's smallest radius is past the farthest point, so every point is in.
    """
    cx, cy = float(np.mean(x)), float(np.mean(y))
    radius = share * float(np.max(np.hypot(x - cx, y - cy))) * (1.1 if share >= 1 else 1.0)
    angles = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
    radii = radius * (1 + 0.03 * np.sin(9 * angles))
    return np.c_[cx + radii * np.cos(angles), cy + radii * np.sin(angles)]


def pandas_page(run: dataerrors.Run, filtered: bool = False) -> Any:
    """Load the split, filter, sort and take 50 rows, as a notebook does without the console."""
    frame = run.samples("training")
    if filtered:
        frame = frame[frame["label"].isin([3, 5]) & (frame["dep"] >= 0.05) & (frame["predicted"] != frame["label"])]
    return frame.sort_values("dep", ascending=False).head(50)


def every_edge(x: np.ndarray, y: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Crossing test of every point against every edge, without the y-sorted index."""
    inside = np.zeros(x.shape[0], dtype=bool)
    for (x0, y0), (x1, y1) in zip(polygon, np.roll(polygon, -1, axis=0)):
        if y0 == y1:
            continue
        spans = (y >= min(y0, y1)) & (y < max(y0, y1))
        inside ^= spans & (x < x0 + (y - y0) * ((x1 - x0) / (y1 - y0)))
    return inside


def ok(response: Any) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
    return response


def timed(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Seconds of the first call (cold) and the median of ``repeat`` more calls."""
    started = time.perf_counter()
    call()
    first = time.perf_counter() - started
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return {"first_s": first, "median_s": statistics.median(seconds)}


def timed_each(calls: list[Callable[[], Any]]) -> dict[str, float]:
    """Median seconds over calls that each do different work (nothing cached between them)."""
    seconds = []
    for call in calls:
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return {"first_s": seconds[0], "median_s": statistics.median(seconds[1:] or seconds)}


def print_table(figures: dict[str, Any], n_samples: int) -> None:
    rows = [
        ("Samples page, sorted by DEP", "page_store", "page_http", "page_pandas"),
        ("Samples page, filtered + sorted", "page_filtered_store", "page_filtered_http", "page_filtered_pandas"),
        ("Samples page at offset 90%", "page_deep_store", "page_deep_http", "page_pandas"),
        ("Lasso over the whole map", "lasso_all_store", "lasso_all_http", "lasso_all_every_edge"),
        ("Lasso over half the map", "lasso_half_store", "lasso_half_http", "lasso_all_every_edge"),
    ]
    print(f"\n{n_samples:,} samples; median of repeated calls (first call in brackets), seconds\n")
    print("| operation | store | HTTP API | baseline | baseline / HTTP |")
    print("|---|---|---|---|---|")
    for name, store, http, baseline in rows:
        print(f"| {name} | {cell(figures[store])} | {cell(figures[http])} | {cell(figures[baseline])} | "
              f"{figures[baseline]['median_s'] / figures[http]['median_s']:.0f}x |")
    for name, key in [("Map points (binary float32)", "map_points_http"),
                      (f"Map rows matching the filtered page's filters ({figures['map_matching_filtered_rows']:,})",
                       "map_matching_filtered_http"),
                      (f"Map rows matching DEP >= 0.01 ({figures['map_matching_broad_rows']:,})", "map_matching_broad_http"),
                      ("One sample's details", "sample_detail_http"),
                      ("One thumbnail, not cached", "thumbnail_http_uncached")]:
        print(f"| {name} | | {cell(figures[key])} | | |")
    print("\nBaselines: pages = pandas (run.samples, filter, sort_values, head); lasso = crossing test "
          f"over all {figures['lasso_vertices']} edges for every point. Whole-map lasso selected "
          f"{figures['lasso_all_selected']:,} points, half-map {figures['lasso_half_selected']:,}.")


def cell(figure: dict[str, float]) -> str:
    return f"{figure['median_s']:.3f} ({figure['first_s']:.3f})"


if __name__ == "__main__":
    main()
