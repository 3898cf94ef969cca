"""ImageNet scale on one machine: logging overhead, disk, analyze time and memory, vs cleanlab.

Logs an ImageNet-shaped synthetic run through the public API in batches of 256 (1,281,167
training and 50,000 validation samples, 1000 classes, 5 epochs, 2048-d embeddings, 3% injected
label errors at --scale 1), then measures, each in a fresh process: `dataerrors analyze` (wall time
per step and peak memory) and cleanlab's `find_label_issues` on the same final-epoch probabilities.

    .venv/bin/python bench/scale.py --scale 0.01     # 1/100 size, a few minutes
    .venv/bin/python bench/scale.py --scale 1        # full size; needs ~20 GB of free disk
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_SPEC = importlib.util.spec_from_file_location("bench_synthetic", Path(__file__).parent / "synthetic.py")
synthetic = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = synthetic  # dataclasses look their module up there
_SPEC.loader.exec_module(synthetic)
IMAGENET_TRAIN = synthetic.IMAGENET_TRAIN
IMAGENET_VALIDATION = synthetic.IMAGENET_VALIDATION
log_imagenet_like_run = synthetic.log_imagenet_like_run

REPO = Path(__file__).resolve().parent.parent

ANALYZE = """
import json, resource, sys, time
import dataerrors
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
workers = int(sys.argv[2]) if sys.argv[2] != "all" else None
summary = dataerrors.analyze(sys.argv[1], progress=False, workers=workers)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "base_mb": base / 1024,
                  "steps": summary["step_seconds"], "workers": summary["workers"]}))
"""

# The console's HTTP API in-process (FastAPI TestClient, JSON included), after a cold start.
CONSOLE = """
import json, sys
from fastapi.testclient import TestClient
import dataerrors
from bench.console import circle, ok, timed
from dataerrors.console.app import create_app
from dataerrors.store import reader
run = dataerrors.open_run(sys.argv[1])
client = TestClient(create_app(run.folder))
base = f"/api/runs/{run.project}/{run.name}/splits/training"
columns = reader.read_analysis(run.layout, "training", ["x", "y"])
x, y = columns["x"].to_numpy(), columns["y"].to_numpy()
everything = circle(x, y, 1.0).tolist()
page = timed(lambda: ok(client.get(f"{base}/samples", params={"limit": 50, "sort": "dep"})), 5)
filtered = timed(lambda: ok(client.get(f"{base}/samples", params={
    "limit": 50, "sort": "dep", "flag": "likely_mislabeled"})), 5)
lasso = timed(lambda: ok(client.post(f"{base}/selections", json={"polygon": everything})), 5)
points = timed(lambda: ok(client.get(f"{base}/map/points")), 5)
selected = ok(client.post(f"{base}/selections", json={"polygon": everything})).json()["n_selected"]
print(json.dumps({"page": page, "filtered": filtered, "lasso": lasso, "points": points,
                  "selected": selected}))
