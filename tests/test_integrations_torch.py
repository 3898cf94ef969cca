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


# ----------------------------------------------------------------------------- watch()

import copy  # noqa: E402
import warnings  # noqa: E402

import dataerrors  # noqa: E402
from dataerrors.store import reader  # noqa: E402
from dataerrors.store.tables import vectors_to_numpy  # noqa: E402
from dataerrors.torch import UnloggedForwardWarning, unwatch, watch  # noqa: E402
from torch.utils.data.distributed import DistributedSampler  # noqa: E402


def _logged_vectors(run: dataerrors.Run, split: str, epoch: int) -> tuple[list, np.ndarray]:
    """Return the ids and embeddings logged for one epoch, in the order they were stored."""
    run.flush()
    ids, embeddings = [], []
    for batch in reader.iter_vectors(run.layout, split, epoch, ["id", "embeddings"]):
        ids.extend(batch.column("id").to_pylist())
        embeddings.append(vectors_to_numpy(batch.column("embeddings")))
    return ids, np.concatenate(embeddings)


def _identity_model() -> nn.Module:
    """The last Linear's input is the input itself, so the logged embedding shows which sample it was."""
    return nn.Sequential(nn.Identity(), nn.Linear(1, 2))


def _id_run(root, n: int, ids=None) -> dataerrors.Run:
    run = dataerrors.init("p", "ids", ["a", "b"], root=root)
    run.log_samples("training", list(range(n)) if ids is None else ids, np.arange(n) % 2)
    return run


def _id_dataset(n: int, ids=None) -> IndexedDataset:
    values = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    return IndexedDataset(TensorDataset(values, torch.arange(n) % 2), ids=ids)


@pytest.mark.parametrize("sampler_kind", ["shuffle", "weighted", "distributed"])
def test_watch_joins_outputs_to_sampled_ids(root, sampler_kind: str) -> None:
    n = 120
    run = _id_run(root, n)
    model = _identity_model()
    watcher = watch(model, run)
    dataset = _id_dataset(n)
    generator = torch.Generator().manual_seed(0)
    if sampler_kind == "shuffle":
        loader = DataLoader(dataset, batch_size=16, shuffle=True, generator=generator)
    elif sampler_kind == "weighted":
        sampler = WeightedRandomSampler(torch.linspace(0.05, 1.0, n), n, generator=generator)
        loader = DataLoader(dataset, batch_size=16, sampler=sampler)
    else:
        # Rank 1 of 3, with padding: 120 samples give 40 per rank.
        loader = DataLoader(dataset, batch_size=16,
                            sampler=DistributedSampler(dataset, num_replicas=3, rank=1, seed=0))
    tracked = watcher.track(loader)
    for epoch in range(2):
        run.set_epoch(epoch)
        if sampler_kind == "distributed":
            tracked.sampler.set_epoch(epoch)
        for values, _ in tracked:
            model(values)
        ids, embeddings = _logged_vectors(run, "training", epoch)
        assert embeddings[:, 0].tolist() == [float(i) for i in ids]
        assert len(set(ids)) == len(ids)
    if sampler_kind == "weighted":
        assert watcher.n_repeats_skipped > 0
    if sampler_kind == "distributed":
        assert len(ids) == 40


def test_watch_string_ids_follow_samples(root) -> None:
    ids = [f"review-{i}" for i in range(30)]
    run = _id_run(root, 30, ids=ids)
    model = _identity_model()
    tracked = watch(model, run).track(
        DataLoader(_id_dataset(30, ids=ids), batch_size=7, shuffle=True))
    run.set_epoch(0)
    for values, _ in tracked:
        model(values)
    logged, embeddings = _logged_vectors(run, "training", 0)
    assert [f"review-{int(value)}" for value in embeddings[:, 0]] == logged
    assert sorted(logged) == sorted(ids)


def _blobs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    centers = rng.normal(0, 4.0, (4, 10))
    labels = rng.integers(0, 4, n)
    return (centers[labels] + rng.normal(0, 1.0, (n, 10))).astype(np.float32), labels


