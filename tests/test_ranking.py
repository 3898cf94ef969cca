from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import dataerrors
from dataerrors.analysis.dep import NEIGHBOR_WEIGHT
from dataerrors.errors import DegenerateInputWarning, InvalidInputError, SkippedSignalWarning


def random_outputs(n_samples: int = 300, n_classes: int = 4, n_epochs: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, n_samples)
    centers = rng.normal(0, 3, (n_classes, 8))
    embeddings = centers[labels] + rng.normal(0, 1, (n_samples, 8))
    flipped = rng.random(n_samples) < 0.1
    labels[flipped] = (labels[flipped] + 1) % n_classes  # label noise the outputs disagree with
    logits = rng.normal(0, 1, (n_epochs, n_samples, n_classes))
    logits += 2.0 * (embeddings @ centers.T) / 9.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)
    return labels, probs, embeddings, flipped


def test_columns_and_ranges():
    labels, probs, embeddings, _ = random_outputs()
    frame = dataerrors.rank_label_errors(labels, probs, embeddings)
    for column in ("dep", "is_likely_mislabeled", "suggested_label", "aum", "neighbor_disagreement"):
        assert column in frame.columns
    for column in ("dep", "aum", "margin", "confidence", "neighbor_disagreement"):
        assert not frame[column].isna().any(), column
    assert frame["dep"].between(0, 1).all()
    assert frame["aum"].between(-1, 1).all()
    assert frame["neighbor_disagreement"].between(0, 1).all()
    assert frame["suggested_label"].between(0, 3).all()
    assert frame["is_likely_mislabeled"].dtype == bool
    assert frame.attrs["estimated_label_errors"] >= 0


def test_dep_ranks_flipped_labels_first():
    labels, probs, embeddings, flipped = random_outputs(seed=3)
    frame = dataerrors.rank_label_errors(labels, probs, embeddings)
    top = frame["dep"].to_numpy().argsort()[::-1][: flipped.sum()]
    assert flipped[top].mean() > 0.7


def test_permutation_keeps_each_score():
    labels, probs, embeddings, _ = random_outputs(seed=1)
    order = np.random.default_rng(5).permutation(labels.shape[0])
    frame = dataerrors.rank_label_errors(labels, probs, embeddings)
    permuted = dataerrors.rank_label_errors(labels[order], probs[:, order], embeddings[order])
    for column in ("dep", "aum", "neighbor_disagreement", "suggested_label", "is_likely_mislabeled"):
        np.testing.assert_allclose(
            permuted[column].to_numpy(dtype=float), frame[column].to_numpy(dtype=float)[order],
            rtol=1e-6, err_msg=column,
        )


def test_hand_computed_single_epoch():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]])
    frame = dataerrors.rank_label_errors([0, 0, 1], probs)
    # DEP = (1 - margin) / 2, margin = p(given) - p(other).
    assert frame["dep"].tolist() == pytest.approx([0.1, 0.8, 0.3])
    assert frame["suggested_label"].tolist() == [0, 1, 1]
    assert frame["neighbor_disagreement"].isna().all()


def test_hand_computed_epochs_and_neighbours():
    probs = np.array([
        [[0.6, 0.4], [0.9, 0.1], [0.2, 0.8], [0.3, 0.7]],
        [[0.8, 0.2], [0.9, 0.1], [0.4, 0.6], [0.1, 0.9]],
    ])
    embeddings = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    frame = dataerrors.rank_label_errors([0, 0, 1, 1], probs, embeddings)
    # Sample 0: margins 0.2 then 0.6, AUM 0.4. Sample 2: margins 0.6 then 0.2, AUM 0.4, last
    # 0.2. With 4 samples each has 3 neighbours, 2 of the other class: disagreement 2/3.
    assert frame["aum"][0] == pytest.approx(0.4)
    assert frame["margin"][2] == pytest.approx(0.2)
    assert frame["neighbor_disagreement"].tolist() == pytest.approx([2 / 3] * 4)
    from_neighbors = NEIGHBOR_WEIGHT * 2 / 3
    assert frame["dep"][0] == pytest.approx((1 - NEIGHBOR_WEIGHT) * (1 - 0.4) / 2 + from_neighbors)
    assert frame["dep"][2] == pytest.approx((1 - NEIGHBOR_WEIGHT) * (1 - 0.2) / 2 + from_neighbors)


