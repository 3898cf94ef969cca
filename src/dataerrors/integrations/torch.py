"""Minimal PyTorch support: sample ids that travel with batches, and embedding capture.

::

    from dataerrors.torch import IndexedDataset, EmbeddingCapture

    loader = DataLoader(IndexedDataset(train_set), batch_size=256, shuffle=True)
    with EmbeddingCapture(model) as capture:
        for images, labels, ids in loader:
            logits = model(images)
            run.log_outputs("training", epoch, ids, logits=logits, embeddings=capture.embeddings)
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn
from torch.utils.data import Dataset

from ..errors import InvalidInputError


class IndexedDataset(Dataset):  # type: ignore[type-arg]
    """Wrap a map-style dataset so every item also carries its sample id, as the last element.

    Any sampler (shuffled, weighted, distributed) then hands the ids to the training loop with
    the batch, so outputs are never joined to the wrong sample.

    Parameters
    ----------
    dataset : map-style dataset
        Items are tuples (``(input, label)``) or single values.
    ids : sequence of int or str, optional
        The id of each item, in dataset order. Default: the item's index.
    """

    def __init__(self, dataset: Any, ids: Sequence[Any] | None = None) -> None:
        if ids is not None and len(ids) != len(dataset):
            raise InvalidInputError(
                f"ids has {len(ids)} items but the dataset has {len(dataset)}; pass one id per item."
            )
        self.dataset = dataset
        self.ids = ids

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        item = self.dataset[index]
        sample_id = self.ids[index] if self.ids is not None else index
        if isinstance(item, tuple):
            return (*item, sample_id)
        return (item, sample_id)


class EmbeddingCapture:
    """Record the input of a layer (by default the model's last ``nn.Linear``) on each forward.

    After a forward pass, :attr:`embeddings` holds that input, flattened to (batch, n_dims) and
    detached. Use as a context manager, or call :meth:`remove` to take the hook off.
    """

    def __init__(self, model: nn.Module, layer: str | None = None) -> None:
        self.embeddings: torch.Tensor | None = None
        module = _find_layer(model, layer)
        self._handle = module.register_forward_pre_hook(self._record)

    def _record(self, module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        self.embeddings = inputs[0].detach().flatten(start_dim=1)

    def remove(self) -> None:
        self._handle.remove()

    def __enter__(self) -> "EmbeddingCapture":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def _find_layer(model: nn.Module, layer: str | None) -> nn.Module:
    modules = dict(model.named_modules())
    if layer is not None:
        if layer not in modules:
            raise InvalidInputError(
                f"layer={layer!r} is not a module of the model; choose one of "
                f"{[name for name in modules if name][:20]}."
            )
        return modules[layer]
    linear = [module for module in modules.values() if isinstance(module, nn.Linear)]
    if not linear:
        raise InvalidInputError(
            "the model has no nn.Linear layer to take embeddings from; pass layer='<module name>'."
        )
    return linear[-1]
