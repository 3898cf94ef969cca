"""The text demo: fine-tune all-MiniLM-L6-v2 on Rotten Tomatoes reviews through the Trainer callback.

Fresh or rotten reviews from a random subset are the training and test splits. Plot summaries of
the same movies are the unlabelled "inference" split: text of another kind, to show how coverage
scores a split that was not trained on. In one measured run (`dataerrors demo --text`), 2 of 200
were out of coverage, fewer than the 5% of held-out training reviews that the threshold flags.

The encoder's lower layers stay frozen and only the top layers and the classification head are
trained, which keeps a few epochs within minutes on a CPU.

Sample ids are the row numbers of the corpus file, so results can be compared between runs.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import InvalidInputError
from ..report import ordinal, shorten
from ..run import Run, init
from .text_data import CLASS_NAMES, load_corpus, minilm_folder

logger = logging.getLogger(__name__)

DEFAULT_N_TRAIN = 1000
DEFAULT_N_TEST = 250
DEFAULT_N_INFERENCE = 200


@dataclass
class TextDemoResult:
    """Result of the text demo: the run, its last-epoch test accuracy and its duration in seconds."""

    run: Run
    test_accuracy: float
    seconds: float


def run_text_demo(
    root: str | Path,
    epochs: int = 3,
    n_train: int | None = None,
    n_test: int | None = None,
    n_inference: int | None = None,
    trainable_layers: int = 2,
    learning_rate: float = 2e-4,
    max_length: int = 64,
    seed: int = 0,
    run_name: str = "minilm",
    report: Callable[[str], None] = logger.info,
    progress: bool = True,
) -> TextDemoResult:
    """Fine-tune a MiniLM classifier on movie reviews while logging to a run, then analyze it.

    Parameters
    ----------
    root : path
        Runs root; the run goes to ``<root>/rotten-tomatoes/<run_name>`` (replaced if it exists).
    epochs : int
        Training epochs; the test split is evaluated after each.
    n_train, n_test, n_inference : int, optional
        Number of training reviews, test reviews and plot summaries, drawn at random without
        overlap. Default: 1000, 250 and 200.
    trainable_layers : int in [0, 6]
        Number of the encoder's top transformer layers that are fine-tuned with the head.
    learning_rate : float
        Peak learning rate of AdamW, which decays linearly to 0.
    max_length : int
        Texts are truncated to this many tokens.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import TrainerCallback

    import dataerrors.transformers

    started = time.perf_counter()
    n_train = DEFAULT_N_TRAIN if n_train is None else n_train
    n_test = DEFAULT_N_TEST if n_test is None else n_test
    n_inference = DEFAULT_N_INFERENCE if n_inference is None else n_inference
    reviews, plots = load_corpus()
    _check_sizes(n_train, n_test, n_inference, len(reviews), len(plots), trainable_layers)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(reviews))
    train = reviews.iloc[np.sort(order[:n_train])]
    test = reviews.iloc[np.sort(order[n_train:n_train + n_test])]
    inference = plots.iloc[np.sort(rng.permutation(len(plots))[:n_inference])]

    torch.manual_seed(seed)
    tokenizer, model = _load_minilm(trainable_layers)
    run = init("rotten-tomatoes", run_name, CLASS_NAMES, root=root, task="text_classification",
               mode="overwrite")
    report(f"Fine-tuning all-MiniLM-L6-v2 on {len(train)} reviews, testing on {len(test)}, and "
           f"scoring {len(inference)} plot summaries; logging to {run.folder}")

    class EpochReport(TrainerCallback):  # type: ignore[misc]
        def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict, **kwargs: Any) -> None:
            report(f"epoch {round(state.epoch)}/{epochs}: test accuracy {metrics['eval_accuracy']:.4f}")

    with tempfile.TemporaryDirectory(prefix="dataerrors-trainer-") as trainer_folder:
        trainer = _trainer(model, tokenizer, _tokenized(tokenizer, train, max_length),
                           _tokenized(tokenizer, test, max_length), trainer_folder, epochs,
                           learning_rate, seed, progress)
        trainer.add_callback(EpochReport())
        run.log_samples("training", trainer.train_dataset, metadata=["movie_name"])
        run.log_samples("test", trainer.eval_dataset, metadata=["movie_name"])
        dataerrors.transformers.watch(trainer, run, eval_split="test")
        trainer.train()
        plots_dataset = _tokenized(tokenizer, inference, max_length)
        run.log_samples("inference", plots_dataset, metadata=["movie_name"])
        with run.split("inference"):
            trainer.predict(plots_dataset)

    run.finish(progress=progress)
    accuracy = run.summary()["splits"]["test"]["accuracy"]
    return TextDemoResult(run, float(accuracy), time.perf_counter() - started)


