"""Out-of-coverage scoring at growing training sizes: dataerrors against cleanlab's OutOfDistribution.

For each training size N, both methods get the same embeddings: N training embeddings and
``--queries`` query embeddings, half drawn like the training data and half from classes never
seen in training (``bench/synthetic_embeddings.py``; with ``--mnist-run`` also the real
embeddings of an MNIST demo run, MNIST test against Fashion-MNIST). Each method runs in its own
process, so its peak resident memory is its own.

- dataerrors: builds the neighbour index (``dataerrors.analysis.neighbors``), finds the 10
  nearest neighbours of every training sample with the sample left out (what ``analyze`` does;
  it calibrates the threshold), then scores the queries by the distance to the 10th nearest
  training sample. It reads float16 embeddings chunk by chunk from a memory-mapped file, as the
  pipeline reads them from the run folder.
- cleanlab 2.9 ``OutOfDistribution``: ``fit`` on the training embeddings (exact neighbours,
  scikit-learn, cosine) and ``score`` on the queries, on float32 arrays in memory.

Prints time, peak memory and AUROC (queries from unseen classes against the rest) side by side,
with the ratios. A peer run longer than ``--peer-timeout`` seconds is stopped and reported as not
finished. Results go to coverage.json in ``--results`` (default bench/results/), and the
generated embeddings are cached there under coverage-data/.

    PYTHONPATH=src python bench/coverage.py --sizes 20000,100000,1000000
    PYTHONPATH=src python bench/coverage.py --sizes 2000 --queries 1000   # quick check
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
K = 10
FLAG_SHARE = 0.05
CHUNK_ROWS = 65536


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000,1000000",
                        help="Comma-separated training sizes (synthetic embeddings).")
    parser.add_argument("--dims", type=int, default=512, help="Width of the synthetic embeddings.")
    parser.add_argument("--queries", type=int, default=50000, help="Query embeddings scored per size.")
    parser.add_argument("--peer-timeout", type=float, default=1200.0,
                        help="Seconds after which a cleanlab run is stopped.")
    parser.add_argument("--mnist-run", type=Path, default=None,
                        help="Folder of an analyzed `dataerrors demo --fashion-inference` run; adds "
                             "a row with its real MNIST and Fashion-MNIST embeddings.")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="Folder for coverage.json and the cached embeddings.")
    parser.add_argument("--worker", choices=["dataerrors", "cleanlab"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = WORKERS[args.worker](args.data)
        result["peak_rss_bytes"] = _peak_rss_bytes()
        print(json.dumps(result))
        return

    data = args.results / "coverage-data"
    cases = []
    if args.mnist_run is not None:
        cases.append(("mnist-demo", lambda: _export_run(args.mnist_run, data)))
    for size in [int(value) for value in args.sizes.split(",") if value]:
        cases.append((f"synthetic-{size}",
                      lambda size=size: _synthetic(size, args.dims, args.queries, data)))

    rows = []
    print(_header(), flush=True)
    for name, prepare in cases:
        folder = prepare()
        ours = _run_worker("dataerrors", folder, timeout=None)
        peer = _run_worker("cleanlab", folder, timeout=args.peer_timeout)
        row = {"case": name, **_shape(folder), "dataerrors": ours, "cleanlab": peer}
        rows.append(row)
        print(_format(row), flush=True)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "coverage.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                                        "rows": rows}, indent=2))


# ----------------------------------------------------------------------------- data


def _synthetic(n_train: int, n_dims: int, n_queries: int, data: Path) -> Path:
    sys.path.insert(0, str(BENCH))
    from synthetic_embeddings import EmbeddingGenerator

    folder = data / f"synthetic-{n_train}-{n_dims}-{n_queries}"
    if (folder / "done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    generator = EmbeddingGenerator(n_dims, seed=0)
    train = np.lib.format.open_memmap(folder / "train.npy", "w+", np.float16, (n_train, n_dims))
    for start in range(0, n_train, 200_000):
        stop = min(start + 200_000, n_train)
        train[start:stop] = generator.draw(stop - start, unseen=False, seed=start)[0]
    train.flush()
    del train
    inside = generator.draw(n_queries - n_queries // 2, unseen=False, seed=1_000_000_001)[0]
    outside = generator.draw(n_queries // 2, unseen=True, seed=1_000_000_002)[0]
    np.save(folder / "queries.npy", np.r_[inside, outside].astype(np.float16))
    np.save(folder / "is_outside.npy", np.r_[np.zeros(len(inside), bool), np.ones(len(outside), bool)])
    (folder / "done").write_text("")
    return folder


def _export_run(run_folder: Path, data: Path) -> Path:
    from dataerrors.run import open_run
    from dataerrors.store import reader
    from dataerrors.store.tables import vectors_to_numpy

    run = open_run(run_folder)
    folder = data / "mnist-demo"
    folder.mkdir(parents=True, exist_ok=True)

    def embeddings(split: str) -> np.ndarray:
        epoch = run.epochs(split)[-1]
        chunks = [vectors_to_numpy(batch.column("embeddings"))
                  for batch in reader.iter_vectors(run.layout, split, epoch, ["embeddings"])]
        return np.concatenate(chunks).astype(np.float16)

    inside, outside = embeddings("test"), embeddings("inference")
    np.save(folder / "train.npy", embeddings("training"))
    np.save(folder / "queries.npy", np.r_[inside, outside])
    np.save(folder / "is_outside.npy", np.r_[np.zeros(len(inside), bool), np.ones(len(outside), bool)])
    return folder


def _shape(folder: Path) -> dict[str, int]:
    train = np.load(folder / "train.npy", mmap_mode="r")
    return {"n_train": int(train.shape[0]), "n_dims": int(train.shape[1]),
            "n_queries": int(np.load(folder / "is_outside.npy").shape[0])}


# ----------------------------------------------------------------------------- workers


def _dataerrors_worker(folder: Path) -> dict[str, object]:
    from dataerrors.analysis.coverage import coverage_distance, coverage_threshold
    from dataerrors.analysis.neighbors import (
        plan_index,
        sample_rows,
        search_neighbors,
        train_index,
    )

    train = np.load(folder / "train.npy", mmap_mode="r")
    queries = np.load(folder / "queries.npy")
    is_outside = np.load(folder / "is_outside.npy")
    n_train, n_dims = train.shape

    started = time.perf_counter()
    plan = plan_index(n_train, n_dims)
    sample = None
    if plan.needs_training:
        sample = np.asarray(train[sample_rows(n_train, plan.n_training_rows, 0)], dtype=np.float32)
    index = train_index(plan, sample, seed=0)
    del sample
    for start in range(0, n_train, CHUNK_ROWS):
        index.add(np.asarray(train[start : start + CHUNK_ROWS], dtype=np.float32))
    build = time.perf_counter() - started

    started = time.perf_counter()
    reference = np.empty(n_train, dtype=np.float32)
    for start in range(0, n_train, CHUNK_ROWS):
        chunk = np.asarray(train[start : start + CHUNK_ROWS], dtype=np.float32)
        own = np.arange(start, start + chunk.shape[0])
        found = search_neighbors(index, chunk, K, self_positions=own)
        reference[start : start + chunk.shape[0]] = coverage_distance(found.distances, K)
    threshold = coverage_threshold(reference, FLAG_SHARE)
    training_neighbors = time.perf_counter() - started

    started = time.perf_counter()
    distances = coverage_distance(search_neighbors(index, queries.astype(np.float32), K).distances, K)
    score = time.perf_counter() - started
    flagged = distances > threshold
    return {
        "index": plan.describe(),
        "build_s": build,
        "training_neighbors_s": training_neighbors,
        "score_s": score,
        "auroc": _auroc(is_outside, distances),
        "flag_rate_inside": float(flagged[~is_outside].mean()),
        "flag_rate_outside": float(flagged[is_outside].mean()),
    }


def _cleanlab_worker(folder: Path) -> dict[str, object]:
    from cleanlab.outlier import OutOfDistribution

    train = np.load(folder / "train.npy").astype(np.float32)
    queries = np.load(folder / "queries.npy").astype(np.float32)
    is_outside = np.load(folder / "is_outside.npy")
    detector = OutOfDistribution(params={"k": K})
    started = time.perf_counter()
    detector.fit(features=train, verbose=False)
    fit = time.perf_counter() - started
    started = time.perf_counter()
    scores = detector.score(features=queries)
    score = time.perf_counter() - started
    # cleanlab scores are in [0, 1] with lower meaning less typical.
    return {"fit_s": fit, "score_s": score, "auroc": _auroc(is_outside, -scores)}


WORKERS = {"dataerrors": _dataerrors_worker, "cleanlab": _cleanlab_worker}


def _peak_rss_bytes() -> int:
    # VmHWM belongs to this process image: unlike ru_maxrss, it does not carry over the peak of
    # the parent process across fork and exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _auroc(is_outside: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(is_outside, scores))


def _run_worker(name: str, folder: Path, timeout: float | None) -> dict[str, object]:
    command = [sys.executable, __file__, "--worker", name, "--data", str(folder)]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"}, check=False)
    except subprocess.TimeoutExpired:
        return {"finished": False, "timeout_s": timeout}
    if done.returncode != 0:
        return {"finished": False, "error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["finished"] = True
    result["wall_s"] = time.perf_counter() - started
    return result


# ----------------------------------------------------------------------------- report


def _header() -> str:
    return (f"{'case':<20} {'N':>8} {'d':>4} | {'ours: build':>11} {'train nn':>9} {'score':>7} "
            f"{'total':>7} {'peak GB':>7} {'AUROC':>6} {'flag in/out':>12} | {'cleanlab: fit':>13} "
            f"{'score':>7} {'total':>7} {'peak GB':>7} {'AUROC':>6} | {'time ratio':>10} {'mem ratio':>9}")


def _format(row: dict[str, object]) -> str:
    ours, peer = row["dataerrors"], row["cleanlab"]
    assert isinstance(ours, dict) and isinstance(peer, dict)
    text = f"{row['case']:<20} {row['n_train']:>8} {row['n_dims']:>4} | "
    if ours.get("finished"):
        ours_total = ours["build_s"] + ours["training_neighbors_s"] + ours["score_s"]
        text += (f"{ours['build_s']:>11.1f} {ours['training_neighbors_s']:>9.1f} {ours['score_s']:>7.1f} "
                 f"{ours_total:>7.1f} {ours['peak_rss_bytes'] / 1e9:>7.2f} {ours['auroc']:>6.4f} "
                 f"{ours['flag_rate_inside']:>5.3f}/{ours['flag_rate_outside']:<6.3f} | ")
    else:
        text += f"{'failed: ' + str(ours.get('error')):>65} | "
    if peer.get("finished"):
        peer_total = peer["fit_s"] + peer["score_s"]
        text += (f"{peer['fit_s']:>13.1f} {peer['score_s']:>7.1f} {peer_total:>7.1f} "
                 f"{peer['peak_rss_bytes'] / 1e9:>7.2f} {peer['auroc']:>6.4f} | ")
        if ours.get("finished"):
            text += (f"{peer_total / ours_total:>9.1f}x "
                     f"{peer['peak_rss_bytes'] / ours['peak_rss_bytes']:>8.2f}x")
    elif "timeout_s" in peer:
        text += f"{'did not finish in ' + format(peer['timeout_s'], '.0f') + ' s':>47} |"
    else:
        text += f"{'failed: ' + str(peer.get('error')):>47} |"
    return text


if __name__ == "__main__":
    main()
