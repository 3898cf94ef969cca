"""Exact against IVF neighbour search at growing training sizes, to place ``EXACT_MAX_SAMPLES``.

For each size N, finds the 10 nearest neighbours of every training sample (left out of its own
neighbours), as ``dataerrors analyze`` does, once with the exact index and once with the IVF
index that ``plan_index`` would choose above the threshold, and prints both times, the IVF
recall@10 against exact search, and the ratio. Synthetic embeddings from
``bench/synthetic_embeddings.py``.

    PYTHONPATH=src python bench/neighbor_index.py --sizes 10000,20000,50000,100000 --dims 128
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from dataerrors.analysis.neighbors import build_index, plan_index, search_neighbors

BENCH = Path(__file__).resolve().parent
K = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,20000,50000,100000")
    parser.add_argument("--dims", type=int, default=128)
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    from synthetic_embeddings import EmbeddingGenerator

    generator = EmbeddingGenerator(args.dims, seed=0)
    rows = []
    print(f"{'N':>8} {'exact s':>8} {'ivf s':>7} {'lists':>6} {'probe':>6} {'recall@10':>10} {'speed-up':>9}")
    for size in [int(value) for value in args.sizes.split(",")]:
        train, _ = generator.draw(size, unseen=False, seed=size)
        own = np.arange(size)
        timings = {}
        found = {}
        for name, plan in (("exact", plan_index(size, args.dims, exact_max_samples=size)),
                           ("ivf", plan_index(size, args.dims, exact_max_samples=1))):
            started = time.perf_counter()
            index = build_index(train, plan)
            found[name] = search_neighbors(index, train, K, self_positions=own)
            timings[name] = time.perf_counter() - started
        recall = float(np.mean([len(set(a) & set(b)) / K
                                for a, b in zip(found["ivf"].rows, found["exact"].rows)]))
        ivf_plan = plan_index(size, args.dims, exact_max_samples=1)
        rows.append({"n_samples": size, "exact_s": timings["exact"], "ivf_s": timings["ivf"],
                     "n_lists": ivf_plan.n_lists, "n_probe": ivf_plan.n_probe, "recall_at_10": recall})
        print(f"{size:>8} {timings['exact']:>8.1f} {timings['ivf']:>7.1f} {ivf_plan.n_lists:>6} "
              f"{ivf_plan.n_probe:>6} {recall:>10.4f} {timings['exact'] / timings['ivf']:>8.1f}x")
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "neighbor_index.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