def test_index_follows_labels_series():
    labels = pd.Series([0, 1, 1], index=["a", "b", "c"])
    frame = dataerrors.rank_label_errors(labels, np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]))
    assert frame.index.tolist() == ["a", "b", "c"]
    assert frame.loc["c", "dep"] == pytest.approx(0.6)


def test_matches_a_logged_run(tmp_path):
    labels, probs, embeddings, _ = random_outputs(n_samples=120, seed=2)
    run = dataerrors.init("p", "r", 4, root=tmp_path)
    run.log_samples("training", np.arange(120), labels)
    for epoch in range(probs.shape[0]):
        run.log_outputs("training", epoch, np.arange(120), probs=probs[epoch].astype(np.float32),
                        embeddings=embeddings)
    run.finish(progress=False)
    logged = run.samples("training")
    # The run keeps the last epoch's probabilities and embeddings as float16.
    stored = embeddings.astype(np.float16).astype(np.float32)
    direct = dataerrors.rank_label_errors(labels, probs.astype(np.float32), stored)
    np.testing.assert_allclose(logged["dep"], direct["dep"], atol=1e-4)
    np.testing.assert_array_equal(logged["neighbor_label"], direct["neighbor_label"])
    np.testing.assert_array_equal(logged["suggested_label"], direct["suggested_label"])
    np.testing.assert_array_equal(logged["is_likely_mislabeled"], direct["is_likely_mislabeled"])


@pytest.mark.parametrize(
    ("labels", "probs", "embeddings", "message"),
    [
        ([0, 1], np.array([[0.5, 0.5]] * 3), None, "labels has 2 entries but probs has 3 row"),
        ([[1, 0], [0, 1], [1, 0]], np.array([[0.5, 0.5]] * 3), None,
         r"labels has shape \(3, 2\); pass a 1-D array .* labels.argmax\(axis=1\)"),
        ([0, 2, 1], np.array([[0.5, 0.5]] * 3), None, r"labels contains \[2\], out of range"),
        ([0, -1, 1], np.array([[0.5, 0.5]] * 3), None, r"labels contains \[-1\]"),
        ([0.5, 1, 1], np.array([[0.5, 0.5]] * 3), None,
         r"non-integer values \(first: 0.5\); pass integer class indices in \[0, 1\]"),
        (["cat", "dog", "cat"], np.array([[0.5, 0.5]] * 3), None, "pass integer class indices"),
        ([True, False, True], np.array([[0.5, 0.5]] * 3), None,
         r"labels has dtype bool; .*labels.astype\(int\)"),
        (pd.Series([1, 0, 1], dtype="category"), np.array([[0.5, 0.5]] * 3), None,
         r"labels is categorical; pass classes=\[...\].*labels.cat.codes"),
        ([0, 1, 1], np.array([0.5, 0.5, 0.5]), None, r"probs has shape \(3,\)"),
        ([0, 1, 1], np.ones((1, 1, 3, 2, 1)) / 2, None, r"probs has shape \(1, 1, 3, 2, 1\)"),
        ([0], np.ones((1, 1)), None, "needs >= 2 classes"),
        ([], np.ones((0, 2)), None, r"probs has shape \(0, 2\); pass at least one epoch"),
        ([0, 1, 1], np.array([[0.5, 0.5], [np.nan, 0.5], [0.5, 0.5]]), None, "NaN or infinite"),
        ([0, 1, 1], np.array([[0.7, 0.7], [0.5, 0.5], [0.5, 0.5]]), None, "sums to 1.4"),
        ([0, 1, 1], np.array([[1.5, -0.5], [0.5, 0.5], [0.5, 0.5]]), None, r"outside \[0, 1\]"),
        ([0, 1, 1], np.array([[[0.5, 0.5]] * 3, [[0.5, 0.5], [0.5, 0.5], [0.2, 0.2]]]), None,
         r"probs\[1\] \(epoch 1\): probs row 2 sums to 0.4"),
        ([0, 1, 1], np.array([[0.5, 0.5]] * 3), np.ones((2, 4)),
         r"embeddings has shape \(2, 4\); expected \(3, n_dims\), one row per sample"),
        ([0, 1, 1], np.array([[0.5, 0.5]] * 3), np.array([[1.0], [np.inf], [0.0]]), "NaN or infinite"),
        ([0, 1, 1], "probabilities", None, r"probs has shape \(\)"),
    ],
)
def test_invalid_input(labels, probs, embeddings, message):
    with pytest.raises(InvalidInputError, match=message) as raised:
        dataerrors.rank_label_errors(labels, probs, embeddings)
    assert "stored" not in str(raised.value)  # nothing is ever stored here


