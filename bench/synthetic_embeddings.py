"""Synthetic embeddings shaped like a trained network's penultimate layer, for scale benchmarks.

Each class is a Gaussian cluster in a low-dimensional latent space, mapped to ``n_dims`` through a
fixed random linear map and a ReLU, as the input of a classifier's last linear layer often is.
Out-of-coverage samples come from classes never seen in training.
"""

from __future__ import annotations

import numpy as np

LATENT_DIMS = 48
N_CLASSES = 100
N_UNSEEN_CLASSES = 20
#: Within-class spread relative to the spread of class centres; sets how hard coverage is.
CLASS_SPREAD = 1.2


class EmbeddingGenerator:
    """Draw training, in-distribution and out-of-coverage embeddings from one fixed model."""

    def __init__(self, n_dims: int = 512, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.n_dims = n_dims
        self._centres = rng.normal(0.0, 1.0, (N_CLASSES + N_UNSEEN_CLASSES, LATENT_DIMS))
        self._mixing = rng.normal(0.0, 1.0 / np.sqrt(LATENT_DIMS), (LATENT_DIMS, n_dims))
        self._bias = rng.normal(0.0, 0.3, n_dims)
        self._seed = seed

    def draw(self, n_samples: int, unseen: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``n_samples`` embeddings (float32) and their classes; ``unseen`` = novel classes."""
        rng = np.random.default_rng([self._seed, seed])
        first = N_CLASSES if unseen else 0
        count = N_UNSEEN_CLASSES if unseen else N_CLASSES
        classes = rng.integers(first, first + count, n_samples)
        embeddings = np.empty((n_samples, self.n_dims), dtype=np.float32)
        for start in range(0, n_samples, 65536):
            stop = min(start + 65536, n_samples)
            latent = self._centres[classes[start:stop]]
            latent = latent + rng.normal(0.0, CLASS_SPREAD, latent.shape)
            chunk = np.maximum(latent @ self._mixing + self._bias, 0.0)
            embeddings[start:stop] = chunk + rng.normal(0.0, 0.02, chunk.shape)
        return embeddings, classes
