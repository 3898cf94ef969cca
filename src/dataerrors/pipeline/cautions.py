"""Cautions: plain-language warnings added to a split's summary when its figures need context.

Each caution names what was measured and what to do about it. They are written to
``summary["splits"][split]["cautions"]`` as ``{"kind", "message"}`` entries (kinds:
``"error_rate"``, ``"coverage"``) and shown by ``dataerrors summary`` and the console.
"""

from __future__ import annotations

from typing import Any

from ..splits import TRAINING

#: Above this estimated share of wrong labels, the model is more likely weak than the labels bad.
HIGH_ERROR_RATE = 0.25
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
    if rate is None or accuracy is None or rate <= HIGH_ERROR_RATE:
        return None
    return (
        f"Confident learning estimates that {100 * rate:.0f}% of the labels are wrong, with the "
        f"model at {100 * accuracy:.1f}% accuracy. When that many labels look wrong, most "
        "flagged samples are usually the model's own mistakes: train longer or use a stronger "
        "model before relabeling many of them."
    )


def _coverage_caution(entry: dict[str, Any], flag_share: float) -> str | None:
    share = (entry.get("coverage") or {}).get("out_of_coverage_share")
    if share is None or share <= COVERAGE_EXCESS * flag_share:
        return None
    return (
        f"{100 * share:.1f}% of this split is out of coverage, against {100 * flag_share:.0f}% "
        "of held-out training samples by construction. Either this split differs from the "
        "training data, or the training embeddings were logged while the model was still "
        "fitting them (during the training steps): log the training split once more in an "
        "evaluation pass after the last epoch to compare the two fairly."
    )