def test_rounded_probs_renormalize_hint():
    probs = np.array([[0.333, 0.333, 0.332], [0.5, 0.25, 0.25]])
    with pytest.raises(InvalidInputError, match=r"sums to 0.998, 0.002 away from 1 .*divide each row by its sum"):
        dataerrors.rank_label_errors([0, 1], probs)


def test_logits_match_their_softmax():
    labels, probs, embeddings, _ = random_outputs(seed=4)
    logits = np.log(probs) + 3.0  # a softmax of these gives probs back
    from_probs = dataerrors.rank_label_errors(labels, probs, embeddings)
    from_logits = dataerrors.rank_label_errors(labels, embeddings=embeddings, logits=logits)
    np.testing.assert_allclose(from_logits["dep"], from_probs["dep"], atol=1e-5)


def test_probs_and_logits_exclusive():
    probs = np.array([[0.5, 0.5]] * 3)
    with pytest.raises(InvalidInputError, match="pass exactly one of probs and logits"):
        dataerrors.rank_label_errors([0, 1, 1], probs, logits=probs)
    with pytest.raises(InvalidInputError, match="pass exactly one of probs and logits"):
        dataerrors.rank_label_errors([0, 1, 1])


def test_logits_errors_name_logits():
    with pytest.raises(InvalidInputError, match=r"logits has shape \(3,\)"):
        dataerrors.rank_label_errors([0, 1, 1], logits=np.zeros(3))
    with pytest.raises(InvalidInputError, match="labels has 2 entries but logits has 3 row"):
        dataerrors.rank_label_errors([0, 1], logits=np.zeros((3, 2)))


def test_frames_align_on_the_labels_index():
    labels, probs, embeddings, _ = random_outputs(n_samples=60, n_epochs=1, seed=6)
    index = [f"s{row}" for row in range(60)]
    series = pd.Series(labels, index=index)
    expected = dataerrors.rank_label_errors(series, probs[0], embeddings)
    order = np.random.default_rng(1).permutation(60)
    shuffled_probs = pd.DataFrame(probs[0], index=index).iloc[order]
    shuffled_embeddings = pd.DataFrame(embeddings, index=index).iloc[order]
    frame = dataerrors.rank_label_errors(series, shuffled_probs, shuffled_embeddings)
    assert frame.index.tolist() == index
    np.testing.assert_allclose(frame["dep"], expected["dep"], rtol=1e-6)


