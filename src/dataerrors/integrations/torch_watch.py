"""watch(model, run): log a model's logits and embeddings on every forward pass of a batch.

::

    from dataerrors.torch import IndexedDataset, watch

    watcher = watch(model, run)
    train_loader = watcher.track(DataLoader(IndexedDataset(train_set), shuffle=True))
    test_loader = watcher.track(DataLoader(IndexedDataset(test_set)), split="test")
    for epoch in range(n_epochs):
        run.set_epoch(epoch)
        ...  # the training and evaluation loops stay as they are

How a forward pass is joined to its samples: :class:`~dataerrors.integrations.torch.IndexedDataset`
appends the id to every item, so the ids follow any sampler. The tracked loader takes them off
each batch and hands them to the watcher, and the model's next forward pass consumes them. A
forward pass without ids is not logged, so outputs are never joined to the ids of another batch.

Which split and epoch: the tracked loader's ``split``, else ``run.current_split`` (set by
``run.set_split`` or ``with run.split(...)``), else "training" for a model in training mode. The
epoch is ``run.current_epoch``.

A sample drawn more than once in an epoch (``WeightedRandomSampler`` with replacement, the padding
of ``DistributedSampler``) keeps the output of its first draw in that epoch; later draws are
skipped and counted in :attr:`Watcher.n_repeats_skipped`. A sample never drawn in an epoch has no
output for it, and the analysis uses the epochs it has.

Notes
-----
Tensors may be on any device and in float32, float16 or bfloat16; they are copied to the CPU as
float32 per batch. Tests run on the CPU only: CUDA tensors take the same code path but were not
exercised. Models compiled with ``torch.compile`` may be watched before or after compiling.

NOTE: a run folder takes one writing process. Under DistributedDataParallel each rank sees its own
shard of every epoch, so give each rank its own run (or watch on rank 0 only, which logs rank 0's
shard).
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal

import numpy as np
import torch
from torch import nn

from .. import validation
from ..errors import DataErrorsWarning, InvalidInputError, UnknownIdError
from ..splits import TRAINING, check_split
from .torch import EmbeddingCapture, IndexedDataset
from .torch_batches import (
    batch_ids,
    check_batch_size,
    first_occurrences,
    logits_of,
    split_batch,
    take_rows,
)

if TYPE_CHECKING:
    from ..run import Run

logger = logging.getLogger(__name__)

MissingEpoch = Literal["raise", "skip"]
LogitsSelector = Callable[[Any], torch.Tensor]

# The watcher of each watched model. Weak keys: watching never keeps a model alive.
_WATCHERS: "weakref.WeakKeyDictionary[nn.Module, Watcher]" = weakref.WeakKeyDictionary()


class UnloggedForwardWarning(DataErrorsWarning):
    """A watched model's forward pass was not logged: it had no sample ids, or every id of the
    batch already had outputs for the epoch."""


def watch(
    model: nn.Module,
    run: "Run",
    layer: str | None = None,
    logits: LogitsSelector | None = None,
) -> "Watcher":
    """Log the logits and embeddings of ``model`` into ``run`` on every forward pass of a batch.

    Parameters
    ----------
    model : torch.nn.Module
        The classifier, optionally compiled with ``torch.compile``. Watching a model that is
        already watched replaces the earlier watcher.
    run : dataerrors.Run
        The run to log into; its samples must be logged before the first forward pass.
    layer : str, optional
        Name of the module (as in ``model.named_modules()``) whose input is the embedding.
        Default: the input of the model's last ``nn.Linear``.
    logits : callable, optional
        Takes the model's output and returns the logits (batch, n_classes). Default: the output
        itself if it is a tensor, its ``logits`` field or key (Hugging Face outputs), or the
        first tensor of two or more dimensions in a tuple.

    Returns
    -------
    Watcher
        Use :meth:`Watcher.track` to wrap the data loaders, and :func:`unwatch` (or
        :meth:`Watcher.remove`) to take every hook off.
    """
    return Watcher(model, run, layer=layer, logits=logits)


def unwatch(model: nn.Module) -> bool:
    """Remove every hook that :func:`watch` put on ``model``; return False if it was not watched.

    Tracked loaders keep working afterwards: they still take the ids off each batch, and logging
    resumes if the model is watched again.
    """
    _check_module(model)
    watcher = _WATCHERS.pop(model, None)
    if watcher is None:
        return False
    watcher._remove_hooks()
    return True


@dataclass
class _PendingBatch:
    ids: np.ndarray | None  # None: the forward pass is not to be logged
    split: str | None
    epoch: int | None


class Watcher:
    """The hooks that log a model's forward passes; create it with :func:`watch`.

    Parameters beyond those of :func:`watch` serve integrations built on it:

    id_key : str, optional
        A keyword argument of the model's forward that carries the batch's ids. The hook removes
        it before the forward runs. The Hugging Face Trainer passes batches as keyword arguments.
    eval_split : str, optional
        Split for a model in eval mode when neither the batch nor the run names one. Default:
        none, which raises.
    missing_epoch : {"raise", "skip"}
        What to do with a forward pass when no epoch is set.
    """

    def __init__(
        self,
        model: nn.Module,
        run: "Run",
        layer: str | None = None,
        logits: LogitsSelector | None = None,
        id_key: str | None = None,
        eval_split: str | None = None,
        missing_epoch: MissingEpoch = "raise",
    ) -> None:
        from ..run import Run

        _check_module(model)
        if not isinstance(run, Run):
            raise InvalidInputError(
                f"run is a {type(run).__name__}; pass the Run returned by dataerrors.init()."
            )
        if logits is not None and not callable(logits):
            raise InvalidInputError(
                f"logits={logits!r} is not callable; pass a function from the model's output to "
                "its logits, for example logits=lambda output: output[0]."
            )
        if missing_epoch not in ("raise", "skip"):
            raise InvalidInputError(f"missing_epoch={missing_epoch!r} is invalid; use 'raise' or 'skip'.")
        self._model = model
        self._run = run
        self._select_logits = logits or logits_of
        self._id_key = id_key
        self._eval_split = None if eval_split is None else check_split(eval_split, "eval_split")
        self._missing_epoch = missing_epoch
        self._pending: _PendingBatch | None = None
        self._warned_without_ids = False
        self._warned_already_logged = False
        self._warned_without_epoch = False
        #: Outputs not logged because their sample already had one in that epoch or batch.
        self.n_repeats_skipped = 0
        #: Batches logged so far.
        self.n_batches_logged = 0

        capture = EmbeddingCapture(model, layer)
        previous = _WATCHERS.get(model)
        if previous is not None:
            logger.info("model was already watched; replacing its watcher")
            unwatch(model)
        self._capture = capture
        self._handles = [
            model.register_forward_pre_hook(self._before_forward, with_kwargs=True),
            model.register_forward_hook(self._after_forward),
        ]
        _WATCHERS[model] = self

    # ----------------------------------------------------------------- public

    @property
    def model(self) -> nn.Module:
        return self._model

    @property
    def run(self) -> "Run":
        return self._run

    @property
    def is_active(self) -> bool:
        """True until :func:`unwatch` removes this watcher's hooks."""
        return _WATCHERS.get(self._model) is self

    @property
    def has_pending_ids(self) -> bool:
        """True when ids were set and no forward pass of the model has consumed them yet."""
        return self._pending is not None

    def track(self, loader: Any, split: str | None = None) -> "TrackedLoader":
        """Wrap ``loader`` so that each batch's ids reach the model's next forward pass.

        Parameters
        ----------
        loader : DataLoader over an IndexedDataset, or any iterable of batches
            Each batch must end with the batch's sample ids, as collated from an
            :class:`~dataerrors.integrations.torch.IndexedDataset`.
        split : str, optional
            The split of every batch of this loader. Default: ``run.current_split``, else
            "training" for a model in training mode.

        Returns
        -------
        TrackedLoader
            Yields each batch without its ids: ``(inputs, labels)`` as the dataset's items had it.
        """
        return TrackedLoader(loader, self._model, None if split is None else check_split(split))

    def set_ids(self, ids: Any, split: str | None = None, epoch: int | None = None) -> None:
        """Join the model's next forward pass to ``ids`` (batch,), for loops without a tracked loader.

        ``split`` and ``epoch`` override the run's current ones for that forward pass.
        """
        if not self.is_active:
            raise InvalidInputError(
                "this watcher was removed by unwatch(); call dataerrors.torch.watch(model, run) "
                "again and use the watcher it returns."
            )
        self._pending = _PendingBatch(
            batch_ids(ids),
            None if split is None else check_split(split),
            None if epoch is None else validation.check_epoch(epoch),
        )

    def skip_next_forward(self) -> None:
        """Run the model's next forward pass without logging it and without a warning."""
        self._pending = _PendingBatch(None, None, None)

    def remove(self) -> None:
        """Take this watcher's hooks off the model (the same as ``unwatch(model)``)."""
        if self.is_active:
            unwatch(self._model)

    def __reduce__(self) -> tuple[type, tuple[()]]:
        # torch.save(model) pickles the hooks with the model; they load as hooks that log nothing.
        return _DetachedHooks, ()

    def __deepcopy__(self, memo: dict[int, Any]) -> "Watcher":
        # copy.deepcopy(model) copies the hooks, and the copies share this watcher. Its hooks
        # ignore every module but the watched one, so a copied model (an EMA, say) logs nothing.
        return self

    # ----------------------------------------------------------------- hooks

    def _before_forward(
        self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        if module is not self._model:
            return None
        self._capture.embeddings = None
        if self._id_key is None or self._id_key not in kwargs:
            return None
        kwargs = dict(kwargs)
        self._pending = _PendingBatch(batch_ids(kwargs.pop(self._id_key)), None, None)
        return args, kwargs

    def _after_forward(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if module is not self._model:
            return
        batch, self._pending = self._pending, None
        embeddings, self._capture.embeddings = self._capture.embeddings, None
        if batch is None:
            self._warn_without_ids()
            return
        if batch.ids is None:
            return
        target = self._target(batch, module)
        if target is None:
            return
        logits = self._select_logits(output)
        check_batch_size(logits, "logits", batch.ids)
        if embeddings is not None:
            check_batch_size(embeddings, "embeddings", batch.ids)
        split, epoch = target
        try:
            keep = first_occurrences(batch.ids) & self._run._not_yet_logged(split, epoch, batch.ids)
        except UnknownIdError as error:
            raise UnknownIdError(
                f"{error} IndexedDataset numbers the items 0, 1, 2, ... unless it is given the ids "
                "the samples were logged with: IndexedDataset(dataset, ids=...)."
            ) from error
        self.n_repeats_skipped += int((~keep).sum())
        if not keep.any():
            if split == TRAINING:  # evaluation splits are often evaluated twice per epoch
                self._warn_batch_already_logged(split, epoch, len(batch.ids))
            return
        ids = batch.ids
        if not keep.all():
            ids = ids[keep]
            logits = take_rows(logits, keep)
            embeddings = None if embeddings is None else take_rows(embeddings, keep)
        self._run.log_outputs(split, epoch, ids, logits=logits, embeddings=embeddings)
        self.n_batches_logged += 1

    # ----------------------------------------------------------------- internals

    def _target(self, batch: _PendingBatch, module: nn.Module) -> tuple[str, int] | None:
        split = batch.split or self._run.current_split
        if split is None:
            split = TRAINING if module.training else self._eval_split
        if split is None:
            raise InvalidInputError(
                "the model ran in eval mode but no split is set, so its outputs cannot be "
                "logged; wrap the evaluation loop in `with run.split('test', epoch=epoch):` or "
                "pass split='test' to watcher.track(loader)."
            )
        epoch = batch.epoch if batch.epoch is not None else self._run.current_epoch
        if epoch is not None:
            return split, epoch
        if self._missing_epoch == "skip":
            if not self._warned_without_epoch:
                logger.info("no epoch is set; forward passes are not logged until one is")
                self._warned_without_epoch = True
            return None
        raise InvalidInputError(
            f"no epoch is set for the outputs of split {split!r}; call run.set_epoch(epoch) at "
            "the start of each epoch, or use `with run.split(split, epoch=epoch):`."
        )

    def _warn_batch_already_logged(self, split: str, epoch: int, n_ids: int) -> None:
        if self._warned_already_logged:
            return
        self._warned_already_logged = True
        warnings.warn(
            f"every one of the {n_ids} ids of a batch already has outputs for epoch {epoch} of "
            f"split {split!r}, so the batch was not logged (shown once): a run keeps a sample's "
            "first output per epoch. To log an evaluation pass after training, call "
            "run.set_epoch(...) with the next epoch number before it.",
            UnloggedForwardWarning,
            stacklevel=_caller_stacklevel(),
        )

    def _warn_without_ids(self) -> None:
        if self._warned_without_ids:
            return
        self._warned_without_ids = True
        warnings.warn(
            "a watched model ran a forward pass without sample ids, so it was not logged (shown "
            "once). With dataerrors.torch, iterate over watcher.track(loader) or call "
            "watcher.set_ids(ids) before each forward pass; a second forward pass on the same "
            "batch is never logged. With the Trainer, give the dataset an 'id' column.",
            UnloggedForwardWarning,
            stacklevel=_caller_stacklevel(),
        )

    def _remove_hooks(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._capture.remove()
        self._pending = None


class _DetachedHooks:
    """The hooks of a watched model that was pickled and loaded again: they log nothing."""

    def _before_forward(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        return None

    def _after_forward(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        return None


class TrackedLoader:
    """Batches of a loader without their ids; the ids go to the watched model's next forward.

    Created by :meth:`Watcher.track`. Attributes of the wrapped loader (``dataset``, ``sampler``,
    ``batch_size``, ...) are available on it, and so is ``len()``.
    """

    def __init__(self, loader: Any, model: nn.Module, split: str | None) -> None:
        dataset = getattr(loader, "dataset", None)
        if isinstance(loader, torch.utils.data.DataLoader) and not isinstance(dataset, IndexedDataset):
            raise InvalidInputError(
                f"loader.dataset is a {type(dataset).__name__}, not an IndexedDataset, so its "
                "batches carry no sample ids; build the loader as "
                "DataLoader(IndexedDataset(dataset), ...), or call watcher.set_ids(ids) yourself."
            )
        self.loader = loader
        self.split = split
        self._model = model

    def __iter__(self) -> Iterator[Any]:
        for batch in self.loader:
            ids, rest = split_batch(batch)
            watcher = _WATCHERS.get(self._model)
            if watcher is not None:
                watcher.set_ids(ids, split=self.split)
            yield rest

    def __len__(self) -> int:
        return len(self.loader)

    def __getattr__(self, name: str) -> Any:
        if name == "loader":
            raise AttributeError(name)
        return getattr(self.loader, name)


def _check_module(model: object) -> None:
    if not isinstance(model, nn.Module):
        raise InvalidInputError(
            f"model is a {type(model).__name__}; pass a torch.nn.Module."
        )


def _caller_stacklevel() -> int:
    """Return the ``warnings.warn`` stacklevel of the first frame outside torch and dataerrors.

    A forward hook runs inside torch's module call, so a fixed stacklevel would point the warning
    at torch's code instead of the caller's ``model(inputs)`` line.
    """
    skipped = (os.path.dirname(torch.__file__), os.path.dirname(os.path.dirname(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(skipped):
        frame, level = frame.f_back, level + 1
    return level
