"""The PyTorch helpers: ids travel with shuffled and weighted batches, embeddings are captured."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler  # noqa: E402

from dataerrors.errors import InvalidInputError  # noqa: E402
from dataerrors.integrations.torch import EmbeddingCapture, IndexedDataset  # noqa: E402


def _dataset(n: int = 50) -> TensorDataset:
    features = torch.arange(n, dtype=torch.float32).unsqueeze(1).repeat(1, 3)
    return TensorDataset(features, torch.arange(n) % 2)


@pytest.mark.parametrize("sampler_kind", ["shuffle", "weighted"])
def test_ids_follow_samples(sampler_kind: str) -> None:
    dataset = IndexedDataset(_dataset(), ids=[f"s{i}" for i in range(50)])
    if sampler_kind == "shuffle":
        loader = DataLoader(dataset, batch_size=7, shuffle=True)
    else:
        sampler = WeightedRandomSampler(torch.linspace(0.1, 1.0, 50), num_samples=80)
        loader = DataLoader(dataset, batch_size=7, sampler=sampler)
    for features, _, ids in loader:
        assert [f"s{int(value)}" for value in features[:, 0]] == list(ids)


def test_ids_length_mismatch() -> None:
    with pytest.raises(InvalidInputError, match="ids has 3 items but the dataset has 50"):
        IndexedDataset(_dataset(), ids=[1, 2, 3])


def test_embedding_capture_last_linear() -> None:
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    inputs = torch.randn(4, 3)
    with EmbeddingCapture(model) as capture:
        model(inputs)
        expected = torch.relu(model[0](inputs))
        assert torch.allclose(capture.embeddings, expected)
        assert not capture.embeddings.requires_grad
    capture.embeddings = None
    model(inputs)
    assert capture.embeddings is None


def test_embedding_capture_named_layer() -> None:
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    with EmbeddingCapture(model, layer="1") as capture:
        model(torch.randn(2, 3))
    assert capture.embeddings.shape == (2, 8)


def test_embedding_capture_unknown_layer() -> None:
    with pytest.raises(InvalidInputError, match="layer='head' is not a module"):
        EmbeddingCapture(nn.Sequential(nn.Linear(3, 2)), layer="head")