def test_frames_with_other_index_rejected():
    series = pd.Series([0, 1, 1], index=["a", "b", "c"])
    probs = pd.DataFrame([[0.5, 0.5]] * 3, index=["a", "b", "z"])
    with pytest.raises(InvalidInputError, match=r"1 label row\(s\) missing from probs \(first: \['c'\]\)"):
        dataerrors.rank_label_errors(series, probs)
    repeated = pd.DataFrame([[0.5, 0.5]] * 3, index=["a", "a", "b"])
    with pytest.raises(InvalidInputError, match="repeats a value"):
        dataerrors.rank_label_errors(series, repeated)


def test_ivf_keeps_neighbour_signal():
    # Above 20,000 samples the neighbour index is IVF; the signal must still separate the flips.
    rng = np.random.default_rng(3)
    n_samples, n_classes = 24_000, 8
    truth = rng.integers(0, n_classes, n_samples)
    embeddings = rng.normal(0, 4, (n_classes, 16))[truth] + rng.normal(0, 1, (n_samples, 16))
    labels = truth.copy()
    flipped = rng.random(n_samples) < 0.02
    labels[flipped] = (labels[flipped] + 1) % n_classes
    probs = np.full((n_samples, n_classes), 0.3 / (n_classes - 1))
    probs[np.arange(n_samples), truth] = 0.7
    frame = dataerrors.rank_label_errors(labels, probs, embeddings)
    disagreement = frame["neighbor_disagreement"].to_numpy()
    assert not np.isnan(disagreement).any()
    assert disagreement[flipped].mean() > 0.9
    assert disagreement[~flipped].mean() < 0.1


