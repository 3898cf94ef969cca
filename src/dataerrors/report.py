"""Readable text report of a run's summary, for the CLI and notebooks."""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Top suspects whose explanation the report prints under the table.
N_EXPLAINED_SUSPECTS = 3


def format_summary(summary: dict[str, Any], top: int = 10) -> str:
    """Return a plain-text report of every split: accuracy, error estimates, pairs, classes."""
    lines = [f"Run {summary['project']}/{summary['run']} (analyzed {summary['analyzed_at']})"]
    for split, entry in summary["splits"].items():
        lines.append("")
        lines.append(f"== {split}: {entry['n_samples']} samples, epochs {entry['epochs']}")
        if not entry["n_scored"]:
            lines.append("  no labelled sample with outputs; nothing to score.")
            continue
        thresholds = entry["dep_thresholds"]
        counts = entry["difficulty_counts"]
        lines.append(f"  accuracy (last epoch): {entry['accuracy']:.4f}   mean F1: {entry['mean_f1']:.4f}")
        lines.append(
            f"  DEP: mean {entry['mean_dep']:.3f}; easy < {thresholds['easy']:.3f} "
            f"({counts['easy']}), hard >= {thresholds['hard']:.3f} ({counts['hard']}), "
            f"ambiguous between ({counts['ambiguous']})"
        )
        lines.append(
            f"  likely mislabeled: {entry['n_likely_mislabeled']} flagged; estimated label "
            f"errors {entry['estimated_label_errors']:.0f} "
            f"({100 * entry['estimated_error_rate']:.2f}% of scored samples)"
        )
        if entry["top_confused_pairs"]:
            lines.append("  most confused pairs (given -> predicted: count, share of given class):")
            for pair in entry["top_confused_pairs"][:5]:
                lines.append(
                    f"    {pair['label_name']} -> {pair['predicted_name']}: {pair['count']} "
                    f"({100 * pair['share']:.1f}%)"
                )
        if entry["underperforming_classes"]:
            lines.append("  underperforming classes (F1 more than 1 std below the mean F1):")
            for entry_class in entry["underperforming_classes"]:
                cause = "small class, imbalance likely" if entry_class["is_small_class"] else (
                    f"most confused with {entry_class.get('most_confused_with_name', '-')}"
                )
                lines.append(
                    f"    {entry_class['label_name']}: F1 {entry_class['f1']:.3f} vs mean "
                    f"{entry_class['mean_f1']:.3f}, size {entry_class['size_ratio']:.2f}x the mean "
                    f"class size; {cause}"
                )
        suspects = entry["top_suspects"][:top]
        if suspects:
            lines.append(f"  top {len(suspects)} suspects by DEP:")
            frame = pd.DataFrame(suspects)[
                ["id", "label_name", "suggested_label_name", "dep", "is_likely_mislabeled"]
            ].rename(columns={"label_name": "given", "suggested_label_name": "suggested",
                              "is_likely_mislabeled": "flagged"})
            frame["dep"] = frame["dep"].map("{:.3f}".format)
            lines.extend("    " + row for row in frame.to_string(index=False).splitlines())
            explained = [suspect for suspect in suspects if suspect.get("explanation")]
            for suspect in explained[:N_EXPLAINED_SUSPECTS]:
                lines.append(f"    why {suspect['id']}? {suspect['explanation']}")
    return "\n".join(lines)
