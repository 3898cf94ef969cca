"""Test helpers for the console: a small real MNIST run, and stand-in map and coverage columns.

The analysis pipeline computes the real map (x, y), clusters and coverage columns. Console tests
need runs that have them whatever the pipeline does, so :func:`add_map_columns` writes simple
stand-ins (PCA, k-means, nearest-neighbour distance) into the analysis tables through the store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

import dataerrors
from dataerrors import Run
from dataerrors.store import reader
from dataerrors.store.tables import vectors_to_numpy

N_CLUSTERS = 8
CLASS_NAMES = ["cat", "dog", "bird", "fish"]


def make_synthetic_run(
    root: Path, n_train: int = 120, n_test: int = 40, task: str = "image_classification",
    seed: int = 0, with_embeddings: bool = True,
) -> Run:
    """Log a small run through the public API (2 epochs, logits and embeddings) and analyze it.

    Training ids are 0..n_train-1, test ids 1000..; every tenth training sample gets a wrong
    label that the logits contradict, so it ends with a high DEP. Image runs store 8x8 images,
    text runs a short text per sample.
    """
    rng = np.random.default_rng(seed)
    run = dataerrors.init("project", "run", CLASS_NAMES, root=root, task=task)
    splits = {"training": np.arange(n_train), "test": np.arange(1000, 1000 + n_test)}
    for split, ids in splits.items():
        true_labels = ids % len(CLASS_NAMES)
        labels = true_labels.copy()
        if split == "training":
            labels[::10] = (labels[::10] + 1) % len(CLASS_NAMES)
        if task == "text_classification":
            inputs = [f"a {CLASS_NAMES[label]} sample number {i}" for i, label in zip(ids, true_labels)]
        else:
            inputs = (rng.uniform(0, 255, (ids.shape[0], 8, 8)) * (true_labels[:, None, None] + 1) / 4).astype(np.uint8)
        run.log_samples(split, ids, labels, inputs=inputs, metadata={"source": np.where(ids % 2, "web", "camera")})
        for epoch in range(2):
            logits = rng.normal(0, 0.5, (ids.shape[0], len(CLASS_NAMES)))
            logits[np.arange(ids.shape[0]), true_labels] += 3.0 + epoch
            embeddings = rng.normal(0, 0.3, (ids.shape[0], 6)) + np.eye(len(CLASS_NAMES), 6)[true_labels] * 3
            run.log_outputs(split, epoch, ids, logits=logits,
                            embeddings=embeddings if with_embeddings else None)
    run.finish(progress=False)
    return run


def make_mnist_run(root: Path, n_train: int = 600, n_test: int = 200, epochs: int = 2) -> Run:
    """Train the demo CNN on the first MNIST images and return the analyzed run."""
    from dataerrors.demos.mnist import run_mnist_demo

    result = run_mnist_demo(root, epochs=epochs, n_train=n_train, n_test=n_test, progress=False)
    return result.run


def add_map_columns(run: Run) -> None:
    """Add x, y, cluster, coverage_distance, is_out_of_coverage and neighbor_disagreement."""
    from sklearn.cluster import KMeans
    from sklearn.neighbors import NearestNeighbors

    embeddings = {split: _last_embeddings(run, split) for split in run.splits}
    training = embeddings["training"]
    mean = training.mean(axis=0)
    _, _, components = np.linalg.svd(training - mean, full_matrices=False)
    reduced = {split: (values - mean) @ components[:16].T for split, values in embeddings.items()}
    kmeans = KMeans(N_CLUSTERS, n_init=3, random_state=0).fit(reduced["training"][:, :2])
    training_labels = reader.read_analysis(run.layout, "training", ["label"])["label"].to_numpy()
    neighbours = NearestNeighbors(n_neighbors=11).fit(reduced["training"])
    own_distance = neighbours.kneighbors(reduced["training"], 2)[0][:, 1]
    threshold = float(np.quantile(own_distance, 0.95))
    for split, points in reduced.items():
        table = reader.read_analysis(run.layout, split)
        xy = points[:, :2].astype(np.float32)
        distance_to_center = kmeans.transform(xy).min(axis=1)
        cluster = kmeans.predict(xy).astype(np.int32)
        cluster[distance_to_center > np.quantile(distance_to_center, 0.97)] = -1
        is_training = split == "training"
        distances, indices = neighbours.kneighbors(points, 11 if is_training else 10)
        if is_training:
            distances, indices = distances[:, 1:], indices[:, 1:]
        labels = table["label"].to_numpy()
        disagreement = (training_labels[indices] != labels[:, None]).mean(axis=1)
        coverage = distances[:, 0].astype(np.float32)
        columns = {
            "x": pa.array(xy[:, 0]),
            "y": pa.array(xy[:, 1]),
            "cluster": pa.array(cluster),
            "coverage_distance": pa.array(coverage),
            "is_out_of_coverage": pa.array(coverage > threshold),
            "neighbor_disagreement": pa.array(disagreement.astype(np.float32)),
        }
        for name, values in columns.items():
            if name in table.column_names:
                table = table.drop_columns([name])
            table = table.append_column(name, values)
        reader.write_analysis(run.layout, split, table)


def _last_embeddings(run: Run, split: str) -> np.ndarray:
    epoch = [e for e in run.epochs(split) if reader.has_vectors(run.layout, split, e)][-1]
    ids = reader.read_analysis(run.layout, split, ["id"])["id"].to_numpy()
    parts = list(reader.iter_vectors(run.layout, split, epoch, ["id", "embeddings"]))
    batch_ids = np.concatenate([batch.column("id").to_numpy() for batch in parts])
    values = np.concatenate([vectors_to_numpy(batch.column("embeddings")) for batch in parts])
    order = {sample_id: position for position, sample_id in enumerate(batch_ids.tolist())}
    return values[[order[sample_id] for sample_id in ids.tolist()]]


def drop_analysis_columns(run: Run, names: tuple[str, ...]) -> None:
    """Rewrite a split analysis without ``names``, as an analysis made before they existed."""
    import pyarrow.parquet as pq

    for split in run.splits:
        path = run.layout.analysis(split)
        table = pq.read_table(path)
        pq.write_table(table.drop_columns([name for name in names if name in table.column_names]), path)