def test_missing_faiss_skips_neighbours(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # makes `import faiss` raise ImportError
    labels, probs, embeddings, _ = random_outputs(n_samples=50)
    with pytest.warns(SkippedSignalWarning, match="faiss is not installed"):
        frame = dataerrors.rank_label_errors(labels, probs, embeddings)
    assert frame["neighbor_disagreement"].isna().all()


def test_list_of_frames_aligned_per_epoch():
    labels, probs, _, _ = random_outputs(n_samples=40, n_epochs=2, seed=7)
    index = [f"s{row}" for row in range(40)]
    series = pd.Series(labels, index=index)
    expected = dataerrors.rank_label_errors(series, probs)
    order = np.random.default_rng(2).permutation(40)
    frames = [pd.DataFrame(epoch, index=index).iloc[order] for epoch in probs]
    frame = dataerrors.rank_label_errors(series, frames)
    np.testing.assert_allclose(frame["dep"], expected["dep"], rtol=1e-6)


def test_transposed_probs_named():
    probs = np.full((5, 2), 0.5)
    with pytest.raises(InvalidInputError, match=r"probs has shape \(2, 5\), with 5 columns for 5 labels: it looks transposed"):
        dataerrors.rank_label_errors([0, 1, 0, 1, 0], probs.T)


def test_indexed_frame_needs_indexed_labels():
    labels, probs, _, _ = random_outputs(n_samples=30, n_epochs=1, seed=8)
    shuffled = pd.DataFrame(probs[0]).iloc[np.random.default_rng(3).permutation(30)]
    with pytest.raises(InvalidInputError, match=r"probs is a DataFrame with its own index .*probs.to_numpy\(\)"):
        dataerrors.rank_label_errors(labels, shuffled)
    in_order = dataerrors.rank_label_errors(labels, pd.DataFrame(probs[0]))
    np.testing.assert_allclose(in_order["dep"], dataerrors.rank_label_errors(labels, probs[0])["dep"])


def test_integer_columns_read_as_classes():
    labels, probs, _, _ = random_outputs(n_samples=30, n_epochs=1, seed=9)
    expected = dataerrors.rank_label_errors(labels, probs[0])
    n_classes = probs.shape[2]
    reversed_columns = pd.DataFrame(probs[0]).iloc[:, ::-1]
    frame = dataerrors.rank_label_errors(labels, reversed_columns)
    np.testing.assert_allclose(frame["dep"], expected["dep"])
    np.testing.assert_array_equal(frame["suggested_label"], expected["suggested_label"])
    shifted = pd.DataFrame(probs[0], columns=range(1, n_classes + 1))
    with pytest.raises(InvalidInputError, match=r"not the class indices 0 to"):
        dataerrors.rank_label_errors(labels, shifted)


def test_constant_embeddings_skip_neighbours():
    labels, probs, embeddings, _ = random_outputs(n_samples=50)
    with pytest.warns(SkippedSignalWarning, match="embeddings are the same for every sample"):
        frame = dataerrors.rank_label_errors(labels, probs, np.zeros_like(embeddings))
    assert frame["neighbor_disagreement"].isna().all()


@pytest.mark.parametrize(
    ("labels", "probs", "embeddings", "message"),
    [
        ([0, 1, 1], np.full((2, 3, 2), 0.5).transpose(1, 0, 2), None,
         r"read as \(n_epochs, n_samples, n_classes\), but there are 3 labels.*transpose\(1, 0, 2\)"),
        ([0, 1, 1], np.array([0.2, 0.7, 0.9]), None, r"np.column_stack\(\[1 - p, p\]\)"),
        (np.array([[0], [1], [1]]), np.full((3, 2), 0.5), None, r"one column; pass that column"),
        ([0, 1, 1], np.full((3, 2), 0.5), np.ones((3, 2, 2)), r"Flatten or pool feature maps"),
    ],
)
def test_messages_for_common_shapes(labels, probs, embeddings, message):
    with pytest.raises(InvalidInputError, match=message):
        dataerrors.rank_label_errors(labels, probs, embeddings)


def test_wrong_length_embeddings_skip_feature_map_hint():
    with pytest.raises(InvalidInputError) as raised:
        dataerrors.rank_label_errors([0, 1, 1], np.full((3, 2), 0.5), np.ones((2, 4)))
    assert "feature maps" not in str(raised.value)


def test_class_names_with_classes():
    labels, probs, _, _ = random_outputs(n_samples=40, n_epochs=1, seed=10)
    n_classes = probs.shape[2]
    classes = [f"class {index}" for index in range(n_classes)]
    expected = dataerrors.rank_label_errors(labels, probs[0])
    named = np.array(classes, dtype=object)[labels]
    frame = dataerrors.rank_label_errors(named, probs[0], classes=classes)
    np.testing.assert_allclose(frame["dep"], expected["dep"])
    assert frame["label_name"].tolist() == named.tolist()
    suggested = expected["suggested_label"].to_numpy()
    assert frame["suggested_label_name"].tolist() == [
        classes[code] if code >= 0 else None for code in suggested
    ]
    assert frame["predicted_name"].tolist() == [classes[code] for code in expected["predicted"]]


def test_class_named_columns_reordered():
    labels, probs, _, _ = random_outputs(n_samples=40, n_epochs=1, seed=11)
    classes = [f"c{index}" for index in range(probs.shape[2])]
    expected = dataerrors.rank_label_errors(labels, probs[0])
    frame_probs = pd.DataFrame(probs[0], columns=classes).iloc[:, ::-1]
    categorical = pd.Series(pd.Categorical(np.array(classes)[labels]))
    frame = dataerrors.rank_label_errors(categorical, frame_probs, classes=classes)
    np.testing.assert_allclose(frame["dep"], expected["dep"])
    by_index = dataerrors.rank_label_errors(pd.Series(labels), frame_probs.iloc[:, ::-1], classes=classes)
    np.testing.assert_allclose(by_index["dep"], expected["dep"])


@pytest.mark.parametrize(
    ("labels", "classes", "message"),
    [
        (["cat", "dog", "cow"], ["cat", "dog"], r"labels contains \['cow'\], which are not in classes"),
        (["cat", "dog", "cat"], ["cat"], r"classes has 1 names but probs has 2 columns"),
        (["cat", "dog", "cat"], ["cat", "cat"], r"classes repeats \['cat'\]"),
        (["cat", "dog", "cat"], "cat,dog", r"classes='cat,dog' is not a sequence"),
        (["cat", "dog", "cat"], None, r"For class names, also pass classes=\[...\]"),
    ],
)
def test_bad_classes_rejected(labels, classes, message):
    with pytest.raises(InvalidInputError, match=message):
        dataerrors.rank_label_errors(labels, np.full((3, 2), 0.5), classes=classes)


def test_probability_frame_names_bad_columns():
    probs = pd.DataFrame({"cat": [0.2, 0.7, 0.5], "dog": [0.8, 0.3, 0.5], "id": [10, 11, 12]})
    with pytest.raises(InvalidInputError, match=r"probs has column\(s\) \['id'\] .*probs.drop\(columns=\['id'\]\)"):
        dataerrors.rank_label_errors([0, 1, 1], probs)


def test_class_columns_must_match_classes():
    probs = pd.DataFrame({"cat": [0.2, 0.7, 0.5], "Dog": [0.8, 0.3, 0.5]})
    with pytest.raises(InvalidInputError, match=r"columns \['Dog'\] that are not in classes, and classes \['dog'\]"):
        dataerrors.rank_label_errors(["cat", "dog", "cat"], probs, classes=["cat", "dog"])


def test_integer_classes_matched_by_value():
    labels, probs, _, _ = random_outputs(n_samples=40, n_epochs=1, seed=12)
    n_classes = probs.shape[2]
    expected = dataerrors.rank_label_errors(labels, probs[0])
    frame = dataerrors.rank_label_errors(labels + 1, probs[0], classes=np.arange(1, n_classes + 1))
    np.testing.assert_allclose(frame["dep"], expected["dep"])
    assert frame["label_name"].tolist() == [str(label + 1) for label in labels]
    with pytest.raises(InvalidInputError, match=r"labels contains \['0'\], which are not in classes"):
        dataerrors.rank_label_errors(labels, probs[0], classes=np.arange(1, n_classes + 1))


def test_byte_class_names_decoded():
    frame = dataerrors.rank_label_errors(
        np.array([b"cat", b"dog", b"cat"]), np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]),
        classes=np.array([b"cat", b"dog"]),
    )
    assert frame["label_name"].tolist() == ["cat", "dog", "cat"]


