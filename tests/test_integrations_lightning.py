"""The Lightning callback on a small MLP trained for two epochs on blobs with flipped labels."""

from __future__ import annotations

import numpy as np
import pytest

L = pytest.importorskip("lightning")
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import dataerrors  # noqa: E402
from dataerrors.errors import InvalidInputError  # noqa: E402
from dataerrors.integrations.lightning import _pop_ids  # noqa: E402
from dataerrors.lightning import DataErrorsCallback  # noqa: E402
from dataerrors.store import reader  # noqa: E402
from dataerrors.store.tables import vectors_to_numpy  # noqa: E402
from dataerrors.torch import IndexedDataset, UnloggedForwardWarning  # noqa: E402


class Classifier(L.LightningModule):
    def __init__(self, call_self: bool = True) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 4))
        self.call_self = call_self

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net(inputs)

    def training_step(self, batch, batch_idx):
        inputs, labels = batch
        logits = self(inputs) if self.call_self else self.net(inputs)
        return nn.functional.cross_entropy(logits, labels)

    def validation_step(self, batch, batch_idx):
        inputs, labels = batch
        self.log("val_loss", nn.functional.cross_entropy(self(inputs), labels))

    def test_step(self, batch, batch_idx):
        inputs, _ = batch
        self(inputs)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=0.01)


def _blobs(n: int, rng: np.random.Generator, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, 4, n)
    return (centers[labels] + rng.normal(0, 1.0, (n, 10))).astype(np.float32), labels


def _loader(features, labels, ids=None, shuffle=False) -> DataLoader:
    dataset = TensorDataset(torch.from_numpy(features), torch.from_numpy(labels))
    return DataLoader(IndexedDataset(dataset, ids=ids), batch_size=32, shuffle=shuffle)


def _trainer(callback: DataErrorsCallback) -> "L.Trainer":
    return L.Trainer(max_epochs=2, callbacks=[callback], logger=False, accelerator="cpu",
                     enable_checkpointing=False, enable_progress_bar=False,
                     enable_model_summary=False)


@pytest.mark.slow
def test_callback_logs_fit_and_test_and_ranks_flips(root) -> None:
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    centers = rng.normal(0, 4.0, (4, 10))
    features, true = _blobs(800, rng, centers)
    given = true.copy()
    flipped = rng.choice(800, 40, replace=False)
    given[flipped] = (given[flipped] + rng.integers(1, 4, 40)) % 4
    validation_features, validation_labels = _blobs(200, rng, centers)
    test_features, test_labels = _blobs(100, rng, centers)
    run = dataerrors.init("blobs", "lightning", ["a", "b", "c", "d"], root=root)
    run.log_samples("training", np.arange(800), given)
    run.log_samples("validation", np.arange(1000, 1200), validation_labels)
    run.log_samples("test", np.arange(2000, 2100), test_labels)

    callback = DataErrorsCallback(run)
    trainer = _trainer(callback)
    model = Classifier()
    trainer.fit(model, _loader(features, given, shuffle=True),
                _loader(validation_features, validation_labels, ids=np.arange(1000, 1200)))
    trainer.test(model, _loader(test_features, test_labels, ids=np.arange(2000, 2100)))
    run.finish(progress=False)

    assert run.epochs("training") == [0, 1]
    assert run.epochs("validation") == [0, 1]  # the sanity check is not logged
    assert run.epochs("test") == [2]  # trainer.current_epoch after fit
    assert not model._forward_hooks  # teardown removed the hooks
    assert run.samples("training")["n_epochs"].eq(2).all()
    assert run.samples("test")["n_epochs"].eq(1).all()
    ranked = run.samples("training").sort_values("dep", ascending=False)["id"]
    assert len(set(ranked.head(40)) & set(flipped.tolist())) >= 32
    batches = list(reader.iter_vectors(run.layout, "training", 1, ["id", "embeddings"]))
    assert sum(batch.num_rows for batch in batches) == 800
    assert vectors_to_numpy(batches[0].column("embeddings")).shape[1] == 32


def test_callback_warns_when_step_skips_forward(root) -> None:
    rng = np.random.default_rng(1)
    features, labels = _blobs(64, rng, rng.normal(0, 4.0, (4, 10)))
    run = dataerrors.init("blobs", "submodule", ["a", "b", "c", "d"], root=root)
    run.log_samples("training", np.arange(64), labels)
    with pytest.warns(UnloggedForwardWarning, match="ran no forward pass of the watched module"):
        _trainer(DataErrorsCallback(run)).fit(Classifier(call_self=False), _loader(features, labels))
    run.flush()
    assert run.epochs("training") == []

    callback = DataErrorsCallback(run, module="net")
    _trainer(callback).fit(Classifier(call_self=False), _loader(features, labels))
    run.flush()
    assert run.epochs("training") == [0, 1]


def test_callback_invalid_arguments(root) -> None:
    with pytest.raises(InvalidInputError, match="run is a str; pass the Run"):
        DataErrorsCallback("run")
    run = dataerrors.init("blobs", "invalid", ["a", "b", "c", "d"], root=root)
    with pytest.raises(InvalidInputError, match="module='head' is not a submodule"):
        DataErrorsCallback(run, module="head").setup(None, Classifier(), "fit")
    with pytest.raises(InvalidInputError, match="the batch is a tuple"):
        _pop_ids((torch.zeros(2), torch.zeros(2)), "id")
    batch = {"inputs": torch.zeros(2), "id": torch.tensor([5, 6])}
    assert _pop_ids(batch, "id").tolist() == [5, 6]
    assert list(batch) == ["inputs"]
