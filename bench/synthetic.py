"""ImageNet-shaped synthetic runs, logged through the public API in training-sized batches.

The model "learns" a little more each epoch: the true class's logit grows with the epoch while a
share of the given labels is flipped to another class (the injected label errors). Embeddings are
class centres plus noise, so neighbours and clusters have real structure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import dataerrors

IMAGENET_TRAIN = 1_281_167
IMAGENET_VALIDATION = 50_000


@dataclass
class LoggedRun:
    run: dataerrors.Run
    flipped: dict[str, np.ndarray]
    given: dict[str, np.ndarray]
    seconds_in_api: list[float] = field(default_factory=list)
    seconds_waiting: list[float] = field(default_factory=list)
    logging_seconds: float = 0.0
    finish_seconds: float = 0.0


def log_imagenet_like_run(
    root: Path, n_train: int, n_validation: int, n_classes: int = 1000, n_dims: int = 2048,
    epochs: int = 5, error_rate: float = 0.03, batch_size: int = 256, seed: int = 0,
    name: str = "imagenet-like",
) -> LoggedRun:
    """Log a synthetic run and return it with the injected flips and per-batch API times."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 1, (n_classes, n_dims)).astype(np.float32)
    noise_pool = rng.normal(0, 0.8, (8 * batch_size, n_dims)).astype(np.float32)
    logit_pool = rng.normal(0, 1.5, (8 * batch_size, n_classes)).astype(np.float32)
    run = dataerrors.init("bench", name, n_classes, root=root, mode="overwrite")
    sizes = {"training": n_train, "validation": n_validation}
    truth, flipped, given = {}, {}, {}
    for split, n in sizes.items():
        truth[split] = rng.integers(0, n_classes, n)
        labels = truth[split].copy()
        flipped[split] = rng.choice(n, int(error_rate * n), replace=False)
        labels[flipped[split]] = (labels[flipped[split]] + rng.integers(1, n_classes, flipped[split].size)) % n_classes
        given[split] = labels
        run.log_samples(split, np.arange(n), labels)
    logged = LoggedRun(run, flipped, given)
    started = time.perf_counter()
    batch_rows = np.arange(batch_size)
    for epoch in range(epochs):
        for split, n in sizes.items():
            order = rng.permutation(n) if split == "training" else np.arange(n)
            for start in range(0, n, batch_size):
                ids = order[start:start + batch_size]
                offset = int(rng.integers(0, 7 * batch_size))
                logits = logit_pool[offset:offset + ids.size].copy()
                logits[batch_rows[: ids.size], truth[split][ids]] += 2.0 + 1.5 * epoch
                embeddings = centers[truth[split][ids]] + noise_pool[offset:offset + ids.size]
                call = time.perf_counter()
                waited = run.writer_blocked_seconds
                run.log_outputs(split, epoch, ids, logits=logits, embeddings=embeddings)
                logged.seconds_in_api.append(time.perf_counter() - call)
                logged.seconds_waiting.append(run.writer_blocked_seconds - waited)
    logged.logging_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run.finish(analyze=False, progress=False)
    logged.finish_seconds = time.perf_counter() - started
    return logged