@pytest.mark.slow
def test_watch_trains_two_epochs_and_ranks_flips(root) -> None:
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    features, true = _blobs(800, rng)
    given = true.copy()
    flipped = rng.choice(800, 40, replace=False)
    given[flipped] = (given[flipped] + rng.integers(1, 4, 40)) % 4
    test_features, test_labels = _blobs(200, rng)
    run = dataerrors.init("blobs", "mlp", ["a", "b", "c", "d"], root=root)
    run.log_samples("training", np.arange(800), given)
    run.log_samples("test", np.arange(1000, 1200), test_labels)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 4))
    watcher = watch(model, run)
    train_set = TensorDataset(torch.from_numpy(features), torch.from_numpy(given))
    test_set = TensorDataset(torch.from_numpy(test_features), torch.from_numpy(test_labels))
    train_loader = watcher.track(DataLoader(IndexedDataset(train_set), batch_size=32, shuffle=True))
    test_loader = DataLoader(IndexedDataset(test_set, ids=np.arange(1000, 1200)), batch_size=64)
    test_loader = watcher.track(test_loader)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(2):
        run.set_epoch(epoch)
        model.train()
        for inputs, labels in train_loader:
            loss = nn.functional.cross_entropy(model(inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with run.split("test"), torch.no_grad():
            for inputs, _ in test_loader:
                model(inputs)
    run.finish(progress=False)

    assert run.epochs("training") == [0, 1]
    assert run.epochs("test") == [0, 1]
    for split, n in (("training", 800), ("test", 200)):
        logged, embeddings = _logged_vectors(run, split, 1)
        assert len(logged) == n
        assert embeddings.shape == (n, 32)
    frame = run.samples("training").sort_values("dep", ascending=False)
    assert len(set(frame["id"].head(40)) & set(flipped.tolist())) >= 32
    assert watcher.n_batches_logged == 2 * (25 + 4)


def test_watch_eval_split_from_tracked_loader(root) -> None:
    run = _id_run(root, 20)
    run.log_samples("test", [100, 101, 102], [0, 1, 0])
    model = _identity_model()
    watcher = watch(model, run)
    test_loader = watcher.track(DataLoader(_id_dataset(3, ids=[100, 101, 102])), split="test")
    model.eval()
    run.set_epoch(0)
    with torch.inference_mode():
        for values, _ in test_loader:
            model(values)
    logged, _ = _logged_vectors(run, "test", 0)
    assert logged == [100, 101, 102]
    assert run.epochs("training") == []


def test_watch_eval_without_split_raises(root) -> None:
    run = _id_run(root, 8)
    model = _identity_model().eval()
    tracked = watch(model, run).track(DataLoader(_id_dataset(8), batch_size=4))
    run.set_epoch(0)
    with pytest.raises(InvalidInputError, match="eval mode but no split is set"):
        for values, _ in tracked:
            model(values)


def test_watch_without_epoch_raises(root) -> None:
    run = _id_run(root, 8)
    model = _identity_model()
    tracked = watch(model, run).track(DataLoader(_id_dataset(8), batch_size=4))
    with pytest.raises(InvalidInputError, match=r"no epoch is set .* run.set_epoch\(epoch\)"):
        for values, _ in tracked:
            model(values)


@pytest.mark.parametrize("logged_ids", [list(range(100, 108)), [f"img-{row}" for row in range(8)]])
def test_watch_unknown_ids_hint_indexed_dataset(root, logged_ids) -> None:
    run = _id_run(root, 8, ids=logged_ids)
    model = _identity_model()
    tracked = watch(model, run).track(DataLoader(_id_dataset(8), batch_size=4))
    run.set_epoch(0)
    with pytest.raises(dataerrors.UnknownIdError, match=r"IndexedDataset\(dataset, ids=\.\.\.\)"):
        for values, _ in tracked:
            model(values)
    run.flush()
    assert run.epochs("training") == []


def test_watch_batch_size_mismatch_raises(root) -> None:
    run = _id_run(root, 8)
    model = _identity_model()
    watcher = watch(model, run)
    run.set_epoch(0)
    watcher.set_ids(torch.arange(8))
    with pytest.raises(InvalidInputError, match="logits has 4 rows but the batch has 8 ids"):
        model(torch.zeros(4, 1))
    run.flush()
    assert run.epochs("training") == []


def test_watch_forward_without_ids_warns_once(root) -> None:
    run = _id_run(root, 8)
    model = _identity_model()
    watcher = watch(model, run)
    run.set_epoch(0)
    with pytest.warns(UnloggedForwardWarning, match="without sample ids") as caught:
        model(torch.zeros(2, 1))
    assert caught[0].filename == __file__  # points at the forward call, not into torch
    watcher.set_ids([0, 1])
    model(torch.zeros(2, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model(torch.zeros(2, 1))  # a second forward on the batch: not logged, no second warning
    assert watcher.n_batches_logged == 1


def test_unwatch_removes_every_hook_and_rewatch_works(root) -> None:
    run = _id_run(root, 8)
    model = _identity_model()
    watcher = watch(model, run)
    tracked = watcher.track(DataLoader(_id_dataset(8), batch_size=4))
    assert unwatch(model) is True
    assert unwatch(model) is False
    assert not model._forward_hooks
    assert not model._forward_pre_hooks
    assert not model[1]._forward_pre_hooks
    run.set_epoch(0)
    batches = [values for values, _ in tracked]  # still strips the ids, logs nothing
    assert [len(values) for values in batches] == [4, 4]
    with pytest.raises(InvalidInputError, match="removed by unwatch"):
        watcher.set_ids([0])

    again = watch(model, run)
    assert watch(model, run) is not again  # watching twice replaces the watcher
    assert len(model._forward_hooks) == 1
    assert len(model[1]._forward_pre_hooks) == 1
    for values, _ in tracked:
        model(values)
    logged, _ = _logged_vectors(run, "training", 0)
    assert sorted(logged) == list(range(8))


def test_watch_named_layer(root) -> None:
    run = _id_run(root, 4)
    model = nn.Sequential(nn.Linear(1, 6), nn.ReLU(), nn.Linear(6, 2))
    watcher = watch(model, run, layer="1")
    run.set_epoch(0)
    watcher.set_ids([0, 1, 2, 3])
    model(torch.randn(4, 1))
    _, embeddings = _logged_vectors(run, "training", 0)
    assert embeddings.shape == (4, 6)
    assert (embeddings < 0).any()  # the ReLU's input, not its output


@pytest.mark.parametrize("precision", ["bfloat16-autocast", "float16-model"])
def test_watch_mixed_precision(root, precision: str) -> None:
    run = _id_run(root, 16)
    model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 2))
    inputs = torch.linspace(-1, 1, 16).unsqueeze(1)
    watcher = watch(model, run)
    run.set_epoch(0)
    watcher.set_ids(list(range(16)))
    if precision == "bfloat16-autocast":
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(inputs)
        assert logits.dtype == torch.bfloat16
    else:
        model.half()
        logits = model(inputs.half())
        assert logits.dtype == torch.float16
    run.finish(progress=False)
    frame = run.samples("training")
    assert frame["dep"].between(0, 1).all()
    assert (frame["predicted"] == logits.float().argmax(1).numpy()).all()


@pytest.mark.parametrize("backend", [
    "eager",
    pytest.param("inductor", marks=pytest.mark.slow),  # compiles C++ kernels: 5-30 s
])
@pytest.mark.parametrize("order", ["watch-then-compile", "compile-then-watch"])
def test_watch_compiled_model(root, order: str, backend: str) -> None:
    run = _id_run(root, 12)
    model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 2))
    if order == "watch-then-compile":
        watcher = watch(model, run)
        compiled = torch.compile(model, backend=backend)
    else:
        compiled = torch.compile(model, backend=backend)
        watcher = watch(compiled, run)
    inputs = torch.linspace(-1, 1, 12).unsqueeze(1)
    for epoch in range(2):
        run.set_epoch(epoch)
        for start in (0, 6):
            watcher.set_ids(list(range(start, start + 6)))
            compiled(inputs[start:start + 6])
        logged, embeddings = _logged_vectors(run, "training", epoch)
        expected = torch.relu(model[0](inputs)).detach().numpy()
        np.testing.assert_allclose(embeddings, expected[logged], atol=1e-2)
    assert watcher.n_batches_logged == 4


