"""The workers setting: validated before anything is stored, same results at any thread count."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import dataerrors
from dataerrors.cli import main
from dataerrors.errors import InvalidInputError
from dataerrors.pipeline.workers import check_workers, thread_limit


def logged_run(root, name: str = "workers"):
    rng = np.random.default_rng(0)
    true = np.arange(400) % 4
    labels = true.copy()
    labels[:20] = (true[:20] + 1) % 4
    features = rng.normal(0, 4, (4, 8))[true] + rng.normal(0, 1, (400, 8))
    run = dataerrors.init("project", name, ["a", "b", "c", "d"], root=root)
    run.log_samples("training", np.arange(400), labels)
    for epoch in range(2):
        logits = 3.0 * np.eye(4)[true] + rng.normal(0, 1, (400, 4))
        run.log_outputs("training", epoch, np.arange(400), logits=logits, embeddings=features)
    return run


@pytest.mark.parametrize("value", [0, -2, 1.5, "2", True])
def test_check_workers_rejects_invalid(value):
    with pytest.raises(InvalidInputError, match=rf"workers={value!r} is invalid; pass an integer >= 1"):
        check_workers(value)


def test_check_workers_default_core_count():
    assert check_workers(None) >= 1
    assert check_workers(3) == 3


def test_thread_limit_restores_settings():
    import faiss
    import pyarrow as pa

    before = (faiss.omp_get_max_threads(), pa.cpu_count())
    with thread_limit(1):
        assert faiss.omp_get_max_threads() == 1
        assert pa.cpu_count() == 1
    assert (faiss.omp_get_max_threads(), pa.cpu_count()) == before


def test_thread_counts_give_same_scores(root):
    run = logged_run(root)
    run.finish(analyze=False, progress=False)
    one = run.analyze(workers=1)
    first = run.samples("training")[["id", "dep", "training_neighbor_disagreement"]]
    two = run.analyze(workers=2)
    second = run.samples("training")[["id", "dep", "training_neighbor_disagreement"]]
    assert (one["workers"], two["workers"]) == (1, 2)
    np.testing.assert_allclose(first["dep"], second["dep"], rtol=1e-6)
    np.testing.assert_allclose(first["training_neighbor_disagreement"],
                               second["training_neighbor_disagreement"])


def test_bad_workers_keep_run_logging(root):
    run = logged_run(root)
    with pytest.raises(InvalidInputError, match="workers=0 is invalid"):
        run.finish(progress=False, workers=0)
    manifest = json.loads((run.folder / "run.json").read_text())
    assert manifest["status"] == "logging"
    run.finish(progress=False, workers=1)
    assert run.summary()["workers"] == 1


def test_cli_workers_option(root):
    run = logged_run(root)
    run.finish(analyze=False, progress=False)
    runner = CliRunner()
    bad = runner.invoke(main, ["analyze", str(run.folder), "--workers", "0", "--quiet"])
    assert bad.exit_code == 2
    assert "--workers" in bad.output
    assert "0 is not in the range x>=1" in bad.output
    good = runner.invoke(main, ["analyze", str(run.folder), "--workers", "1", "--quiet"])
    assert good.exit_code == 0, good.output
    assert run.summary()["workers"] == 1
