"""Time and peak memory of `analyze` next to cleanlab's `find_label_issues`.

A synthetic run (default 100,000 samples, 100 classes, 5 epochs, 256-d embeddings, 5% injected
label flips) is logged through the public API in batches of 256. Then, each in a fresh process:
dataerrors' analyze on the run folder, and cleanlab's find_label_issues on the same final-epoch
probabilities. Peak memory is the process's maximum resident set size; the size right after imports
is printed beside it.

    .venv/bin/python bench/analyze_speed.py [--samples 100000] [--classes 100] [--epochs 5] [--dims 256]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import dataerrors

MEASURE_ANALYZE = """
import json, resource, sys, time
import dataerrors
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
summary = dataerrors.analyze(sys.argv[1])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run = dataerrors.open_run(sys.argv[1])
flags = run.samples("training")["is_likely_mislabeled"].to_numpy()
import numpy as np
np.save(sys.argv[2], flags)
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "base_mb": base / 1024}))
"""

MEASURE_CLEANLAB = """
import json, resource, sys, time
import numpy as np
from cleanlab.filter import find_label_issues
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
probs = np.load(sys.argv[1]).astype(np.float32)
labels = np.load(sys.argv[2])
issues = find_label_issues(labels, probs, n_jobs=1)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
np.save(sys.argv[3], issues)
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "base_mb": base / 1024}))
"""


def log_synthetic_run(root: Path, n: int, k: int, epochs: int, dims: int, seed: int = 0):
    """Log a run whose model learns the true labels while 5% of given labels are flipped."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    given = true.copy()
    flipped = rng.choice(n, n // 20, replace=False)
    given[flipped] = (given[flipped] + rng.integers(1, k, flipped.size)) % k
    centers = rng.normal(0, 1, (k, dims)).astype(np.float32)
    run = dataerrors.init("bench", f"synthetic-{n}", k, root=root, mode="overwrite")
    run.log_samples("training", np.arange(n), given)
    in_api = 0.0
    batches = 0
    started = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, 256):
            ids = order[start:start + 256]
            logits = rng.normal(0, 1, (ids.size, k)).astype(np.float32)
            logits[np.arange(ids.size), true[ids]] += 1.0 + epoch
            embeddings = centers[true[ids]] + rng.normal(0, 0.5, (ids.size, dims)).astype(np.float32)
            call = time.perf_counter()
            run.log_outputs("training", epoch, ids, logits=logits, embeddings=embeddings)
            in_api += time.perf_counter() - call
            batches += 1
    run.finish(analyze=False, progress=False)
    logging_seconds = time.perf_counter() - started
    return run, given, flipped, {"ms_per_batch": 1000 * in_api / batches,
                                 "logging_seconds": logging_seconds, "batches": batches}


def measure(script: str, *arguments: str) -> dict:
    output = subprocess.run([sys.executable, "-c", script, *arguments], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--dims", type=int, default=256)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        run, given, flipped, logging = log_synthetic_run(
            root, arguments.samples, arguments.classes, arguments.epochs, arguments.dims)
        disk_mb = sum(p.stat().st_size for p in run.folder.rglob("*") if p.is_file()) / 2**20
        ours = measure(MEASURE_ANALYZE, str(run.folder), str(root / "ours.npy"))

        from dataerrors.store import reader
        from dataerrors.store.tables import vectors_to_numpy

        last = run.epochs("training")[-1]
        ids, probs = [], []
        for batch in reader.iter_vectors(run.layout, "training", last, ["id", "probs"]):
            ids.append(batch.column("id").to_numpy())
            probs.append(vectors_to_numpy(batch.column("probs")))
        order = np.argsort(np.concatenate(ids))
        np.save(root / "probs.npy", np.concatenate(probs)[order])
        np.save(root / "labels.npy", given)
        peer = measure(MEASURE_CLEANLAB, str(root / "probs.npy"), str(root / "labels.npy"),
                       str(root / "peer.npy"))

        truth = np.zeros(arguments.samples, bool)
        truth[flipped] = True
        rows = []
        for name, result, flags in (("dataerrors analyze", ours, np.load(root / "ours.npy")),
                                    ("cleanlab find_label_issues", peer, np.load(root / "peer.npy"))):
            precision = (flags & truth).sum() / max(flags.sum(), 1)
            recall = (flags & truth).sum() / truth.sum()
            rows.append((name, result["seconds"], result["peak_mb"], result["base_mb"], precision, recall))

    print(f"Synthetic run: {arguments.samples} samples x {arguments.classes} classes x "
          f"{arguments.epochs} epochs x {arguments.dims}-d embeddings, 5% flipped labels")
    print(f"Logging: {logging['ms_per_batch']:.2f} ms per batch of 256 inside log_outputs, "
          f"{logging['batches']} batches in {logging['logging_seconds']:.1f} s; {disk_mb:.0f} MB on disk")
    print()
    print("| method | wall time (s) | peak memory (MB) | memory after imports (MB) | flag precision | flag recall |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, seconds, peak, base, precision, recall in rows:
        print(f"| {name} | {seconds:.1f} | {peak:.0f} | {base:.0f} | {precision:.3f} | {recall:.3f} |")
    print()
    print(f"Ratios dataerrors / cleanlab: time {rows[0][1] / rows[1][1]:.2f}x, "
          f"peak memory {rows[0][2] / max(rows[1][2], 1):.2f}x "
          "(dataerrors also computes AUM, cartography, metrics and writes the tables)")


if __name__ == "__main__":
    main()
