"""Every invalid input raises InvalidInputError naming the problem and the fix, and stores nothing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dataerrors
from dataerrors.errors import InvalidInputError, RenormalizedProbabilitiesWarning, RunExistsError

from .conftest import CLASS_NAMES, folder_snapshot, synthetic_logits


@pytest.fixture
def logged(run: dataerrors.Run) -> dataerrors.Run:
    """The run with one valid training batch of epoch 0 (ids 0-9) on disk."""
    rng = np.random.default_rng(0)
    run.log_outputs("training", 0, np.arange(10), logits=synthetic_logits(np.arange(10) % 4, rng),
                    embeddings=rng.normal(size=(10, 8)))
    run.flush()
    return run


def _assert_rejected_unchanged(run: dataerrors.Run, call, match: str) -> None:
    run.flush()
    before = folder_snapshot(run.folder)
    with pytest.raises(InvalidInputError, match=match):
        call()
    run.flush()
    assert folder_snapshot(run.folder) == before


def test_ids_never_logged_as_samples(logged: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        logged,
        lambda: logged.log_outputs("training", 0, [10, 999], logits=np.zeros((2, 4))),
        r"never logged as samples of split 'training', for example \[999\].*log_samples",
    )


def test_ids_of_another_split(logged: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        logged,
        lambda: logged.log_outputs("training", 0, [100], logits=np.zeros((1, 4))),
        r"\[100\].*check that the split is right",
    )


def test_duplicate_ids_in_one_call(logged: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        logged,
        lambda: logged.log_outputs("training", 0, [11, 11], logits=np.zeros((2, 4))),
        r"duplicate ids \[11\] in one call",
    )


def test_duplicate_ids_in_one_epoch(logged: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        logged,
        lambda: logged.log_outputs("training", 0, [9, 10], logits=np.zeros((2, 4))),
        r"ids \[9\] were already logged for split 'training' at epoch 0",
    )


def test_epoch_logged_again_after_next(logged: dataerrors.Run) -> None:
    logged.log_outputs("training", 1, [0], logits=np.zeros((1, 4)))
    logged.flush()
    _assert_rejected_unchanged(
        logged,
        lambda: logged.log_outputs("training", 0, [20], logits=np.zeros((1, 4))),
        r"epoch=0 for split 'training', but epoch 1 was already logged",
    )


def test_negative_epoch(logged: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        logged, lambda: logged.log_outputs("training", -1, [10], logits=np.zeros((1, 4))),
        r"epoch=-1 is negative",
    )


def test_label_out_of_range(run: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        run, lambda: run.log_samples("validation", [1, 2], [0, 4]),
        r"labels contains \[4\], out of range for 4 classes; labels must be in \[0, 3\]",
    )


def test_unknown_label_name(run: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        run, lambda: run.log_samples("validation", [1, 2], ["cat", "horse"]),
        r"unknown class names \['horse'\]",
    )


def test_label_names_accepted(run: dataerrors.Run) -> None:
    run.log_samples("validation", [1, 2], ["dog", "fish"])
    run.log_outputs("validation", 0, [1, 2], logits=np.zeros((2, 4)))
    run.finish(progress=False)
    assert run.samples("validation")["label"].tolist() == [1, 3]


def test_logits_wrong_class_count(logged: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        logged, lambda: logged.log_outputs("training", 0, [10, 11], logits=np.zeros((2, 5))),
        r"logits has shape \(2, 5\); expected \(2, 4\)",
    )


def test_nan_logits(logged: dataerrors.Run) -> None:
    logits = np.zeros((2, 4))
    logits[1, 2] = np.nan
    _assert_rejected_unchanged(
        logged, lambda: logged.log_outputs("training", 0, [10, 11], logits=logits),
        r"logits contains NaN or infinite values in 1 row\(s\), first at row 1",
    )


def test_infinite_embeddings(logged: dataerrors.Run) -> None:
    embeddings = np.zeros((1, 8))
    embeddings[0, 0] = np.inf
    _assert_rejected_unchanged(
        logged,
        lambda: logged.log_outputs("training", 0, [10], logits=np.zeros((1, 4)), embeddings=embeddings),
        r"embeddings contains NaN or infinite values",
    )


def test_probs_not_summing_to_one(logged: dataerrors.Run) -> None:
    probs = np.full((2, 4), 0.2)
    _assert_rejected_unchanged(
        logged, lambda: logged.log_outputs("training", 0, [10, 11], probs=probs),
        r"probs row 0 sums to 0.8, 0.2 away from 1 .*probs.sum\(axis=1, keepdims=True\).*pass them as logits",
    )


def test_probs_off_by_rounding_renormalized(logged: dataerrors.Run) -> None:
    probs = np.array([[0.25, 0.25, 0.25, 0.25002]])
    with pytest.warns(RenormalizedProbabilitiesWarning, match="renormalized"):
        logged.log_outputs("training", 0, [10], probs=probs)


def test_exact_probs_no_warning(logged: dataerrors.Run) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logged.log_outputs("training", 0, [10], probs=np.array([[0.1, 0.2, 0.3, 0.4]]))


def test_embedding_width_changes(logged: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        logged,
        lambda: logged.log_outputs("training", 0, [10], logits=np.zeros((1, 4)),
                                   embeddings=np.zeros((1, 16))),
        r"embeddings has width 16 but earlier batches of this run had width 8",
    )


def test_logits_and_probs_together(logged: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        logged,
        lambda: logged.log_outputs("training", 0, [10], logits=np.zeros((1, 4)),
                                   probs=np.full((1, 4), 0.25)),
        r"both logits and probs were given",
    )


def test_unknown_split(run: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        run, lambda: run.log_samples("train", [1], [0]), r"split='train' is not a known split"
    )


def test_labels_missing_outside_inference(run: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        run, lambda: run.log_samples("validation", [1], None), r"labels is missing"
    )


def test_samples_logged_twice(run: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        run, lambda: run.log_samples("training", [39, 40], [0, 1]),
        r"ids \[39\] were already logged as samples of split 'training'",
    )


def test_mixed_id_types(run: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        run, lambda: run.log_samples("training", ["a"], [0]), r"earlier samples.*int ids"
    )


def test_metadata_wrong_length(run: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        run, lambda: run.log_samples("validation", [1, 2], [0, 1], metadata={"source": ["a"]}),
        r"metadata\['source'\] has shape \(1,\); expected \(2,\)",
    )


def test_missing_image_file(run: dataerrors.Run, tmp_path) -> None:
    _assert_rejected_unchanged(
        run, lambda: run.log_samples("validation", [1], [0], inputs=[tmp_path / "nope.png"]),
        r"image file\(s\) that do not exist.*check_files=False",
    )


def test_non_utf8_text(root) -> None:
    text_run = dataerrors.init("p", "text", ["neg", "pos"], root=root, task="text_classification")
    with pytest.raises(InvalidInputError, match=r"inputs\[1\] is bytes that are not valid UTF-8"):
        text_run.log_samples("training", [0, 1], [0, 1], inputs=[b"fine", b"\xff\xfe bad"])


def test_image_array_wrong_dtype(run: dataerrors.Run) -> None:
    _assert_rejected_unchanged(
        run, lambda: run.log_samples("validation", [1], [0], inputs=np.zeros((1, 8, 8), np.float32)),
        r"in-memory images must be uint8",
    )


def test_run_exists_rejected(run: dataerrors.Run, root) -> None:
    with pytest.raises(RunExistsError, match=r"mode='resume'.*mode='overwrite'"):
        dataerrors.init("project", "run", CLASS_NAMES, root=root)


def test_resume_keeps_logged_data(logged: dataerrors.Run, root) -> None:
    resumed = dataerrors.init("project", "run", CLASS_NAMES, root=root, mode="resume")
    with pytest.raises(InvalidInputError, match="already logged"):
        resumed.log_outputs("training", 0, [0], logits=np.zeros((1, 4)))
    resumed.log_outputs("training", 0, [10], logits=np.zeros((1, 4)))
    resumed.finish(progress=False)
    assert resumed.samples("training")["n_epochs"].sum() == 11


def test_resume_with_other_classes(run: dataerrors.Run, root) -> None:
    with pytest.raises(InvalidInputError, match="do not match the classes"):
        dataerrors.init("project", "run", ["a", "b"], root=root, mode="resume")


def test_resume_with_another_task(logged: dataerrors.Run, root) -> None:
    before = folder_snapshot(logged.folder)
    with pytest.raises(InvalidInputError, match=r"task='text_classification' does not match.*"
                       r"resume with task='image_classification'"):
        dataerrors.init("project", "run", CLASS_NAMES, root=root, task="text_classification",
                        mode="resume")
    assert folder_snapshot(logged.folder) == before


def test_missing_image_files_mention_the_text_task(run: dataerrors.Run) -> None:
    with pytest.raises(InvalidInputError, match="task='text_classification'"):
        run.log_samples("training", [0], [0], inputs=["a short review, not a file"])


def test_overwrite_replaces_run(run: dataerrors.Run, root) -> None:
    fresh = dataerrors.init("project", "run", CLASS_NAMES, root=root, mode="overwrite")
    assert fresh.splits == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"labels": ["only"]}, r"needs >= 2 classes"),
        ({"labels": ["a", "a"]}, r"duplicate class names \['a'\]"),
        ({"labels": 4, "mode": "append"}, r"mode='append' is invalid"),
        ({"labels": 4, "task": "regression"}, r"task='regression' is invalid"),
        ({"labels": 4, "run": "a/b"}, r"run='a/b' is invalid"),
    ],
)
def test_init_rejects(root, kwargs, match) -> None:
    arguments = {"project": "p", "run": "r", "root": root, **kwargs}
    with pytest.raises(InvalidInputError, match=match):
        dataerrors.init(**arguments)
    assert not (root / "p" / "r" / "run.json").exists()
