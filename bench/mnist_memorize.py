"""A run in which the model memorises wrong labels: the in-sample regime that AUM was made for.

4,000 MNIST training images get 3% of their labels changed, each to another class drawn
uniformly at random. The demo's small CNN trains on them for 20 epochs, long enough to fit most
changed labels, while every epoch's in-sample training outputs are logged, as a user logs a
training split. The changed labels are the known errors. They are synthetic, unlike the other
cases, and cleanlab gets in-sample probabilities here, which its documentation advises against:
the case shows what each score does with outputs of a model that memorises.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

import numpy as np

import dataerrors

logger = logging.getLogger(__name__)

N_SAMPLES = 4_000
FLIP_RATE = 0.03
EPOCHS = 20
BATCH_SIZE = 128


def memorize_run(
    results: Path, seed: int = 0, report: Callable[[str], None] = logger.info
) -> tuple[dataerrors.Run, np.ndarray]:
    """Return the analyzed run and the mask of changed labels, training it if it is not cached."""
    from dataerrors.demos.mnist_data import load_mnist

    images, true_labels = load_mnist("train")
    images, true_labels = images[:N_SAMPLES], true_labels[:N_SAMPLES].astype(np.int64)
    rng = np.random.default_rng(seed)
    changed = rng.random(N_SAMPLES) < FLIP_RATE
    labels = true_labels.copy()
    labels[changed] = (labels[changed] + rng.integers(1, 10, int(changed.sum()))) % 10

    folder = results / "runs" / "mnist-memorize" / f"n{N_SAMPLES}-e{EPOCHS}-s{seed}"
    if (folder / "run.json").exists() and dataerrors.open_run(folder).status in (
        "finished", "analyzed",
    ):
        report(f"mnist-memorize: reusing the logged run {folder}")
        run = dataerrors.open_run(folder)
        run.analyze()
        return run, changed
    report(f"mnist-memorize: training the demo CNN for {EPOCHS} epochs on {N_SAMPLES} images")
    run = dataerrors.init("mnist-memorize", folder.name, 10, root=folder.parents[1],
                          mode="overwrite")
    run.log_samples("training", np.arange(N_SAMPLES), labels)
    _train(run, images, labels, seed)
    run.finish(progress=False)
    return run, changed


def _train(run: dataerrors.Run, images: np.ndarray, labels: np.ndarray, seed: int) -> None:
    import torch
    from torch import nn

    from dataerrors.demos.mnist import small_cnn
    from dataerrors.integrations.torch import EmbeddingCapture

    torch.manual_seed(seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rng = np.random.default_rng(seed + 1)
    inputs = torch.from_numpy((images.astype(np.float32) / 255.0 - 0.1307) / 0.3081).unsqueeze(1)
    targets = torch.from_numpy(labels)
    model = small_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    with EmbeddingCapture(model) as capture:
        for epoch in range(EPOCHS):
            order = rng.permutation(N_SAMPLES)
            for start in range(0, N_SAMPLES, BATCH_SIZE):
                batch = order[start : start + BATCH_SIZE]
                logits = model(inputs[batch])
                loss = nn.functional.cross_entropy(logits, targets[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                run.log_outputs("training", epoch, batch, logits=logits,
                                embeddings=capture.embeddings)