"""

CLEANLAB = """
import json, resource, sys, time
import numpy as np
from cleanlab.filter import find_label_issues
labels = np.load(sys.argv[2])
half = np.load(sys.argv[1], mmap_mode="r")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
probs = np.asarray(half, dtype=np.float32)
probs /= probs.sum(axis=1, keepdims=True)
issues = find_label_issues(labels, probs, n_jobs=1)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
np.save(sys.argv[3], issues)
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "base_mb": base / 1024}))
"""


def _measure(script: str, *arguments: str, timeout: float, memory_gb: float | None = None) -> dict:
    """Run ``script`` in a fresh process; return its JSON line, or {"failed": reason}."""

    def limit_memory() -> None:
        if memory_gb is not None:
            limit = int(memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        completed = subprocess.run([sys.executable, "-c", script, *arguments], capture_output=True,
                                   text=True, timeout=timeout, preexec_fn=limit_memory, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"failed": f"did not finish in {timeout:.0f} s"}
    if completed.returncode != 0:
        if "MemoryError" in completed.stderr or "Unable to allocate" in completed.stderr:
            return {"failed": f"ran out of its {memory_gb:g} GB memory limit"}
        raise RuntimeError(completed.stderr)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _final_probs(run, path: Path) -> None:
    from dataerrors.store import reader
    from dataerrors.store.tables import vectors_to_numpy

    last = run.epochs("training")[-1]
    chunks, ids = [], []
    for batch in reader.iter_vectors(run.layout, "training", last, ["id", "probs"]):
        ids.append(batch.column("id").to_numpy())
        chunks.append(vectors_to_numpy(batch.column("probs"), np.float16))
    order = np.argsort(np.concatenate(ids))
    np.save(path, np.concatenate(chunks)[order])


def _ms(figure: dict[str, float]) -> str:
    return f"{1000 * figure['median_s']:.0f} ms (first {1000 * figure['first_s']:.0f} ms)"


def _flag_quality(flags: np.ndarray, flipped: np.ndarray) -> tuple[float, float]:
    truth = np.zeros(flags.shape[0], bool)
    truth[flipped] = True
    hits = (flags & truth).sum()
    return hits / max(flags.sum(), 1), hits / max(truth.sum(), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.01,
                        help="Fraction of ImageNet's size (1 = 1.28M training samples).")
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--dims", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--workers", default="all",
                        help="Threads for analyze: a number, or 'all' for one per CPU core.")
    parser.add_argument("--root", type=Path, default=None, help="Where to write the run (default: a temporary folder).")
    parser.add_argument("--peer-timeout", type=float, default=3600, help="Seconds before the peer is stopped.")
    parser.add_argument("--peer-memory-gb", type=float, default=16,
                        help="Address-space limit of the peer's process, so it fails instead of swapping.")
    arguments = parser.parse_args()

    n_train = int(IMAGENET_TRAIN * arguments.scale)
    n_validation = int(IMAGENET_VALIDATION * arguments.scale)
    with tempfile.TemporaryDirectory(dir=arguments.root) as folder:
        root = Path(folder)
        logged = log_imagenet_like_run(root, n_train, n_validation, arguments.classes,
                                       arguments.dims, arguments.epochs)
        run = logged.run
        disk_gb = sum(p.stat().st_size for p in run.folder.rglob("*") if p.is_file()) / 2**30
        ours = _measure(ANALYZE, str(run.folder), arguments.workers, timeout=24 * 3600)
        console = _measure(CONSOLE, str(run.folder), timeout=3600)

        _final_probs(run, root / "probs.npy")
        np.save(root / "labels.npy", logged.given["training"])
        peer = _measure(CLEANLAB, str(root / "probs.npy"), str(root / "labels.npy"),
                        str(root / "peer.npy"), timeout=arguments.peer_timeout,
                        memory_gb=arguments.peer_memory_gb)
        our_flags = run.samples("training")["is_likely_mislabeled"].to_numpy()
        peer_flags = None if "failed" in peer else np.load(root / "peer.npy")

    api_ms = 1000 * np.array(logged.seconds_in_api)
    own_ms = api_ms - 1000 * np.array(logged.seconds_waiting)
    samples_logged = (n_train + n_validation) * arguments.epochs
    print(f"# Scale benchmark, --scale {arguments.scale}: {n_train} training + {n_validation} "
          f"validation samples, {arguments.classes} classes, {arguments.epochs} epochs, "
          f"{arguments.dims}-d embeddings")
    print()
    print(f"- Logging, cost to the training loop: {own_ms.mean():.2f} ms mean, "
          f"{np.percentile(own_ms, 50):.2f} ms median, {np.percentile(own_ms, 95):.2f} ms p95 per "
          "batch of 256 inside log_outputs (validation and copies, not counting waits for the "
          "background writer)")
    print(f"- Logging back to back (no training step between batches, so the writer is the limit): "
          f"{samples_logged / logged.logging_seconds:,.0f} samples/s including data generation, "
          f"{api_ms.mean():.2f} ms mean per call with waits; finish() flush "
          f"{logged.finish_seconds:.1f} s")
    print(f"- Run folder on disk after finish(): {disk_gb:.2f} GB")
    print(f"- analyze with {ours['workers']} worker thread(s): {ours['seconds']:.1f} s, peak memory "
          f"{ours['peak_mb']:.0f} MB ({ours['base_mb']:.0f} MB after imports)")
    for step, seconds in ours["steps"].items():
        print(f"  - {step}: {seconds:.1f} s")
    print(f"- Console HTTP API on the training split (median of 5 after a first call): page of 50 "
          f"sorted by DEP {_ms(console['page'])}, the same filtered to likely mislabeled "
          f"{_ms(console['filtered'])}, lasso over the whole map ({console['selected']:,} points) "
          f"{_ms(console['lasso'])}, map points {_ms(console['points'])}")
    print()
    print("| label-issue search on training | wall time (s) | peak memory (MB) | flag precision | flag recall |")
    print("|---|---:|---:|---:|---:|")
    precision, recall = _flag_quality(our_flags, logged.flipped["training"])
    print(f"| dataerrors analyze, all steps (neighbours, map, clusters too) | {ours['seconds']:.1f} | "
          f"{ours['peak_mb']:.0f} | {precision:.3f} | {recall:.3f} |")
    print(f"| dataerrors scoring step alone (DEP, confident learning, metrics) | "
          f"{ours['steps']['score_samples']:.1f} | | | |")
    if peer_flags is None:
        print(f"| cleanlab find_label_issues | {peer['failed']} | | | |")
    else:
        precision, recall = _flag_quality(peer_flags, logged.flipped["training"])
        print(f"| cleanlab find_label_issues | {peer['seconds']:.1f} | {peer['peak_mb']:.0f} | {precision:.3f} | {recall:.3f} |")
        print()
        print(f"Ratios dataerrors / cleanlab: whole analyze time {ours['seconds'] / peer['seconds']:.2f}x, "
              f"scoring step time {ours['steps']['score_samples'] / peer['seconds']:.2f}x, "
              f"peak memory {ours['peak_mb'] / peer['peak_mb']:.2f}x")


if __name__ == "__main__":
    main()
