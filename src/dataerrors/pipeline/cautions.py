"""Cautions: plain-language warnings added to a split's summary when its figures need context.

Each caution names what was measured and what to do about it. They are written to
``summary["splits"][split]["cautions"]`` as ``{"kind", "message"}`` entries (kinds:
``"error_rate"``, ``"coverage"``) and shown by ``dataerrors summary`` and the console.
"""

from __future__ import annotations

from typing import Any

from ..splits import TRAINING

#: A model that misclassifies at least this share of a split is weak enough to need a caution,
WEAK_MODEL_ERROR = 0.2
#: when confident learning counts at least this share of its misclassified samples as label errors.
EXPLAINED_SHARE = 0.5
#: A split whose out-of-coverage share exceeds this many times the calibrated share gets a caution.
COVERAGE_EXCESS = 3.0


def add_cautions(summary: dict[str, Any]) -> None:
    """Add a ``cautions`` list (possibly empty) to every split of an analysis summary."""
    flag_share = summary.get("coverage", {}).get("flag_share")
    for split, entry in summary["splits"].items():
        found = {"error_rate": _error_rate_caution(entry)}
        if split != TRAINING and flag_share:
            found["coverage"] = _coverage_caution(entry, flag_share)
        entry["cautions"] = [
            {"kind": kind, "message": message} for kind, message in found.items() if message
        ]


def _error_rate_caution(entry: dict[str, Any]) -> str | None:
    rate, accuracy = entry.get("estimated_error_rate"), entry.get("accuracy")
    if rate is None or accuracy is None or not entry.get("n_scored"):
        return None
    misclassified = 1.0 - accuracy
    if misclassified < WEAK_MODEL_ERROR or rate < EXPLAINED_SHARE * misclassified:
        return None
    return (
        f"The model misclassifies {100 * misclassified:.1f}% of this split, and confident "
        f"learning counts {100 * rate:.1f}% of its labels as wrong. With a model this weak, many "
        "flagged samples are its own mistakes rather than label errors: check them by eye, or "
        "train longer or use a stronger model, before relabeling many of them."
    )


def _coverage_caution(entry: dict[str, Any], flag_share: float) -> str | None:
    share = (entry.get("coverage") or {}).get("out_of_coverage_share")
    if share is None or share <= COVERAGE_EXCESS * flag_share:
        return None
    return (
        f"{100 * share:.1f}% of this split is out of coverage, against {100 * flag_share:.0f}% "
        "of held-out training samples by construction. Either this split differs from the "
        "training data, or the training embeddings were logged during the training steps, "
        "while the model was still fitting them. To compare the two fairly, log an evaluation "
        "pass over the training data after training, as one more epoch (README: \"Drop it "
        "into a training loop\")."
    )