def inference_report(run: Run, top: int = 5, width: int = 100) -> str:
    """Return how much of the inference split is out of coverage, with its farthest texts.

    Needs the coverage columns (``is_out_of_coverage``, ``coverage_distance``) of the analysis.
    Without them, the text states that the split was logged but not scored for coverage.
    """
    frame = run.samples("inference")
    if "is_out_of_coverage" not in frame.columns:
        return (f"== inference: {len(frame)} plot summaries logged with their embeddings; this "
                "version of dataerrors computes no coverage scores, so none is flagged.")
    flagged = frame["is_out_of_coverage"].fillna(False).astype(bool)
    coverage = run.summary().get("coverage", {})
    lines = [f"== inference: {int(flagged.sum())} of {len(frame)} plot summaries "
             f"({100 * flagged.mean():.1f}%) are outside the training data's coverage"]
    if "threshold" in coverage:
        lines.append(f"  the {top} farthest from the training reviews (cosine distance to the "
                     f"{ordinal(coverage['k'])} nearest; out of coverage above "
                     f"{coverage['threshold']:.3f}, marked *):")
    farthest = frame.sort_values("coverage_distance", ascending=False).head(top)
    for row, is_out in zip(farthest.itertuples(), flagged[farthest.index]):
        mark = "*" if is_out else " "
        lines.append(f"  {mark} {row.coverage_distance:.3f}  {shorten(str(row.input), width)}")
    return "\n".join(lines)


def _check_sizes(n_train: int, n_test: int, n_inference: int, n_reviews: int, n_plots: int,
                 trainable_layers: int) -> None:
    if n_train < 10 or n_test < 10 or n_train + n_test > n_reviews:
        raise InvalidInputError(
            f"n_train={n_train} and n_test={n_test} are invalid; each must be at least 10 and "
            f"together at most the {n_reviews} reviews of the corpus."
        )
    if not 1 <= n_inference <= n_plots:
        raise InvalidInputError(
            f"n_inference={n_inference} is invalid; pass 1 to {n_plots} (the plot summaries)."
        )
    if not 0 <= trainable_layers <= 6:
        raise InvalidInputError(
            f"trainable_layers={trainable_layers} is invalid; MiniLM-L6 has 6 layers, pass 0 to 6."
        )


def _load_minilm(trainable_layers: int) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = minilm_folder()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        folder, local_files_only=True, num_labels=len(CLASS_NAMES),
        id2label=dict(enumerate(CLASS_NAMES)),
        label2id={name: index for index, name in enumerate(CLASS_NAMES)},
    )
    encoder = model.base_model
    frozen = [encoder.embeddings, *encoder.encoder.layer[: len(encoder.encoder.layer) - trainable_layers]]
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad = False
    return tokenizer, model


def _tokenized(tokenizer: Any, frame: pd.DataFrame, max_length: int) -> Any:
    import datasets

    dataset = datasets.Dataset.from_pandas(frame, preserve_index=False)
    return dataset.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length),
        batched=True,
    )


def _trainer(model: Any, tokenizer: Any, train: Any, test: Any, folder: str, epochs: int,
             learning_rate: float, seed: int, progress: bool) -> Any:
    from transformers import (
        DataCollatorWithPadding,
        PrinterCallback,
        ProgressCallback,
        Trainer,
        TrainingArguments,
    )

    args = TrainingArguments(
        output_dir=folder, num_train_epochs=epochs, learning_rate=learning_rate, weight_decay=0.01,
        per_device_train_batch_size=32, per_device_eval_batch_size=128, eval_strategy="epoch",
        save_strategy="no", logging_strategy="no", report_to="none", use_cpu=True, seed=seed,
        disable_tqdm=not progress,
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=train, eval_dataset=test,
        data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=_accuracy,
    )
    # The demo reports each epoch's accuracy itself, so the Trainer's printing of metric dicts
    # is left out, and its progress bars are kept only when requested.
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    if progress:
        trainer.add_callback(_progress_bars_class()())
    return trainer


def _progress_bars_class() -> type:
    from transformers import ProgressCallback

    class ProgressBars(ProgressCallback):  # type: ignore[misc]
        """The Trainer's progress bars without the metric dicts it writes below them."""

        def on_log(self, *args: Any, **kwargs: Any) -> None:
            return None

    return ProgressBars


def _accuracy(prediction: Any) -> dict[str, float]:
    logits, labels = prediction.predictions, prediction.label_ids
    return {"accuracy": float((np.argmax(logits, axis=1) == labels).mean())}