def test_watch_ignores_deep_copies(root) -> None:
    run = _id_run(root, 4)
    model = _identity_model()
    watcher = watch(model, run)
    averaged = copy.deepcopy(model)  # an EMA copy, for example
    run.set_epoch(0)
    watcher.set_ids([0, 1, 2, 3])
    averaged(torch.zeros(4, 1))
    model(torch.arange(4, dtype=torch.float32).unsqueeze(1))
    logged, embeddings = _logged_vectors(run, "training", 0)
    assert embeddings[:, 0].tolist() == [float(i) for i in logged]


def test_watched_model_pickles_without_hooks(root) -> None:
    import io

    run = _id_run(root, 4)
    model = _identity_model()
    watch(model, run)
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    run.set_epoch(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loaded(torch.zeros(4, 1)).shape == (4, 2)
    run.flush()
    assert run.epochs("training") == []


def test_watch_reads_logits_of_model_outputs(root) -> None:
    class LossAndOutputs(nn.Module):
        """Returns (loss, logits, {"scores": logits}) as some training code does."""

        def __init__(self) -> None:
            super().__init__()
            self.head = nn.Linear(1, 2)

        def forward(self, values: torch.Tensor) -> tuple:
            logits = self.head(values)
            return logits.sum(), logits, {"scores": logits}

    run = _id_run(root, 4)
    model = LossAndOutputs()
    watcher = watch(model, run)  # the default: the first tensor of 2 or more dimensions
    run.set_epoch(0)
    watcher.set_ids([0, 1, 2, 3])
    model(torch.zeros(4, 1))
    assert watcher.n_batches_logged == 1

    with pytest.raises(InvalidInputError, match="logits=.* is not callable"):
        watch(model, run, logits="scores")
    watcher = watch(model, run, logits=lambda output: output[2]["scores"])
    run.set_epoch(1)
    watcher.set_ids([0, 1, 2, 3])
    model(torch.zeros(4, 1))
    assert watcher.n_batches_logged == 1

    watcher = watch(model, run, logits=lambda output: output[2])
    run.set_epoch(2)
    watcher.set_ids([0, 1, 2, 3])
    with pytest.raises(InvalidInputError, match="logits is a dict, not a batch tensor"):
        model(torch.zeros(4, 1))


def test_watch_invalid_arguments(root) -> None:
    run = _id_run(root, 4)
    with pytest.raises(InvalidInputError, match="model is a str; pass a torch.nn.Module"):
        watch("model", run)
    with pytest.raises(InvalidInputError, match="run is a dict; pass the Run"):
        watch(_identity_model(), {})
    with pytest.raises(InvalidInputError, match="layer='head' is not a module"):
        watch(_identity_model(), run, layer="head")
    watcher = watch(_identity_model(), run)
    with pytest.raises(InvalidInputError, match="loader.dataset is a TensorDataset, not an IndexedDataset"):
        watcher.track(DataLoader(_dataset()))
    with pytest.raises(InvalidInputError, match="split='val' is not a known split"):
        watcher.track(DataLoader(_id_dataset(4)), split="val")
    with pytest.raises(InvalidInputError, match="ids has dtype float32; sample ids must be"):
        watcher.set_ids(torch.zeros(3))
    with pytest.raises(InvalidInputError, match="list batch, which does not end with sample ids"):
        next(iter(watcher.track([[torch.zeros(2)]])))


def test_watch_warns_on_repeated_epoch(root) -> None:
    run = _id_run(root, 8)
    model = _identity_model()
    tracked = watch(model, run).track(DataLoader(_id_dataset(8), batch_size=4))
    run.set_epoch(0)
    for values, _ in tracked:
        model(values)
    with pytest.warns(UnloggedForwardWarning, match=r"already has outputs for epoch 0 .* run.set_epoch") as caught:
        for values, _ in tracked:  # an evaluation pass in the same epoch: not logged
            model(values)
    assert len(caught) == 1  # shown once
    run.set_epoch(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values, _ in tracked:
            model(values)
    run.flush()
    assert run.epochs("training") == [0, 1]
