"""The ground truths of the label-quality benchmark, each with dataerrors' scores and the inputs
cleanlab needs.

Five cases; all but ``mnist-memorize`` hold human-confirmed label errors:

- ``mnist-published``, ``cifar10-published``: the published out-of-sample probabilities of the
  MNIST and CIFAR-10 test sets, scored by :func:`dataerrors.rank_label_errors` (one set of
  probabilities, no embeddings).
- ``mnist-demo``: the test split of the MNIST demo run (``dataerrors demo``), 3 epochs of a small
  CNN, scored by the run's own analysis.
- ``mnist-memorize``: 4,000 MNIST training images with synthetic label changes, in-sample
  outputs of a model trained long enough to memorise them (:mod:`bench.mnist_memorize`).
- ``cifar10-finetune``: 1,120 CIFAR-10 test images, EfficientNet-Lite0 fine-tuned by k-fold and
  logged every epoch (:mod:`bench.cifar_finetune`), scored by the run's own analysis, once per
  seed because 19 confirmed errors make one run's figures noisy. Its ``cifar10h`` variant takes
  as errors the images whose CIFAR-10H majority vote (about 50 people each) differs from the
  given label.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

import dataerrors
from dataerrors.store import reader
from dataerrors.store.tables import vectors_to_numpy

from .ground_truth import (
    ConfirmedErrors,
    confirmed_errors,
    published_predictions,
    reference_data_folder,
)

logger = logging.getLogger(__name__)

#: dataerrors columns each case provides, one row per sample.
SCORE_COLUMNS = ("dep", "aum", "margin", "neighbor_disagreement", "is_likely_mislabeled", "predicted", "neighbor_label")
_DISPLAY_NAMES = {"mnist": "MNIST", "cifar10": "CIFAR-10"}


@dataclass(frozen=True)
class Case:
    """One ground truth: labels, dataerrors' scores, cleanlab's inputs and the confirmed errors.

    ``probs`` are the out-of-sample probabilities cleanlab gets (the last epoch where there are
    several); ``mean_probs`` their mean over epochs where every epoch's vectors were kept.
    """

    name: str
    dataset: str
    description: str
    labels: np.ndarray
    probs: np.ndarray
    scores: pd.DataFrame
    estimated_errors: float
    truth: ConfirmedErrors
    mean_probs: np.ndarray | None = None


def published_case(dataset: str) -> Case:
    """Score the published probabilities of ``dataset`` ("mnist" or "cifar10")."""
    labels, probs = published_predictions(dataset)
    frame = dataerrors.rank_label_errors(labels, probs)
    return Case(
        name=f"{dataset}-published",
        dataset=f"{dataset}-published",
        description=(
            f"{_DISPLAY_NAMES[dataset]} test set, 10,000 samples: published cross-validated "
            "probabilities, one set, no embeddings"
        ),
        labels=labels,
        probs=probs,
        scores=frame.loc[:, list(SCORE_COLUMNS)].reset_index(drop=True),
        estimated_errors=float(frame.attrs["estimated_label_errors"]),
        truth=confirmed_errors(dataset, labels.shape[0]),
    )


def mnist_demo_case(results: Path, report: Callable[[str], None] = logger.info) -> Case:
    """Score the test split of the MNIST demo run, training it first if it is not cached."""
    from dataerrors.demos.mnist import run_mnist_demo

    folder = results / "runs" / "mnist" / "mnist-cnn"
    if (folder / "run.json").exists() and dataerrors.open_run(folder).status in (
        "finished", "analyzed",
    ):
        report(f"mnist-demo: reusing the logged run {folder}")
        run = dataerrors.open_run(folder)
        run.analyze()
    else:
        report("mnist-demo: training the demo CNN (3 epochs on 60,000 images)")
        run = run_mnist_demo(results / "runs", report=report, progress=False).run
    return _run_case(
        run, "test", "mnist-demo", "mnist-demo",
        "MNIST test set, 10,000 samples: the demo's small CNN, 3 epochs, 128-d embeddings",
        confirmed_errors("mnist", 10_000),
    )


def cifar10_finetune_cases(
    results: Path, seeds: Sequence[int], report: Callable[[str], None] = logger.info
) -> list[Case]:
    """Score one k-fold EfficientNet-Lite0 run per seed, against the crowd-confirmed errors and
    against CIFAR-10H."""
    from .cifar_finetune import EPOCHS, N_FOLDS, finetuned_run

    counts = np.load(reference_data_folder() / "cifar10-subset" / "cifar10h-counts.npy")
    cases = []
    for seed in seeds:
        run = finetuned_run(results, seed=seed, report=report)
        description = (
            f"1,120 CIFAR-10 test images: EfficientNet-Lite0 fine-tuned by {N_FOLDS}-fold "
            f"cross-fitting, {EPOCHS} epochs, 1280-d embeddings, seed {seed}"
        )
        case = _run_case(run, "training", f"cifar10-finetune seed {seed}", "cifar10-finetune",
                         description, confirmed_errors("cifar10", 10_000))
        ids = run.samples("training")["id"].to_numpy()
        disagrees = counts[ids].argmax(axis=1) != case.labels
        cifar10h = ConfirmedErrors(is_error=disagrees, is_candidate=np.ones_like(disagrees))
        variant = replace(
            case,
            name=f"cifar10-finetune-cifar10h seed {seed}",
            dataset="cifar10-finetune-cifar10h",
            description=description + "; errors: the CIFAR-10H majority differs from the label",
            truth=cifar10h,
        )
        cases += [case, variant]
    return cases


def mnist_memorize_case(results: Path, report: Callable[[str], None] = logger.info) -> Case:
    """Score the in-sample run with synthetic label changes (:mod:`bench.mnist_memorize`)."""
    from .mnist_memorize import EPOCHS, FLIP_RATE, N_SAMPLES, memorize_run

    run, changed = memorize_run(results, report=report)
    description = (
        f"{N_SAMPLES:,} MNIST training images with {100 * FLIP_RATE:.0f}% of labels changed at "
        f"random (synthetic errors): the demo CNN, {EPOCHS} epochs, in-sample outputs, 128-d "
        "embeddings; cleanlab gets in-sample probabilities"
    )
    truth = ConfirmedErrors(is_error=changed, is_candidate=changed)
    return _run_case(run, "training", "mnist-memorize", "mnist-memorize", description, truth)


def _run_case(
    run: dataerrors.Run, split: str, name: str, dataset: str, description: str,
    truth: ConfirmedErrors,
) -> Case:
    """Build a case from an analyzed run; ``truth`` is indexed by sample id."""
    samples = run.samples(split)
    ids = samples["id"].to_numpy()
    epochs = run.epochs(split)
    probs = _epoch_probs(run, split, epochs[-1], ids)
    with_vectors = [e for e in epochs if reader.has_vectors(run.layout, split, e)]
    mean_probs = None
    if len(with_vectors) == len(epochs) > 1:
        mean_probs = np.mean([_epoch_probs(run, split, e, ids) for e in epochs], axis=0)
    summary = run.summary()["splits"][split]
    return Case(
        name=name,
        dataset=dataset,
        description=description,
        labels=samples["label"].to_numpy().astype(np.int64),
        probs=probs,
        scores=samples.loc[:, list(SCORE_COLUMNS)].reset_index(drop=True),
        estimated_errors=float(summary["estimated_label_errors"]),
        truth=ConfirmedErrors(truth.is_error[ids], truth.is_candidate[ids]),
        mean_probs=mean_probs,
    )


def _epoch_probs(run: dataerrors.Run, split: str, epoch: int, ids: np.ndarray) -> np.ndarray:
    """Return the stored probability vectors of one epoch, in the order of ``ids``."""
    found_ids, parts = [], []
    for batch in reader.iter_vectors(run.layout, split, epoch, ["id", "probs"]):
        found_ids.append(batch.column("id").to_numpy())
        parts.append(vectors_to_numpy(batch.column("probs"), np.float64))
    stored_ids = np.concatenate(found_ids)
    probs = np.concatenate(parts)
    order = np.argsort(stored_ids)
    rows = order[np.searchsorted(stored_ids[order], ids)]
    probs = probs[rows]
    return probs / probs.sum(axis=1, keepdims=True)  # float16 storage drifts from 1
