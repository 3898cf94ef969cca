"""PyTorch Lightning: a ``Callback`` that logs every training, validation and test batch.

::

    from dataerrors.lightning import DataErrorsCallback
    from dataerrors.torch import IndexedDataset

    train_loader = DataLoader(IndexedDataset(train_set), batch_size=64, shuffle=True)
    trainer = L.Trainer(max_epochs=3, callbacks=[DataErrorsCallback(run)])
    trainer.fit(model, train_loader, val_loader)

The loaders' datasets are wrapped in :class:`~dataerrors.integrations.torch.IndexedDataset`, so
every batch ends with its sample ids. The callback takes the ids off the batch before the step
runs (``training_step`` still gets ``(inputs, labels)``) and logs the outputs of the module's next
forward pass with them. Split: "training", "validation" (not during the sanity check), "test" and
"inference" (``trainer.predict``); epoch: ``trainer.current_epoch``, which is ``max_epochs`` for a
``trainer.test`` after ``trainer.fit``.

Notes
-----
The ids are removed in place, so the batch must be a list (the default ``collate_fn`` makes one
of tuple items) or a dict with an ``id`` key. A tuple batch raises InvalidInputError. The callback
subclasses the ``lightning`` package's Callback, else ``pytorch_lightning``'s, and was tested with
lightning 2.6 on the CPU.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ..dataset_columns import ID_COLUMN
from ..errors import InvalidInputError
from ..splits import INFERENCE, TEST, TRAINING, VALIDATION
from .torch_watch import UnloggedForwardWarning, Watcher

try:
    from lightning.pytorch import Callback
except ImportError:  # the standalone package
    from pytorch_lightning import Callback

if TYPE_CHECKING:
    from ..run import Run


class DataErrorsCallback(Callback):  # type: ignore[misc]
    """Log the logits and embeddings of every batch of a Lightning run into a dataerrors run.

    Parameters
    ----------
    run : dataerrors.Run
        The run to log into; log the samples of each split before ``trainer.fit``.
    module : str, optional
        Name of the submodule (as in ``pl_module.named_modules()``) whose forward pass returns the
        logits. Default: the LightningModule itself, which suits steps that call ``self(x)``.
    layer : str, optional
        Module whose input is the embedding, named within ``module``. Default: its last
        ``nn.Linear``.
    id_key : str
        Key of the ids in dict batches.
    """

    def __init__(
        self,
        run: "Run",
        module: str | None = None,
        layer: str | None = None,
        id_key: str = ID_COLUMN,
    ) -> None:
        from ..run import Run

        if not isinstance(run, Run):
            raise InvalidInputError(
                f"run is a {type(run).__name__}; pass the Run returned by dataerrors.init()."
            )
        self.run = run
        self.module = module
        self.layer = layer
        self.id_key = id_key
        self.watcher: Watcher | None = None
        self._warned_no_forward = False

    # ----------------------------------------------------------------- Lightning hooks

    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        watched = self._watched_module(pl_module)
        if self.watcher is None or self.watcher.model is not watched or not self.watcher.is_active:
            self.watcher = Watcher(watched, self.run, layer=self.layer)

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if self.watcher is not None:
            self.watcher.remove()
            self.watcher = None

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self._take_ids(trainer, batch, TRAINING)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        self._check_consumed()

    def on_validation_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int,
                                  dataloader_idx: int = 0) -> None:
        self._take_ids(trainer, batch, VALIDATION, log=not trainer.sanity_checking)

    def on_test_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int,
                            dataloader_idx: int = 0) -> None:
        self._take_ids(trainer, batch, TEST)

    def on_predict_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int,
                               dataloader_idx: int = 0) -> None:
        self._take_ids(trainer, batch, INFERENCE)

    # ----------------------------------------------------------------- internals

    def _watched_module(self, pl_module: Any) -> Any:
        if self.module is None:
            return pl_module
        modules = dict(pl_module.named_modules())
        if self.module not in modules:
            raise InvalidInputError(
                f"module={self.module!r} is not a submodule of the LightningModule; choose one "
                f"of {[name for name in modules if name][:20]}."
            )
        return modules[self.module]

    def _take_ids(self, trainer: Any, batch: Any, split: str, log: bool = True) -> None:
        ids = _pop_ids(batch, self.id_key)
        if self.watcher is None:
            return
        if log:
            self.watcher.set_ids(ids, split=split, epoch=trainer.current_epoch)
        else:
            self.watcher.skip_next_forward()

    def _check_consumed(self) -> None:
        if self.watcher is None or not self.watcher.has_pending_ids or self._warned_no_forward:
            return
        self._warned_no_forward = True
        warnings.warn(
            f"training_step ran no forward pass of the watched module "
            f"({type(self.watcher.model).__name__}), so nothing was logged; pass "
            "module='<name of the submodule that returns the logits>' to DataErrorsCallback.",
            UnloggedForwardWarning,
            stacklevel=2,
        )


def _pop_ids(batch: Any, id_key: str) -> Any:
    if isinstance(batch, dict) and id_key in batch:
        return batch.pop(id_key)
    if isinstance(batch, list) and len(batch) >= 2:
        return batch.pop()
    raise InvalidInputError(
        f"the batch is a {type(batch).__name__}; DataErrorsCallback takes the sample ids off a "
        f"list batch (wrap the dataset in IndexedDataset and keep the default collate_fn) or a "
        f"dict batch with an {id_key!r} key."
    )
