"""The MNIST demo: train a small CNN on the CPU, log every epoch, analyze, report.

Sample ids are each image's index in its MNIST file (training 0-59999, test 0-9999), so results
can be checked against published lists of label errors.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..run import Run, init
from .mnist_data import (
    CLASS_NAMES,
    CONFIRMED_TEST_ERRORS,
    FASHION_CLASS_NAMES,
    load_fashion_mnist,
    load_mnist,
)

logger = logging.getLogger(__name__)


@dataclass
class DemoResult:
    """Result of the demo: the run and how it did against the confirmed test errors."""

    run: Run
    confirmed_in_top_100: int
    n_confirmed: int
    test_accuracy: float
    seconds: float


def run_mnist_demo(
    root: str | Path,
    epochs: int = 3,
    n_train: int | None = None,
    n_test: int | None = None,
    batch_size: int = 128,
    seed: int = 0,
    run_name: str = "mnist-cnn",
    report: Callable[[str], None] = logger.info,
    progress: bool = True,
    fashion_inference: bool = False,
    final_training_pass: bool | None = None,
) -> DemoResult:
    """Train a small CNN on MNIST while logging to a dataerrors run, then analyze it.

    Parameters
    ----------
    root : path
        Runs root; the run goes to ``<root>/mnist/<run_name>`` (replaced if it exists).
    epochs : int
        Training epochs; the test split is evaluated after each.
    n_train, n_test : int, optional
        Use only the first n images of each file (for quick tests). Default: all 60000 / 10000.
    fashion_inference : bool, default False
        After training, also log the Fashion-MNIST test images (the first ``n_test``) as the
        "inference" split with the trained model's outputs and embeddings. They lie outside the
        coverage of a digit classifier, so the analysis should flag most of them as out of coverage.
        Needs the Debian package ``dataset-fashion-mnist``.
    final_training_pass : bool, optional
        Log the last epoch's training outputs from an evaluation pass after that epoch's updates,
        instead of from the training steps, so the training embeddings come from the same model
        as the test and inference ones. Out-of-coverage thresholds calibrated on training
        embeddings then flag close to the intended 5% of in-distribution test samples. Default:
        the value of ``fashion_inference``.
    """
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from ..integrations.torch import EmbeddingCapture, IndexedDataset

    started = time.perf_counter()
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    train_images, train_labels = load_mnist("train")
    test_images, test_labels = load_mnist("t10k")
    train_images, train_labels = train_images[:n_train], train_labels[:n_train]
    test_images, test_labels = test_images[:n_test], test_labels[:n_test]
    if fashion_inference:
        fashion_images, fashion_classes = load_fashion_mnist("t10k")
        fashion_images, fashion_classes = fashion_images[:n_test], fashion_classes[:n_test]

    run = init("mnist", run_name, CLASS_NAMES, root=root, mode="overwrite")
    report(f"Logging {len(train_labels)} training and {len(test_labels)} test images to {run.folder}")
    run.log_samples("training", np.arange(len(train_labels)), train_labels, inputs=train_images)
    run.log_samples("test", np.arange(len(test_labels)), test_labels, inputs=test_images)

    def tensors(images: np.ndarray, labels: np.ndarray) -> TensorDataset:
        scaled = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
        return TensorDataset((scaled - 0.1307) / 0.3081, torch.from_numpy(labels.astype(np.int64)))

    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(IndexedDataset(tensors(train_images, train_labels)),
                              batch_size=batch_size, shuffle=True, generator=generator)
    test_loader = DataLoader(IndexedDataset(tensors(test_images, test_labels)), batch_size=1024)
    if final_training_pass is None:
        final_training_pass = fashion_inference

    model = small_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = nn.CrossEntropyLoss()
    test_accuracy = 0.0
    with EmbeddingCapture(model) as capture:
        for epoch in range(epochs):
            model.train()
            log_during_training = not (final_training_pass and epoch == epochs - 1)
            for images, labels, ids in _progress(train_loader, f"epoch {epoch + 1}/{epochs} train", progress):
                logits = model(images)
                loss = loss_function(logits, labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if log_during_training:
                    run.log_outputs("training", epoch, ids, logits=logits, embeddings=capture.embeddings)
            model.eval()
            if not log_during_training:
                _log_evaluation(run, "training", epoch, model, capture,
                                tensors(train_images, train_labels))
            correct = 0
            with torch.no_grad():
                for images, labels, ids in test_loader:
                    logits = model(images)
                    correct += int((logits.argmax(1) == labels).sum())
                    run.log_outputs("test", epoch, ids, logits=logits, embeddings=capture.embeddings)
            test_accuracy = correct / len(test_labels)
            report(f"epoch {epoch + 1}/{epochs}: test accuracy {test_accuracy:.4f}")
        if fashion_inference:
            report(f"Logging {len(fashion_classes)} Fashion-MNIST images as the inference split")
            fashion_names = np.array(FASHION_CLASS_NAMES)[fashion_classes]
            run.log_samples("inference", np.arange(len(fashion_classes)), inputs=fashion_images,
                            metadata={"source": np.full(len(fashion_classes), "fashion-mnist"),
                                      "fashion_class": fashion_names})
            _log_evaluation(run, "inference", epochs - 1, model, capture,
                            tensors(fashion_images, fashion_classes))

    run.finish(progress=progress)
    test = run.samples("test").sort_values("dep", ascending=False, kind="stable")
    top_100 = set(test["id"].head(100).tolist())
    confirmed = [index for index in CONFIRMED_TEST_ERRORS if index < len(test_labels)]
    found = sum(index in top_100 for index in confirmed)
    return DemoResult(run, found, len(confirmed), test_accuracy, time.perf_counter() - started)


def _log_evaluation(run: Run, split: str, epoch: int, model: "torch.nn.Module",  # noqa: F821
                    capture: object, dataset: object) -> None:
    """Log the outputs and embeddings of ``model`` in evaluation mode on a whole dataset."""
    import torch
    from torch.utils.data import DataLoader

    from ..integrations.torch import IndexedDataset

    loader = DataLoader(IndexedDataset(dataset), batch_size=1024)
    with torch.no_grad():
        for images, _, ids in loader:
            logits = model(images)
            run.log_outputs(split, epoch, ids, logits=logits, embeddings=capture.embeddings)  # type: ignore[attr-defined]


def small_cnn() -> "torch.nn.Module":  # noqa: F821
    """Two convolution blocks and a 128-d penultimate layer; about 99% test accuracy in 3 epochs."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def _progress(loader: object, description: str, enabled: bool) -> object:
    """Wrap ``loader`` in a progress bar on stderr, when stderr is a terminal or a notebook."""
    if not enabled:
        return loader
    from rich.console import Console
    from rich.progress import track

    console = Console(stderr=True)
    if not console.is_terminal and not console.is_jupyter:
        return loader  # a log file would only get blank lines where the bars were
    return track(loader, description=description, transient=True, console=console)