@pytest.mark.parametrize("classes", [None, ["cat", "dog"]])
@pytest.mark.parametrize("labels", [pd.Series(["cat", None, "dog"]), np.array([0.0, np.nan, 1.0])])
def test_missing_labels_named(labels, classes):
    if classes is None and labels.dtype == object:
        labels = pd.Series([0, None, 1], dtype=object)
    with pytest.raises(InvalidInputError, match=r"labels has 1 missing value\(s\) \(None or NaN\), first at row 1"):
        dataerrors.rank_label_errors(labels, np.full((3, 2), 0.5), classes=classes)


def test_one_column_labels_with_classes():
    with pytest.raises(InvalidInputError, match="one column; pass that column"):
        dataerrors.rank_label_errors(np.array([["cat"], ["dog"], ["cat"]]), np.full((3, 2), 0.5),
                                     classes=["cat", "dog"])


def test_columns_in_other_order_warn():
    labels, probs, _, _ = random_outputs(n_samples=200, n_epochs=1, seed=13)
    with pytest.warns(DegenerateInputWarning, match="no better than chance"):
        dataerrors.rank_label_errors(labels, probs[0][:, ::-1].copy())


def test_embedding_frame_names_text_columns():
    labels, probs, embeddings, _ = random_outputs(n_samples=30, n_epochs=1, seed=14)
    frame = pd.DataFrame(embeddings)
    frame.insert(0, "path", [f"img{row}.png" for row in range(30)])
    with pytest.raises(InvalidInputError, match=r"non-numeric column\(s\) \['path'\]"):
        dataerrors.rank_label_errors(labels, probs[0], frame)
