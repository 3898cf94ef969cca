"""Out-of-coverage quality on real data: Fashion-MNIST against MNIST test in an MNIST demo run.

Analyzes (again) a run made by ``dataerrors demo --fashion-inference`` and prints the analysis
time and peak memory, the AUROC of ``coverage_distance`` for Fashion-MNIST (inference split)
against MNIST test, and the share of each split flagged ``is_out_of_coverage``. For comparison
it also prints the AUROC of the Euclidean distance to the 10th nearest training embedding
without normalisation (exact search).

    dataerrors demo --fashion-inference --out runs
    PYTHONPATH=src python bench/mnist_coverage.py runs/mnist/mnist-cnn
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

# Python puts this folder first on sys.path, where bench/coverage.py would shadow the coverage
# package that numba (imported by umap-learn) looks for.
sys.path = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402

import dataerrors  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def auroc(inside: np.ndarray, outside: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    truth = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
    return float(roc_auc_score(truth, np.r_[inside, outside]))


def euclidean_auroc(run: dataerrors.Run, k: int = 10) -> float:
    import faiss

    from dataerrors.store import reader
    from dataerrors.store.tables import vectors_to_numpy

    def embeddings(split: str) -> np.ndarray:
        epoch = run.epochs(split)[-1]
        batches = reader.iter_vectors(run.layout, split, epoch, ["embeddings"])
        return np.concatenate([vectors_to_numpy(batch.column("embeddings")) for batch in batches])

    index = faiss.IndexFlatL2(run.summary()["neighbors"]["n_dims"])
    index.add(np.ascontiguousarray(embeddings("training")))
    inside = index.search(np.ascontiguousarray(embeddings("test")), k)[0][:, -1]
    outside = index.search(np.ascontiguousarray(embeddings("inference")), k)[0][:, -1]
    return auroc(inside, outside)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_folder", type=Path)
    args = parser.parse_args()
    run = dataerrors.open_run(args.run_folder)
    started = time.perf_counter()
    summary = run.analyze(progress=True)
    seconds = time.perf_counter() - started
    test = run.samples("test")
    fashion = run.samples("inference")
    result = {
        "analyze_s": seconds,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "n_training": summary["splits"]["training"]["n_samples"],
        "auroc": auroc(test["coverage_distance"].to_numpy(), fashion["coverage_distance"].to_numpy()),
        "flag_rate_mnist_test": float(test["is_out_of_coverage"].mean()),
        "flag_rate_fashion": float(fashion["is_out_of_coverage"].mean()),
        "threshold": summary["coverage"]["threshold"],
        "euclidean_raw_auroc": euclidean_auroc(run),
        "neighbors": summary["neighbors"],
        "map": summary["map"],
    }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mnist_coverage.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
